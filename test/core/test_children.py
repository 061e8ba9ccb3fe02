"""Child processes that end with their parent: the kernel's signal, and the watch beside it."""
import os
import signal
import subprocess
import sys

from press_control.children import ends_with_parent
from waiting import gone, kill_with_child, wait_for

REPORT = ("from press_control.children import parent_death_signal\n"
          "print(parent_death_signal())\n")

# The middle process starts a child that ignores SIGINT, so the kernel's parent-death
# signal is lost on it, as it once was on a loaded host; only the watch can end it.
MIDDLE = (
    "import signal, subprocess, sys, time\n"
    "from press_control.children import ends_with_parent\n"
    "child = subprocess.Popen([sys.executable, '-c', sys.argv[1], sys.argv[2]],\n"
    "                         preexec_fn=ends_with_parent(signal.SIGINT))\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(600)\n")
# It starts watching only once its parent is already gone, as a node still starting does.
CHILD = (
    "import os, signal, sys, time\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "from press_control.children import watch_parent\n"
    "def gone(parent):\n"
    "    with open(sys.argv[1], 'w') as stream:\n"
    "        stream.write(str(parent))\n"
    "    os._exit(0)\n"
    "first = os.getppid()\n"
    "print('started', flush=True)\n"
    "while os.getppid() == first:\n"
    "    time.sleep(0.02)\n"
    "watch_parent(gone, 0.05)\n"
    "time.sleep(600)\n")


def test_a_child_knows_it_was_started_to_end_with_its_parent():
    marked = subprocess.run([sys.executable, "-c", REPORT], capture_output=True, text=True,
                            preexec_fn=ends_with_parent(signal.SIGTERM), timeout=60)
    unmarked = subprocess.run([sys.executable, "-c", REPORT], capture_output=True, text=True,
                              timeout=60)
    assert int(marked.stdout) == signal.SIGTERM, marked.stderr
    assert int(unmarked.stdout) == 0, unmarked.stderr


def test_the_watch_ends_a_child_whose_parent_death_signal_was_lost(tmp_path):
    report = tmp_path / "parent"
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, CHILD, str(report)],
                              stdout=subprocess.PIPE, text=True)
    child = 0
    try:
        child = int(middle.stdout.readline())
        assert middle.stdout.readline().strip() == "started"
        os.kill(middle.pid, signal.SIGKILL)
        middle.wait(timeout=10)
        wait_for(lambda: gone(child), timeout=20, message=f"the child {child} to end")
        assert report.read_text() == str(middle.pid)
    finally:
        kill_with_child(middle, child)
