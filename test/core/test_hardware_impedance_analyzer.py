"""ImpedanceAnalyzer (SCPI client) against the simulated E4980A on a pseudo-terminal."""
import pytest

from press_control.analysis.eis_fit import fit_spectrum
from press_control.hardware.transports import SerialLine
from press_control.hardware.impedance_analyzer import (AnalyzerConnectionError, AnalyzerReplyError,
                                                       ImpedanceAnalyzer, log_frequencies)


def test_identify_measure_and_sweep(analyzer_sim):
    analyzer = ImpedanceAnalyzer(SerialLine(analyzer_sim.config.analyzer_path))
    assert "E4980A" in analyzer.connect()
    z = analyzer.measure(1000.0)
    assert abs(z) == pytest.approx(abs(analyzer_sim.cell.impedance(1000.0, noise=False)), rel=0.02)
    frequencies = log_frequencies(20.0, 2.0e6, 8)
    sweep = analyzer.sweep(frequencies)
    fit = fit_spectrum(frequencies, sweep, analyzer_sim.cell.die_area_mm2 / 100.0)
    assert fit.interface_ohm == pytest.approx(analyzer_sim.cell.interface_resistance_ohm(),
                                              rel=0.10)
    analyzer.close()


def test_a_press_is_not_an_analyzer(analyzer_sim):
    with pytest.raises(AnalyzerConnectionError):
        ImpedanceAnalyzer(SerialLine(analyzer_sim.config.press_path), timeout_s=0.3).connect()


def test_a_late_reply_is_never_taken_for_the_next_querys(analyzer_sim):
    analyzer = ImpedanceAnalyzer(SerialLine(analyzer_sim.config.analyzer_path), timeout_s=0.3)
    analyzer.connect()
    analyzer_sim.analyzer_faults.delay_s = 1.6       # the reply comes after the 1.3 s wait
    with pytest.raises(AnalyzerConnectionError, match="no reply"):
        analyzer.measure(1000.0)
    analyzer_sim.analyzer_faults.delay_s = 0.0
    truth = analyzer_sim.cell.impedance(1000.0, noise=False)
    assert abs(analyzer.measure(1000.0)) == pytest.approx(abs(truth), rel=0.02)
    frequencies = log_frequencies(20.0, 2.0e6, 8)
    assert len(analyzer.sweep(frequencies)) == len(frequencies)     # not the late spot reply
    assert analyzer.stale_replies == 1
    analyzer.close()


def test_unplugged_analyzer_and_corrupted_replies(analyzer_sim):
    analyzer = ImpedanceAnalyzer(SerialLine(analyzer_sim.config.analyzer_path), timeout_s=0.5)
    analyzer.connect()
    analyzer_sim.analyzer_faults.crc_error_rate = 1.0          # every reply gets a byte flipped
    with pytest.raises((AnalyzerReplyError, AnalyzerConnectionError)):
        for _ in range(5):
            analyzer.measure(1000.0)
    analyzer_sim.analyzer_faults.crc_error_rate = 0.0
    analyzer_sim.inject("unplug_analyzer")
    with pytest.raises(AnalyzerConnectionError):
        analyzer.measure(1000.0)
    with pytest.raises(AnalyzerConnectionError, match="cannot open"):
        ImpedanceAnalyzer(SerialLine(analyzer_sim.config.analyzer_path)).connect()
