"""Launch press_driver alone (a managed lifecycle node that configures and activates itself)."""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import LifecycleNode
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    namespace = LaunchConfiguration("namespace")
    params_file = LaunchConfiguration("params_file")
    press_port = LaunchConfiguration("press_port")
    arm_interlock = ParameterValue(LaunchConfiguration("arm_interlock"), value_type=bool)
    return LaunchDescription([
        DeclareLaunchArgument("namespace", default_value="press_1",
                              description="namespace of this press (topics are relative)"),
        DeclareLaunchArgument(
            "params_file",
            default_value=PathJoinSubstitution([FindPackageShare("press_control"), "config",
                                                "press_cell.yaml"]),
            description="parameter file (its /**/press_driver section applies)"),
        DeclareLaunchArgument("press_port", default_value="/tmp/press_sim/press",
                              description="serial device of the press controller"),
        DeclareLaunchArgument("arm_interlock", default_value="true",
                              description="false only for a press without a robot arm"),
        LifecycleNode(package="press_control", executable="press_driver", name="press_driver",
                      namespace=namespace,
                      parameters=[params_file, {"port": press_port,
                                                "arm_interlock": arm_interlock}],
                      output="screen"),
    ])
