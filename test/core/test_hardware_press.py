"""hardware.Press against the simulator: identity checks name the problem; polls decode."""
import time

import pytest

from press_control.hardware.transports import SerialLine
from press_control.hardware.press import (Press, PressCommunicationError, PressConnectionError,
                                          PressIdentityError)
from press_control.protocol.register_map import RegisterMap
from press_control.resources import default_register_map_path
from press_control.sim.simulator import Simulator, SimulatorConfig


@pytest.fixture
def sim(tmp_path):
    with Simulator(SimulatorConfig(directory=str(tmp_path), seed=7)) as simulator:
        yield simulator


def _press(port, slave_id=1):
    return Press(SerialLine(port), slave_id, RegisterMap.load(default_register_map_path()),
                 timeout_s=0.2)


def test_connect_identifies_and_polls(sim):
    press = _press(sim.config.press_path)
    identity = press.connect()
    assert identity.capacity_kn == pytest.approx(294.2)
    reading = press.poll()
    assert reading.mode == "IDLE" and reading.flags["guard_closed"]
    press.close()


def test_a_closed_link_refuses_commands_by_name(sim):
    """A command racing a reconnect meets a closed link: a connection error, nothing sent."""
    press = _press(sim.config.press_path)
    press.connect()
    press.close()
    for attempt in (press.poll, press.hold, lambda: press.ramp_to(10.0, 5.0)):
        with pytest.raises(PressConnectionError, match="is not open"):
            attempt()
    assert sim.controller.get("force_setpoint_kn") == 0.0


def test_a_controller_that_misses_its_first_requests_is_still_identified(sim):
    """A device just powered up (or a simulator just started) may not answer at once."""
    sim.inject("drop_next", Press.IDENTIFY_ATTEMPTS - 1)
    press = _press(sim.config.press_path)
    assert press.connect().capacity_kn == pytest.approx(294.2)
    assert sim.press_faults.drop_next == 0          # the simulator did drop those requests
    press.close()


def test_a_controller_silent_on_every_attempt_is_named(sim):
    sim.inject("drop_next", Press.IDENTIFY_ATTEMPTS)
    with pytest.raises(PressIdentityError, match=f"after {Press.IDENTIFY_ATTEMPTS} attempts"):
        _press(sim.config.press_path).connect()


def test_wrong_port_is_named(sim):
    with pytest.raises(PressConnectionError, match="cannot open /nonexistent"):
        _press("/nonexistent/ttyUSB0").connect()


def test_wrong_slave_id_is_named(sim):
    with pytest.raises(PressIdentityError, match="wrong slave id"):
        _press(sim.config.press_path, slave_id=9).connect()


def test_a_device_that_is_not_a_press_is_named(sim):
    with pytest.raises(PressIdentityError, match="slave id 1 on .*lcr"):
        _press(sim.config.analyzer_path).connect()


def test_garbage_on_the_line_is_counted_not_fatal(sim):
    press = _press(sim.config.press_path)
    press.connect()
    sim.inject("garbage_rate", 1.0)
    failures = 0
    for _ in range(5):
        try:
            press.poll()
        except Exception:  # noqa: BLE001 - every failure type counts here
            failures += 1
    sim.inject("garbage_rate", 0.0)
    assert failures == 5 and press.counters.errors >= 5
    assert press.poll().mode == "IDLE"
    press.close()


@pytest.fixture(params=["rtu", "tcp"])
def any_press(request, sim):
    """A connected Press on the serial line or on the controller's Modbus TCP port."""
    if request.param == "rtu":
        press = _press(sim.config.press_path)
    else:
        address = open(sim.config.press_tcp_path).read().strip()
        press = Press(SerialLine(address), 1, RegisterMap.load(default_register_map_path()),
                      timeout_s=0.2, open_master=Press._open_serial_master)
    press.connect()
    yield press
    press.close()


def test_a_poll_sent_ahead_is_read_by_the_next_poll(sim, any_press):
    press = any_press
    before = press.counters.transactions
    press.send_poll()
    press.send_poll()                               # one at a time: the second does nothing
    reading = press.poll()
    assert reading.mode == "IDLE" and reading.flags["guard_closed"]
    assert press.counters.transactions == before + 1
    assert press.counters.errors == 0


def test_a_write_after_a_poll_sent_ahead_takes_the_reply_first(sim, any_press):
    """The sent poll's reply is read before the write goes out: no reply is taken for
    another's, and the next poll returns that reading."""
    press = any_press
    sent = time.monotonic()
    press.send_poll()
    press.write("heartbeat", 7)
    written = time.monotonic()
    assert sim.controller.get("heartbeat") == 7
    reading = press.poll()
    assert sent <= reading.received_s <= written
    assert reading.mode == "IDLE" and press.counters.errors == 0
    assert press.poll().received_s > written         # and then polls as before


def test_a_lost_reply_to_a_poll_sent_ahead_fails_that_poll_only(sim):
    press = _press(sim.config.press_path)          # line faults are the serial line's
    press.connect()
    sim.inject("drop_next", 1)
    press.send_poll()
    with pytest.raises(PressCommunicationError):
        press.poll()
    assert press.counters.timeouts == 1
    assert press.poll().mode == "IDLE"


def test_a_poll_sent_ahead_on_a_closed_link_sends_nothing(sim):
    press = _press(sim.config.press_path)
    press.connect()
    press.close()
    press.send_poll()
    with pytest.raises(PressConnectionError, match="is not open"):
        press.poll()


def test_a_reply_taken_long_before_the_poll_is_not_returned(sim):
    press = _press(sim.config.press_path)
    press.connect()
    press.send_poll()
    press.write("heartbeat", 3)                      # takes the sent poll's reply
    taken = time.monotonic()
    time.sleep(press.timeout_s + 0.05)               # the age is what is tested
    assert press.poll().received_s > taken + press.timeout_s
    press.close()
