"""DDS domains for a test process: a block of its own, allocated, never shared.

Every pytest process (the only one, the xdist controller, each xdist worker) takes BLOCK
consecutive domain ids: the first is its ROS_DOMAIN_ID, the others are spares for tests
that need a domain nothing else has used (`spare(1)`). A block is taken by holding an
exclusive flock on its file in LOCK_DIR for the life of the process: two processes, of one
run or of two concurrent runs, can never hold the same block, and a process that dies,
even by SIGKILL, gives its block back with its file descriptors.
"""
import fcntl
import pathlib
import tempfile

BLOCK = 5
SLOTS = 20               # ids 1..100: within what Fast DDS's port arithmetic allows
LOCK_DIR = pathlib.Path(tempfile.gettempdir()) / "press_control-dds-domains"


def allocate(lock_dir: pathlib.Path = LOCK_DIR):
    """(first domain id of a free block, the open lock file that holds it)."""
    lock_dir.mkdir(mode=0o777, exist_ok=True)
    for slot in range(SLOTS):
        held = open(lock_dir / f"block-{slot:02d}.lock", "a")
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.close()
            continue
        return 1 + BLOCK * slot, held
    raise RuntimeError(f"all {SLOTS} DDS domain blocks are held by other test processes "
                       f"(lock files in {lock_dir}): too many concurrent test runs")


FIRST, _HELD = allocate()


def spare(index: int) -> int:
    """Domain id `index` (1..BLOCK-1) of this process's block."""
    if not 0 < index < BLOCK:
        raise ValueError(f"spare domain index {index} is not in 1..{BLOCK - 1}")
    return FIRST + index
