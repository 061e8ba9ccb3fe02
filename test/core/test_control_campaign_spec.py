"""Campaign files: parsed, laid out as profiles, and refused (never clipped) past the press."""
import math

import pytest
import yaml

from press_control.control.campaign_spec import (CampaignError, check_campaign,
                                                 load_campaign, parse_campaign)
from press_control.control.dies import parse_die_table
from press_control.control.profiles import validate
from press_control.control.safety import SafetyLimits
from press_control.resources import config_path

DIES = parse_die_table(["d10:10.0:500.0", "d13:13.0:450.0", "d16:16.0:400.0"])
LIMITS = SafetyLimits(294.2, 20.0, 150.0, 0.01, 0.0)
EXAMPLES = ("li6ps5cl_interface.yaml", "li6ps5cl_pareto.yaml")


def _example(name="li6ps5cl_interface.yaml") -> dict:
    with open(config_path(f"campaigns/{name}")) as stream:
        return yaml.safe_load(stream)


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_shipped_examples_pass_the_check(name):
    campaign = load_campaign(config_path(f"campaigns/{name}"))
    check_campaign(campaign, DIES, LIMITS)
    assert campaign.cells >= 10 and campaign.space


def test_a_cell_is_the_protocol_with_the_chosen_numbers():
    campaign = parse_campaign(_example())
    segments = campaign.segments({"densify_mpa": 400.0, "attach_mpa": 20.0,
                                  "stack_mpa": 45.0})
    assert [(s.type, s.target_mpa) for s in segments] == [
        ("ramp", 400.0), ("hold", 400.0), ("release", 20.0), ("hold", 20.0),
        ("regulate", 45.0), ("release", 0.0)]
    assert segments[3].end_below_interface_resistance_ohm == 40.0
    assert (segments[4].band_low_mpa, segments[4].band_high_mpa) == (40.0, 50.0)
    assert segments[4].duration_s == 600.0
    validate(segments, LIMITS, DIES["d10"])


def _refusal(change) -> str:
    spec = _example()
    change(spec)
    with pytest.raises(CampaignError) as refused:
        check_campaign(parse_campaign(spec), DIES, LIMITS)
    return str(refused.value)


def test_a_space_past_the_die_rating_is_refused_with_the_reason():
    def reach(spec):
        spec["die"] = "d16"                                  # rated 400 MPa
    reason = _refusal(reach)
    assert "exceeds the rating of die d16 (400 MPa)" in reason and "densify_mpa 450" in reason


def test_a_temperature_past_the_anode_cap_is_refused():
    def hot(spec):
        spec["stack"]["anode"] = "li_in"                     # indium melts at 156.6 C
        spec["protocol"]["temperature_c"] = {"low": 25.0, "high": 149.0, "unit": "C"}
    assert "temperature_c reaches 149" in _refusal(hot)


def test_a_temperature_past_the_platen_range_is_refused():
    def hot(spec):
        spec["protocol"]["temperature_c"] = {"low": 25.0, "high": 160.0, "unit": "C"}
    reason = _refusal(hot)
    assert "160" in reason


def test_an_attach_pressure_that_can_meet_the_densification_is_refused():
    def overlap(spec):
        spec["protocol"]["densify_mpa"] = {"low": 30.0, "high": 450.0, "unit": "MPa"}
    assert "not below the lowest densify_mpa" in _refusal(overlap)


@pytest.mark.parametrize("change, words", [
    (lambda s: s.update(cells=0), "cells"),
    (lambda s: s.update(colour="red"), "unknown field"),
    (lambda s: s["protocol"].update(stack_mpa={"low": 5, "high": 60, "unit": "bar"}),
     "unit must be 'MPa'"),
    (lambda s: s["protocol"].update(stack_mpa={"low": 60, "high": 5, "unit": "MPa"}),
     "must be below high"),
    (lambda s: s["protocol"].update(stack_mpa={"low": 0, "high": 5, "unit": "MPa",
                                               "log": True}), "log range"),
    (lambda s: s["protocol"].update(speed=3), "unknown parameter"),
    (lambda s: s["protocol"].update(cycling_s=math.nan), "not a finite number"),
    (lambda s: s["objectives"].append({"metric": "colour", "direction": "minimize"}),
     "unknown metric"),
    (lambda s: s["objectives"].append({"metric": "press_time_s", "direction": "down"}),
     "direction"),
    (lambda s: s["constraints"].append({"metric": "shorted"}), "min and/or max"),
    (lambda s: s.update(name="a b"), "name"),
])
def test_bad_files_are_refused_by_name(change, words):
    spec = _example()
    change(spec)
    with pytest.raises(CampaignError, match=words):
        parse_campaign(spec)


def test_an_unknown_die_or_stack_is_refused():
    spec = _example()
    spec["die"] = "d99"
    with pytest.raises(CampaignError, match="not in the die table"):
        check_campaign(parse_campaign(spec), DIES, LIMITS)
    spec = _example()
    spec["stack"]["electrolyte"] = "unobtainium"
    with pytest.raises(CampaignError, match="unknown electrolyte"):
        check_campaign(parse_campaign(spec), DIES, LIMITS)
