"""A node's process ends cleanly whenever it is interrupted, and ends even if that hangs."""
import signal
import subprocess
import sys
import time

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
    "    return node\n"
    "hang = (lambda node: time.sleep(600)) if sys.argv[1] == 'hanging' else None\n"
    "sys.exit(spin.spin_node(made, before_destroy=hang))\n")


def interrupted(when: str):
    """Run the node, SIGINT it once it prints `when`; (exit code, stderr, seconds to end)."""
    node = subprocess.Popen([sys.executable, "-c", NODE, when], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert node.stdout.readline().strip() == ("spinning" if when == "hanging" else when)
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


def test_a_ctrl_c_while_the_node_starts_ends_it_cleanly():
    code, errors, _ = interrupted("starting")
    assert code == 0 and "Traceback" not in errors, errors[-2000:]


def test_a_shutdown_that_hangs_ends_the_process_with_a_reason():
    code, errors, took_s = interrupted("hanging")
    assert code == 1, errors[-2000:]
    assert "watched: shutdown did not finish within 2 s; ending the process" in errors
    assert took_s >= 2.0, "not before its grace period"
