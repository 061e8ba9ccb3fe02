"""Compaction analysis: synthetic curves it must recover, the paper's stated porosities."""
import math

import numpy as np
import pytest

from press_control.analysis.compaction import (HeckelCurve, KawakitaCurve, Powder,
                                               effective_medium, fit_curve, linear_heckel)
from press_control.analysis.published_compaction import fitted, read_table

PRESSURES = np.array([10, 20, 30, 40, 50, 70, 100, 150, 200, 250, 300, 350, 400.0])


def test_the_papers_stated_porosities_come_out_of_its_table():
    """Miß et al. 2026, main text: about 0.30 at 10 and 0.04 at 400 MPa (electrolyte),
    about 0.34 at 50 and 0.14 at 400 MPa (cathode), under load."""
    table = read_table()
    electrolyte, cathode = table["li5.5ps4.5cl1.5"], table["nmc622"]
    assert electrolyte.porosity_under_load[0] == pytest.approx(0.30, abs=0.005)
    assert electrolyte.porosity_under_load[-1] == pytest.approx(0.04, abs=0.005)
    assert cathode.porosity_under_load[0] == pytest.approx(0.34, abs=0.005)
    assert cathode.porosity_under_load[-1] == pytest.approx(0.14, abs=0.005)


def test_thickness_and_porosity_convert_both_ways():
    powder = Powder(80.2, math.pi * 25.0, 1.87, 67000.0)
    assert powder.solid_thickness_mm == pytest.approx(80.2 / 1.87 / (math.pi * 25.0))
    for pressure in (0.0, 100.0, 400.0):
        thickness = powder.thickness_under_load_mm(0.2, pressure)
        assert powder.porosity_under_load(thickness, pressure) == pytest.approx(0.2)
    assert powder.porosity_after_release(powder.thickness_after_release_mm(0.1)) == \
        pytest.approx(0.1)


@pytest.mark.parametrize("curve", [HeckelCurve(0.004, 1.05, 0.45, 30.0),
                                   KawakitaCurve(0.38, 0.5, 0.003)])
def test_a_law_recovers_its_own_parameters(curve):
    fit = fit_curve(type(curve), PRESSURES, curve.porosity(PRESSURES))
    assert fit.max_abs_residual < 1e-6
    for name, value in vars(curve).items():
        assert getattr(fit.curve, name) == pytest.approx(value, rel=1e-3), name


def test_too_few_points_are_refused():
    with pytest.raises(ValueError, match="cannot fit"):
        fit_curve(HeckelCurve, [10.0, 20.0, 30.0], [0.3, 0.25, 0.2])


def test_the_chosen_laws_reproduce_every_published_point_within_one_point():
    for material in ("li5.5ps4.5cl1.5", "nmc622"):
        fits = fitted(material)
        assert fits.under_load.max_abs_residual < 0.01, material
        assert fits.after_release.max_abs_residual < 0.01, material


def test_the_heckel_line_over_a_range():
    porosities = np.exp(-(0.003 * PRESSURES + 1.2))
    porosities[:3] = 0.4                               # rearrangement below 40 MPa
    line = linear_heckel(PRESSURES, porosities, low_mpa=40.0)
    assert line.k_per_mpa == pytest.approx(0.003) and line.a == pytest.approx(1.2)
    assert line.yield_pressure_mpa == pytest.approx(333.33, rel=1e-4)
    assert (line.low_mpa, line.high_mpa, line.points) == (40.0, 400.0, 10)
    with pytest.raises(ValueError, match="fewer than two"):
        linear_heckel(PRESSURES, porosities, low_mpa=390.0)


def test_the_effective_medium_law_uses_only_the_dense_points():
    porosities = np.array([0.30, 0.25, 0.16, 0.10, 0.05])
    sigma = 4.1e-3 * (1.0 - porosities) ** 1.5
    sigma[:2] *= 0.1                                   # contact-limited: far below the law
    law = effective_medium(porosities, sigma, max_porosity=0.18)
    assert law.sigma0_s_cm == pytest.approx(4.1e-3)
    assert (law.min_porosity, law.max_porosity, law.points) == (0.05, 0.16, 3)
