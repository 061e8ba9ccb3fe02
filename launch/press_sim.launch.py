"""Launch the built-in simulator: a press controller and an impedance analyzer on ptys."""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    sim_dir = LaunchConfiguration("sim_dir")
    seed = LaunchConfiguration("seed")
    return LaunchDescription([
        DeclareLaunchArgument("sim_dir", default_value="/tmp/press_sim",
                              description="folder of the device paths <sim_dir>/press and "
                                          "<sim_dir>/lcr"),
        DeclareLaunchArgument("seed", default_value="0", description="noise seed"),
        Node(package="press_control", executable="press_sim", name="press_sim",
             arguments=["--dir", sim_dir, "--seed", seed], output="screen"),
    ])
