"""The plot of one run: pressure with segments, impedance (log), density, Nyquist."""
import concurrent.futures
import math
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
from types import SimpleNamespace

MIN_LABEL_FRACTION = 0.06        # segments narrower than this share of the run get no text


def _positive(values):
    return [v if isinstance(v, (int, float)) and v > 0 else math.nan for v in values]


def _segment_spans(times, indices):
    """(index, start, end) of each segment in the order the run went through them."""
    spans = []
    for t, index in zip(times, indices):
        if not isinstance(index, int) or index < 0:
            continue
        if spans and spans[-1][0] == index:
            spans[-1][2] = t
        else:
            spans.append([index, t, t])
    return spans


# Drawing a plot holds the GIL for 150-260 ms at a time (measured on a loaded host): in the
# process that runs goals it delayed the next goal's acceptance past 50 ms. Plots are drawn
# in a child process instead, one at a time, by one long-lived worker (importing pyplot
# costs 1.5-3 CPU-seconds, too much to pay for every run); this thread only waits for it.
_PLOT_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                     thread_name_prefix="record-plot")
PLOT_TIMEOUT_S = 300.0
_LENGTH = struct.Struct("<Q")


def submit_plot(rows, segments, spectra, path_base: str, title: str):
    """plot_run in the plot worker process, from the process's plot thread; a Future (paths).

    The thread is not a daemon: a process that ends normally draws what it was given. A
    process that is killed takes its worker with it (the record says "pending" and
    `pressctl runs plot` draws it).
    """
    return _PLOT_THREAD.submit(_WORKER.draw,
                               pickle_arguments(rows, segments, spectra, path_base, title))


def pickle_arguments(rows, segments, spectra, path_base: str, title: str) -> bytes:
    """plot_run's arguments as PlotWorker.draw takes them (segments: their type only)."""
    return pickle.dumps((rows, [SimpleNamespace(type=str(s.type)) for s in segments],
                         spectra, path_base, title))


def wait_for_plots(timeout_s: float = None) -> None:
    """Return once every plot submitted so far is drawn: before removing their folders."""
    _PLOT_THREAD.submit(lambda: None).result(timeout=timeout_s)


class PlotWorker:
    """A child process that draws plots sent to it, started at the first and kept."""

    def __init__(self):
        self.process = None

    def draw(self, payload: bytes) -> list:
        """The paths plot_run wrote, or RuntimeError with the reason it could not draw."""
        if self.process is None or self.process.poll() is not None:
            self.process = self._start()
        try:
            self.process.stdin.write(_LENGTH.pack(len(payload)) + payload)
            self.process.stdin.flush()
            outcome, value = pickle.loads(self._read_reply())
        except (OSError, EOFError, pickle.UnpicklingError) as error:
            self.stop()
            raise RuntimeError(f"plot process failed: {error}") from None
        if outcome != "drawn":
            raise RuntimeError(value)
        return value

    def _read_reply(self) -> bytes:
        stream = self.process.stdout
        if not select.select([stream], [], [], PLOT_TIMEOUT_S)[0]:
            raise OSError(f"no plot after {PLOT_TIMEOUT_S:.0f} s")
        size = _LENGTH.unpack(_read_exactly(stream, _LENGTH.size))[0]
        return _read_exactly(stream, size)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    @staticmethod
    def _start():
        from press_control.children import ends_with_parent
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
            __file__))))
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [package_root] + [p for p in [environment.get("PYTHONPATH")] if p])
        return subprocess.Popen([sys.executable, "-m", "press_control.records.plot"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                env=environment, preexec_fn=ends_with_parent(signal.SIGTERM))


def _read_exactly(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the plot process ended")
    return data


_WORKER = PlotWorker()


def worker_pid():
    """The pid of this process's plot worker, None before the first plot."""
    process = _WORKER.process
    return process.pid if process is not None and process.poll() is None else None


def plot_run(rows, segments, spectra, path_base: str, title: str) -> list:
    """Write path_base.png and path_base.svg; returns their paths.

    Left: pressure and setpoint (segments shaded and labelled), |Z| and R_interface on a log
    axis, relative density. Right: the Nyquist plots (-Z'' against Z', equal axes) of the
    first and the last EIS sweep, each on its own scale.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def column(name):
        return [row.get(name, math.nan) for row in rows]
    t = column("time_s")
    figure = plt.figure(figsize=(14, 8.5))
    # Fixed margins: the constrained layout engine took a third of the drawing time.
    grid = figure.add_gridspec(3, 2, width_ratios=[2.2, 1], height_ratios=[3, 1.6, 1.4],
                               left=0.06, right=0.985, bottom=0.065, top=0.955,
                               wspace=0.2, hspace=0.4)
    top = figure.add_subplot(grid[0, 0])
    middle = figure.add_subplot(grid[1, 0], sharex=top)
    bottom = figure.add_subplot(grid[2, 0], sharex=top)
    nyquist = (figure.add_subplot(grid[0, 1]), figure.add_subplot(grid[1:, 1]))

    top.plot(t, column("setpoint_mpa"), "--", color="tab:gray", label="setpoint")
    top.plot(t, column("measured_mpa"), color="tab:blue", label="measured pressure")
    finite_t = [v for v in t if isinstance(v, (int, float)) and math.isfinite(v)]
    run_s = (max(finite_t) - min(finite_t)) if finite_t else 0.0
    for order, (index, start, end) in enumerate(_segment_spans(t, column("segment"))):
        top.axvspan(start, end, alpha=0.16 if order % 2 else 0.07, color="tab:orange",
                    linewidth=0)
        if run_s and (end - start) / run_s >= MIN_LABEL_FRACTION:
            label = segments[index].type if index < len(segments) else str(index)
            top.text((start + end) / 2, 0.97 - 0.07 * (order % 2), f"{index + 1} {label}",
                     transform=top.get_xaxis_transform(), ha="center", va="top",
                     fontsize=9, clip_on=True)
    top.set_ylabel("pressure on sample [MPa]")
    top.legend(loc="lower right")
    top.set_title(title)
    top.grid(alpha=0.3)

    impedance = _positive(column("impedance_ohm"))
    interface = _positive(column("interface_resistance_ohm"))
    if any(math.isfinite(v) for v in impedance + interface):
        middle.semilogy(t, impedance, color="tab:red", label="|Z|")
        middle.semilogy(t, interface, color="tab:purple", label="R interface")
        middle.legend(loc="upper right")
    else:
        middle.text(0.5, 0.5, "no impedance measured", transform=middle.transAxes,
                    ha="center", va="center", color="tab:gray")
    middle.set_ylabel("impedance [ohm]")
    middle.grid(alpha=0.3, which="both")

    bottom.plot(t, column("relative_density"), color="tab:green")
    bottom.set_ylabel("relative density")
    bottom.set_xlabel("time [s]")
    bottom.grid(alpha=0.3)

    shown = [(1, spectra[0]), (len(spectra), spectra[-1])] if len(spectra) > 1 else \
        [(1, spectra[0])] if spectra else []
    for axes, color, entry in zip(nyquist, ("tab:blue", "tab:red"), shown + [None]):
        if entry is None:
            axes.text(0.5, 0.5, "no EIS sweep in this run" if not shown else
                      "one sweep only", transform=axes.transAxes, ha="center", va="center",
                      color="tab:gray")
        else:
            number, spectrum = entry
            axes.plot(spectrum.z_real_ohm, [-z for z in spectrum.z_imag_ohm], "o-",
                      markersize=3, color=color)
            axes.set_aspect("equal", adjustable="datalim")
            axes.set_title(f"Nyquist, sweep {number} of {len(spectra)}"
                           + (f": {spectrum.label}" if spectrum.label else ""), fontsize=10)
        axes.set_xlabel("Z' [ohm]")
        axes.set_ylabel("-Z'' [ohm]")
        axes.grid(alpha=0.3)

    paths = [f"{path_base}.png", f"{path_base}.svg"]
    figure.savefig(paths[0], dpi=90)
    figure.savefig(paths[1])
    plt.close(figure)
    return paths


def _serve() -> None:
    """The worker's side: length-prefixed pickled arguments in, (outcome, value) out."""
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)                         # a stray print must not corrupt the replies
    while True:
        header = requests.read(_LENGTH.size)
        if len(header) != _LENGTH.size:   # the parent closed the pipe or ended
            return
        arguments = pickle.loads(_read_exactly(requests, _LENGTH.unpack(header)[0]))
        try:
            reply = ("drawn", plot_run(*arguments))
        except Exception as error:        # noqa: B902 - reported to the parent, not fatal
            reply = ("failed", f"{type(error).__name__}: {error}")
        data = pickle.dumps(reply)
        replies.write(_LENGTH.pack(len(data)) + data)
        replies.flush()


if __name__ == "__main__":
    _serve()
