"""Press and arm on two network hosts (namespaces joined by a veth pair), DDS across the link:
a full cell runs across hosts, and cutting the link mid-pressing leaves the press safe."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from network_hosts import NetworkHosts
from press_control.resources import config_path
from press_control.sim.control_socket import inject
from waiting import wait_for


@pytest.fixture
def hosts():
    network = NetworkHosts(int(os.environ["ROS_DOMAIN_ID"])).up()
    yield network
    network.down()


def start_arm(hosts, folder, name, preset):
    results = str(folder / f"{name}.json")
    overrides = folder / f"{name}.yaml"
    overrides.write_text(yaml.safe_dump({"/demo_arm": {"ros__parameters": {
        "cells": 1, "preset": preset, "cell_prefix": name, "exit_when_done": True,
        "results_file": results, "dwell_s": 0.3, "jitter_s": 0.2}}}))
    with open(folder / f"{name}.log", "w") as log:
        arm = hosts.popen("arm", [sys.executable, "-m", "press_control.ros.demo_arm",
                                  "--ros-args", "--params-file", config_path("press_cell.yaml"),
                                  "--params-file", str(overrides)],
                          stdout=log, stderr=subprocess.STDOUT)
    return arm, results


@pytest.mark.minutes(55)
def test_press_and_arm_on_two_hosts(hosts, tmp_path):
    sim_dir, log_path = tmp_path / "sim", tmp_path / "bringup.log"
    sim_dir.mkdir()
    with open(log_path, "w") as log:
        press = hosts.popen("press", [sys.executable, "-m", "press_control.app.bringup",
                                      "--sim-dir", str(sim_dir),
                                      "--record-dir", str(tmp_path / "runs")],
                            stdout=log, stderr=subprocess.STDOUT)
    arms = []
    try:
        wait_for(lambda: "bringup: ready" in log_path.read_text(), timeout=120,
                 message=lambda: f"the press host ({log_path.read_text()[-2000:]})")
        arm, results = start_arm(hosts, tmp_path, "remote", "handling_check")
        arms.append(arm)
        wait_for(lambda: arm.poll() is not None, timeout=180, message="a cell across hosts")
        with open(results) as stream:
            [outcome] = json.load(stream)
        assert outcome["outcome"] == "SUCCEEDED", outcome
        assert arm.returncode == 0

        arm, _ = start_arm(hosts, tmp_path, "cut", "stack_cycling_50")   # open-ended
        arms.append(arm)
        truth = lambda: inject(str(sim_dir), "truth")["truth"]  # noqa: E731
        wait_for(lambda: truth()["pressure_mpa"] > 45.0, timeout=120, message="stack pressure")
        hosts.cut()
        cut_at = time.monotonic()
        # The driver (stale heartbeat) and the handshake (intrusion: abort, release) both
        # react; whichever is first, the permit goes and the pressure comes down.
        wait_for(lambda: truth()["motion_permit"] == 0, timeout=10, message="permit withdrawn")
        # stale after arm_heartbeat_timeout_s (1 s), noticed on the next 0.1 s heartbeat
        assert time.monotonic() - cut_at < 1.0 + 0.5 + 1.0
        wait_for(lambda: truth()["pressure_mpa"] < 1.0, timeout=30, message="released")
    finally:
        for arm in arms:
            if arm.poll() is None:
                arm.kill()
        press.send_signal(signal.SIGINT)
        try:
            press.wait(timeout=30)
        except subprocess.TimeoutExpired:
            press.kill()
