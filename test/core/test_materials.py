"""The goal's stack: electrolyte, its mass, the anode and the temperature it allows."""
import math

import pytest

from press_control.control.materials import (
    StackError, cell_stack, elastic_modulus_mpa, temperature_refusal)


def test_a_full_stack_carries_the_density_and_the_anode_cap():
    stack = cell_stack(" Li6PS5Cl ", 150.0, "li_metal")
    assert (stack.electrolyte, stack.electrolyte_mass_mg, stack.true_density_g_cm3) == \
        ("li6ps5cl", 150.0, 1.865)
    assert stack.max_temperature_c == pytest.approx(170.5)     # Li melts at 180.5 C


def test_nothing_given_is_nan_and_no_cap():
    stack = cell_stack("", 0.0, "")
    assert stack.anode == "none" and stack.electrolyte == ""
    assert math.isnan(stack.electrolyte_mass_mg) and math.isnan(stack.true_density_g_cm3)
    assert temperature_refusal(stack, 300.0) == ""


@pytest.mark.parametrize("electrolyte, mass, anode, reason", [
    ("unobtainium", 100.0, "", "unknown electrolyte 'unobtainium'"),
    ("li6ps5cl", 100.0, "sodium", "unknown anode 'sodium'"),
    ("li6ps5cl", -1.0, "", "outside 0..5000 mg"),
    ("li6ps5cl", math.nan, "", "outside 0..5000 mg"),
    ("", 100.0, "", "needs the electrolyte's name"),
])
def test_a_stack_a_goal_cannot_have_is_refused_with_the_reason(electrolyte, mass, anode,
                                                               reason):
    with pytest.raises(StackError, match=reason):
        cell_stack(electrolyte, mass, anode)


def test_the_platen_stays_10_c_under_the_anode_melting_point():
    lithium, indium = cell_stack("", 0.0, "li_metal"), cell_stack("", 0.0, "li_in")
    assert temperature_refusal(lithium, 170.0) == ""
    assert "at most 170.5 °C" in temperature_refusal(lithium, 171.0)
    assert "melting point, 180.5 °C" in temperature_refusal(lithium, 171.0)
    assert "at most 146.6 °C" in temperature_refusal(indium, 150.0)
    assert temperature_refusal(indium, math.nan) == ""          # no temperature in the segment


@pytest.mark.parametrize("electrolyte, density", [
    ("li6ps5cl", 1.865),      # worked by hand: 4 x 268.36 g/mol / (N_A x 955.7 A^3)
    ("li10gep2s12", 2.036),
    ("llzo", 5.115),          # the 5.1 g/cm3 garnet papers quote
])
def test_true_densities_are_the_crystals(electrolyte, density):
    stack = cell_stack(electrolyte, 100.0, "")
    assert stack.true_density_g_cm3 == pytest.approx(density, abs=0.002)


def test_the_elastic_modulus_is_the_materials_published_one_or_none():
    assert elastic_modulus_mpa(" Li6PS5Cl ") == 22100.0       # Deng et al. 2016
    assert elastic_modulus_mpa("llzo") == 150000.0
    assert elastic_modulus_mpa("li10gep2s12") == math.inf      # none kept: in-die density
    assert elastic_modulus_mpa("") == math.inf
