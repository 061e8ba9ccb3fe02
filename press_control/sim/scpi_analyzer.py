"""A Keysight E4980A-class LCR meter subset, speaking SCPI over a serial line (and LAN).

Commands: *IDN? *RST *CLS *OPC? :FREQ[:CW] :VOLT[:LEV] :FUNC:IMP[:TYPE] ZTD|RX
:APER SHOR|MED|LONG :TRIG:SOUR :TRIG[:IMM] :INIT[:IMM] :FETC? :LIST:FREQ :DISP:PAGE
:SYST:ERR?. Replies use the instrument's ASCII format: NR3 values such as +1.23450E+02,
the measurement status as NR1, list sweeps as A,B,status,comparator per point.
"""
import cmath
import math
import re
import threading
import time

from press_control.sim.served_device import ServedDevice

IDENTITY = "Keysight Technologies,E4980A,MY54321098,A.02.20"
MIN_FREQUENCY_HZ, MAX_FREQUENCY_HZ = 20.0, 2.0e6
APERTURE_S = {"SHOR": 0.03, "MED": 0.09, "LONG": 0.27}
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*(HZ|KHZ|MHZ|V|MV)?$", re.I)
_MULTIPLIER = {"HZ": 1.0, "KHZ": 1e3, "MHZ": 1e6, "V": 1.0, "MV": 1e-3, None: 1.0}


def nr3(value: float) -> str:
    return f"{value:+.5E}"


def parse_number(text: str) -> float:
    match = _NUMBER.match(text.strip())
    if not match:
        raise ValueError(text)
    unit = match.group(3).upper() if match.group(3) else None
    return float(text.strip()[:match.start(3)] if unit else text) * _MULTIPLIER[unit]


def _header_matches(header: str, pattern: str) -> bool:
    """SCPI short/long form matching: pattern like ':FREQuency[:CW]'."""
    regex = ""
    for part in re.findall(r"\[?:?[A-Za-z*?]+\]?", pattern):
        optional = part.startswith("[")
        word = part.strip("[]")
        colon = ":" if word.startswith(":") else ""
        word = word.lstrip(":")
        short = "".join(c for c in word if c.isupper() or c in "*?")
        rest = word[len(short):].upper()
        alternatives = "|".join(re.escape(short + rest[:i]) for i in range(len(rest) + 1))
        piece = f"{re.escape(colon)}(?:{alternatives})"
        regex += f"(?:{piece})?" if optional else piece
    return re.fullmatch(regex, header.upper()) is not None


class Analyzer:
    """Instrument state and command handling; measures a cell model through a test fixture.

    The fixture's leads add their inductance in series (0.2 uH: a few tens of cm of
    coaxial leads to the die's current collectors), as a real cell on a press does.
    """

    def __init__(self, cell, lead_inductance_h: float = 2.0e-7):
        self.cell = cell
        self.lead_inductance_h = lead_inductance_h
        self.errors = []
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self.frequency_hz = 1000.0
        self.voltage_v = 1.0
        self.function = "CPD"
        self.aperture = "MED"
        self.trigger_source = "INT"
        self.list_frequencies = []
        self.page = "MEAS"
        self.last = None

    def measurement_time_s(self) -> float:
        listed = self.page == "LIST" and self.list_frequencies
        frequencies = self.list_frequencies if listed else [self.frequency_hz]
        return sum(max(APERTURE_S[self.aperture], 2.0 / f) for f in frequencies)

    def handle(self, line: str):
        """Reply text to one command line, or None when the line asks for nothing."""
        with self.lock:             # the serial and the LAN port drive one instrument
            replies = [r for r in (self._one(part.strip()) for part in line.split(";"))
                       if r is not None]
        return ";".join(replies) if replies else None

    def _one(self, command: str):
        if not command:
            return None
        header, _, argument = command.partition(" ")
        argument = argument.strip()
        query = header.endswith("?")
        base = header[:-1] if query else header
        try:
            for pattern, action in self._table():
                if _header_matches(base, pattern):
                    return action(argument, query)
        except ValueError:
            self.errors.append((-222, "Data out of range"))
            return None
        self.errors.append((-113, "Undefined header"))
        return None

    def _table(self):
        return [
            ("*IDN", lambda a, q: IDENTITY if q else self._no_query()),
            ("*RST", lambda a, q: self.reset()),
            ("*CLS", lambda a, q: self.errors.clear()),
            ("*OPC", lambda a, q: "1" if q else None),
            (":FREQuency[:CW]", self._frequency),
            (":VOLTage[:LEVel]", self._voltage),
            (":FUNCtion:IMPedance[:TYPE]", self._function),
            (":APERture", self._aperture),
            (":TRIGger:SOURce", self._trigger_source),
            (":TRIGger[:IMMediate]", lambda a, q: self.trigger()),
            (":INITiate[:IMMediate]", lambda a, q: None),
            (":INITiate:CONTinuous", lambda a, q: None),
            (":FETCh[:IMPedance][:FORMatted]", lambda a, q: self.fetch()),
            (":LIST:FREQuency", self._list_frequency),
            (":DISPlay:PAGE", self._page),
            (":SYSTem:ERRor[:NEXT]", lambda a, q: self._next_error()),
        ]

    def _no_query(self):
        self.errors.append((-113, "Undefined header"))

    def _frequency(self, argument, query):
        if query:
            return nr3(self.frequency_hz)
        value = parse_number(argument)
        if not MIN_FREQUENCY_HZ <= value <= MAX_FREQUENCY_HZ:
            raise ValueError(argument)
        self.frequency_hz = value
        return None

    def _voltage(self, argument, query):
        if query:
            return nr3(self.voltage_v)
        value = parse_number(argument)
        if not 0.0 <= value <= 20.0:
            raise ValueError(argument)
        self.voltage_v = value
        return None

    def _function(self, argument, query):
        if query:
            return self.function
        if argument.upper() not in ("ZTD", "ZTR", "RX", "CPD", "CSRS"):
            raise ValueError(argument)
        self.function = argument.upper()
        return None

    def _aperture(self, argument, query):
        if query:
            return f"{self.aperture},+1"
        speed = argument.split(",")[0].strip().upper()[:4]
        if speed not in APERTURE_S:
            raise ValueError(argument)
        self.aperture = speed
        return None

    def _trigger_source(self, argument, query):
        if query:
            return self.trigger_source
        if argument.upper()[:3] not in ("INT", "EXT", "BUS", "HOL"):
            raise ValueError(argument)
        self.trigger_source = argument.upper()[:4]
        return None

    def _list_frequency(self, argument, query):
        if query:
            return ",".join(nr3(f) for f in self.list_frequencies)
        values = [parse_number(v) for v in argument.split(",")]
        if not 1 <= len(values) <= 201 or any(
                not MIN_FREQUENCY_HZ <= v <= MAX_FREQUENCY_HZ for v in values):
            raise ValueError(argument)
        self.list_frequencies = values
        return None

    def _page(self, argument, query):
        if query:
            return self.page
        page = argument.upper()
        self.page = "LIST" if page.startswith("LIST") else "MEAS"
        return None

    def _next_error(self):
        code, text = self.errors.pop(0) if self.errors else (0, "No error")
        return f"{code:+d},\"{text}\""

    def _format(self, frequency_hz: float) -> tuple:
        z = self.cell.impedance(frequency_hz) + \
            2j * math.pi * frequency_hz * self.lead_inductance_h
        if self.function == "RX":
            return z.real, z.imag
        if self.function == "ZTR":
            return abs(z), cmath.phase(z)
        if self.function == "CPD":
            omega = 2 * math.pi * frequency_hz
            y = 1 / z
            return y.imag / omega, y.real / (y.imag or 1e-30)
        if self.function == "CSRS":
            return -1 / (2 * math.pi * frequency_hz * (z.imag or -1e-30)), z.real
        return abs(z), math.degrees(cmath.phase(z))

    def trigger(self) -> None:
        if self.page == "LIST" and self.list_frequencies:
            self.last = [self._format(f) for f in self.list_frequencies]
        else:
            self.last = [self._format(self.frequency_hz)]
        return None

    def fetch(self) -> str:
        if self.last is None:
            self.errors.append((-230, "Data corrupt or stale"))
            return f"{nr3(9.9e37)},{nr3(9.9e37)},-1"
        if self.page == "LIST":
            return ",".join(f"{nr3(a)},{nr3(b)},+0,+0" for a, b in self.last)
        a, b = self.last[0]
        return f"{nr3(a)},{nr3(b)},+0"


def respond(analyzer: Analyzer, line: str):
    """(reply or None, seconds the measurement it triggered takes) for one command line."""
    measuring = re.search(r":?TRIG", line, re.I) is not None
    reply = analyzer.handle(line)
    return reply, analyzer.measurement_time_s() if measuring else 0.0


class ScpiDevice(ServedDevice):
    """Serves an Analyzer on a PtyPort, paced at the configured line rate."""

    def __init__(self, port, analyzer: Analyzer, baud: int = 115200, faults=None):
        super().__init__("scpi-device")
        self.port = port
        self.analyzer = analyzer
        self.char_s = 10.0 / baud
        self.faults = faults
        self.lines_served = 0

    def _serve(self) -> None:
        pending = b""
        while not self._stop.is_set():
            chunk = self.port.read(0.05)
            if not chunk:
                if not self.port.plugged:
                    pending = b""
                continue
            pending += chunk
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                self._answer(raw.decode("ascii", "replace").strip(), time.monotonic(), len(raw))

    def _answer(self, line: str, received_at: float, length: int) -> None:
        reply, busy_s = respond(self.analyzer, line)
        if reply is None:
            if busy_s:
                time.sleep(busy_s)
            return
        out = (reply + "\n").encode("ascii")
        if self.faults is not None:
            out = self.faults.distort(out)
            if out is None:
                return
            time.sleep(self.faults.delay_s)
        due = received_at + busy_s + (length + 1 + len(out)) * self.char_s
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self.port.write(out)
        self.lines_served += 1
