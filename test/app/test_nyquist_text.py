"""The demo's text Nyquist plot: a known semicircle lands where it must."""
import math

import numpy as np

from press_control.app.nyquist_text import first_and_last, nyquist_lines, read_sweep


def _semicircle(r0=10.0, r1=100.0, points=41):
    """R0 + (R1 || C) worked by hand: centre (R0 + R1/2, 0), radius R1/2, below the axis."""
    angles = np.linspace(0.0, math.pi, points)
    real = r0 + r1 / 2 + r1 / 2 * np.cos(angles)
    imaginary = -r1 / 2 * np.sin(angles)
    return list(real), list(imaginary)


def test_a_semicircle_fills_the_width_and_peaks_at_its_radius():
    lines = nyquist_lines(*_semicircle(), width=41, height=11)
    plot, caption = lines[:-1], lines[-1]
    assert "10 .. 110 ohm" in caption and "up to 50 ohm" in caption
    assert plot[-1].startswith("o") and plot[-1].rstrip().endswith("o")   # both ends on Z'
    top = [column for column, char in enumerate(plot[0]) if char == "o"]
    assert abs(np.mean(top) - 20) <= 1                      # the peak: above the centre
    assert len(plot) == 11 and plot[-1].count("-") > 30     # 50 ohm high at 5 ohm a row


def test_a_record_s_first_and_last_sweep_are_read_back(tmp_path):
    spectra = tmp_path / "spectra"
    spectra.mkdir()
    for index in (1, 2, 3):
        (spectra / f"sweep_{index:03d}.csv").write_text(f"1000,{index}.5,-{index}.25\n")
    first, last = first_and_last(str(tmp_path))
    assert first.endswith("sweep_001.csv") and last.endswith("sweep_003.csv")
    assert read_sweep(last) == ([3.5], [-3.25])
    assert first_and_last(str(tmp_path / "none")) == []
