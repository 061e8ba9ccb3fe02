"""Example: two presses in one DDS domain.

press_1 and press_2, each in its own namespace with its own simulator and demo arm; topics
such as /press_1/state never cross.
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    demo_arm = LaunchConfiguration("demo_arm")
    cell = PathJoinSubstitution([FindPackageShare("press_control"), "launch",
                                 "press_cell.launch.py"])
    presses = []
    for name in ("press_1", "press_2"):
        sim_dir = f"/tmp/{name}_sim"
        presses.append(IncludeLaunchDescription(
            PythonLaunchDescriptionSource(cell),
            launch_arguments={"namespace": name, "use_sim": "true", "sim_dir": sim_dir,
                              "press_port": f"{sim_dir}/press", "lcr_port": f"{sim_dir}/lcr",
                              "demo_arm": demo_arm}.items()))
    return LaunchDescription([
        DeclareLaunchArgument("demo_arm", default_value="true",
                              description="a demo arm at each press"),
        *presses,
    ])
