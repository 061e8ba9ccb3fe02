"""The test processes' DDS domain blocks are allocated: held blocks are never handed out."""
import subprocess
import sys

import dds_domains


def test_a_held_block_is_not_handed_out_again_until_its_process_is_gone(tmp_path):
    first, first_held = dds_domains.allocate(tmp_path)
    second, second_held = dds_domains.allocate(tmp_path)
    assert first != second
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, dds_domains, pathlib; "
         "first, held = dds_domains.allocate(pathlib.Path(sys.argv[1])); "
         "print(first, flush=True); sys.stdin.read()", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={"PYTHONPATH": str(dds_domains.pathlib.Path(__file__).parent)})
    try:
        held_elsewhere = int(holder.stdout.readline())
        assert held_elsewhere not in (first, second)
        third, third_held = dds_domains.allocate(tmp_path)
        assert third not in (first, second, held_elsewhere)
    finally:
        holder.kill()
        holder.wait()
    again, again_held = dds_domains.allocate(tmp_path)
    assert again == held_elsewhere           # a killed holder gave its block back
    for held in (first_held, second_held, third_held, again_held):
        held.close()


def test_every_block_held_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(dds_domains, "SLOTS", 2)
    held = [dds_domains.allocate(tmp_path)[1] for _ in range(2)]
    try:
        dds_domains.allocate(tmp_path)
    except RuntimeError as error:
        assert "too many concurrent test runs" in str(error)
    else:
        raise AssertionError("a third block was handed out of two")
    finally:
        for lock in held:
            lock.close()
