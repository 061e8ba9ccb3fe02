"""The plot of one run: pressure with segments, impedance (log), density, Nyquist."""
import concurrent.futures
import math
import os
import pickle
import signal
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
# process that runs goals it delayed the next goal's acceptance past 50 ms. Each plot is
# drawn in a child process instead, one at a time; this thread only waits for it.
_PLOT_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                     thread_name_prefix="record-plot")
PLOT_TIMEOUT_S = 300.0


def submit_plot(rows, segments, spectra, path_base: str, title: str, compaction=None):
    """plot_run in a child process, started from the process's plot thread; a Future (paths).

    The thread is not a daemon: a process that ends normally draws what it was given. A
    process that is killed takes its drawing child with it (the record says "pending"
    and `pressctl runs plot` draws it).
    """
    payload = pickle.dumps((rows, [SimpleNamespace(type=str(s.type)) for s in segments],
                            spectra, path_base, title, compaction))
    return _PLOT_THREAD.submit(_draw_in_child, payload)


def wait_for_plots(timeout_s: float = None) -> None:
    """Return once every plot submitted so far is drawn: before removing their folders."""
    _PLOT_THREAD.submit(lambda: None).result(timeout=timeout_s)


def _draw_in_child(payload: bytes) -> list:
    from press_control.children import ends_with_parent
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__))))
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [package_root] + [p for p in [environment.get("PYTHONPATH")] if p])
    done = subprocess.run([sys.executable, "-m", "press_control.records.plot"],
                          input=payload, capture_output=True, env=environment,
                          timeout=PLOT_TIMEOUT_S, preexec_fn=ends_with_parent(signal.SIGTERM))
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"plot process exited {done.returncode}")
    return pickle.loads(done.stdout)


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


def _main() -> None:
    """The child's side: the pickled arguments on stdin, the pickled paths on stdout."""
    *arguments, compaction = pickle.loads(sys.stdin.buffer.read())
    paths = plot_run(*arguments)
    if compaction and compaction.get("steps"):
        from press_control.records.compaction_record import plot_compaction
        paths += plot_compaction(compaction, os.path.join(os.path.dirname(arguments[3]),
                                                          "compaction"))
    sys.stdout.buffer.write(pickle.dumps(paths))


if __name__ == "__main__":
    _main()
