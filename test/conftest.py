"""Shared fixtures: DDS isolation and rclpy contexts for the integration tests."""
import os

import pytest

import dds_domains

# Each test process (each pytest-xdist worker) gets its own DDS domain and discovers only
# on this host, so workers and parallel runs never see each other. Set before rclpy is
# imported anywhere; the processes the tests start inherit it.
os.environ["ROS_DOMAIN_ID"] = str(dds_domains.FIRST)
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ["ROS_LOCALHOST_ONLY"] = "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report names the logs its subprocesses left in its tmp_path."""
    outcome = yield
    report = outcome.get_result()
    tmp_path = getattr(item, "funcargs", {}).get("tmp_path")
    if report.failed and tmp_path is not None:
        logs = sorted(str(path) for path in tmp_path.rglob("*.log"))
        if logs:
            report.sections.append(("subprocess logs", "\n".join(logs)))


def expected_seconds(item) -> float:
    """How long a test marked `minutes(seconds)` takes alone on an idle host; 0 unmarked."""
    marker = item.get_closest_marker("minutes")
    return float(marker.args[0]) if marker is not None and marker.args else 0.0


def pytest_collection_modifyitems(items):
    """Longest first, by their `minutes` marks. With `--maxschedchunk 1` (pytest.ini) the
    xdist workers take tests one at a time in this order, so they share the long ones.

    xdist's default hands each worker a quarter of its share at once in collection order:
    every `minutes` test went to the first worker, which ran them one after another while
    the other ran out of work (a loaded run ended with the 10-cell soak running alone).
    """
    items.sort(key=expected_seconds, reverse=True)


@pytest.fixture
def ros_context():
    """A fresh rclpy context, shut down after the test."""
    import rclpy
    from rclpy.context import Context

    context = Context()
    rclpy.init(context=context)
    yield context
    if context.ok():
        rclpy.shutdown(context=context)


@pytest.fixture
def spin(ros_context):
    """Spin the given nodes in a background executor for the test's duration."""
    from rclpy.executors import MultiThreadedExecutor

    from press_control.ros.spin import ExecutorThread

    spinner = ExecutorThread(MultiThreadedExecutor(num_threads=4, context=ros_context))

    def add(*nodes):
        for node in nodes:
            spinner.executor.add_node(node)
        if not spinner.is_alive():
            spinner.start()
        return spinner.executor

    yield add
    nodes = list(spinner.executor.get_nodes())        # shutdown() forgets them
    spinner.stop()
    for node in nodes:
        node.destroy_node()


@pytest.fixture
def started():
    """Start PressCells (bringup: simulator, nodes, optional arm); all stop afterwards.

    Their records get no plots unless record_plot=True is given.
    """
    from press_control.app.press_cell import PressCell

    cells = []

    def start(**kwargs):
        kwargs.setdefault("record_plot", False)    # a CPU-second a run; the soak keeps them
        cells.append(PressCell(**kwargs).start())
        return cells[-1]
    yield start
    for cell in cells:
        cell.stop()
