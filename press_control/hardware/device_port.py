"""A serial device read and written with the fewest system calls per transaction.

pyserial opens, configures and locks the device; reads and writes then go straight to its
file descriptor. pyserial's own calls wrap every read and every write in a select(), and
its readline() reads one byte at a time (two system calls per byte of an analyzer's reply).
Measured against the simulator's pseudo-terminal (one 20-register Modbus poll, thread CPU
time): about 430 us per poll through pyserial, about 325 us through this port.
"""
import errno
import fcntl
import os
import select
import struct
import termios
import time

import serial

_COUNT = struct.Struct("i")
_ZERO = _COUNT.pack(0)

_RETRY = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)
READ_CHUNK_BYTES = 4096


class DevicePort:
    """pyserial's read/readline/write/reset_input_buffer/timeout/close on an open device."""

    def __init__(self, device: serial.Serial):
        self.device = device
        self.fd = device.fileno()
        self.timeout = device.timeout
        self._pending = bytearray()      # read past a line end; the next read gets it first
        self._readable = select.poll()
        self._readable.register(self.fd, select.POLLIN)
        self._writable = select.poll()
        self._writable.register(self.fd, select.POLLOUT)

    @property
    def name(self) -> str:
        return self.device.name

    def read(self, size: int = 1) -> bytes:
        """Up to size bytes: fewer only when the timeout ran out first."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while len(self._pending) < size and self._fill(deadline):
            pass
        return self._take(min(size, len(self._pending)))

    def readline(self) -> bytes:
        """Bytes up to and including a line end; without one when the timeout ran out first."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        end = self._pending.find(b"\n")
        while end < 0:
            searched = len(self._pending)
            if not self._fill(deadline):
                return self._take(len(self._pending))
            end = self._pending.find(b"\n", searched)
        return self._take(end + 1)

    def write(self, data: bytes) -> int:
        view = memoryview(bytes(data))
        while view:
            try:
                written = os.write(self.fd, view)
            except OSError as error:
                if error.errno not in _RETRY:
                    raise serial.SerialException(f"write failed: {error}") from None
                written = 0
            view = view[written:]
            if view:
                self._writable.poll()
        return len(data)

    @property
    def in_waiting(self) -> int:
        """Bytes received and not yet read (pyserial's in_waiting)."""
        queued = _COUNT.unpack(fcntl.ioctl(self.fd, termios.FIONREAD, _ZERO))[0]
        return queued + len(self._pending)

    def reset_input_buffer(self) -> None:
        self._pending.clear()
        termios.tcflush(self.fd, termios.TCIFLUSH)

    def close(self) -> None:
        self.device.close()

    def _fill(self, deadline) -> bool:
        """Wait for bytes until deadline and take all there are; False if none came.

        Taking all saves the second wait and read of a reply that came whole.
        """
        while True:
            wait_ms = None if deadline is None else max(0, int((deadline - time.monotonic())
                                                               * 1000 + 0.999))
            if not self._readable.poll(wait_ms):
                return False
            try:
                chunk = os.read(self.fd, READ_CHUNK_BYTES)
            except OSError as error:
                if error.errno in _RETRY:
                    continue
                raise serial.SerialException(f"read failed: {error}") from None
            if not chunk:           # how Linux reports a vanished device (pyserial alike)
                raise serial.SerialException("device reports readiness to read but returned "
                                             "no data (device disconnected?)")
            self._pending += chunk
            return True

    def _take(self, count: int) -> bytes:
        taken = bytes(self._pending[:count])
        del self._pending[:count]
        return taken
