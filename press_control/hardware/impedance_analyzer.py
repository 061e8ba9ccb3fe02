"""An E4980A-class LCR meter over a line (SCPI), without ROS.

Replies that do not parse are counted and raised as AnalyzerReplyError; a silent or
vanished instrument raises AnalyzerConnectionError. Nothing is retried here, but a reply
that came late (after its query timed out) is never taken for the next query's: after a
time-out or a reply of the wrong shape the next query first brings the line back in step.
"""
import cmath
import math
import time

import numpy as np

from press_control.hardware.transports import LINE_ERRORS, LineError, close_quietly


class AnalyzerError(Exception):
    """Base class of analyzer failures."""


class AnalyzerConnectionError(AnalyzerError):
    """The port cannot be opened, went away, or the instrument does not answer."""


class AnalyzerReplyError(AnalyzerError):
    """The instrument answered something that is not a valid reply."""


class ImpedanceAnalyzer:
    """SCPI client: identify, configure, single-frequency measurement and list sweeps."""

    def __init__(self, line, timeout_s: float = 2.0):
        """line: a transports.SerialLine (serial device or socket:// URL) or a test's line."""
        self.line = line
        self.timeout_s = timeout_s
        self.identity = ""
        self.malformed_replies = 0
        self.timeouts = 0
        self.stale_replies = 0          # late replies dropped to get back in step
        self._serial = None
        self._in_step = True

    @property
    def port_name(self) -> str:
        return self.line.name

    @property
    def connected(self) -> bool:
        return self._serial is not None

    def connect(self, level_v: float = 0.01) -> str:
        self.close()
        try:
            self._serial = self.line.open(self.timeout_s)
        except LineError as error:
            self._serial = None
            raise AnalyzerConnectionError(str(error)) from None
        self._in_step = True
        try:
            self.write("*CLS")
            identity = self.query("*IDN?")
            if "E4980" not in identity and "E4990" not in identity:
                raise AnalyzerReplyError(f"{self.port_name} is not an E4980A-class meter: "
                                         f"'{identity}'")
            self.write(":FUNC:IMP:TYPE RX")
            self.write(f":VOLT:LEV {level_v:g}")
            self.write(":TRIG:SOUR BUS")
            self.write(":APER SHOR")
        except AnalyzerError:
            self.close()
            raise
        self.identity = identity
        return identity

    def close(self) -> None:
        close_quietly(self._serial)
        self._serial = None

    def write(self, command: str) -> None:
        if self._serial is None:
            raise AnalyzerConnectionError(f"{self.port_name} is not open")
        try:
            self._serial.write((command + "\n").encode("ascii"))
        except LINE_ERRORS as error:
            self.close()
            raise AnalyzerConnectionError(f"{self.port_name}: {error}") from None

    def query(self, command: str, timeout_s: float = None) -> str:
        if not self._in_step:
            self._get_in_step()
        self.write(command)
        line = self._read_line(timeout_s)
        if not line.endswith(b"\n"):
            self.timeouts += 1
            self._in_step = False        # its reply may still come
            raise AnalyzerConnectionError(f"no reply to '{command}' from {self.port_name}")
        try:
            return line.decode("ascii").strip()
        except UnicodeDecodeError:
            self.malformed_replies += 1
            raise AnalyzerReplyError(f"non-ASCII reply to '{command}'") from None

    def _read_line(self, timeout_s: float = None) -> bytes:
        try:
            if timeout_s is not None:
                self._serial.timeout = timeout_s
            line = self._serial.readline()
            if timeout_s is not None:
                self._serial.timeout = self.timeout_s
            return line
        except LINE_ERRORS as error:
            self.close()
            raise AnalyzerConnectionError(f"{self.port_name}: {error}") from None

    def _get_in_step(self) -> None:
        """Ask *IDN? and drop every reply before its answer (they answered earlier queries)."""
        self.write("*IDN?")
        deadline = time.monotonic() + 2 * self.timeout_s
        while time.monotonic() < deadline:
            line = self._read_line()
            if not line.endswith(b"\n"):
                continue
            if b"E4980" in line or b"E4990" in line:
                self._in_step = True
                return
            self.stale_replies += 1
        raise AnalyzerConnectionError(f"{self.port_name} does not answer *IDN? in step "
                                      f"(dropped {self.stale_replies} late replies so far)")

    def _values(self, reply: str, per_point: int, points: int) -> list:
        try:
            values = [float(v) for v in reply.split(",")]
        except ValueError:
            self.malformed_replies += 1
            self._in_step = False
            raise AnalyzerReplyError(f"malformed reply '{reply[:60]}'") from None
        if len(values) != per_point * points:
            self.malformed_replies += 1
            self._in_step = False        # perhaps a late reply to an earlier query
            raise AnalyzerReplyError(f"{len(values)} values, expected {per_point * points}")
        statuses = values[2::per_point]
        if any(status != 0 for status in statuses):
            raise AnalyzerReplyError(f"measurement status {statuses} (overload or no data)")
        return values

    def measure(self, frequency_hz: float) -> complex:
        """Impedance (R + jX, ohm) at one frequency."""
        self.write(":DISP:PAGE MEAS")
        self.write(f":FREQ {frequency_hz:g}")
        self.write(":TRIG")
        values = self._values(self.query(":FETC?", timeout_s=self.timeout_s + 1.0), 3, 1)
        return complex(values[0], values[1])

    def sweep(self, frequencies_hz, aperture: str = "SHOR") -> np.ndarray:
        """Measure R + jX at each listed frequency (at most 201) with this aperture.

        A longer aperture averages longer: at a 10 mV test level MED halves the error of
        SHORT. Spot measurements go back to SHORT afterwards.
        """
        if aperture not in APERTURE_S:
            raise ValueError(f"aperture '{aperture}' is not one of {', '.join(APERTURE_S)}")
        frequencies = list(frequencies_hz)
        self.write(f":APER {aperture}")
        self.write(":LIST:FREQ " + ",".join(f"{f:g}" for f in frequencies))
        self.write(":DISP:PAGE LIST")
        self.write(":TRIG")
        expected_s = sum(max(APERTURE_S[aperture], 2.0 / f) for f in frequencies) + \
            self.timeout_s + 2.0
        values = self._values(self.query(":FETC?", timeout_s=expected_s), 4, len(frequencies))
        self.write(":DISP:PAGE MEAS")
        if aperture != "SHOR":
            self.write(":APER SHOR")
        return np.array([complex(values[i], values[i + 1])
                         for i in range(0, len(values), 4)])


APERTURE_S = {"SHOR": 0.03, "MED": 0.09, "LONG": 0.27}   # E4980A time a point, at least


def log_frequencies(start_hz: float, stop_hz: float, points_per_decade: int) -> np.ndarray:
    """Log-spaced sweep frequencies from high to low, as EIS is usually run."""
    decades = math.log10(stop_hz / start_hz)
    count = max(2, int(round(abs(decades) * points_per_decade)) + 1)
    return np.logspace(math.log10(stop_hz), math.log10(start_hz), count)


def magnitude_phase(z: complex) -> tuple:
    return abs(z), math.degrees(cmath.phase(z))
