"""Text progress display of a running profile (pure: formats feedback, writes to a stream)."""
import math

from press_control.control.profiles import SEGMENT_TYPES


def progress_line(feedback, segment_count: int, width: int = 24) -> str:
    """One status line: bar of elapsed/(elapsed+remaining), segment, pressures, figures."""
    total = feedback.elapsed_s + feedback.remaining_s
    fraction = feedback.elapsed_s / total if math.isfinite(total) and total > 0 else math.nan
    if math.isfinite(fraction):
        filled = int(round(width * min(fraction, 1.0)))
        bar = "#" * filled + "-" * (width - filled)
        left = f"{feedback.remaining_s:5.0f}s left"
    else:
        bar, left = "~" * width, "  open-ended"
    name = SEGMENT_TYPES[feedback.segment_type] \
        if feedback.segment_type < len(SEGMENT_TYPES) else "?"
    extras = []
    if math.isfinite(feedback.relative_density):
        extras.append(f"D {feedback.relative_density:.3f}")
    if math.isfinite(feedback.impedance_ohm):
        extras.append(f"|Z| {feedback.impedance_ohm:.1f} ohm")
    return (f"[{bar}] {left} | seg {feedback.segment_index + 1}/{segment_count} {name:<8} "
            f"{feedback.phase:<12} | set {feedback.setpoint_mpa:7.2f} MPa, "
            f"meas {feedback.measured_mpa:7.2f} MPa, err {feedback.error_mpa:+6.2f}"
            + (" | " + ", ".join(extras) if extras else ""))


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
