"""The simulator's process: a device's priority, its end, and a control socket that lasts."""
import json
import os
import signal
import socket
import time

from press_control.sim.control_socket import CLIENT_TIMEOUT_S, CONTROL_SOCKET
from press_control.sim.process import DEVICE_NICE, SimulatorProcess
from signal_bursts import burst
from waiting import wait_for


def nice_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stream:
        fields = stream.read().rsplit(")", 1)[1].split()
    return int(fields[16])                  # field 19 of proc(5): nice


def test_the_simulator_runs_at_a_devices_priority_when_allowed(tmp_path):
    with SimulatorProcess(str(tmp_path)) as sim:
        expected = DEVICE_NICE if os.geteuid() == 0 else nice_of(os.getpid())
        assert nice_of(sim.process.pid) == expected
        assert sim.true_pressure_mpa() < 1.0            # and it serves as before


def test_bursts_of_sigterms_end_the_simulator(tmp_path):
    """A killed parent sends its parent-death signal once per thread it had: many SIGTERMs.

    The handler that set an Event itself hung in 1 of 2 runs of ten bursts; three keep the
    suite's load down (test/core/test_stop_signals.py bursts the mechanism itself).
    """
    for trial in range(3):
        sim = SimulatorProcess(str(tmp_path / str(trial))).start()
        try:
            burst(sim.process.pid, signal.SIGTERM, 200, spacing_s=(1 + 3 * trial) * 20e-6)
            sim.process.wait(timeout=30)
            assert sim.process.returncode in (0, -signal.SIGTERM)
        finally:
            sim.stop()


def ask_truth(directory: str) -> dict:
    """The control socket's truth, with a time limit (a dead control thread never answers)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(20.0)
        client.connect(os.path.join(directory, CONTROL_SOCKET))
        client.sendall(json.dumps({"fault": "truth"}).encode())
        reply = b""
        while not reply.endswith(b"}"):
            reply += client.recv(65536)
        return json.loads(reply)


def test_clients_that_hang_up_or_send_nothing_leave_the_control_socket_serving(tmp_path):
    with SimulatorProcess(str(tmp_path)) as sim:
        path = os.path.join(sim.directory, CONTROL_SOCKET)
        for _ in range(20):          # ask, and hang up before the reply
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.connect(path)
                client.sendall(json.dumps({"fault": "truth"}).encode())
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
            client.sendall(b"[1, 2]")                  # JSON, not a request
            assert b'"ok": false' in client.recv(65536)
        silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        silent.connect(path)                            # connects, never sends
        try:
            started = time.monotonic()
            assert ask_truth(sim.directory)["ok"]
            assert time.monotonic() - started < CLIENT_TIMEOUT_S + 15.0
        finally:
            silent.close()
        assert sim.true_pressure_mpa() < 1.0


def test_a_stalled_simulator_says_how_late_it_woke(tmp_path):
    """Stopped for 0.6 s from outside, it reports its physics thread that much late."""
    with SimulatorProcess(str(tmp_path)) as sim:
        os.kill(sim.process.pid, signal.SIGSTOP)
        stopped = time.monotonic()
        while time.monotonic() - stopped < 0.6:
            time.sleep(0.05)
        os.kill(sim.process.pid, signal.SIGCONT)
        # The control thread may answer before the physics thread has woken and noted it.
        wait_for(lambda: "physics thread woke" in sim.truth()["late"], timeout=30,
                 message="the physics thread's lateness noted")
        late = sim.truth()["late"]["physics thread woke"]
        assert 0.5 <= late["worst_s"] < 30.0 and late["count"] >= 1
