"""Parameters: the shipped YAML and the declared table agree, and start-up values stay put."""
import pytest
import yaml
from rclpy.parameter import Parameter

from press_control.resources import config_path
from press_control.ros.parameters import (CAMPAIGN_PARAMETERS, DEMO_ARM_PARAMETERS,
                                          DRIVER_PARAMETERS,
                                          LIMIT_PARAMETERS, MONITOR_PARAMETERS,
                                          PANEL_PARAMETERS, PROFILE_SERVER_PARAMETERS,
                                          RECORDER_PARAMETERS)
from press_control.ros.press_driver import PressDriverNode
from press_control.ros.profile_server import ProfileServerNode
from press_control.sim.process import SimulatorProcess

NODES = {"press_driver": DRIVER_PARAMETERS, "profile_server": PROFILE_SERVER_PARAMETERS,
         "interface_monitor": MONITOR_PARAMETERS, "demo_arm": DEMO_ARM_PARAMETERS,
         "press_panel": PANEL_PARAMETERS, "run_recorder": RECORDER_PARAMETERS,
         "campaign": CAMPAIGN_PARAMETERS}


def names(specs) -> set:
    return {spec.name for spec in specs}


def test_every_yaml_key_is_declared_by_its_node_and_every_parameter_is_in_the_yaml():
    sections = yaml.safe_load(open(config_path("press_cell.yaml")))
    shared = set(sections["/**"]["ros__parameters"])
    assert shared == names(LIMIT_PARAMETERS)
    assert set(sections) == {"/**"} | {f"/**/{node}" for node in NODES}
    for node, specs in NODES.items():
        own = set(sections[f"/**/{node}"]["ros__parameters"])
        inherited = shared if names(LIMIT_PARAMETERS) <= names(specs) else set()
        assert own | inherited == names(specs), node
        assert not own & inherited, f"{node} repeats a shared key"


def test_yaml_values_have_the_declared_types():
    sections = yaml.safe_load(open(config_path("press_cell.yaml")))
    for node, specs in NODES.items():
        values = {**sections["/**"]["ros__parameters"],
                  **sections[f"/**/{node}"]["ros__parameters"]}
        for spec in specs:
            assert type(values[spec.name]) is type(spec.default), (node, spec.name)


def test_a_running_node_refuses_start_up_parameters_and_keeps_its_config(ros_context, tmp_path):
    node = ProfileServerNode(context=ros_context, parameter_overrides=[
        Parameter("presets_file", value="")])
    try:
        assert all(node.has_parameter(name) for name in names(PROFILE_SERVER_PARAMETERS))
        result = node.set_parameters([Parameter("feedback_rate_hz", value=50.0)])[0]
        assert not result.successful and "start-up only" in result.reason
        assert node.get_parameter("feedback_rate_hz").value == 20.0
        assert node.config.feedback_rate_hz == 20.0
        with pytest.raises(Exception):            # the configuration is frozen
            node.config.feedback_rate_hz = 50.0
    finally:
        node.destroy_node()


def test_the_driver_takes_new_values_only_while_unconfigured(ros_context, tmp_path):
    with SimulatorProcess(str(tmp_path), seed=3) as sim:
        node = PressDriverNode(context=ros_context, parameter_overrides=[
            Parameter("autostart", value=False), Parameter("arm_interlock", value=False)])
        try:
            assert node.supervisor is None
            assert node.set_parameters([Parameter("port", value=sim.config.press_path)])[0] \
                .successful
            node.trigger_configure()
            assert node.press is not None and node.press.port_name == sim.config.press_path
            refused = node.set_parameters([Parameter("poll_rate_hz", value=50.0)])[0]
            assert not refused.successful and "start-up only" in refused.reason
            assert node.config.poll_rate_hz == 100.0
            assert any(s.srv_name == "command" for s in node.services)
            node.trigger_cleanup()                    # frees what configure created
            assert node.supervisor is None
            assert not any(s.srv_name == "command" for s in node.services)
            assert node.set_parameters([Parameter("poll_rate_hz", value=50.0)])[0].successful
            node.trigger_configure()
            assert node.config.poll_rate_hz == 50.0 and node.press.connected
        finally:
            node.release_and_close("test over")
            node.destroy_node()
