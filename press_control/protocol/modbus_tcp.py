"""Modbus TCP framing (MBAP header) and a master, for controllers on Ethernet (port 502).

Same register calls as the RTU master (modbus_rtu.RegisterMaster), over any byte stream
with pyserial's interface (a `socket://host:port` pyserial URL). Each request carries a
transaction id; a late reply to an earlier, timed-out request is skipped, never taken for
the answer to the current one.
"""
import struct
import time

from press_control.protocol.modbus_rtu import (ModbusFrameError, ModbusTimeout,
                                               RegisterMaster, check_reply)

PROTOCOL_ID = 0
HEADER = struct.Struct(">HHHB")          # transaction id, protocol id, length, unit id
MAX_PDU = 253


def mbap_frame(transaction_id: int, body: bytes) -> bytes:
    """`body` (unit id, function, data) behind its MBAP header."""
    return struct.pack(">HHH", transaction_id, PROTOCOL_ID, len(body)) + body


class ModbusTcpMaster(RegisterMaster):
    """A Modbus TCP client of one unit over a connected stream."""

    def __init__(self, stream, unit_id: int = 1, timeout_s: float = 0.1):
        self.stream = stream
        self.slave_id = unit_id
        self.timeout_s = timeout_s
        self._transaction = 0
        self.stale_replies = 0

    def _send(self, body: bytes) -> None:
        self._transaction = (self._transaction + 1) % 0x10000
        self.stream.write(mbap_frame(self._transaction, body))

    def _receive(self, body: bytes, reply_length: int) -> bytes:
        deadline = time.monotonic() + self.timeout_s
        while True:
            transaction, reply = self._read_frame(deadline)
            if transaction == self._transaction:
                return check_reply(reply, body, self.slave_id)
            self.stale_replies += 1

    def _read_frame(self, deadline: float) -> tuple:
        header = self._read(HEADER.size, deadline)
        transaction, protocol, length, _ = HEADER.unpack(header)
        if protocol != PROTOCOL_ID or not 2 <= length <= MAX_PDU + 1:
            raise ModbusFrameError(f"not a Modbus TCP header: {header.hex()}")
        return transaction, header[-1:] + self._read(length - 1, deadline)

    def _read(self, count: int, deadline: float) -> bytes:
        data = b""
        while len(data) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ModbusTimeout(f"{len(data)} of {count} bytes after "
                                    f"{self.timeout_s * 1000:.0f} ms")
            self.stream.timeout = remaining
            data += self.stream.read(count - len(data))
        return data
