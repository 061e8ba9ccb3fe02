"""Modbus RTU framing and the master, against an in-memory line."""
import struct

import pytest

from press_control.protocol import modbus_rtu as rtu


def test_crc_matches_the_modbus_reference_frame():
    frame = rtu.with_crc(bytes.fromhex("01030000000a"))
    assert frame.hex() == "01030000000ac5cd"
    assert rtu.crc_ok(frame)
    assert not rtu.crc_ok(frame[:-1] + b"\x00")


def test_char_time_counts_parity_bits():
    assert rtu.char_time_s(115200, "N") == pytest.approx(10 / 115200)
    assert rtu.char_time_s(19200, "E") == pytest.approx(11 / 19200)


def test_request_length_knows_write_multiple():
    assert rtu.request_length(bytes.fromhex("0110002800020400")) == 13
    assert rtu.request_length(bytes.fromhex("0103")) == 8


class FakeLine:
    """Replies with pre-set bytes; records what the master wrote."""

    def __init__(self, reply: bytes):
        self.reply = reply
        self.written = b""
        self.timeout = 0.05

    def reset_input_buffer(self):
        pass

    def write(self, data):
        self.written += data

    def read(self, n):
        chunk, self.reply = self.reply[:n], self.reply[n:]
        return chunk


def _master(reply: bytes):
    return rtu.ModbusRtuMaster(FakeLine(reply), slave_id=1, baud=115200, timeout_s=0.05)


def test_read_holding_registers_decodes_words():
    master = _master(rtu.with_crc(struct.pack(">BBBHH", 1, 3, 4, 0x1234, 0xABCD)))
    assert master.read_holding_registers(10, 2) == [0x1234, 0xABCD]
    assert master.port.written == rtu.with_crc(bytes.fromhex("0103000a0002"))


@pytest.mark.parametrize("reply, error", [
    (b"", rtu.ModbusTimeout),
    (rtu.with_crc(bytes.fromhex("01030400010002"))[:-1] + b"\x00", rtu.ModbusCrcError),
    (rtu.with_crc(bytes.fromhex("02030400010002")), rtu.ModbusFrameError),
    (rtu.with_crc(bytes.fromhex("018302")), rtu.ModbusExceptionReply),
])
def test_failures_raise_typed_errors(reply, error):
    with pytest.raises(error):
        _master(reply).read_holding_registers(0, 2)


def test_write_register_checks_the_echo():
    echo = rtu.with_crc(bytes.fromhex("0106002e0007"))
    _master(echo).write_register(46, 7)
    with pytest.raises(rtu.ModbusFrameError):
        _master(rtu.with_crc(bytes.fromhex("0106002e0008"))).write_register(46, 7)
