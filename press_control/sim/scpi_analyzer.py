"""A Keysight E4980A-class LCR meter, speaking SCPI over a serial line (and LAN).

Commands (the leading colon optional, short or long forms, any case, several joined by
';'): *IDN? *RST *CLS *OPC? *TRG, FREQ[:CW], VOLT[:LEV], FUNC:IMP[:TYPE] (every function
of the programming guide), APER, FORM[:DATA] ASC, TRIG:SOUR INT|EXT|BUS|HOLD,
TRIG[:IMM], INIT[:IMM], INIT:CONT, FETC[:IMP][:FORM]?, LIST:FREQ, LIST:MODE SEQ|STEP,
DISP:PAGE, SYST:ERR[:NEXT]?. Replies use the instrument's ASCII format: NR3 values such
as +1.23450E+02, the measurement status as NR1, list sweeps as A,B,status,comparator per
point. An unknown header queues -113 and answers nothing.
"""
import cmath
import math
import re
import threading
import time

import numpy as np

from press_control.sim.lcr_accuracy import AccuracyModel
from press_control.sim.served_device import ServedDevice

IDENTITY = "Keysight Technologies,E4980A,MY54321098,A.02.20"
MIN_FREQUENCY_HZ, MAX_FREQUENCY_HZ = 20.0, 2.0e6
APERTURE_S = {"SHOR": 0.03, "MED": 0.09, "LONG": 0.27}
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*(HZ|KHZ|MHZ|V|MV)?$", re.I)
_TRIGGER = re.compile(r"(^|;)\s*(:?TRIG(GER)?(:IMM(EDIATE)?)?|\*TRG)\s*($|;)", re.I)
_MULTIPLIER = {"HZ": 1.0, "KHZ": 1e3, "MHZ": 1e6, "V": 1.0, "MV": 1e-3, None: 1.0}


def nr3(value: float) -> str:
    return f"{value:+.5E}"


def parse_number(text: str) -> float:
    match = _NUMBER.match(text.strip())
    if not match:
        raise ValueError(text)
    unit = match.group(3).upper() if match.group(3) else None
    return float(text.strip()[:match.start(3)] if unit else text) * _MULTIPLIER[unit]


FUNCTIONS = ("CPD", "CPQ", "CPG", "CPRP", "CSD", "CSQ", "CSRS", "LPD", "LPQ", "LPG", "LPRP",
             "LPRD", "LSD", "LSQ", "LSRS", "LSRD", "RX", "ZTD", "ZTR", "GB", "YTD", "YTR",
             "VDID")


def _header_matches(header: str, pattern: str) -> bool:
    """SCPI short/long form matching: pattern like ':FREQuency[:CW]'; root colon optional."""
    header = header.lstrip(":")
    pattern = pattern[1:] if pattern.startswith(":") else pattern
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
    coaxial leads to the die's current collectors), as a real cell on a press does; every
    reading carries the error of `lcr_accuracy.AccuracyModel` for its settings.
    """

    def __init__(self, cell, lead_inductance_h: float = 2.0e-7, accuracy=None, seed: int = 0):
        self.cell = cell
        self.lead_inductance_h = lead_inductance_h
        self.accuracy = accuracy or AccuracyModel()
        self.rng = np.random.default_rng(seed + 5)
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
        self.list_mode = "SEQ"
        self.continuous = True
        self.page = "MEAS"
        self.last = None
        self.step = 0

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
        except KeyError:
            self.errors.append((-224, "Illegal parameter value"))
            return None
        self.errors.append((-113, "Undefined header"))
        return None

    def _table(self):
        return [
            ("*IDN", lambda a, q: IDENTITY if q else self._no_query()),
            ("*RST", lambda a, q: self.reset()),
            ("*CLS", lambda a, q: self.errors.clear()),
            ("*OPC", lambda a, q: "1" if q else None),
            ("*TRG", lambda a, q: self.trigger()),
            (":FREQuency[:CW]", self._frequency),
            (":VOLTage[:LEVel]", self._voltage),
            (":FUNCtion:IMPedance[:TYPE]", self._function),
            (":APERture", self._aperture),
            (":TRIGger:SOURce", self._trigger_source),
            (":TRIGger[:IMMediate]", lambda a, q: self.trigger()),
            (":INITiate[:IMMediate]", lambda a, q: None),
            (":INITiate:CONTinuous", self._continuous),
            (":FORMat[:DATA]", self._data_format),
            (":LIST:MODE", self._list_mode),
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
        if argument.upper() not in FUNCTIONS:
            raise KeyError(argument)
        self.function = argument.upper()
        return None

    def _continuous(self, argument, query):
        if query:
            return "1" if self.continuous else "0"
        value = {"ON": True, "1": True, "OFF": False, "0": False}[argument.upper()]
        self.continuous = value
        return None

    def _data_format(self, argument, query):
        if query:
            return "ASC"
        if not "ASCII".startswith(argument.upper()[:3]) or len(argument) < 3:
            raise KeyError(argument)        # REAL (binary) is not offered
        return None

    def _list_mode(self, argument, query):
        if query:
            return self.list_mode
        mode = {"SEQ": "SEQ", "SEQUENCE": "SEQ", "STEP": "STEP"}[argument.upper()]
        self.list_mode = mode
        self.step = 0
        return None

    def _aperture(self, argument, query):
        if query:
            return f"{self.aperture},+1"
        speed = argument.split(",")[0].strip().upper()[:4]
        if speed not in APERTURE_S:
            raise KeyError(argument)
        self.aperture = speed
        return None

    def _trigger_source(self, argument, query):
        if query:
            return self.trigger_source
        if argument.upper()[:3] not in ("INT", "EXT", "BUS", "HOL"):
            raise KeyError(argument)
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
        self.step = 0
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
        """The two values of the measurement function at one frequency."""
        z = self.cell.impedance(frequency_hz, noise=False) + \
            2j * math.pi * frequency_hz * self.lead_inductance_h
        z = self.accuracy.measure(z, frequency_hz, self.voltage_v, self.aperture, self.rng)
        return measurement_function(self.function, z, frequency_hz)

    def trigger(self) -> None:
        listed = self.page == "LIST" and self.list_frequencies
        if not listed:
            self.last = [self._format(self.frequency_hz)]
        elif self.list_mode == "STEP":          # one point a trigger
            if self.step == 0 or self.last is None:
                self.last = []
            self.last.append(self._format(self.list_frequencies[self.step]))
            self.step = (self.step + 1) % len(self.list_frequencies)
        else:
            self.last = [self._format(f) for f in self.list_frequencies]
        return None

    def measurement_time_s(self) -> float:
        listed = self.page == "LIST" and self.list_frequencies
        if listed and self.list_mode == "STEP":
            frequencies = [self.list_frequencies[self.step - 1]]
        else:
            frequencies = self.list_frequencies if listed else [self.frequency_hz]
        return sum(max(APERTURE_S[self.aperture], 2.0 / f) for f in frequencies)

    def fetch(self) -> str:
        if self.last is None:
            self.errors.append((-230, "Data corrupt or stale"))
            return f"{nr3(9.9e37)},{nr3(9.9e37)},-1"
        if self.page == "LIST":
            return ",".join(f"{nr3(a)},{nr3(b)},+0,+0" for a, b in self.last)
        a, b = self.last[0]
        return f"{nr3(a)},{nr3(b)},+0"


def measurement_function(function: str, z: complex, frequency_hz: float) -> tuple:
    """(A, B) of an E4980A measurement function for impedance z (SI units, degrees in *D).

    Parallel forms use the admittance Y = G + jB, series forms Z = R + jX; D = 1/Q is the
    loss over the stored part as the function sees it (G/B for Cp, -G/B for Lp, -R/X for
    Cs, R/X for Ls: negative when the part is of the other kind).
    """
    omega = 2 * math.pi * frequency_hz
    y = 1 / z
    conductance, susceptance = y.real, y.imag
    resistance, reactance = z.real, z.imag
    kind, quantity = function[:2], function[2:]
    if function == "RX":
        return resistance, reactance
    if function in ("ZTD", "ZTR"):
        phase = cmath.phase(z)
        return abs(z), math.degrees(phase) if function == "ZTD" else phase
    if function in ("YTD", "YTR"):
        phase = cmath.phase(y)
        return abs(y), math.degrees(phase) if function == "YTD" else phase
    if function == "GB":
        return conductance, susceptance
    if function == "VDID":                  # DC bias monitor: no DC bias applied
        return 0.0, 0.0
    if kind == "CP":
        first = susceptance / omega
    elif kind == "LP":
        first = -1 / (omega * (susceptance or -1e-30))
    elif kind == "CS":
        first = -1 / (omega * (reactance or -1e-30))
    else:                                   # LS
        first = reactance / omega
    stored = {"CP": susceptance, "LP": -susceptance, "CS": -reactance, "LS": reactance}[kind]
    loss = (conductance if kind[1] == "P" else resistance) / (stored or 1e-30)
    second = {"D": loss, "Q": 1 / (loss or 1e-30), "G": conductance,
              "RP": 1 / (conductance or 1e-30), "RS": resistance,
              "RD": resistance}       # Rdc approximated by the series resistance at f
    return first, second[quantity]


def respond(analyzer: Analyzer, line: str):
    """(reply or None, seconds the measurement it triggered takes) for one command line."""
    measuring = _TRIGGER.search(line) is not None
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
