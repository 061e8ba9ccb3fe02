"""The launch files under the stock `ros2 launch`, checked with the stock `ros2` verbs.

What a ROS user runs: every node name once in `ros2 node list`, no "Publisher already
registered" in the launch log, `ros2 param get`, `ros2 lifecycle get/set` and `ros2 action
send_goal` answer the launched nodes, and Ctrl-C on the launch leaves the press released
(the simulator's own state is the oracle). The tools come from a ROS install or from
../shared/ros2-stock-tools (scripts/setup.sh installs them); with neither these tests
skip, with the folder present and the tools broken they fail.
"""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time

import pytest

import dds_domains
from driver_process import interrupt
from press_control.children import ends_with_parent
from press_control.resources import config_path
from press_control.sim.control_socket import inject

from waiting import wait_for

STOCK_TOOLS = pathlib.Path(__file__).resolve().parents[3] / "shared" / "ros2-stock-tools"
ROS2 = shutil.which("ros2")
pytestmark = [
    pytest.mark.skipif(ROS2 is None and not STOCK_TOOLS.is_dir(),
                       reason="no ROS 2 install and no ../shared/ros2-stock-tools: the stock "
                              "ros2 tools are not on this machine"),
    pytest.mark.minutes(60),
]
CELL_NODES = ("press_driver", "profile_server", "run_recorder", "interface_monitor",
              "press_panel")
# A domain no other test uses: the graph keeps a killed process's nodes for a while, and
# other tests here kill nodes on purpose.
ENV = {**os.environ, "ROS_DOMAIN_ID": str(dds_domains.spare(4))}


def ros2(*args, timeout=60.0, daemon_option=True) -> subprocess.CompletedProcess:
    """A `ros2` verb without the daemon; asked again while its own fresh DDS participant
    has not yet discovered the node or its services ("Node not found", "Wait for service
    timed out", seen on a loaded host: the daemon a user has would know them)."""
    assert ROS2, f"{STOCK_TOOLS} is present but `ros2` is not installed (scripts/setup.sh)"
    deadline = time.monotonic() + timeout
    while True:
        done = subprocess.run([ROS2, *args, *(["--no-daemon"] if daemon_option else [])],
                              capture_output=True, text=True, timeout=timeout, env=ENV)
        undiscovered = any(text in done.stdout + done.stderr
                           for text in ("Node not found", "Wait for service timed out"))
        if not undiscovered or time.monotonic() > deadline:
            return done


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_from_a_terminal():
    """A Popen preexec_fn: SIGINT as a terminal gives it, and SIGINT when this process dies.

    A background job of a non-interactive shell starts with SIGINT ignored, and
    `ros2 launch` keeps an ignored SIGINT ignored: Ctrl-C would never reach it.
    """
    on_parent_death = ends_with_parent(signal.SIGINT)

    def arrange() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        on_parent_death()
    return arrange


def params_file(tmp_path) -> str:
    """The shipped parameter file with the run records in tmp_path, not in ~/.ros (as text:
    a YAML round trip would turn parity "N" into a boolean)."""
    text = pathlib.Path(config_path("press_cell.yaml")).read_text()
    default = "record_dir: ~/.ros/press_control/runs"
    assert default in text
    path = tmp_path / "press_cell.yaml"
    path.write_text(text.replace(default, f"record_dir: {tmp_path / 'runs'}"))
    return f"params_file:={path}"


class Launch:
    """`ros2 launch` in a session of its own, its output in a file that failures name."""

    def __init__(self, log_path: pathlib.Path, *arguments: str):
        self.log_path = log_path
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [ROS2, "launch", "press_control", *arguments,
                 params_file(log_path.parent)], stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=as_from_a_terminal(), start_new_session=True, env=ENV)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """Ctrl-C, as a user stops it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)     # the launch and its nodes
                self.process.wait()
                pytest.fail(f"ros2 launch did not end within 60 s of Ctrl-C: {self.log_path}")
        return self.process.returncode


@pytest.fixture
def launched(tmp_path):
    launches = []

    def start(*arguments: str) -> Launch:
        launch = Launch(tmp_path / f"launch-{len(launches)}.log", *arguments)
        launches.append(launch)
        return launch

    yield start
    for launch in launches:
        launch.stop()


def node_names(launch: Launch, expected: set) -> list:
    """`ros2 node list` once every expected node is there (as many times as listed).

    Each listing is a fresh DDS participant's: on a loaded host, tries of 2 s each still
    listed 5 of the 10 nodes after 90 s (a clean clone's suite, both presses' nodes all
    running), so each try listens twice as long as the one before, up to 16 s.
    """
    listed, spin_s = [], 1.0

    def seen():
        nonlocal listed, spin_s
        assert launch.process.poll() is None, f"ros2 launch ended: {launch.log_path}"
        spin_s = min(2 * spin_s, 16.0)
        listed = ros2("node", "list", "--spin-time", f"{spin_s:g}").stdout.split()
        return expected <= set(listed)
    wait_for(seen, timeout=90, interval=0.5,
             message=lambda: f"nodes {sorted(expected)}; listed {listed}; log {launch.log_path}")
    return listed


def assert_one_node_per_name(launch: Launch, expected: set) -> None:
    listed = node_names(launch, expected)
    ours = [name for name in listed if not name.startswith(("/launch_ros", "/_ros2cli"))]
    twins = sorted({name for name in ours if ours.count(name) > 1})
    assert not twins, f"nodes sharing a name: {twins}; log {launch.log_path}"
    assert set(ours) == expected, f"unexpected nodes: {set(ours) - expected}"
    assert "Publisher already registered" not in launch.log(), launch.log_path


def pressure(sim_dir) -> float:
    return inject(str(sim_dir), "truth")["truth"]["pressure_mpa"]


def test_press_cell_with_the_simulator_another_namespace_and_sim_dir(launched, tmp_path):
    sim_dir, port = tmp_path / "sim", free_port()
    launch = launched("press_cell.launch.py", "use_sim:=true", "arm_interlock:=false",
                      "namespace:=press_t", f"sim_dir:={sim_dir}", f"panel_port:={port}")
    expected = {f"/press_t/{name}" for name in CELL_NODES}
    assert_one_node_per_name(launch, expected)

    got = ros2("param", "get", "/press_t/press_driver", "port")
    assert got.returncode == 0 and f"{sim_dir}/press" in got.stdout, got
    got = ros2("param", "get", "/press_t/profile_server", "feedback_rate_hz")
    assert got.returncode == 0 and "20" in got.stdout, got

    state = ros2("lifecycle", "get", "/press_t/press_driver")
    assert state.returncode == 0 and state.stdout.startswith("active"), state
    for transition, after in (("deactivate", "inactive"), ("activate", "active")):
        done = ros2("lifecycle", "set", "/press_t/press_driver", transition)
        assert done.returncode == 0 and "Transitioning successful" in done.stdout, done
        state = ros2("lifecycle", "get", "/press_t/press_driver")
        assert state.stdout.startswith(after), state

    wait_for(lambda: _answers_http(port), timeout=30, message=f"the panel on port {port}")
    goal = ros2("action", "send_goal", "/press_t/run_profile",
                "press_control_interfaces/action/RunPressureProfile",
                "{preset: handling_check, cell_id: stock-1}", timeout=120, daemon_option=False)
    assert goal.returncode == 0, goal
    assert "Goal accepted" in goal.stdout and "outcome: 0" in goal.stdout, goal.stdout
    assert pressure(sim_dir) < 1.0
    assert launch.stop() == 0, launch.log_path


def _answers_http(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as connection:
            connection.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return connection.recv(12).startswith(b"HTTP/1.")
    except OSError:
        return False


def test_ctrl_c_on_a_launch_without_the_simulator_leaves_the_press_released(
        launched, tmp_path):
    """The press is a separate simulator (a real press for the launch file)."""
    sim_dir = tmp_path / "sim"
    with open(tmp_path / "press_sim.log", "w") as log:
        simulator = subprocess.Popen(
            [shutil.which("press_sim"), "--dir", str(sim_dir), "--seed", "3"], stdout=log,
            stderr=subprocess.STDOUT, preexec_fn=as_from_a_terminal())
    try:
        wait_for(lambda: (sim_dir / "control.sock").exists(), timeout=30,
                 message=f"the simulator ({tmp_path / 'press_sim.log'})")
        launch = launched("press_cell.launch.py", "arm_interlock:=false", "panel:=false",
                          f"press_port:={sim_dir}/press", f"lcr_port:={sim_dir}/lcr")
        assert_one_node_per_name(launch, {f"/press_1/{name}" for name in CELL_NODES
                                          if name != "press_panel"})
        with open(tmp_path / "send_goal.log", "w") as log:
            goal = subprocess.Popen(
                [ROS2, "action", "send_goal", "/press_1/run_profile",
                 "press_control_interfaces/action/RunPressureProfile",
                 "{preset: cathode_composite, cell_id: stock-2}"],
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=as_from_a_terminal(),
                env=ENV)
        try:
            wait_for(lambda: pressure(sim_dir) > 30.0, timeout=60,
                     message=lambda: f"pressure above 30 MPa (now {pressure(sim_dir):.1f}); "
                                     f"log {launch.log_path}")
            assert launch.stop() == 0, launch.log_path
            released = wait_for(lambda: pressure(sim_dir) < 1.0, timeout=60,
                                message=lambda: f"a released press (now "
                                                f"{pressure(sim_dir):.1f} MPa)")
            assert released
        finally:
            interrupt(goal)
    finally:
        simulator.send_signal(signal.SIGINT)
        simulator.wait(timeout=30)


def test_two_presses_each_with_its_own_panel(launched, tmp_path):
    port = free_port()
    while _answers_http(port + 1):
        port = free_port()
    launch = launched("two_presses.launch.py", "demo_arm:=false", f"panel_port:={port}",
                      f"sim_root:={tmp_path}")
    expected = {f"/{press}/{name}" for press in ("press_1", "press_2") for name in CELL_NODES}
    assert_one_node_per_name(launch, expected)
    for panel in (port, port + 1):
        wait_for(lambda: _answers_http(panel), timeout=30,
                 message=f"a panel on port {panel} ({launch.log_path})")
    for press in ("press_1", "press_2"):
        got = ros2("param", "get", f"/{press}/press_driver", "port")
        assert f"{tmp_path}/{press}_sim/press" in got.stdout, got
    assert launch.stop() == 0, launch.log_path
