"""Scale-out and soak: two presses in two namespaces of one DDS domain at the same time, and
many cells in a row through the demo arm (10, and 50 with a memory check: `long`,
./scripts/test.sh -m long; the default set presses 3 in a row in test/app/test_bringup.py)."""
import os

import pytest
from rclpy.qos import DurabilityPolicy, QoSProfile

from press_control.records.bag_reader import read_bag
from press_control_interfaces.msg import HandlingState, PressState
from waiting import wait_for

LATCHED = QoSProfile(depth=50, durability=DurabilityPolicy.TRANSIENT_LOCAL)
# A stall ends in the arm's own reported time-out, well inside the tests' waits.
QUICK_ARM = {"preset": "handling_check", "dwell_s": 0.3, "jitter_s": 0.3, "wait_timeout_s": 90.0,
             "fault_reset_wait_s": 20.0}     # nobody resets a fault here


def handling_story(messages: list, last: int = 6) -> str:
    """The last few handling transitions, for a time-out message."""
    return " | ".join(f"{m.state_name} {m.cell_id!r}: {m.reason}" for m in messages[-last:])


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as stream:
        for line in stream:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for {pid}")


@pytest.mark.minutes(50)
@pytest.mark.timeout(900)
def test_two_presses_in_two_namespaces_run_at_once_without_crosstalk(started, tmp_path):
    cells, handling, states = {}, {}, {}
    for number, namespace in enumerate(("press_1", "press_2")):
        cell = started(namespace=namespace, seed=number, record_dir=str(tmp_path / namespace),
                       demo_arm=True, arm_parameters={**QUICK_ARM, "cells": 2, "seed": number,
                                                      "cell_prefix": namespace})
        cells[namespace], handling[namespace], states[namespace] = cell, [], []
        cell.world_node.create_subscription(HandlingState, "handling/state",
                                            handling[namespace].append, LATCHED)
        cell.world_node.create_subscription(PressState, "state", states[namespace].append, 10)
    for namespace, cell in cells.items():
        assert cell.wait_ready(120.0) == "", namespace
        assert cell.world_node.get_namespace() == f"/{namespace}"
    overlap = []
    wait_for(lambda: overlap.append(all(
        any(m.state_name == "PRESSING" for m in handling[ns][-3:]) for ns in cells)) or
        all(c.arm.poll() is not None for c in cells.values()), timeout=300,
        message=lambda: "both arms to finish; " + "; ".join(
            f"{ns}: arm {'running' if c.arm.poll() is None else c.arm.returncode}, handling "
            + handling_story(handling[ns]) for ns, c in cells.items()))
    assert any(overlap), "the two presses never pressed at the same time"
    for namespace, cell in cells.items():
        results = cell.arm_results()
        assert [r["cell_id"] for r in results] == [f"{namespace}-1", f"{namespace}-2"]
        assert all(r["outcome"] == "SUCCEEDED" for r in results), results
        assert all(r["record_dir"].startswith(str(tmp_path / namespace)) for r in results)
        assert {m.cell_id for m in handling[namespace]} <= {"", *[r["cell_id"]
                                                                  for r in results]}
        assert states[namespace] and all(s.header.frame_id for s in states[namespace])
        assert cell.sim.true_pressure_mpa() < 1.0


SOAKS = [pytest.param(10, marks=[pytest.mark.long, pytest.mark.timeout(900)]),
         pytest.param(50, marks=[pytest.mark.long, pytest.mark.timeout(3000)])]


@pytest.mark.parametrize("cells", SOAKS)
def test_soak_cells_through_the_demo_arm(started, tmp_path, cells):
    # Plots only where memory is judged (50 cells): each plot's child costs 3-4 CPU-seconds
    cell = started(record_dir=str(tmp_path), demo_arm=True, record_plot=cells >= 50,
                   arm_parameters={**QUICK_ARM, "cells": cells, "seed": 5})
    assert cell.wait_ready(120.0) == ""
    processes = {"press_driver": cell.driver.pid, "demo_arm": cell.arm.pid,
                 "bring-up (profile_server, interface_monitor)": os.getpid()}
    early_cells = max(2, cells // 5)     # fonts, heap arenas and caches settle by about 9
    wait_for(lambda: len(os.listdir(tmp_path)) >= early_cells, timeout=300,
             message=f"{early_cells} cells")
    early = {name: rss_mib(pid) for name, pid in processes.items()}
    wait_for(lambda: len(os.listdir(tmp_path)) >= cells - 1, timeout=60 * cells,
             message=lambda: f"{cells - 1} cells (have {len(os.listdir(tmp_path))})")
    late = {name: rss_mib(pid) for name, pid in processes.items()}
    wait_for(lambda: cell.arm.poll() is not None, timeout=120, message="the arm to finish")
    results = cell.arm_results()
    assert [r["outcome"] for r in results] == ["SUCCEEDED"] * cells, results
    for result in results:
        assert read_bag(os.path.join(result["record_dir"], "bag", "run.mcap")), result
    if cells >= 50:          # memory settles over the first few cells; a leak shows by 50
        for name in processes:
            assert late[name] <= 1.10 * early[name], (name, early[name], late[name])
