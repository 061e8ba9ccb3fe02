"""Modbus RTU framing (CRC-16/MODBUS, PDUs for the function codes a press needs) and a master.

The master works over any object with pyserial's `read`/`write`/`reset_input_buffer`
interface. It never retries on its own: a failed transaction raises a typed exception and
the caller decides (docs/architecture.md: nothing is retried blindly against hardware).
"""
import struct
import time

READ_HOLDING_REGISTERS = 0x03
READ_INPUT_REGISTERS = 0x04
WRITE_SINGLE_REGISTER = 0x06
WRITE_MULTIPLE_REGISTERS = 0x10

EXCEPTION_TEXT = {
    1: "illegal function", 2: "illegal data address", 3: "illegal data value",
    4: "slave device failure", 6: "slave device busy",
}


class ModbusError(Exception):
    """Base class of every Modbus transaction failure."""


class ModbusTimeout(ModbusError):
    """No (complete) reply arrived in time."""


class ModbusCrcError(ModbusError):
    """A reply arrived with a wrong CRC."""


class ModbusFrameError(ModbusError):
    """A reply arrived that does not answer the request (wrong slave, function or length)."""


class ModbusExceptionReply(ModbusError):
    """The slave answered with a Modbus exception code."""

    def __init__(self, function: int, code: int):
        self.function = function
        self.code = code
        super().__init__(f"slave exception {code} ({EXCEPTION_TEXT.get(code, 'unknown')}) "
                         f"to function 0x{function:02x}")


def _crc_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS of data (sent little-endian after the frame)."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def with_crc(body: bytes) -> bytes:
    return body + struct.pack("<H", crc16(body))


def crc_ok(frame: bytes) -> bool:
    return len(frame) >= 4 and crc16(frame[:-2]) == struct.unpack("<H", frame[-2:])[0]


def char_time_s(baud: int, parity: str = "N", stop_bits: int = 1) -> float:
    """Seconds one character occupies on the line: start + 8 data + parity + stop bits."""
    bits = 1 + 8 + (0 if parity.upper() == "N" else 1) + stop_bits
    return bits / float(baud)


def request_length(frame: bytes):
    """Length of the request that starts frame, or None while it is still incomplete."""
    if len(frame) < 2:
        return None
    function = frame[1]
    if function in (READ_HOLDING_REGISTERS, READ_INPUT_REGISTERS, WRITE_SINGLE_REGISTER):
        return 8
    if function == WRITE_MULTIPLE_REGISTERS:
        return 9 + frame[6] if len(frame) >= 7 else None
    return len(frame)


class RegisterMaster:
    """The register calls of a Modbus master; a framing supplies `_send` and `_receive`.

    `_send(body)` sends `body` (unit id, function, data); `_receive(body, reply_length)`
    returns the reply to it as unit id, function, data; reply_length is the RTU length of
    the expected reply (CRC included), from which a framing derives its own.
    """

    slave_id = 1

    def read_holding_registers(self, address: int, count: int) -> list:
        return self.receive_holding_registers(self.send_read_holding_registers(address, count))

    def send_read_holding_registers(self, address: int, count: int) -> tuple:
        """Send a read request without waiting for its reply.

        receive_holding_registers(what this returns) reads the reply; nothing else may be
        sent in between.
        """
        body = struct.pack(">BBHH", self.slave_id, READ_HOLDING_REGISTERS, address, count)
        self._send(body)
        return body, count

    def receive_holding_registers(self, request: tuple) -> list:
        body, count = request
        reply = self._receive(body, 5 + 2 * count)
        if reply[2] != 2 * count:
            raise ModbusFrameError(f"byte count {reply[2]} for {count} registers")
        return list(struct.unpack(f">{count}H", reply[3:3 + 2 * count]))

    def write_register(self, address: int, value: int) -> None:
        request = struct.pack(">BBHH", self.slave_id, WRITE_SINGLE_REGISTER, address, value)
        reply = self._transact(request, 8)
        if reply[:6] != request:
            raise ModbusFrameError("write echo differs from the request")

    def write_registers(self, address: int, values) -> None:
        values = list(values)
        body = struct.pack(f">BBHHB{len(values)}H", self.slave_id, WRITE_MULTIPLE_REGISTERS,
                           address, len(values), 2 * len(values), *values)
        reply = self._transact(body, 8)
        if struct.unpack(">HH", reply[2:6]) != (address, len(values)):
            raise ModbusFrameError("write-multiple reply names other registers")

    def _transact(self, body: bytes, reply_length: int) -> bytes:
        self._send(body)
        return self._receive(body, reply_length)

    def _send(self, body: bytes) -> None:
        raise NotImplementedError

    def _receive(self, body: bytes, reply_length: int) -> bytes:
        raise NotImplementedError


def check_reply(reply: bytes, body: bytes, slave_id: int) -> bytes:
    """The reply (unit id, function, data) if it answers body; raises what is wrong."""
    if reply[0] != slave_id:
        raise ModbusFrameError(f"reply from slave {reply[0]}, expected {slave_id}")
    if reply[1] == body[1] | 0x80:
        raise ModbusExceptionReply(body[1], reply[2])
    if reply[1] != body[1]:
        raise ModbusFrameError(f"reply function 0x{reply[1]:02x} to 0x{body[1]:02x}")
    return reply


class ModbusRtuMaster(RegisterMaster):
    """A Modbus RTU master over a serial-like port, with the 3.5-character frame gap."""

    def __init__(self, port, slave_id: int, baud: int, parity: str = "N",
                 timeout_s: float = 0.1):
        self.port = port
        self.slave_id = slave_id
        self.timeout_s = timeout_s
        self.frame_gap_s = 3.5 * char_time_s(baud, parity)
        self._last_frame_end = 0.0

    def _send(self, body: bytes) -> None:
        gap = self._last_frame_end + self.frame_gap_s - time.monotonic()
        if gap > 0:
            time.sleep(gap)
        self.port.reset_input_buffer()
        self.port.write(with_crc(body))

    def _receive(self, body: bytes, reply_length: int) -> bytes:
        # A reply already whole in the buffer ended before this call: the next request's
        # frame gap counts from here, not from the end of the read. A poll sent ahead is
        # read a period later and the next one sent after the state is published: a
        # quarter of them slept the rest of the gap (a wake-up: 150-200 us of thread CPU
        # on this VM), 2 % now (measured in press_driver at 100 Hz).
        asked_s = time.monotonic()
        waiting = self._bytes_waiting()
        reply = b""
        try:
            reply = self._read_reply(body[1], reply_length)
        finally:
            self._last_frame_end = asked_s if reply and waiting >= len(reply) else \
                time.monotonic()
        if not crc_ok(reply):
            raise ModbusCrcError(f"bad CRC in reply {reply.hex()}")
        return check_reply(reply, body, self.slave_id)

    def _bytes_waiting(self) -> int:
        try:
            return self.port.in_waiting
        except (AttributeError, OSError):
            return 0

    def _read_reply(self, function: int, reply_length: int) -> bytes:
        """Read one reply: its first three bytes within timeout_s, the rest within timeout_s.

        The port's read timeout is set once: changing it reconfigures the serial device
        (termios calls), which was a tenth of the driver's CPU at 100 Hz (profiled).
        """
        if self.port.timeout != self.timeout_s:
            self.port.timeout = self.timeout_s
        reply = self.port.read(3)
        expected = 3
        if len(reply) == 3:
            expected = 5 if reply[1] == function | 0x80 else reply_length
            reply += self.port.read(expected - 3)
        if len(reply) < expected:
            raise ModbusTimeout(f"{len(reply)} of {expected} reply bytes after "
                                f"{self.timeout_s * 1000:.0f} ms")
        return reply
