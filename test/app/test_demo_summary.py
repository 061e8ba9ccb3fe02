"""The demo's summary takes its pressures from the preset it ran, not from constants."""
import math

from press_control.app.demo_summary import preset_levels
from press_control.control.profiles import Segment, load_presets
from press_control.resources import config_path


def test_levels_of_the_shipped_presets():
    presets = load_presets(config_path("profiles.yaml"))
    assert preset_levels(presets["demo_cell"]) == (392.0, 25.0)    # densify, attach Li
    top, attach = preset_levels(presets["handling_check"])
    assert top == 20.0 and math.isnan(attach)


def test_levels_follow_an_edited_preset():
    segments = [Segment("ramp", 450.0, 5.0), Segment("hold", 450.0, duration_s=60.0),
                Segment("release", 40.0, 10.0), Segment("hold", 40.0, duration_s=30.0),
                Segment("release", 0.0, 10.0)]
    assert preset_levels(segments) == (450.0, 40.0)
    assert all(math.isnan(v) for v in preset_levels([Segment("ramp", 10.0, 5.0)]))
