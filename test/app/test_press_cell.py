"""PressCell's child processes end with it.

A killed bringup leaves no orphan driver, simulator or panel behind (one once kept a press
and a DDS domain busy).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from waiting import gone, wait_for

PARENT = (
    "import sys, time\n"
    "from press_control.app.press_cell import PressCell\n"
    "cell = PressCell(arm_interlock=False, record_dir=sys.argv[1],\n"
    "                 panel_parameters={'port': 0}).start()\n"
    "print(cell.wait_ready(120.0) or 'ready', cell.driver.pid, cell.sim.process.pid,\n"
    "      cell.panel.pid, flush=True)\n"
    "time.sleep(600)\n")


def described(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            command = stream.read().replace(b"\0", b" ").decode()
        return f"{pid} ({command[:120]})"
    except FileNotFoundError:
        return f"{pid} (gone)"


def test_killing_the_bringup_process_ends_its_children(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        ready, *pids = parent.stdout.readline().split()
        assert ready == "ready", ready
        children = [int(pid) for pid in pids]
        assert not any(gone(pid) for pid in children)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        wait_for(lambda: all(gone(pid) for pid in children), timeout=30,
                 message=lambda: "children to end: " + ", ".join(
                     described(pid) for pid in children if not gone(pid)))
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


SCRATCH = (
    "import os, sys, tempfile\n"
    "from press_control.app.press_cell import PressCell\n"
    "cell = PressCell(arm_interlock=False, record_dir=sys.argv[1],\n"
    "                 panel_parameters={'port': 0}).start()\n"
    "try:\n"
    "    print(cell.wait_ready(120.0) or 'ready', flush=True)\n"
    "    print(' '.join(sorted(os.listdir(tempfile.gettempdir()))), flush=True)\n"
    "finally:\n"
    "    cell.stop()\n")


def test_a_stopped_cell_leaves_nothing_in_the_temporary_folder(tmp_path):
    # short: the simulator's sockets live in it, and a socket path has at most 107 bytes
    scratch = tempfile.mkdtemp(prefix="scratch_")
    try:
        finished = subprocess.run([sys.executable, "-c", SCRATCH, str(tmp_path / "runs")],
                                  env={**os.environ, "TMPDIR": scratch}, timeout=240,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert finished.returncode == 0, finished.stderr[-3000:]
        ready, while_running = finished.stdout.splitlines()[:2]
        assert ready == "ready", finished.stdout
        for made in ("press_sim_", "press_driver_", "press_panel_"):     # so this can fail
            assert any(name.startswith(made) for name in while_running.split()), while_running
        assert os.listdir(scratch) == []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
