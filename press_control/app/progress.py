"""Progress of a running profile: a tqdm bar in a terminal, one line per step in a log."""
import math
import sys

from press_control.control.profiles import SEGMENT_TYPES


def segment_line(feedback) -> str:
    """One line for a log: time, segment i of n, its type and phase, the pressures."""
    name = SEGMENT_TYPES[feedback.segment_type] \
        if feedback.segment_type < len(SEGMENT_TYPES) else "?"
    extras = []
    if math.isfinite(feedback.relative_density):
        extras.append(f"D {feedback.relative_density:.3f}")
    if math.isfinite(feedback.impedance_ohm):
        extras.append(f"|Z| {feedback.impedance_ohm:.1f} ohm")
    return (f"{feedback.elapsed_s:8.1f} s  segment {feedback.segment_index + 1} of "
            f"{feedback.segment_count} {name} {feedback.phase}: set "
            f"{feedback.setpoint_mpa:.2f} MPa, measured {feedback.measured_mpa:.2f} MPa"
            + ("; " + ", ".join(extras) if extras else ""))


class ProgressView:
    """Shows a goal's feedback on a stream.

    In a terminal a tqdm bar (elapsed against elapsed + remaining seconds) redrawn in
    place; otherwise (a pipe, a log file) one line whenever the segment or its phase
    changes; nothing when quiet. The segment count is the goal's (feedback.segment_count).
    """

    def __init__(self, stream=None, quiet: bool = False, interactive: bool = None):
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.bar = None
        self._shown = None

    def update(self, feedback) -> None:
        if self.quiet:
            return
        if not self.interactive:
            step = (feedback.segment_index, feedback.phase)
            if step != self._shown:
                self._shown = step
                print(segment_line(feedback), file=self.stream, flush=True)
            return
        from tqdm import tqdm
        if self.bar is None:
            self.bar = tqdm(total=None, unit="s", file=self.stream, dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n:.0f}/{total_fmt} s {postfix}")
        total = feedback.elapsed_s + feedback.remaining_s
        self.bar.total = round(total) if math.isfinite(total) else None
        self.bar.n = round(feedback.elapsed_s)
        name = SEGMENT_TYPES[feedback.segment_type] \
            if feedback.segment_type < len(SEGMENT_TYPES) else "?"
        self.bar.set_description(f"segment {feedback.segment_index + 1}/"
                                 f"{feedback.segment_count} {name}", refresh=False)
        self.bar.set_postfix_str(f"{feedback.phase}, {feedback.measured_mpa:.1f} MPa",
                                 refresh=False)
        self.bar.refresh()

    def note(self, text: str) -> None:
        """An event line; in a terminal it goes above the bar, which stays."""
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def summary_lines(result, outcome_names) -> list:
    """Human-readable result summary."""
    lines = [f"outcome: {outcome_names.get(result.outcome, result.outcome)} - {result.reason}",
             f"peak {result.peak_mpa:.2f} MPa"]
    for s in result.segments:
        lines.append(f"  segment {s.index + 1} {SEGMENT_TYPES[s.type]:<8} "
                     f"{'done' if s.completed else 'cut':<4} {s.duration_s:7.1f} s  peak "
                     f"{s.peak_mpa:7.2f}  overshoot {s.overshoot_mpa:5.2f}  rms err "
                     f"{s.rms_error_mpa:5.2f}  p99 |err| {s.p99_abs_error_mpa:5.2f} MPa  "
                     f"in band {s.time_in_band_s:6.1f} s")
    if math.isfinite(result.final_relative_density):
        lines.append(f"final relative density {result.final_relative_density:.3f}")
    if math.isfinite(result.final_impedance_ohm):
        lines.append(f"final impedance {result.final_impedance_ohm:.1f} ohm")
    lines.append(f"record: {result.record_dir}")
    return lines
