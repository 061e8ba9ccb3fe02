"""The press controller as a device: connect, identify, poll, command (no ROS).

Transport failures raise typed exceptions and are counted; the caller decides whether to
reconnect. Nothing here retries a command.
"""
import dataclasses
import math
import time

from press_control.hardware.force_calibration import NO_CALIBRATION
from press_control.hardware.transports import LINE_ERRORS, LineError, close_quietly
from press_control.protocol import modbus_rtu as rtu
from press_control.protocol.modbus_tcp import ModbusTcpMaster
from press_control.protocol.register_map import RegisterMap, RegisterMapError

COMMAND_NOT_TAKEN = "press did not take the command"   # a link failure, not a refusal


class PressError(Exception):
    """Base class of press device failures."""


class PressConnectionError(PressError):
    """The serial port cannot be opened or went away."""


class PressIdentityError(PressError):
    """Something answers (or does not) that is not the expected press controller."""


class PressCommunicationError(PressError):
    """One transaction failed: timeout, CRC, framing or a Modbus exception."""


class PressValueError(PressError):
    """A value that does not fit its register exactly; nothing was written."""


@dataclasses.dataclass
class Identity:
    """What the controller says it is."""

    model: int
    firmware: str
    serial_number: int
    capacity_kn: float
    map_version: int

    @property
    def hardware_id(self) -> str:
        return f"press-{self.model}-{self.serial_number}"


@dataclasses.dataclass
class PressReading:
    """One poll of the controller, in engineering units."""

    received_s: float          # time.monotonic() when the reply was read
    mode: str
    fault_code: int
    fault_text: str
    force_kn: float
    platen_position_mm: float
    platen_temperature_c: float
    setpoint_kn: float
    ramp_rate_kn_s: float
    boot_count: int
    flags: dict
    latency_s: float           # request sent to reply read (a poll sent ahead: a period)
    raw_force_kn: float = math.nan    # the press's own load cell, before the force table


@dataclasses.dataclass
class LinkCounters:
    """Communication statistics for diagnostics."""

    transactions: int = 0
    timeouts: int = 0
    crc_errors: int = 0
    frame_errors: int = 0
    exception_replies: int = 0

    @property
    def errors(self) -> int:
        return self.timeouts + self.crc_errors + self.frame_errors + self.exception_replies


class Press:
    """Modbus client (RTU, or TCP over a tcp:// line) of one press controller."""

    # A controller that has just powered up (or a simulator that has just started) may miss
    # the first request; only silence on every attempt means a wrong id, baud rate or cable.
    IDENTIFY_ATTEMPTS = 3

    def __init__(self, line, slave_id: int, register_map: RegisterMap, timeout_s: float = 0.1,
                 open_master=None, force_calibration=NO_CALIBRATION):
        """Talk to the controller over `line` (a transports.SerialLine or a scripted line).

        open_master(press) -> a Modbus master; by default RTU over the opened line.
        force_calibration: the press's load cell against a reference (force_calibration.py);
        every force read or written here is on the reference's scale.
        """
        self.force_calibration = force_calibration
        self.line = line
        self.slave_id = slave_id
        self.map = register_map
        self.timeout_s = timeout_s
        self.counters = LinkCounters()
        self.identity = None
        self._serial = None
        self._master = None
        self._heartbeat = 0
        self._open_master = open_master or Press._open_serial_master
        self._sent_poll = None            # (request, sent at) of a poll sent ahead
        self._sent_poll_result = None     # its words or error, taken before another call

    @property
    def port_name(self) -> str:
        return self.line.name

    @property
    def connected(self) -> bool:
        return self._master is not None

    def connect(self) -> Identity:
        """Open the port and check the identity registers; raises with the problem named."""
        self.close()
        self._master = self._open_master(self)
        try:
            self.identity = self._identify()
        except PressError:
            self.close()
            raise
        return self.identity

    def _open_serial_master(self):
        try:
            self._serial = self.line.open(self.timeout_s)
        except LineError as error:
            self._serial = None
            raise PressConnectionError(str(error)) from None
        if getattr(self.line, "modbus_tcp", False):
            return ModbusTcpMaster(self._serial, self.slave_id, self.timeout_s)
        return rtu.ModbusRtuMaster(self._serial, self.slave_id, self.line.baud,
                                   self.line.parity, self.timeout_s)

    def _identify(self) -> Identity:
        count = self.map["capacity_kn"].address + 1
        for attempt in range(1, self.IDENTIFY_ATTEMPTS + 1):
            try:
                words = self._master.read_holding_registers(0, count)
                break
            except rtu.ModbusTimeout:
                if attempt == self.IDENTIFY_ATTEMPTS:
                    raise PressIdentityError(
                        f"no reply from slave id {self.slave_id} on {self.port_name} at "
                        f"{self.line.baud} baud after {attempt} attempts: wrong slave id, baud "
                        "rate, parity or cable") from None
            except rtu.ModbusError as error:
                raise PressIdentityError(f"identity read on {self.port_name} failed: {error}") \
                    from None
        magic = self.map.decode("magic", words)
        if magic != self.map.magic:
            raise PressIdentityError(
                f"the device on {self.port_name} (slave {self.slave_id}) is not a press "
                f"controller: identity register reads 0x{magic:04x}, expected "
                f"0x{self.map.magic:04x}")
        version = self.map.decode("map_version", words)
        if version != self.map.map_version:
            raise PressIdentityError(f"press register map version {version} differs from the "
                                     f"configured map (version {self.map.map_version})")
        firmware = self.map.decode("firmware_version", words)
        return Identity(self.map.decode("model", words), f"{firmware >> 8}.{firmware & 0xFF}",
                        self.map.decode("serial_number", words),
                        self.map.decode("capacity_kn", words), version)

    def close(self) -> None:
        close_quietly(self._serial)
        self._serial = None
        self._master = None
        self._sent_poll = self._sent_poll_result = None

    # ---- transactions ----------------------------------------------------------------
    def _call(self, operation: str, *args, counted: bool = True):
        """Run one Modbus transaction (a method of the master, by name) on an open link.

        A poll sent ahead has its reply read first: nothing may go between the two.
        """
        if self._sent_poll is not None:
            self._take_sent_poll()
        master = self._master             # read once: another thread may close the link
        if master is None:
            raise PressConnectionError(f"{self.port_name} is not open")
        if counted:
            self.counters.transactions += 1
        try:
            return getattr(master, operation)(*args)
        except rtu.ModbusTimeout as error:
            self.counters.timeouts += 1
            raise PressCommunicationError(str(error)) from None
        except rtu.ModbusCrcError as error:
            self.counters.crc_errors += 1
            raise PressCommunicationError(str(error)) from None
        except rtu.ModbusExceptionReply as error:
            self.counters.exception_replies += 1
            raise PressCommunicationError(str(error)) from None
        except rtu.ModbusFrameError as error:
            self.counters.frame_errors += 1
            raise PressCommunicationError(str(error)) from None
        except LINE_ERRORS as error:
            self.close()
            raise PressConnectionError(f"{self.port_name}: {error}") from None

    # ---- polls -------------------------------------------------------------------------
    def send_poll(self) -> None:
        """Send the next poll's request now; the next poll() takes its reply.

        The driver sends it before it sleeps to its next period: the reply waits in the
        line's buffer, and the thread wakes once a period instead of twice (reply, then
        period), at the price of a reading up to one period older. A failure to send is
        raised by that poll().
        """
        if self._master is None or self._sent_poll is not None or \
                self._sent_poll_result is not None:
            return
        sent_s = time.monotonic()
        try:
            request = self._call("send_read_holding_registers", self.map.poll_start,
                                 self.map.poll_count)
        except PressError as error:
            self._sent_poll_result = (error, sent_s, time.monotonic())
            return
        self._sent_poll = (request, sent_s)

    def _take_sent_poll(self) -> None:
        request, sent_s = self._sent_poll
        self._sent_poll = None
        try:
            result = self._call("receive_holding_registers", request, counted=False)
        except PressError as error:
            result = error
        self._sent_poll_result = (result, sent_s, time.monotonic())

    def poll(self) -> PressReading:
        """Read the poll block (the reply to a poll sent ahead, if there is one)."""
        if self._sent_poll is not None and self._master is not None:
            self._take_sent_poll()
        if self._sent_poll_result is not None and \
                time.monotonic() - self._sent_poll_result[2] > self.timeout_s:
            self._sent_poll_result = None       # taken long ago (by a command): read anew
        if self._sent_poll_result is not None:
            words, started, received = self._sent_poll_result
            self._sent_poll_result = None
            if isinstance(words, PressError):
                raise words
        else:
            started = time.monotonic()
            words = self._call("read_holding_registers", self.map.poll_start,
                               self.map.poll_count)
            received = time.monotonic()
        values = self.map.decode_poll_block(words)
        status = values["status"]
        flags = {name: self.map.has_bit(status, name) for name in self.map.status_bits}
        fault = values["fault_code"]
        table = self.force_calibration
        setpoint_kn = table.reference_from_press(values["force_setpoint_readback_kn"])
        return PressReading(
            received_s=received, mode=self.map.mode_names.get(values["mode"], "UNKNOWN"),
            fault_code=fault, fault_text=self.map.fault_codes.get(fault, f"fault {fault}"),
            force_kn=table.reference_from_press(values["force_kn"]),
            platen_position_mm=values["platen_position_mm"],
            platen_temperature_c=values["platen_temperature_c"], setpoint_kn=setpoint_kn,
            ramp_rate_kn_s=values["ramp_rate_readback_kn_s"] /
            table.press_per_reference(setpoint_kn),
            boot_count=values["boot_count"], flags=flags, latency_s=received - started,
            raw_force_kn=values["force_kn"])

    def write(self, name: str, value: float) -> None:
        """Write one value; raises PressValueError (nothing sent) if it does not fit exactly."""
        self.write_all([(name, value)])

    def write_all(self, values) -> None:
        """Write (name, value) pairs in order, after checking that every one fits exactly."""
        try:
            encoded = [(self.map[name], self.map.encode_exact(name, value))
                       for name, value in values]
        except RegisterMapError as error:
            raise PressValueError(str(error)) from None
        for register, words in encoded:
            if register.width == 1:
                self._call("write_register", register.address, words[0])
            else:
                self._call("write_registers", register.address, words)

    # ---- commands (limits are checked by the caller, see press_control.control.safety) --------
    def ramp_to(self, force_kn: float, rate_kn_s: float, releasing: bool = False) -> None:
        """Ramp to force_kn (reference scale) at rate_kn_s; the table gives the setpoint."""
        table = self.force_calibration
        setpoint_kn = max(0.0, table.press_for_reference(force_kn)) if force_kn > 0 else force_kn
        rate_kn_s = rate_kn_s * table.press_per_reference(force_kn)
        self.write_all([("ramp_rate_kn_s", rate_kn_s), ("force_setpoint_kn", setpoint_kn),
                        ("mode_command", self.map.modes["RELEASE" if releasing else "RAMP"])])

    def hold(self) -> None:
        self.write("mode_command", self.map.modes["HOLD"])

    def set_temperature(self, celsius: float) -> None:
        self.write("temperature_setpoint_c", celsius)

    def set_motion_permit(self, permitted: bool) -> None:
        self.write("motion_permit", 1 if permitted else 0)

    def set_watchdog(self, period_s: float) -> None:
        self.write("watchdog_period_ms", int(round(period_s * 1000)))

    def heartbeat(self) -> None:
        self._heartbeat = (self._heartbeat + 1) & 0xFFFF
        self.write("heartbeat", self._heartbeat)

    def _control(self, bit: str) -> None:
        self.write("control", 1 << self.map.control_bits[bit])

    def estop(self) -> None:
        self._control("estop")

    def reset_fault(self) -> None:
        self._control("reset_fault")

    def zero_position(self) -> None:
        self._control("zero_position")
