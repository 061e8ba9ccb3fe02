"""Modbus RTU framing and the master, against an in-memory line and a pseudo-terminal."""
import os
import struct
import threading
import tty

import pytest

from press_control.hardware.transports import SerialLine
from press_control.protocol import modbus_rtu as rtu
from terminal_bytes import queued
from waiting import wait_for


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


class LineClock:
    """modbus_rtu's clock: time moves only when the test or a read moves it; sleeps recorded."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class SlowReads:
    """A port whose every read takes 1 ms on the clock (the far end is a real device)."""

    def __init__(self, port, clock):
        self.port, self.clock = port, clock
        self.first_read_done = threading.Event()

    def __getattr__(self, name):
        return getattr(self.port, name)

    def read(self, size):
        self.clock.now += 0.001
        data = self.port.read(size)
        self.first_read_done.set()
        return data


@pytest.fixture
def line(monkeypatch):
    """(far end fd, RTU master at 115200 bit/s on a raw pseudo-terminal, its clock)."""
    far, near = os.openpty()
    tty.setraw(far)
    port = SerialLine(os.ttyname(near), exclusive=False).open(0.5)
    os.close(near)
    clock = LineClock()
    monkeypatch.setattr(rtu, "time", clock)
    yield far, rtu.ModbusRtuMaster(SlowReads(port, clock), 1, 115200, timeout_s=0.5), clock
    port.close()
    os.close(far)


REPLY = rtu.with_crc(struct.pack(">BBBHH", 1, 3, 4, 7, 8))


def _request_from(far) -> bytes:
    request = b""
    while len(request) < 8:
        request += os.read(far, 8 - len(request))
    return request


def test_a_reply_whole_in_the_buffer_starts_the_frame_gap_before_it_is_read(line):
    far, master, clock = line
    request = master.send_read_holding_registers(0, 2)
    _request_from(far)
    os.write(far, REPLY)
    wait_for(lambda: queued(master.port.fd) == len(REPLY), message="whole reply queued")
    came_s = clock.now
    assert master.receive_holding_registers(request) == [7, 8]
    clock.now = came_s + 1.1 * master.frame_gap_s     # the reads took longer than that
    master.send_read_holding_registers(0, 2)
    assert _request_from(far) == rtu.with_crc(bytes.fromhex("010300000002"))
    assert clock.sleeps == []


def test_a_reply_still_arriving_starts_the_frame_gap_when_read(line):
    far, master, clock = line
    request = master.send_read_holding_registers(0, 2)
    _request_from(far)
    os.write(far, REPLY[:3])

    def answer_the_rest_once_the_first_piece_is_read():
        assert master.port.first_read_done.wait(5), "the master never read"
        os.write(far, REPLY[3:])
    writer = threading.Thread(target=answer_the_rest_once_the_first_piece_is_read)
    writer.start()
    assert master.receive_holding_registers(request) == [7, 8]
    writer.join()
    read_s = clock.now
    clock.now = read_s + 0.5 * master.frame_gap_s
    master.send_read_holding_registers(0, 2)
    assert clock.sleeps == [pytest.approx(0.5 * master.frame_gap_s)]
