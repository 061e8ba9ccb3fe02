"""The simulator's process: a device's priority, and no orphan after its parent."""
import os

from press_control.sim.process import DEVICE_NICE, SimulatorProcess


def nice_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stream:
        fields = stream.read().rsplit(")", 1)[1].split()
    return int(fields[16])                  # field 19 of proc(5): nice


def test_the_simulator_runs_at_a_devices_priority_when_allowed(tmp_path):
    with SimulatorProcess(str(tmp_path)) as sim:
        expected = DEVICE_NICE if os.geteuid() == 0 else nice_of(os.getpid())
        assert nice_of(sim.process.pid) == expected
        assert sim.true_pressure_mpa() < 1.0            # and it serves as before
