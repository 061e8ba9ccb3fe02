"""Record plots are drawn by one worker process that outlives a failure or a crash of its own."""
import os
import signal

import pytest
from matplotlib import image

from press_control.records.plot import PlotWorker, pickle_arguments, submit_plot, wait_for_plots
from press_control.records.run_record import Spectrum

ROWS = [{"time_s": t / 10, "segment": 0 if t < 20 else 1, "setpoint_mpa": t,
         "measured_mpa": t + 0.2, "impedance_ohm": 100.0 + t,
         "interface_resistance_ohm": 50.0, "relative_density": 0.6 + t / 200}
        for t in range(40)]
SEGMENTS = [type("Segment", (), {"type": "ramp"})(), type("Segment", (), {"type": "hold"})()]
SWEEP = Spectrum([1e5, 1e3, 10.0], [10.0, 60.0, 110.0], [-5.0, -40.0, -3.0])


def _plot(worker, folder, title="cell: SUCCEEDED"):
    return worker.draw(pickle_arguments(ROWS, SEGMENTS, [SWEEP, SWEEP],
                                        os.path.join(folder, "plot"), title))


def test_one_worker_draws_every_plot_and_a_failure_does_not_end_it(tmp_path):
    worker = PlotWorker()
    try:
        first = _plot(worker, str(tmp_path))
        assert first == [str(tmp_path / "plot.png"), str(tmp_path / "plot.svg")]
        assert image.imread(first[0]).shape[0] > 500          # a real PNG, read back
        pid = worker.process.pid
        blocked = tmp_path / "blocked"
        os.makedirs(blocked / "plot.png")                     # the worker cannot write there
        with pytest.raises(RuntimeError, match="IsADirectoryError"):
            _plot(worker, str(blocked))
        again = tmp_path / "again"
        again.mkdir()
        assert os.path.exists(_plot(worker, str(again))[0])
        assert worker.process.pid == pid                      # the same process throughout
    finally:
        worker.stop()


def test_a_worker_that_died_is_replaced_at_the_next_plot(tmp_path):
    worker = PlotWorker()
    try:
        _plot(worker, str(tmp_path))
        dead = worker.process
        os.kill(dead.pid, signal.SIGKILL)
        dead.wait()
        later = tmp_path / "later"
        later.mkdir()
        assert os.path.exists(_plot(worker, str(later))[0])
        assert worker.process.pid != dead.pid
    finally:
        worker.stop()


def test_a_worker_ends_when_its_parent_closes_the_pipe(tmp_path):
    worker = PlotWorker()
    _plot(worker, str(tmp_path))
    process = worker.process
    process.stdin.close()                                     # as when the parent ends
    assert process.wait(timeout=30.0) == 0


def test_the_process_plot_thread_draws_through_the_worker(tmp_path):
    future = submit_plot(ROWS, SEGMENTS, [SWEEP], str(tmp_path / "plot"), "c: ABORTED")
    wait_for_plots(120.0)
    assert future.result() == [str(tmp_path / "plot.png"), str(tmp_path / "plot.svg")]
