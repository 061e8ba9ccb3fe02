"""Example: two presses in one DDS domain.

press_1 and press_2, each in its own namespace with its own simulator and demo arm; topics
such as /press_1/state never cross. Each press's panel has its own port (press_1 on
`panel_port`, press_2 on the next), each simulator its folder under `sim_root`.
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution, PythonExpression
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    demo_arm = LaunchConfiguration("demo_arm")
    panel_port = LaunchConfiguration("panel_port")
    sim_root = LaunchConfiguration("sim_root")
    cell = PathJoinSubstitution([FindPackageShare("press_control"), "launch",
                                 "press_cell.launch.py"])
    presses = []
    for number, name in enumerate(("press_1", "press_2")):
        sim_dir = PathJoinSubstitution([sim_root, f"{name}_sim"])
        # Scoped: without it, the arguments the first include declares (its ports) stay
        # set for the second, whose defaults are then not applied.
        presses.append(GroupAction([IncludeLaunchDescription(
            PythonLaunchDescriptionSource(cell),
            launch_arguments={"namespace": name, "use_sim": "true", "sim_dir": sim_dir,
                              "demo_arm": demo_arm,
                              "panel_port": PythonExpression([panel_port, f" + {number}"])
                              }.items())], scoped=True))
    return LaunchDescription([
        DeclareLaunchArgument("demo_arm", default_value="true",
                              description="a demo arm at each press"),
        DeclareLaunchArgument("panel_port", default_value="8080",
                              description="press_1's panel port; press_2's is the next"),
        DeclareLaunchArgument("sim_root", default_value="/tmp",
                              description="folder of the simulators' device folders"),
        *presses,
    ])
