"""Die geometry: pressure on the sample and press force."""
import pytest

from press_control.control.dies import Die, parse_die_table


def test_392_mpa_on_10_mm_die_needs_30_8_kn():
    assert Die("d10", 10.0, 500.0).force_kn(392.0) == pytest.approx(30.79, abs=0.01)


def test_392_mpa_on_13_mm_die_needs_52_kn():
    assert Die("d13", 13.0, 500.0).force_kn(392.0) == pytest.approx(52.0, abs=0.1)


def test_force_and_pressure_are_inverse():
    die = Die("d10", 10.0, 500.0)
    assert die.pressure_mpa(die.force_kn(123.4)) == pytest.approx(123.4)


def test_die_table_parses_and_refuses_bad_entries():
    table = parse_die_table(["d10:10:500", "d13:13.0:450"])
    assert table["d13"].rated_mpa == 450.0
    for bad in (["d10:10"], ["d10:-1:500"], ["d10:10:500", "d10:10:500"], ["x:y:z"]):
        with pytest.raises(ValueError):
            parse_die_table(bad)
