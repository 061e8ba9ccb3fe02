"""ModbusTcpMaster against byte-exact frames written from the Modbus TCP specification."""
import struct

import pytest

from press_control.protocol.modbus_rtu import ModbusExceptionReply, ModbusTimeout
from press_control.protocol.modbus_tcp import ModbusTcpMaster


class ScriptedStream:
    """Replies with prepared bytes once a request has been written; records the requests."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.written = []
        self.pending = b""
        self.timeout = None

    def write(self, data):
        self.written.append(bytes(data))
        if self.replies:
            self.pending += self.replies.pop(0)

    def read(self, count):
        data, self.pending = self.pending[:count], self.pending[count:]
        return data


def test_read_holding_registers_frame_and_reply():
    # transaction 1, protocol 0, length 6, unit 1, function 3, address 0x0010, count 2
    stream = ScriptedStream(bytes.fromhex("0001 0000 0007 01 03 04 1234 abcd".replace(" ", "")))
    master = ModbusTcpMaster(stream, unit_id=1, timeout_s=0.2)
    assert master.read_holding_registers(0x10, 2) == [0x1234, 0xABCD]
    assert stream.written == [bytes.fromhex("000100000006010300100002")]


def test_a_late_reply_to_an_earlier_request_is_skipped():
    late = bytes.fromhex("0001000000070103040000" "0000")       # answer to transaction 1
    current = bytes.fromhex("000200000006010600050007")         # echo of transaction 2
    stream = ScriptedStream(b"", late + current)
    master = ModbusTcpMaster(stream, unit_id=1, timeout_s=0.05)
    with pytest.raises(ModbusTimeout):
        master.read_holding_registers(0, 2)                      # its reply comes too late
    master.write_register(5, 7)
    assert master.stale_replies == 1
    assert struct.unpack(">H", stream.written[1][:2]) == (2,)


def test_exception_replies_are_typed():
    stream = ScriptedStream(bytes.fromhex("000100000003018602"))
    with pytest.raises(ModbusExceptionReply, match="illegal data address"):
        ModbusTcpMaster(stream, timeout_s=0.2).write_register(0x99, 1)
