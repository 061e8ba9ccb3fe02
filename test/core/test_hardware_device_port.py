"""DevicePort on a real pseudo-terminal pair: the far end is plain os.read/os.write."""
import os
import threading
import time
import tty

import pytest
import serial

from press_control.hardware.device_port import DevicePort
from press_control.hardware.transports import LINE_ERRORS, SerialLine
from terminal_bytes import queued
from waiting import wait_for


@pytest.fixture
def pair():
    """(far end fd, DevicePort on the near end) of a raw pseudo-terminal."""
    far, near = os.openpty()
    tty.setraw(far)
    port = SerialLine(os.ttyname(near), exclusive=False).open(0.5)
    os.close(near)                       # the port opened its own descriptor of the device
    yield far, port
    port.close()
    try:
        os.close(far)
    except OSError:
        pass


def test_the_line_opens_a_device_port(pair):
    _, port = pair
    assert isinstance(port, DevicePort) and port.timeout == 0.5


def test_a_read_collects_bytes_that_arrive_in_pieces(pair):
    far, port = pair

    def trickle():
        for piece in (b"\x01", b"\x03\x04", b"\xaa\xbb\xcc"):
            time.sleep(0.02)
            os.write(far, piece)
    threading.Thread(target=trickle).start()
    assert port.read(6) == b"\x01\x03\x04\xaa\xbb\xcc"


def test_a_read_returns_what_came_when_the_timeout_runs_out(pair):
    far, port = pair
    port.timeout = 0.2
    os.write(far, b"ab")
    started = time.monotonic()
    assert port.read(5) == b"ab"
    assert 0.15 < time.monotonic() - started < 2.0


def test_readline_keeps_what_follows_the_line_for_the_next_read(pair):
    far, port = pair
    os.write(far, b"+1.0E+01,-2.0E+00,+0\n+3.")
    assert port.readline() == b"+1.0E+01,-2.0E+00,+0\n"
    os.write(far, b"5\nrest")
    assert port.readline() == b"+3.5\n"
    assert port.read(4) == b"rest"


def test_readline_without_a_line_end_returns_the_fragment_after_the_timeout(pair):
    far, port = pair
    port.timeout = 0.2
    os.write(far, b"partial")
    assert port.readline() == b"partial"


def test_reset_input_buffer_drops_held_and_queued_bytes(pair):
    far, port = pair
    os.write(far, b"one\ntwo")
    assert port.readline() == b"one\n"           # "two" is held by the port now
    os.write(far, b"three")
    wait_for(lambda: queued(port.fd) == 5, timeout=10, message="'three' queued at the device")
    port.reset_input_buffer()
    port.timeout = 0.2
    assert port.read(10) == b""
    os.write(far, b"\x07")
    assert port.read(1) == b"\x07"


def test_writes_reach_the_far_end_whole(pair):
    far, port = pair
    frame = bytes(range(256)) * 8                # more than one write may take
    received = bytearray()

    def drain():
        while len(received) < len(frame):
            received.extend(os.read(far, 4096))
    reader = threading.Thread(target=drain)
    reader.start()
    assert port.write(frame) == len(frame)
    reader.join(10)
    assert bytes(received) == frame


def test_a_vanished_device_raises_a_line_error(pair):
    far, port = pair
    os.close(far)
    with pytest.raises(LINE_ERRORS):
        port.read(3)


def test_the_device_is_locked_against_a_second_opener():
    far, near = os.openpty()
    try:
        path = os.ttyname(near)
        port = SerialLine(path).open(0.1)
        try:
            with pytest.raises(serial.SerialException):
                serial.Serial(path, exclusive=True)
        finally:
            port.close()
    finally:
        os.close(far)
        os.close(near)


def test_in_waiting_counts_queued_bytes_and_those_read_ahead(pair):
    far, port = pair
    os.write(far, b"0123456789")
    wait_for(lambda: queued(port.fd) == 10, message="ten bytes queued")
    assert port.in_waiting == 10
    assert port.read(2) == b"01"               # the port took all ten off the device
    assert queued(port.fd) == 0 and port.in_waiting == 8
