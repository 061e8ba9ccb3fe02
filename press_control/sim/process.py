"""The simulator in its own process, as a real device would be (own CPU, own GIL).

Drivers and tests in another process reach it through its serial paths and, for fault
injection and the true physical state, through its control socket.
"""
import os
import signal
import shutil
import subprocess
import sys
import tempfile
import time

from press_control.children import ends_with_parent
from press_control.sim.control_socket import CONTROL_SOCKET, inject
from press_control.sim.simulator import SimulatorConfig

# A press controller has a processor of its own; on a shared, loaded host the nearest
# thing is a higher scheduling priority. Without it a CPU-bound neighbour starved the
# simulator past the driver's 250 ms reply timeout three times in a row, and the driver
# rightly reported the press disconnected. Needs root or CAP_SYS_NICE; otherwise unchanged.
DEVICE_NICE = -10


def _as_a_device():
    """A Popen preexec_fn: end with the parent, and run at the priority of a device."""
    end_with_parent = ends_with_parent(signal.SIGTERM)

    def arrange() -> None:
        if end_with_parent is not None:
            end_with_parent()
        try:
            os.nice(DEVICE_NICE)
        except OSError:
            pass                            # not permitted: run at the default priority
    return arrange


class SimulatorProcess:
    """Start `press_sim` in a child process; inject faults and read the truth over a socket."""

    def __init__(self, directory: str = None, seed: int = 0, extra_args=(),
                 startup_timeout_s: float = 30.0):
        self.own_directory = not directory        # made here: removed by stop()
        self.directory = directory or tempfile.mkdtemp(prefix="press_sim_")
        self.config = SimulatorConfig(directory=self.directory, seed=seed)
        self.extra_args = list(extra_args)
        self.startup_timeout_s = startup_timeout_s
        self.process = None

    def start(self) -> "SimulatorProcess":
        socket_path = os.path.join(self.directory, CONTROL_SOCKET)
        if os.path.exists(socket_path):
            os.unlink(socket_path)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "press_control.sim.cli", "--dir", self.directory,
             "--seed", str(self.config.seed), *self.extra_args],
            stdout=subprocess.DEVNULL, preexec_fn=_as_a_device())
        deadline = time.monotonic() + self.startup_timeout_s
        while not os.path.exists(socket_path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"press_sim did not start in {self.directory}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def inject(self, fault: str, value=None) -> str:
        reply = inject(self.directory, fault, value)
        if not reply["ok"]:
            raise KeyError(reply["error"])
        return reply["done"]

    @property
    def press_tcp_url(self) -> str:
        """The controller's Modbus TCP address, tcp://127.0.0.1:port."""
        with open(self.config.press_tcp_path) as stream:
            return stream.read().strip()

    @property
    def analyzer_visa_resource(self) -> str:
        """The analyzer's LAN port as pyvisa names it, TCPIP0::127.0.0.1::port::SOCKET."""
        with open(self.config.analyzer_visa_path) as stream:
            return stream.read().strip()

    def truth(self) -> dict:
        return inject(self.directory, "truth")["truth"]

    def true_pressure_mpa(self) -> float:
        return self.truth()["pressure_mpa"]
