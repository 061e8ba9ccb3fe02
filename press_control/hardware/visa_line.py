"""An instrument reached through PyVISA: LAN, USB, GPIB or serial by its resource string.

`TCPIP0::192.168.1.20::5025::SOCKET` (an E4980A's raw SCPI port), `TCPIP0::host::INSTR`
(VXI-11), `USB0::0x2A8D::0x0101::MY54321098::INSTR`, `ASRL/dev/ttyUSB0::INSTR`,
`GPIB0::17::INSTR`. The pure-Python backend pyvisa-py (`@py`) is used unless the line is
given another VISA library (e.g. Keysight's or NI's, `@ivi`). The stream it opens has the
interface ImpedanceAnalyzer uses with a serial line: write, readline, timeout, close.
"""
import re

import pyvisa
from pyvisa import constants

from press_control.hardware.transports import LineError


def is_visa_resource(address: str) -> bool:
    """Whether address is a VISA resource string rather than a device path or URL."""
    interface = re.match(r"[A-Za-z]*", address).group(0).upper()
    return "::" in address and interface in ("TCPIP", "USB", "GPIB", "ASRL", "VXI", "PXI")


class VisaLine:
    """A VISA resource; open() gives a stream (LineError-compatible failures: OSError)."""

    def __init__(self, resource: str, visa_library: str = "@py"):
        self.resource = resource
        self.visa_library = visa_library

    @property
    def name(self) -> str:
        return self.resource

    def open(self, timeout_s: float) -> "VisaStream":
        try:
            manager = pyvisa.ResourceManager(self.visa_library)
        except (OSError, ValueError, pyvisa.errors.Error) as error:
            raise LineError(f"cannot load the VISA library {self.visa_library}: "
                            f"{error}") from None
        try:
            instrument = manager.open_resource(self.resource, read_termination="\n",
                                               write_termination="",
                                               timeout=_milliseconds(timeout_s))
        except (OSError, ValueError, pyvisa.errors.Error) as error:
            manager.close()
            raise LineError(f"cannot open {self.resource}: {error}") from None
        return VisaStream(manager, instrument, timeout_s)


class VisaStream:
    """write(bytes) / readline() -> bytes (b"" on a timeout) / timeout (s) / close()."""

    def __init__(self, manager, instrument, timeout_s: float):
        self._manager = manager
        self._instrument = instrument
        self._timeout_s = timeout_s

    @property
    def timeout(self) -> float:
        return self._timeout_s

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._timeout_s = seconds
        self._instrument.timeout = _milliseconds(seconds)

    def write(self, data: bytes) -> int:
        try:
            self._instrument.write_raw(bytes(data))
        except pyvisa.errors.VisaIOError as error:
            raise OSError(f"{self._instrument.resource_name}: {error}") from None
        return len(data)

    def readline(self) -> bytes:
        """One reply with its line end; b"" when none came within the timeout."""
        try:
            line = self._instrument.read_raw()
        except pyvisa.errors.VisaIOError as error:
            if error.error_code == constants.StatusCode.error_timeout:
                return b""
            raise OSError(f"{self._instrument.resource_name}: {error}") from None
        return line if line.endswith(b"\n") else line + b"\n"

    def close(self) -> None:
        try:
            self._instrument.close()
        finally:
            self._manager.close()


def _milliseconds(seconds: float) -> int:
    return max(1, int(round(seconds * 1000)))
