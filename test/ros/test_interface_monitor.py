"""interface_monitor as a real node against the simulator process (with press_driver)."""
import math
import shutil
import time

import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.parameter import Parameter
from std_srvs.srv import Trigger

from press_control.ros.interface_monitor import InterfaceMonitorNode
from press_control.resources import config_path
from press_control.ros.qos import LATCHED
from press_control.sim.process import SimulatorProcess
from press_control_interfaces.msg import CellStack, InterfaceEvent, InterfaceHealth
from press_control_interfaces.srv import PressCommand
import dds_domains
from driver_process import running_driver
from waiting import wait_for


@pytest.fixture
def ros_context():
    """A context in a DDS domain of its own: the monitor takes its cell id from any
    handling/state it hears, and a latched one from an earlier test once leaked in."""
    from rclpy.context import Context

    context = Context()
    rclpy.init(context=context, domain_id=dds_domains.spare(3))
    yield context
    if context.ok():
        rclpy.shutdown(context=context)


@pytest.fixture
def rig(ros_context, spin, tmp_path, request):
    """The analyzer on its serial line, or (parameter "lan") on its LAN port through PyVISA."""
    dies = tmp_path / "dies"               # the simulated dies' calibrations, a copy to edit
    shutil.copytree(config_path("die_calibration_sim"), dies)
    with SimulatorProcess(str(tmp_path / "sim"), seed=21) as sim:
        lan = getattr(request, "param", "serial") == "lan"
        monitor = InterfaceMonitorNode(context=ros_context, parameter_overrides=[
            Parameter("die_calibration_dir", value=str(dies)),
            Parameter("lcr_port", value=sim.analyzer_visa_resource if lan
                      else sim.config.analyzer_path),
            Parameter("sweep_period_s", value=0.0), Parameter("cell_id", value="mon-1"),
            # a powder pressed to 100 MPa only: the bulk is 500 ohm and the interface arc
            # 3 % of |Z|; 0.1 V and LONG keep the reading error (0.11 %) under it
            Parameter("test_level_v", value=0.1), Parameter("sweep_aperture", value="LONG")])
        client = rclpy.create_node("monitor_test_client", context=ros_context)
        rig = type("Rig", (), {})()
        rig.sim, rig.monitor, rig.health, rig.events, rig.diagnostics = sim, monitor, [], [], []
        rig.dies = dies
        client.create_subscription(InterfaceHealth, "interface/health", rig.health.append, 50)
        client.create_subscription(InterfaceEvent, "interface/events", rig.events.append, 50)
        client.create_subscription(DiagnosticArray, "/diagnostics", rig.diagnostics.append, 50)
        rig.command = client.create_client(PressCommand, "command")
        rig.sweep = client.create_client(Trigger, "interface/sweep")
        rig.stack = client.create_publisher(CellStack, "cell/stack", LATCHED)
        spin(monitor, client)
        with running_driver(sim.config.press_path, tmp_path / "press_driver.log",
                            domain_id=dds_domains.spare(3)):
            assert rig.command.wait_for_service(timeout_sec=60.0)  # discovery, loaded host
            wait_for(lambda: monitor.state is not None, message="press state")
            yield rig


def _call(client, request):
    future = client.call_async(request)
    wait_for(future.done, message="service reply")
    return future.result()


@pytest.mark.parametrize("rig", ["serial", "lan"], indirect=True)
def test_health_flows_and_the_fit_matches_the_truth(rig):
    started = time.monotonic()
    wait_for(lambda: len(rig.health) >= 6 and math.isfinite(rig.health[-1].impedance_ohm),
             message="health with impedance")
    assert len(rig.health) / (time.monotonic() - started) >= 1.0      # 2 Hz nominal
    reply = _call(rig.command, PressCommand.Request(
        command=PressCommand.Request.SET_PRESSURE, target_mpa=100.0, rate_mpa_s=20.0))
    assert reply.accepted, reply.reason
    wait_for(lambda: rig.sim.true_pressure_mpa() > 99.0, timeout=30.0,
             message=lambda: f"100 MPa (press: {rig.sim.truth()})")

    def settled():             # the Li interface creeps; wait until it has (nearly) settled
        first = rig.sim.truth()["interface_resistance_ohm"]
        time.sleep(1.0)
        return abs(rig.sim.truth()["interface_resistance_ohm"] / first - 1) < 0.005
    wait_for(settled, timeout=60.0, message="a settled interface")
    sweeps = rig.monitor.sweeps
    assert _call(rig.sweep, Trigger.Request()).success
    wait_for(lambda: rig.monitor.sweeps > sweeps, timeout=30.0, message="a sweep")
    truth = rig.sim.truth()["interface_resistance_ohm"]
    assert rig.monitor.fit.interface_ohm == pytest.approx(truth, rel=0.10)
    wait_for(lambda: rig.health[-1].interface_resistance_ohm == rig.monitor.fit.interface_ohm,
             message="health with the new fit")
    assert rig.health[-1].interface_asr_ohm_cm2 == pytest.approx(
        rig.health[-1].interface_resistance_ohm * math.pi * 0.5 ** 2)     # 10 mm die, cm^2
    # the density needs what the goal says is in the die (profile_server latches it)
    assert math.isnan(rig.health[-1].relative_density)
    rig.stack.publish(CellStack(cell_id="mon-1", electrolyte="li6ps5cl",
                                electrolyte_mass_mg=150.0, true_density_g_cm3=1.865,
                                anode="li_metal", max_temperature_c=170.5))
    count = len(rig.health)
    wait_for(lambda: len(rig.health) > count and rig.health[-1].relative_density > 0.3,
             message="a density from the goal's electrolyte")
    assert rig.health[-1].relative_density == pytest.approx(
        rig.sim.truth()["relative_density"], abs=0.01)
    assert rig.health[-1].cell_id == "mon-1"


def _die_calibration_note(rig) -> str:
    for array in reversed(rig.diagnostics):
        for status in array.status:
            for pair in status.values:
                if pair.key == "die_calibration" and "interface_monitor" in status.name:
                    return pair.value
    return ""


def test_no_thickness_without_the_dies_calibration_and_the_right_one_once_it_is_there(rig):
    """The thickness comes from the installed die's calibration file, read while running."""
    wait_for(lambda: rig.health and math.isfinite(rig.health[-1].thickness_mm),
             message="a thickness through the copied calibration")
    assert rig.health[-1].thickness_mm == pytest.approx(rig.sim.truth()["thickness_mm"],
                                                        abs=0.003)
    stored = (rig.dies / "d10.yaml").read_text()
    (rig.dies / "d10.yaml").unlink()
    wait_for(lambda: "d10 is not calibrated" in _die_calibration_note(rig), timeout=30.0,
             message=lambda: f"diagnostics naming the missing calibration "
                             f"({_die_calibration_note(rig)!r})")
    count = len(rig.health)
    wait_for(lambda: len(rig.health) > count, message="health after that")
    assert math.isnan(rig.health[-1].thickness_mm)
    (rig.dies / "d10.yaml").write_text(stored)
    wait_for(lambda: math.isfinite(rig.health[-1].thickness_mm), timeout=30.0,
             message="the thickness back once the file is there again")
    wait_for(lambda: "d10.yaml (measured" in _die_calibration_note(rig), timeout=30.0,
             message="diagnostics naming the calibration")


def test_short_circuit_event(rig):
    wait_for(lambda: rig.health and math.isfinite(rig.health[-1].impedance_ohm),
             message="impedance")
    rig.sim.inject("short", "on")
    wait_for(lambda: any(e.event == "short_circuit" and e.active for e in rig.events),
             message="short_circuit event")
    assert "short_circuit" in rig.health[-1].active_events or rig.events


def test_analyzer_unplug_is_reported_and_recovered(rig):
    wait_for(lambda: rig.monitor.analyzer.connected, message="analyzer connected")
    rig.sim.inject("unplug_analyzer")
    wait_for(lambda: any(e.event == "instrument_fault" and e.active for e in rig.events),
             message="instrument_fault event")
    wait_for(lambda: any(s.level == s.ERROR and "analyzer" in s.name
                         for d in rig.diagnostics for s in d.status), message="diagnostics")
    rig.sim.inject("replug_analyzer")
    wait_for(lambda: any(e.event == "instrument_fault" and not e.active for e in rig.events),
             timeout=30.0, message="instrument_fault cleared")


def test_an_unexpected_failure_in_the_instrument_loop_is_reported_and_survived(
        rig, monkeypatch):
    wait_for(lambda: rig.monitor.analyzer.connected and rig.health and
             rig.health[-1].instrument_connected, message="analyzer connected")

    def broken_fit(frequencies, impedances, area_cm2):
        raise FloatingPointError("non-finite fit")      # nothing the client expects
    monkeypatch.setattr(rig.monitor.fitter, "fit", broken_fit)
    assert _call(rig.sweep, Trigger.Request()).success
    wait_for(lambda: rig.monitor.loop_errors > 0, timeout=60.0, message="the failure")
    wait_for(lambda: not rig.health[-1].instrument_connected, message="health says so")
    wait_for(lambda: any(e.event == "instrument_fault" and e.active for e in rig.events),
             message="instrument_fault event")
    wait_for(lambda: any(kv.key == "loop_errors" and kv.value != "0"
                         for d in rig.diagnostics for s in d.status for kv in s.values),
             message="diagnostics count it")
    assert rig.monitor._thread.is_alive()
    singles = len(rig.health)
    wait_for(lambda: rig.health[-1].instrument_connected and len(rig.health) > singles,
             timeout=30.0, message="the loop carries on and recovers")
