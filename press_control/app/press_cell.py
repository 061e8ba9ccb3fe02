"""PressCell: the simulator, the nodes and the demo arm of one press, started and stopped as one.

press_driver, run_recorder, press_panel and demo_arm run in processes of their own (as with
`ros2 launch`: the driver's heartbeat never waits on another node's interpreter lock, the
records' disk writes never on the sequencer's, and a robot is its own machine);
profile_server, interface_monitor and the simulated world run in this process
(press_control.ros.node_host). Every node reads the same parameter file as the launch.
"""
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import yaml

from press_control.children import ends_with_parent
from press_control.control.safety import ARM_IN_WORKSPACE
from press_control.resources import config_path


class PressCell:
    """Simulator, driver, profile server, monitor and demo arm, started and stopped as one."""

    def __init__(self, params_file: str = None, namespace: str = "", use_sim: bool = True,
                 sim_dir: str = None, seed: int = 0, sim_cell: str = "li6ps5cl",
                 press_port: str = "",
                 lcr_port: str = "", demo_arm: bool = False, arm_parameters: dict = None,
                 record_dir: str = "", arm_interlock: bool = True,
                 driver_in_process: bool = False, driver_output=None,
                 panel_parameters: dict = None, sim_force_table: bool = True,
                 record_plot: bool = None, server_parameters: dict = None,
                 campaign_parameters: dict = None):
        self.params_file = params_file or config_path("press_cell.yaml")
        self.namespace = namespace
        self.use_sim = use_sim
        self.sim_force_table = sim_force_table   # False: the driver reads the press raw
        self.sim_dir = sim_dir
        self.seed = seed
        self.sim_cell = sim_cell            # the simulator's cell preset (sim/cell.py)
        self.press_port, self.lcr_port = press_port, lcr_port
        self.demo_arm = demo_arm
        self.arm_parameters = arm_parameters or {}
        self.record_dir = record_dir
        self.record_plot = record_plot      # None: as the parameter file says
        self.server_parameters = server_parameters or {}   # over the parameter file's
        self.arm_interlock = arm_interlock
        self.driver_in_process = driver_in_process
        self.driver_output = driver_output
        self.panel_parameters = panel_parameters      # None: no panel
        self.campaign_parameters = campaign_parameters   # None: no campaign node
        self.sim = self.driver = self.host = self.arm = self.results_file = None
        self.campaign = None
        self.recorder = None
        self.panel = None
        self._scratch = []        # files made here, removed by stop()

    @property
    def server(self):
        """The in-process profile_server node (for tests and the bench)."""
        return self.host.server

    @property
    def world_node(self):
        return self.host.world_node

    def watch(self, **callbacks):
        """Follow the cell: on_feedback, on_handling, on_event (see NodeHost.watch).

        Returns a function that ends this watch.
        """
        return self.host.watch(**callbacks)

    def start(self) -> "PressCell":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from press_control.ros.node_host import NodeHost
        from press_control.sim.process import SimulatorProcess

        if self.use_sim:
            self.sim = SimulatorProcess(self.sim_dir, seed=self.seed,
                                        extra_args=["--cell", self.sim_cell]).start()
            self.press_port = self.press_port or self.sim.config.press_path
            self.lcr_port = self.lcr_port or self.sim.config.analyzer_path
        driver_parameters = {"arm_interlock": self.arm_interlock}
        if self.use_sim and self.sim_force_table:   # the simulated press has its force table
            driver_parameters["force_calibration_file"] = config_path(
                "force_calibration_sim.yaml")
        if self.press_port:
            driver_parameters["port"] = self.press_port
        if not self.driver_in_process:
            self.driver = self._start_node_process("press_driver", driver_parameters)
        recorder = {}
        if self.record_plot is not None:
            recorder["record_plot"] = self.record_plot
        if self.record_dir:
            recorder["record_dir"] = os.path.abspath(self.record_dir)
        self.recorder = self._start_node_process("run_recorder", recorder)
        if self.panel_parameters is not None:
            panel = dict(self.panel_parameters)
            if self.record_dir:
                panel["record_dir"] = os.path.abspath(self.record_dir)
            self.panel = self._start_node_process("press_panel", panel)
        if self.campaign_parameters is not None:
            campaign = dict(self.campaign_parameters)
            if self.record_dir:
                campaign["record_dir"] = os.path.abspath(self.record_dir)
            self.campaign = self._start_node_process("campaign", campaign)
        if self.demo_arm:
            handle, self.results_file = tempfile.mkstemp(prefix="demo_arm_", suffix=".json")
            os.close(handle)
            self._scratch.append(self.results_file)
            self.arm = self._start_node_process("demo_arm", {
                **self.arm_parameters, "exit_when_done": True,
                "results_file": self.results_file})
        self.host = NodeHost(["--ros-args", "--params-file", self.params_file], self.namespace)
        self.host.add_server({"require_loaded_cell": self.arm_interlock,
                              **self.server_parameters})
        monitor = {"lcr_port": self.lcr_port} if self.lcr_port else {}
        if self.use_sim:              # ...and with the simulated dies' calibrations
            monitor["die_calibration_dir"] = config_path("die_calibration_sim")
        self.host.add_monitor(monitor)
        if self.sim is not None:
            self.host.add_world(self.sim.inject)
        if self.driver_in_process:
            self.host.add_driver(driver_parameters)
        self.host.spin()

    def _fully_qualified(self, name: str) -> str:
        namespace = "/" + self.namespace.strip("/") if self.namespace.strip("/") else ""
        return f"{namespace}/{name}" if name else namespace

    def _start_node_process(self, name: str, parameters: dict) -> subprocess.Popen:
        """Run one of our nodes in a process of its own, from the same parameter file.

        The overrides go in a second file keyed by the node's full name, which beats the
        `/**/<node>` section of the first (a plain `-p` would not).
        """
        handle, overrides = tempfile.mkstemp(prefix=f"{name}_", suffix=".yaml")
        self._scratch.append(overrides)
        with os.fdopen(handle, "w") as stream:
            yaml.safe_dump({self._fully_qualified(name): {"ros__parameters": parameters}},
                           stream)
        command = [sys.executable, "-m", f"press_control.ros.{name}", "--ros-args",
                   "--params-file", self.params_file, "--params-file", overrides]
        if self.namespace:
            command += ["-r", f"__ns:={self._fully_qualified('')}"]
        return subprocess.Popen(command, stdout=self.driver_output, stderr=self.driver_output,
                                preexec_fn=ends_with_parent(signal.SIGINT))

    def arm_results(self) -> list:
        """The demo arm's cell outcomes (dicts) once it has finished, else []."""
        if self.arm is None or self.arm.poll() is None:
            return []
        try:
            with open(self.results_file) as stream:
                return json.load(stream)
        except (OSError, ValueError):
            return []

    def exited_node(self) -> str:
        """Which node process has ended (the driver; the arm only with an error), or ""."""
        if self.driver is not None and self.driver.poll() is not None:
            return f"press_driver exited with code {self.driver.returncode}"
        if self.panel is not None and self.panel.poll() is not None:
            return f"press_panel exited with code {self.panel.returncode}"
        if self.recorder is not None and self.recorder.poll() is not None:
            return f"run_recorder exited with code {self.recorder.returncode}"
        if self.arm is not None and self.arm.poll() not in (None, 0):
            return f"demo_arm exited with code {self.arm.returncode}"
        if self.campaign is not None and self.campaign.poll() is not None:
            return f"campaign exited with code {self.campaign.returncode}"
        return ""

    def wait_ready(self, timeout_s: float = 60.0, arm_needed: bool = True) -> str:
        """Wait until profile_server would accept a goal; returns "" or the problem.

        With arm_needed false, a press that only waits for an arm's heartbeat is ready.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            if self.exited_node():
                return self.exited_node()
            problem = self.host.readiness_problem()
            if not problem or (not arm_needed and problem.cause == ARM_IN_WORKSPACE):
                return ""
            if time.monotonic() > deadline:
                return problem
            time.sleep(0.1)

    def stop(self) -> None:
        for process in (self.campaign, self.arm, self.panel, self.driver):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)   # the driver releases on shutdown
        if self.host is not None:
            self.host.stop()                 # a running goal's record is closed first
        if self.recorder is not None and self.recorder.poll() is None:
            self.recorder.send_signal(signal.SIGINT)
        for process in (self.campaign, self.arm, self.panel, self.driver, self.recorder):
            if process is not None:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.sim is not None:
            self.sim.stop()
        while self._scratch:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self._scratch.pop())
