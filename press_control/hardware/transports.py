"""Byte-stream lines to instruments, passed into the device classes (Press, ImpedanceAnalyzer).

A line knows how to open itself and returns a pyserial-like stream (write, read, readline,
timeout, reset_input_buffer, close). `SerialLine` covers a serial device and every pyserial
URL, e.g. a terminal server or a raw TCP port (`socket://192.168.1.20:5025`), and
`tcp://host:port`: a Modbus TCP controller (the stream is the same TCP connection; the
press speaks Modbus TCP framing on it instead of RTU). A unit test passes a scripted line
instead of a pseudo-terminal and a simulator.
"""
import termios

import serial

from press_control.hardware.device_port import DevicePort

# What a broken or vanished line raises while open.
LINE_ERRORS = (serial.SerialException, OSError, termios.error)


class LineError(OSError):
    """The line cannot be opened; the message names it and says why."""


class SerialLine:
    """A serial device (/dev/ttyUSB0) or a pyserial URL (socket://host:port, rfc2217://...)."""

    def __init__(self, url: str, baud: int = 115200, parity: str = "N",
                 exclusive: bool = True):
        self.url = url
        self.baud = baud
        self.parity = parity
        self.exclusive = exclusive

    @property
    def name(self) -> str:
        return self.url

    @property
    def modbus_tcp(self) -> bool:
        """Whether the device at the other end speaks Modbus TCP (a tcp:// URL)."""
        return self.url.startswith("tcp://")

    def open(self, timeout_s: float):
        try:
            if "://" in self.url:
                url = "socket://" + self.url[len("tcp://"):] if self.modbus_tcp else self.url
                return serial.serial_for_url(url, baudrate=self.baud, parity=self.parity,
                                             timeout=timeout_s)
            return DevicePort(serial.Serial(self.url, self.baud, parity=self.parity,
                                            timeout=timeout_s, exclusive=self.exclusive))
        except (ValueError, *LINE_ERRORS) as error:
            raise LineError(f"cannot open {self.url}: {error}") from None


def line_for(address: str, baud: int = 115200):
    """The line an address names: a VISA resource or a serial device / pyserial URL.

    VISA resources (TCPIP0::host::5025::SOCKET, USB0::...::INSTR, ASRL/dev/ttyUSB0::INSTR)
    go through PyVISA (hardware/visa_line.py).
    """
    from press_control.hardware.visa_line import VisaLine, is_visa_resource
    return VisaLine(address) if is_visa_resource(address) else SerialLine(address, baud)


def close_quietly(stream) -> None:
    """Close a stream that may already be gone (unplugged device, dead pty)."""
    if stream is None:
        return
    try:
        stream.close()
    except LINE_ERRORS:
        pass
