"""Failing to start is quick and loud: non-zero exit codes with a one-line reason, no hang."""
import os
import subprocess
import sys

import dds_domains

# A DDS domain of their own: nodes left by other tests of this process must not answer.
ALONE = {**os.environ, "ROS_DOMAIN_ID": str(dds_domains.spare(2))}


def run(*command, timeout_s=120):
    return subprocess.run([sys.executable, "-m", *command], capture_output=True, text=True,
                          timeout=timeout_s, env=ALONE)


def test_a_driver_that_cannot_open_its_port_exits_non_zero():
    done = run("press_control.ros.press_driver", "--ros-args", "-p", "port:=/nonexistent/tty9")
    assert done.returncode == 1
    assert "cannot start: configure failed: cannot open /nonexistent/tty9" in done.stderr


def test_bringup_stops_everything_and_says_why_when_the_driver_cannot_start():
    done = run("press_control.app.bringup", "--no-sim", "--press-port", "/nonexistent/tty9",
               "--lcr-port", "/nonexistent/tty8", "--no-arm-interlock", "--no-panel")
    assert done.returncode == 1, done.stderr[-2000:]
    assert "bringup: cannot start: press_driver exited with code 1" in done.stderr


def test_pressctl_without_a_press_exits_2_with_one_line():
    for command in (("run-profile", "demo_cell", "--cell", "x"), ("set-die", "d13")):
        done = run("press_control.app.cli", *command, "--wait-s", "1")
        assert done.returncode == 2, (command, done.stderr[-2000:])
        lines = [line for line in done.stderr.splitlines() if line.startswith("pressctl:")]
        assert len(lines) == 1 and "no " in lines[0], done.stderr[-2000:]
        assert "terminate called" not in done.stderr
