"""DDS domains for a test process: a block of its own, also under pytest-xdist.

Every pytest process (the only one, or each xdist worker) gets BLOCK consecutive domain
ids: the first is its ROS_DOMAIN_ID, the others are spares for tests that need a domain
nothing else has used (`spare(1)`). Workers of one run share the run's base and differ by
their index, so they never share a domain; separate runs differ by their base.
"""
import os
import zlib

BLOCK = 4
SLOTS = 25               # ids 1..100: within what Fast DDS's port arithmetic allows


def _slot() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return os.getpid() % SLOTS
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")
    return (zlib.crc32(run.encode()) + int(worker.lstrip("gw"))) % SLOTS


FIRST = 1 + BLOCK * _slot()


def spare(index: int) -> int:
    """Domain id `index` (1..BLOCK-1) of this process's block."""
    if not 0 < index < BLOCK:
        raise ValueError(f"spare domain index {index} is not in 1..{BLOCK - 1}")
    return FIRST + index
