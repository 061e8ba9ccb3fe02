"""Devices over lines passed in: a scripted line for unit tests, and a real TCP socket."""
import socket
import threading

import pytest

from press_control.hardware.impedance_analyzer import (AnalyzerConnectionError,
                                                       AnalyzerReplyError, ImpedanceAnalyzer)
from press_control.hardware.press import Press, PressIdentityError
from press_control.hardware.transports import LineError, SerialLine
from press_control.protocol.register_map import RegisterMap
from press_control.resources import default_register_map_path

IDN = "Keysight Technologies,E4980A,MY12345678,A.02.20"


class ScriptedStream:
    """A pyserial-like stream that answers SCPI queries from a script and records writes."""

    def __init__(self, replies):
        self.replies = replies
        self.written = []
        self.pending = b""
        self.timeout = None
        self.closed = False

    def write(self, data: bytes) -> int:
        self.written.append(data)
        command = data.decode("ascii", errors="replace").strip()
        if command in self.replies:
            self.pending += (self.replies[command] + "\n").encode("ascii")
        return len(data)

    def readline(self) -> bytes:
        line, _, self.pending = self.pending.partition(b"\n")
        return line + b"\n" if line else b""

    def read(self, count: int) -> bytes:
        data, self.pending = self.pending[:count], self.pending[count:]
        return data

    def reset_input_buffer(self) -> None:
        self.pending = b""

    def close(self) -> None:
        self.closed = True


class ScriptedLine:
    """A line whose open() hands out a ScriptedStream."""

    def __init__(self, replies=None, name="scripted", baud=115200, parity="N"):
        self.stream = ScriptedStream(replies or {})
        self.name, self.baud, self.parity = name, baud, parity

    def open(self, timeout_s):
        self.stream.timeout = timeout_s
        return self.stream


def test_the_analyzer_identifies_and_configures_over_a_scripted_line():
    line = ScriptedLine({"*IDN?": IDN})
    analyzer = ImpedanceAnalyzer(line, timeout_s=0.1)
    assert analyzer.connect(level_v=0.02) == IDN
    sent = [data.decode().strip() for data in line.stream.written]
    # E4980A programming guide: clear status, identify, R-X function, 20 mV level, bus trigger
    assert sent[:3] == ["*CLS", "*IDN?", ":FUNC:IMP:TYPE RX"]
    assert ":VOLT:LEV 0.02" in sent and ":TRIG:SOUR BUS" in sent


def test_an_instrument_that_is_not_an_lcr_meter_is_refused_and_closed():
    line = ScriptedLine({"*IDN?": "RIGOL TECHNOLOGIES,DM3068,DM3A1,01.01"})
    with pytest.raises(AnalyzerReplyError, match="not an E4980A"):
        ImpedanceAnalyzer(line, timeout_s=0.1).connect()
    assert line.stream.closed


def test_a_silent_line_is_a_connection_error_naming_the_line():
    with pytest.raises(AnalyzerConnectionError, match="no reply to '\\*IDN\\?' from bench-lcr"):
        ImpedanceAnalyzer(ScriptedLine(name="bench-lcr"), timeout_s=0.1).connect()


def test_a_press_that_never_answers_is_named_with_its_line_and_settings():
    press = Press(ScriptedLine(name="/dev/ttyUSB7", baud=19200), 3,
                  RegisterMap.load(default_register_map_path()), timeout_s=0.05)
    with pytest.raises(PressIdentityError, match="slave id 3 on /dev/ttyUSB7 at 19200 baud"):
        press.connect()
    assert not press.connected


def test_a_missing_device_is_a_line_error():
    with pytest.raises(LineError, match="/nonexistent/ttyUSB9"):
        SerialLine("/nonexistent/ttyUSB9").open(0.1)


def test_the_analyzer_talks_scpi_over_a_raw_tcp_socket():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    received = []

    def instrument():
        connection, _ = server.accept()
        with connection, connection.makefile("rwb") as stream:
            for raw in stream:
                received.append(raw.decode().strip())
                if received[-1] == "*IDN?":
                    stream.write((IDN + "\n").encode())
                    stream.flush()
    threading.Thread(target=instrument, daemon=True).start()
    analyzer = ImpedanceAnalyzer(SerialLine(f"socket://127.0.0.1:{server.getsockname()[1]}"),
                                 timeout_s=2.0)
    try:
        assert analyzer.connect() == IDN
    finally:
        analyzer.close()
        server.close()
    assert received[:2] == ["*CLS", "*IDN?"]
