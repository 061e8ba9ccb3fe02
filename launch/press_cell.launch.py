"""Launch one press cell: driver, profile server, run recorder, interface monitor, web panel.

Optionally the simulator and the demo arm. Same nodes and parameter file as `bringup`.
A press without a robot arm: `arm_interlock:=false`.
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution, PythonExpression
from launch_ros.actions import LifecycleNode, Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    namespace = LaunchConfiguration("namespace")
    params_file = LaunchConfiguration("params_file")
    use_sim = LaunchConfiguration("use_sim")
    press_port = LaunchConfiguration("press_port")
    lcr_port = LaunchConfiguration("lcr_port")
    port_wait_s = LaunchConfiguration("port_wait_s")
    demo_arm = LaunchConfiguration("demo_arm")
    sim_dir = LaunchConfiguration("sim_dir")
    arm_interlock = ParameterValue(LaunchConfiguration("arm_interlock"), value_type=bool)
    require_loaded_cell = ParameterValue(LaunchConfiguration("require_loaded_cell"),
                                         value_type=bool)
    panel = LaunchConfiguration("panel")
    panel_host = LaunchConfiguration("panel_host")
    panel_port = ParameterValue(LaunchConfiguration("panel_port"), value_type=int)
    share = FindPackageShare("press_control")
    force_calibration_file = LaunchConfiguration("force_calibration_file")
    die_calibration_dir = LaunchConfiguration("die_calibration_dir")
    sim_force_table = PathJoinSubstitution([share, "config", "force_calibration_sim.yaml"])
    sim_dies = PathJoinSubstitution([share, "config", "die_calibration_sim"])
    return LaunchDescription([
        DeclareLaunchArgument("namespace", default_value="press_1",
                              description="namespace of this press (all topics are relative)"),
        DeclareLaunchArgument("params_file",
                              default_value=PathJoinSubstitution([share, "config",
                                                                  "press_cell.yaml"]),
                              description="parameters of every node (`/**/<node>:` sections)"),
        DeclareLaunchArgument("use_sim", default_value="false",
                              description="start the built-in simulator as the press"),
        DeclareLaunchArgument("sim_dir", default_value="/tmp/press_sim",
                              description="simulator device folder (with use_sim)"),
        DeclareLaunchArgument("force_calibration_file",
                              default_value=_if_sim(use_sim, sim_force_table, ""),
                              description="this press's force table (docs/force_calibration.md);"
                                          " default: the simulated press's with use_sim, else "
                                          "none (the press's own reading)"),
        DeclareLaunchArgument("die_calibration_dir",
                              default_value=_if_sim(use_sim, sim_dies,
                                                    "~/.ros/press_control/dies"),
                              description="the dies' empty-die curves (docs/die_calibration.md);"
                                          " default: the simulated dies' with use_sim"),
        DeclareLaunchArgument("press_port", default_value=PathJoinSubstitution([sim_dir, "press"]),
                              description="serial device of the press controller "
                                          "(default: the simulator's, in sim_dir)"),
        DeclareLaunchArgument("lcr_port", default_value=PathJoinSubstitution([sim_dir, "lcr"]),
                              description="serial device of the impedance analyzer "
                                          "(default: the simulator's, in sim_dir)"),
        DeclareLaunchArgument("port_wait_s", default_value=_if_sim(use_sim, "30.0", "0.0"),
                              description="the driver waits this long for a press_port "
                                          "path to appear (default: 30 s for the simulator "
                                          "that starts beside it, else 0)"),
        DeclareLaunchArgument("demo_arm", default_value="false",
                              description="start the demo arm (loads, presses, unloads)"),
        DeclareLaunchArgument("campaign", default_value="false",
                              description="start the campaign node (run_campaign action; it "
                                          "loads and unloads as the arm: not with demo_arm)"),
        DeclareLaunchArgument("arm_interlock", default_value="true",
                              description="false only for a press without a robot arm: no "
                                          "arm heartbeat needed (and, unless "
                                          "require_loaded_cell says otherwise, goals need "
                                          "no loaded cell)"),
        DeclareLaunchArgument("require_loaded_cell",
                              default_value=LaunchConfiguration("arm_interlock"),
                              description="profile_server accepts a goal only for the cell an "
                                          "arm has loaded (default: as arm_interlock)"),
        DeclareLaunchArgument("panel", default_value="true",
                              description="start press_panel, the operators' web page"),
        DeclareLaunchArgument("panel_host", default_value="127.0.0.1",
                              description="address of the web page (0.0.0.0: lab network)"),
        DeclareLaunchArgument("panel_port", default_value="8080",
                              description="port of the web page"),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(PathJoinSubstitution([share, "launch",
                                                                "press_sim.launch.py"])),
            launch_arguments={"sim_dir": sim_dir}.items(),
            condition=IfCondition(use_sim)),
        LifecycleNode(package="press_control", executable="press_driver",
                      name="press_driver", namespace=namespace,
                      parameters=[params_file, {"port": press_port,
                                                "port_wait_s": port_wait_s,
                                                "arm_interlock": arm_interlock,
                                                "force_calibration_file":
                                                    force_calibration_file}],
                      output="screen"),
        Node(package="press_control", executable="profile_server", name="profile_server",
             namespace=namespace,
             parameters=[params_file, {"require_loaded_cell": require_loaded_cell}],
             output="screen"),
        Node(package="press_control", executable="run_recorder", name="run_recorder",
             namespace=namespace, parameters=[params_file], output="screen"),
        Node(package="press_control", executable="interface_monitor", name="interface_monitor",
             namespace=namespace,
             parameters=[params_file, {"lcr_port": lcr_port,
                                       "die_calibration_dir": die_calibration_dir}],
             output="screen"),
        Node(package="press_control", executable="press_panel", name="press_panel",
             namespace=namespace,
             parameters=[params_file, {"host": panel_host, "port": panel_port}],
             output="screen", condition=IfCondition(panel)),
        Node(package="press_control", executable="demo_arm", name="demo_arm",
             namespace=namespace, parameters=[params_file], output="screen",
             condition=IfCondition(demo_arm)),
        Node(package="press_control", executable="campaign", name="campaign",
             namespace=namespace, parameters=[params_file], output="screen",
             condition=IfCondition(LaunchConfiguration("campaign"))),
    ])


def _if_sim(use_sim, sim_value, otherwise: str):
    """sim_value when use_sim is true, else `otherwise` (as bringup chooses them)."""
    return PythonExpression(["'", sim_value, "' if '", use_sim, "'.lower() == 'true' else '",
                             otherwise, "'"])
