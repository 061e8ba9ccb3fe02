"""Our nodes in processes of their own for tests (press_driver, run_recorder).

In a test's own process a loaded host starved it past the controller's 2 s watchdog.
"""
import contextlib
import os
import signal
import subprocess
import sys

from press_control.children import ends_with_parent


def start_driver(port: str, log_path, domain_id: int = None,
                 ros_args=("-p", "arm_interlock:=false")) -> subprocess.Popen:
    """The driver on `port` with its defaults and no arm interlock; output in log_path."""
    env = dict(os.environ)
    if domain_id is not None:
        env["ROS_DOMAIN_ID"] = str(domain_id)
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "press_control.ros.press_driver", "--ros-args",
             "-p", f"port:={port}", *ros_args],
            stdout=log, stderr=subprocess.STDOUT, env=env,
            preexec_fn=ends_with_parent(signal.SIGINT))


def interrupt(process: subprocess.Popen) -> None:
    """Ctrl-C, as bringup stops its nodes (the driver releases the press); killed after 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running_driver(port: str, log_path, domain_id: int = None):
    driver = start_driver(port, log_path, domain_id)
    try:
        yield driver
    finally:
        interrupt(driver)


@contextlib.contextmanager
def running_recorder(record_dir, log_path, plot: bool = False):
    """run_recorder in a process of its own, writing into record_dir; Ctrl-C at the end."""
    with open(log_path, "w") as log:
        recorder = subprocess.Popen(
            [sys.executable, "-m", "press_control.ros.run_recorder", "--ros-args",
             "-p", f"record_dir:={record_dir}", "-p", f"record_plot:={str(plot).lower()}"],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=ends_with_parent(signal.SIGINT))
    try:
        yield recorder
    finally:
        interrupt(recorder)
