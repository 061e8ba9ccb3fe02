"""Profile presets, goal assembly and every validation reason."""
import math

import pytest

from press_control.control.dies import Die
from press_control.control.profiles import (ProfileError, Segment, assemble, load_presets,
                                            total_planned_s, validate)
from press_control.resources import config_path
from press_control.control.safety import SafetyLimits

LIMITS = SafetyLimits(press_capacity_kn=294.2, max_ramp_rate_mpa_s=20.0, max_temperature_c=150)
DIE = Die("d10", 10.0, 500.0)


@pytest.fixture(scope="module")
def presets():
    return load_presets(config_path("profiles.yaml"))


def test_all_required_presets_exist_and_validate(presets):
    for name in ("sulfide_densify_392", "cathode_composite", "li_anode_creep_25",
                 "stack_cycling_50", "demo_cell"):
        validate(assemble(presets, name, []), LIMITS, DIE)


def test_preset_with_override_and_hold_scale(presets):
    override = Segment("ramp", 380.0, rate_mpa_s=5.0)
    segments = assemble(presets, "sulfide_densify_392", [override], hold_scale=0.1)
    assert segments[0].target_mpa == 380.0
    assert segments[1].duration_s == pytest.approx(30.0)
    assert presets["sulfide_densify_392"][1].duration_s == 300.0   # the preset is untouched


def test_planned_duration(presets):
    assert total_planned_s(assemble(presets, "sulfide_densify_392", [])) > 300.0
    assert total_planned_s(assemble(presets, "stack_cycling_50", [])) is None


@pytest.mark.parametrize("preset, segments, reason", [
    ("nope", [], "unknown preset"),
    ("", [], "no segments"),
    ("", [Segment("ramp", math.nan, 5.0)], "not a finite number"),
    ("", [Segment("ramp", math.inf, 5.0)], "not a finite number"),
    ("", [Segment("ramp", -5.0, 5.0)], "negative"),
    ("", [Segment("ramp", 600.0, 5.0)], "rating of die d10"),
    ("", [Segment("ramp", 100.0, 50.0)], "exceeds the limit"),
    ("", [Segment("ramp", 100.0, 0.0)], "below the minimum 0.01"),
    ("", [Segment("ramp", 100.0, 1e-46)], "below the minimum 0.01"),   # encoded as 0 once
    ("", [Segment("ramp", 100.0, 5.0), Segment("hold", 90.0, duration_s=5.0)],
     "previous segment ends"),
    ("", [Segment("ramp", 100.0, 5.0), Segment("hold", 100.0, duration_s=0.0)],
     "positive duration"),
    ("", [Segment("ramp", 100.0, 5.0), Segment("hold", 100.0, duration_s=1e9)], "beyond"),
    ("", [Segment("ramp", 100.0, 5.0), Segment("hold", 100.0, duration_s=5.0,
                                               settling_s=1e7)], "settling_s"),
    ("", [Segment("ramp", 100.0, 5.0), Segment("ramp", 50.0, 5.0)], "use release"),
    ("", [Segment("release", 50.0, 5.0)], "use ramp"),
    ("", [Segment("regulate", 50.0, 5.0, band_low_mpa=55.0, band_high_mpa=60.0)],
     "must contain the target"),
    ("", [Segment("ramp", 10.0, 5.0, temperature_c=400.0)], "outside the platen range"),
    ("", [Segment("ramp", 10.0, 5.0, temperature_c=-5000.0)], "outside the platen range"),
    ("", [Segment("ramp", 10.0, 5.0, temperature_c=math.inf)], "outside the platen range"),
    ("", [Segment("regulate", 50.0, 5.0, band_low_mpa=25.0, band_high_mpa=math.inf)],
     "must contain the target"),
    ("", [Segment("squeeze", 10.0, 5.0)], "unknown type"),
    ("", [Segment("ramp", 100.0, 5.0), Segment("hold", 100.0, duration_s=5.0,
                                               tolerance_mpa=0.001)], "resolve"),
])
def test_rejections_say_why(presets, preset, segments, reason):
    with pytest.raises(ProfileError, match=reason):
        validate(assemble(presets, preset, segments), LIMITS, DIE, keep_loaded=True)


@pytest.mark.parametrize("segments", [
    [Segment("ramp", 25.0, 2.0), Segment("hold", 25.0, duration_s=5.0)],
    [Segment("ramp", 50.0, 5.0), Segment("release", 20.0, 5.0)],
    [Segment("regulate", 50.0, 5.0, duration_s=10.0)],
])
def test_a_profile_that_ends_loaded_needs_keep_loaded(segments):
    with pytest.raises(ProfileError, match="leaving the cell loaded"):
        validate(segments, LIMITS, DIE)
    validate(segments, LIMITS, DIE, keep_loaded=True)


def test_profiles_that_end_released_pass():
    validate([Segment("ramp", 50.0, 5.0), Segment("release", 0.0, 5.0)], LIMITS, DIE)
    validate([Segment("regulate", 50.0, 5.0, duration_s=0.0)], LIMITS, DIE)   # until cancel


def test_every_shipped_preset_ends_released(presets):
    for name in presets:
        last = assemble(presets, name, [])[-1]
        assert (last.type == "release" and last.target_mpa == 0.0) or \
            (last.type == "regulate" and last.duration_s == 0.0), name


def test_a_preset_file_with_a_loaded_end_is_refused_at_load(tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_text("presets:\n  creep:\n    - {type: ramp, target_mpa: 25.0, rate_mpa_s: 2.0}\n"
                    "    - {type: hold, target_mpa: 25.0, duration_s: 60.0}\n")
    with pytest.raises(ProfileError, match="preset 'creep'.*leaving the cell loaded"):
        load_presets(str(path))


def test_capacity_limit_on_a_large_die(presets):
    with pytest.raises(ProfileError, match="press capacity"):
        validate([Segment("ramp", 400.0, 5.0)], LIMITS, Die("d40", 40.0, 500.0))


def test_bad_hold_scale_and_unknown_fields(presets):
    with pytest.raises(ProfileError, match="hold_scale"):
        assemble(presets, "demo_cell", [], hold_scale=2.0)
    with pytest.raises(ProfileError, match="unknown segment field"):
        Segment.from_dict({"type": "ramp", "target_mpa": 1, "speed": 3})


def test_the_compaction_study_is_laid_out_for_the_installed_die(presets):
    full = assemble(presets, "compaction_study", [], rating_mpa=500.0)
    validate(full, LIMITS, DIE)
    loads = [s.target_mpa for s in full if s.type == "hold" and s.target_mpa > 2.0]
    assert loads == [10, 20, 30, 40, 50, 70, 100, 150, 200, 250, 300, 350, 400]
    assert [s.type for s in full[:4]] == ["ramp", "hold", "release", "hold"]
    assert all(s.sweep for s in full if s.type == "hold")
    assert all(s.end_on_densification_plateau for s in full
               if s.type == "hold" and s.target_mpa > 2.0)
    assert full[-1].type == "release" and full[-1].target_mpa == 0.0
    capped = assemble(presets, "compaction_study", [], rating_mpa=320.0)
    assert max(s.target_mpa for s in capped) == 300.0
    with pytest.raises(ProfileError, match="within the die's rating"):
        assemble(presets, "compaction_study", [], rating_mpa=5.0)


@pytest.mark.parametrize("text, reason", [
    ("{study: sintering}", "unknown study"),
    ("{study: compaction, step_mpa: [10]}", "unknown field"),
    ("{study: compaction, steps_mpa: [50, 20]}", "must rise"),
    ("{study: compaction, steps_mpa: [1, 20]}", "must rise"),
    ("{study: compaction, rate_mpa_s: fast}", "could not convert"),
])
def test_a_bad_study_is_refused_at_load(tmp_path, text, reason):
    path = tmp_path / "profiles.yaml"
    path.write_text(f"presets:\n  study: {text}\n")
    with pytest.raises(ProfileError, match=reason):
        load_presets(str(path))
