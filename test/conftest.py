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


def pytest_collection_modifyitems(items):
    """Tests marked `minutes` first (longest first): the workers then share the long ones
    and the run does not end with one worker finishing a long test alone."""
    items.sort(key=lambda item: item.get_closest_marker("minutes") is None)


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
    """Start PressCells (bringup: simulator, nodes, optional arm); all stop afterwards."""
    from press_control.app.press_cell import PressCell

    cells = []

    def start(**kwargs):
        cells.append(PressCell(**kwargs).start())
        return cells[-1]
    yield start
    for cell in cells:
        cell.stop()
