"""The plot of one run: pressure and setpoint with segments, impedance, density."""
import math


def plot_run(rows, segments, path: str, title: str) -> None:
    """Setpoint and pressure against time (segments shaded), impedance and density."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def column(name):
        return [row.get(name, math.nan) for row in rows]
    t = column("time_s")
    figure, (top, middle, bottom) = plt.subplots(3, 1, sharex=True, figsize=(10, 8),
                                                 height_ratios=[3, 1.5, 1.5])
    top.plot(t, column("setpoint_mpa"), "--", color="tab:gray", label="setpoint")
    top.plot(t, column("measured_mpa"), color="tab:blue", label="measured pressure")
    indices = column("segment")
    for index in sorted({i for i in indices if isinstance(i, int) and i >= 0}):
        times = [ti for ti, si in zip(t, indices) if si == index]
        label = segments[index].type if index < len(segments) else str(index)
        top.axvspan(times[0], times[-1], alpha=0.08 if index % 2 else 0.16, color="tab:orange")
        top.text(times[0], 0.98, f" {index + 1} {label}", transform=top.get_xaxis_transform(),
                 va="top", fontsize=8)
    top.set_ylabel("pressure on sample [MPa]")
    top.legend(loc="lower right")
    top.set_title(title)
    middle.plot(t, column("impedance_ohm"), color="tab:red", label="|Z|")
    middle.plot(t, column("interface_resistance_ohm"), color="tab:purple",
                label="R interface")
    middle.set_ylabel("ohm")
    middle.legend(loc="upper right")
    bottom.plot(t, column("relative_density"), color="tab:green")
    bottom.set_ylabel("relative density")
    bottom.set_xlabel("time [s]")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
