"""A node's process ends cleanly whenever it is interrupted, and ends even if that hangs."""
import os
import signal
import subprocess
import sys
import time

from waiting import gone, kill_with_child, wait_for

NODE = (
    "import sys, time\n"
    "import rclpy\n"
    "from rclpy.node import Node\n"
    "from press_control.ros import spin\n"
    "spin.SHUTDOWN_GRACE_S = 2.0\n"
    "def made():\n"
    "    node = Node('watched')\n"
    "    if sys.argv[1] == 'starting':\n"
    "        print('starting', flush=True)\n"
    "        deadline = time.monotonic() + 30\n"
    "        while rclpy.ok() and time.monotonic() < deadline:   # starting until Ctrl-C\n"
    "            time.sleep(0.05)\n"
    "    timer = node.create_timer(0.01, lambda: (print('spinning', flush=True),\n"
    "                                             timer.cancel()))\n"
    "    if sys.argv[1] == 'deaf':            # a shutdown that shuts nothing down\n"
    "        rclpy.get_default_context().try_shutdown = lambda: None\n"
    "    if sys.argv[1] == 'hanging':\n"
    "        node.destroy_node = lambda: time.sleep(600)\n"
    "    return node\n"
    "def release(node):                 # bounded by itself: not counted\n"
    "    time.sleep(3)\n"
    "    print('released', flush=True)\n"
    "sys.exit(spin.spin_node(made, before_destroy=release))\n")


# Starts the node to end with it, but on SIGWINCH, which Python ignores: the kernel's
# parent-death signal is lost on the node, as a SIGINT once was on a loaded host.
MIDDLE = (
    "import signal, subprocess, sys, time\n"
    "from press_control.children import ends_with_parent\n"
    "with open(sys.argv[2], 'w') as out:\n"
    "    node = subprocess.Popen([sys.executable, '-c', sys.argv[1], 'spinning'], stdout=out,\n"
    "                            stderr=subprocess.STDOUT,\n"
    "                            preexec_fn=ends_with_parent(signal.SIGWINCH))\n"
    "print(node.pid, flush=True)\n"
    "time.sleep(600)\n")


def interrupted(when: str):
    """Run the node, SIGINT it once it prints `when`; (exit code, stderr, seconds to end)."""
    node = subprocess.Popen([sys.executable, "-c", NODE, when], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert node.stdout.readline().strip() == \
            ("spinning" if when in ("hanging", "deaf") else when)
        node.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, errors = node.communicate(timeout=60)
        return node.returncode, errors, time.monotonic() - sent
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()


def test_a_ctrl_c_while_spinning_ends_the_node_cleanly():
    code, errors, _ = interrupted("spinning")
    assert code == 0 and "Traceback" not in errors, errors[-2000:]


def test_the_release_step_has_its_own_time_not_the_grace_period():
    """The grace period (2 s here) does not cut the release step (3 s) short."""
    node = subprocess.Popen([sys.executable, "-c", NODE, "spinning"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert node.stdout.readline().strip() == "spinning"
        node.send_signal(signal.SIGINT)
        output, errors = node.communicate(timeout=60)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
    assert "released" in output and node.returncode == 0, errors[-2000:]


def test_a_ctrl_c_while_the_node_starts_ends_it_cleanly():
    code, errors, _ = interrupted("starting")
    assert code == 0 and "Traceback" not in errors, errors[-2000:]


def test_a_shutdown_that_hangs_ends_the_process_with_a_reason():
    code, errors, took_s = interrupted("hanging")
    assert code == 1, errors[-2000:]
    assert "watched: shutdown did not finish within 2 s; ending the process" in errors
    assert took_s >= 2.0, "not before its grace period"


def test_a_ctrl_c_that_shuts_nothing_down_still_ends_the_process():
    code, errors, took_s = interrupted("deaf")
    assert code == 1, errors[-2000:]
    assert "watched: shutdown did not finish within 2 s; ending the process" in errors
    assert took_s >= 2.0


def test_a_node_whose_parent_is_killed_shuts_down_even_without_the_signal(tmp_path):
    output = tmp_path / "node.txt"
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, NODE, str(output)],
                              stdout=subprocess.PIPE, text=True)
    node = 0
    try:
        node = int(middle.stdout.readline())
        wait_for(lambda: "spinning" in output.read_text(), timeout=60, message="spinning")
        os.kill(middle.pid, signal.SIGKILL)
        middle.wait(timeout=10)
        wait_for(lambda: gone(node), timeout=30, message="the node to end")
        text = output.read_text()
        assert f"parent process {middle.pid} is gone; shutting down" in text, text
        assert "released" in text and "Traceback" not in text, text
    finally:
        kill_with_child(middle, node)
