"""The analyzer over LAN: the simulator's raw SCPI port, reached through PyVISA (pyvisa-py)."""
import socket

import pytest

from press_control.hardware.impedance_analyzer import (AnalyzerConnectionError,
                                                       ImpedanceAnalyzer, log_frequencies)
from press_control.hardware.transports import SerialLine, line_for
from press_control.hardware.visa_line import VisaLine, is_visa_resource


def visa_resource(analyzer_sim) -> str:
    with open(analyzer_sim.config.analyzer_visa_path) as stream:
        return stream.read().strip()


def test_the_lan_port_answers_a_plain_socket(analyzer_sim):
    host, port = visa_resource(analyzer_sim).split("::")[1:3]
    with socket.create_connection((host, int(port)), timeout=5) as client:
        client.sendall(b"*IDN?\n:FREQ 1 kHz;:FREQ?\n")
        replies = b""
        while replies.count(b"\n") < 2:
            replies += client.recv(4096)
    identity, frequency = replies.decode().splitlines()
    assert identity.startswith("Keysight Technologies,E4980A")
    assert float(frequency) == 1000.0


def test_identify_measure_and_sweep_through_pyvisa(analyzer_sim):
    line = line_for(visa_resource(analyzer_sim))
    assert isinstance(line, VisaLine)
    analyzer = ImpedanceAnalyzer(line)
    assert "E4980A" in analyzer.connect()
    z = analyzer.measure(1000.0)
    assert abs(z) == pytest.approx(abs(analyzer_sim.cell.impedance(1000.0, noise=False)), rel=0.02)
    frequencies = log_frequencies(20.0, 2.0e6, 4)
    sweep = analyzer.sweep(frequencies)
    assert len(sweep) == len(frequencies)
    truth = [abs(analyzer_sim.cell.impedance(f, noise=False)) for f in frequencies]
    assert all(abs(abs(z) - t) < 0.05 * t for z, t in zip(sweep, truth))
    analyzer.close()


def test_the_serial_and_the_lan_port_drive_one_instrument(analyzer_sim):
    lan = ImpedanceAnalyzer(line_for(visa_resource(analyzer_sim)))
    serial_port = ImpedanceAnalyzer(SerialLine(analyzer_sim.config.analyzer_path))
    lan.connect()
    serial_port.connect()
    assert float(lan.query(":FREQ 2500;:FREQ?")) == 2500.0
    assert float(serial_port.query(":FREQ?")) == 2500.0
    lan.close()
    serial_port.close()


def test_a_silent_lan_port_is_a_timeout_not_a_hang(analyzer_sim):
    analyzer = ImpedanceAnalyzer(line_for(visa_resource(analyzer_sim)), timeout_s=0.3)
    analyzer.connect()
    with pytest.raises(AnalyzerConnectionError, match="no reply"):
        analyzer.query(":FREQ 1000")            # a command without a reply
    analyzer.close()


def test_a_closed_port_is_named():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]           # nothing listens here once closed
    resource = f"TCPIP0::127.0.0.1::{port}::SOCKET"
    with pytest.raises(AnalyzerConnectionError, match=resource):
        ImpedanceAnalyzer(line_for(resource)).connect()


@pytest.mark.parametrize("address, visa", [
    ("TCPIP0::192.168.1.20::5025::SOCKET", True), ("TCPIP::10.0.0.5::INSTR", True),
    ("USB0::0x2A8D::0x0101::MY54321098::INSTR", True), ("ASRL/dev/ttyUSB0::INSTR", True),
    ("GPIB0::17::INSTR", True), ("/dev/ttyUSB0", False), ("socket://10.0.0.5:5025", False),
    ("tcp://10.0.0.5:502", False)])
def test_visa_resources_are_told_from_serial_addresses(address, visa):
    assert is_visa_resource(address) is visa
