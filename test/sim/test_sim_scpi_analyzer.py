"""The simulated E4980A's command set, driven as clients drive a real one.

The oracles: PyMeasure's AgilentE4980 driver (a third-party client written for the real
instrument) over the simulator's LAN port, and measurement functions worked by hand from
the impedance the cell twin gives without noise.
"""
import cmath
import math

import pytest

from press_control.sim.lcr_accuracy import AccuracyModel
from press_control.sim.scpi_analyzer import FUNCTIONS, Analyzer
from press_control.sim.simulator import Simulator, SimulatorConfig

FREQUENCIES = [1e5, 1e4, 1e3, 100.0]


class QuietCell:
    """A fixed R + (R || C) impedance in place of the noisy twin: values worked by hand."""

    def impedance(self, frequency_hz, noise=True):
        omega = 2 * math.pi * frequency_hz
        return 50.0 + 200.0 / (1 + 1j * omega * 200.0 * 1e-7)


@pytest.fixture
def analyzer():
    """Without fixture inductance or reading error: values to compare exactly."""
    return Analyzer(QuietCell(), lead_inductance_h=0.0, accuracy=AccuracyModel(
        basic=0.0, short_residual_ohm=0.0, open_admittance_s=0.0))


def _ask(analyzer, line):
    return analyzer.handle(line)


def test_headers_take_short_long_any_case_and_an_optional_colon(analyzer):
    for line in ("FREQ 2000", ":freq:cw 2 kHz", ":FREQuency:CW 2000", "frequency 2E3"):
        analyzer.handle(":FREQ 1000")
        analyzer.handle(line)
        assert float(_ask(analyzer, "FREQ?")) == 2000.0, line
    assert _ask(analyzer, "SYST:ERR?") == '+0,"No error"'
    assert _ask(analyzer, ":FREQ 1000;:FREQ?;*OPC?") == "+1.00000E+03;1"


def test_an_unknown_header_queues_113_and_answers_nothing(analyzer):
    assert _ask(analyzer, ":FREQ:BOGUS?") is None
    assert _ask(analyzer, "NOSUCH 1") is None
    assert _ask(analyzer, "SYST:ERR:NEXT?") == '-113,"Undefined header"'
    assert _ask(analyzer, "SYST:ERR?") == '-113,"Undefined header"'
    assert _ask(analyzer, "SYST:ERR?") == '+0,"No error"'


def test_bad_values_are_refused_and_change_nothing(analyzer):
    analyzer.handle(":FUNC:IMP RX;:LIST:MODE STEP;:TRIG:SOUR BUS")
    for line in (":FUNC:IMP XYZ", ":LIST:MODE SOMETIMES", ":TRIG:SOUR NEVER", ":FORM REAL",
                 ":INIT:CONT MAYBE"):
        analyzer.handle(line)
        assert _ask(analyzer, "SYST:ERR?") == '-224,"Illegal parameter value"', line
    analyzer.handle(":FREQ 5 MHz")
    assert _ask(analyzer, "SYST:ERR?") == '-222,"Data out of range"'
    assert _ask(analyzer, ":FUNC:IMP?;:LIST:MODE?;:TRIG:SOUR?;:FORM?;:FREQ?") == \
        "RX;STEP;BUS;ASC;+1.00000E+03"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_measurement_function_from_the_impedance(analyzer, function):
    frequency = 1000.0
    z = QuietCell().impedance(frequency)
    omega, y = 2 * math.pi * frequency, 1 / z
    expected = {
        "CPD": (y.imag / omega, y.real / y.imag), "CPQ": (y.imag / omega, y.imag / y.real),
        "CPG": (y.imag / omega, y.real), "CPRP": (y.imag / omega, 1 / y.real),
        "CSD": (-1 / (omega * z.imag), z.real / -z.imag),
        "CSQ": (-1 / (omega * z.imag), -z.imag / z.real),
        "CSRS": (-1 / (omega * z.imag), z.real),
        "LPD": (-1 / (omega * y.imag), y.real / -y.imag),
        "LPQ": (-1 / (omega * y.imag), -y.imag / y.real),
        "LPG": (-1 / (omega * y.imag), y.real), "LPRP": (-1 / (omega * y.imag), 1 / y.real),
        "LPRD": (-1 / (omega * y.imag), z.real),
        "LSD": (z.imag / omega, z.real / z.imag), "LSQ": (z.imag / omega, z.imag / z.real),
        "LSRS": (z.imag / omega, z.real), "LSRD": (z.imag / omega, z.real),
        "RX": (z.real, z.imag), "ZTD": (abs(z), math.degrees(cmath.phase(z))),
        "ZTR": (abs(z), cmath.phase(z)), "GB": (y.real, y.imag),
        "YTD": (abs(y), math.degrees(cmath.phase(y))), "YTR": (abs(y), cmath.phase(y)),
        "VDID": (0.0, 0.0)}[function]
    analyzer.handle(f":FUNC:IMP {function};:FREQ 1000;:TRIG:SOUR BUS;:TRIG")
    a, b, status = _ask(analyzer, ":FETC?").split(",")
    assert (float(a), float(b)) == pytest.approx(expected, rel=1e-5, abs=1e-12)
    assert int(status) == 0


def test_the_list_sweep_session_a_client_sends(analyzer):
    # the sequence of PyMeasure's freq_sweep (after the programming guide's list example)
    for line in ("FORM ASC", "TRIG:SOUR BUS", "DISP:PAGE LIST", "FORM ASC", "LIST:MODE SEQ",
                 "LIST:FREQ " + ",".join(f"{f:e}" for f in FREQUENCIES), "INIT:CONT ON",
                 ":TRIG:IMM"):
        assert analyzer.handle(line) is None, line
    values = [float(v) for v in _ask(analyzer, ":FETCh:IMPedance:FORMatted?").split(",")]
    assert len(values) == 4 * len(FREQUENCIES)
    assert [float(v) for v in _ask(analyzer, "LIST:FREQ?").split(",")] == FREQUENCIES
    assert _ask(analyzer, "INIT:CONT?") == "1"
    assert _ask(analyzer, "SYST:ERR?") == '+0,"No error"'


def test_step_mode_measures_one_list_point_per_trigger(analyzer):
    analyzer.handle(":FUNC:IMP RX;:DISP:PAGE LIST;:LIST:MODE STEP;:LIST:FREQ " +
                    ",".join(str(f) for f in FREQUENCIES))
    for count in range(1, len(FREQUENCIES) + 1):
        analyzer.handle("*TRG")
        values = _ask(analyzer, ":FETC?").split(",")
        assert len(values) == 4 * count
    real = float(values[4 * (len(FREQUENCIES) - 1)])
    assert real == pytest.approx(QuietCell().impedance(FREQUENCIES[-1]).real, rel=1e-5)


def test_pymeasure_drives_the_simulated_analyzer_over_lan(tmp_path):
    from pymeasure.instruments.agilent.agilentE4980 import AgilentE4980
    with Simulator(SimulatorConfig(directory=str(tmp_path), seed=4)) as sim:
        with open(sim.config.analyzer_visa_path) as stream:
            resource = stream.read().strip()
        meter = AgilentE4980(resource, visa_library="@py", read_termination="\n",
                             write_termination="\n")
        try:
            meter.mode = "RX"
            assert meter.mode == "RX"
            meter.ac_voltage = 0.05
            assert meter.ac_voltage == pytest.approx(0.05)
            a, b, read = meter.freq_sweep(FREQUENCIES, return_freq=True)
            assert read == pytest.approx(FREQUENCIES)
            for f, real, imag in zip(FREQUENCIES, a, b):
                truth = sim.cell.impedance(f, noise=False) + \
                    2j * math.pi * f * sim.analyzer.lead_inductance_h
                assert complex(real, imag) == pytest.approx(truth, rel=0.02)
            meter.frequency = 1000.0
            meter.trigger_source = "BUS"
            meter.write(":DISP:PAGE MEAS;:TRIG")
            assert meter.impedance[0] == pytest.approx(
                sim.cell.impedance(1000.0, noise=False).real, rel=0.01)
        finally:
            meter.adapter.close()
