"""Conversions between profile segments / statistics and their ROS messages."""
import math

from press_control.control.profile_runner import SegmentStats
from press_control.control.profiles import SEGMENT_TYPES, Segment
from press_control_interfaces.msg import ProfileSegment, SegmentStatistics

DEFAULT_TOLERANCE_MPA = 1.0
DEFAULT_SETTLING_S = 1.0


def segment_from_msg(message: ProfileSegment) -> Segment:
    """Build a Segment from a goal's ProfileSegment.

    Zero tolerance or settling mean the defaults, a zero band means target +- tolerance,
    a zero or NaN temperature means leave the platen temperature as it is.
    """
    if message.type >= len(SEGMENT_TYPES):
        kind = f"type-{message.type}"
    else:
        kind = SEGMENT_TYPES[message.type]
    banded = message.band_low_mpa != 0.0 or message.band_high_mpa != 0.0
    return Segment(
        type=kind, target_mpa=message.target_mpa, rate_mpa_s=message.rate_mpa_s,
        duration_s=message.duration_s,
        tolerance_mpa=message.tolerance_mpa or DEFAULT_TOLERANCE_MPA,
        settling_s=message.settling_s or DEFAULT_SETTLING_S,
        band_low_mpa=message.band_low_mpa if banded else math.nan,
        band_high_mpa=message.band_high_mpa if banded else math.nan,
        temperature_c=message.temperature_c if message.temperature_c else math.nan,
        end_on_densification_plateau=message.end_on_densification_plateau,
        end_below_interface_resistance_ohm=message.end_below_interface_resistance_ohm)


def segment_to_msg(segment: Segment) -> ProfileSegment:
    return ProfileSegment(
        type=SEGMENT_TYPES.index(segment.type), target_mpa=segment.target_mpa,
        rate_mpa_s=segment.rate_mpa_s, duration_s=segment.duration_s,
        tolerance_mpa=segment.tolerance_mpa, settling_s=segment.settling_s,
        band_low_mpa=0.0 if math.isnan(segment.band_low_mpa) else segment.band_low_mpa,
        band_high_mpa=0.0 if math.isnan(segment.band_high_mpa) else segment.band_high_mpa,
        temperature_c=segment.temperature_c,
        end_on_densification_plateau=segment.end_on_densification_plateau,
        end_below_interface_resistance_ohm=segment.end_below_interface_resistance_ohm)


def stats_to_msg(stats: SegmentStats) -> SegmentStatistics:
    return SegmentStatistics(
        index=stats.index, type=SEGMENT_TYPES.index(stats.type), duration_s=stats.duration_s,
        peak_mpa=stats.peak_mpa, overshoot_mpa=stats.overshoot_mpa,
        rms_error_mpa=stats.rms_error_mpa, p99_abs_error_mpa=stats.p99_abs_error_mpa,
        time_in_band_s=stats.time_in_band_s, completed=stats.completed)
