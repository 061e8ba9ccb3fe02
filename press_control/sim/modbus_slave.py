"""Modbus RTU slave of the simulated press controller, paced at the configured line rate."""
import struct
import time

from press_control.protocol import modbus_rtu as rtu
from press_control.sim.line_faults import LineFaults
from press_control.sim.served_device import ServedDevice
from press_control.sim.timing_watch import TimingWatch


class ModbusSlave(ServedDevice):
    """Serves the controller's registers on a PtyPort; a thread per device."""

    def __init__(self, port, controller, slave_id: int = 1, baud: int = 115200,
                 parity: str = "N", faults: LineFaults = None, timing: TimingWatch = None):
        super().__init__("modbus-slave")
        self.port = port
        self.controller = controller
        self.slave_id = slave_id
        self.char_s = rtu.char_time_s(baud, parity)
        self.faults = faults or LineFaults()
        self.timing = timing or TimingWatch()
        self.frames_served = 0
        self.frames_discarded = 0

    def _serve(self) -> None:
        silence_s = max(3.5 * self.char_s, 0.002)
        while not self._stop.is_set():
            frame = self.port.read(0.05)
            if not frame:
                continue
            received_at = time.monotonic()
            while True:
                more = self.port.read(silence_s)
                if not more:
                    break
                frame += more
            self._answer(frame, received_at)

    def _answer(self, frame: bytes, received_at: float) -> None:
        if len(frame) < 4 or not rtu.crc_ok(frame) or frame[0] not in (self.slave_id, 0):
            self.frames_discarded += 1
            return
        body = self.handle(frame[:-2])
        if body is None or frame[0] == 0:
            return
        reply = self.faults.distort(rtu.with_crc(body))
        if reply is None:
            return
        # The request spent len(frame) characters on the wire, then the 3.5-character gap,
        # then the reply's own characters: hand it over when a real line would finish it.
        due = received_at + (len(frame) + 3.5 + len(reply)) * self.char_s + self.faults.delay_s
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            self.timing.note("modbus reply", -pause)
        self.port.write(reply)
        self.frames_served += 1

    def handle(self, pdu: bytes):
        """Reply body (without CRC) to one request body, or None for no reply."""
        slave, function = pdu[0], pdu[1]
        try:
            if function in (rtu.READ_HOLDING_REGISTERS, rtu.READ_INPUT_REGISTERS):
                address, count = struct.unpack(">HH", pdu[2:6])
                if not 1 <= count <= 125:
                    return bytes([slave, function | 0x80, 3])
                words = self.controller.read_words(address, count)
                if words is None:
                    return bytes([slave, function | 0x80, 2])
                return struct.pack(f">BBB{count}H", slave, function, 2 * count, *words)
            if function == rtu.WRITE_SINGLE_REGISTER:
                address, value = struct.unpack(">HH", pdu[2:6])
                if not self.controller.write_words(address, [value]):
                    return bytes([slave, function | 0x80, 2])
                return pdu[:6]
            if function == rtu.WRITE_MULTIPLE_REGISTERS:
                address, count, nbytes = struct.unpack(">HHB", pdu[2:7])
                if nbytes != 2 * count or len(pdu) != 7 + nbytes:
                    return bytes([slave, function | 0x80, 3])
                values = struct.unpack(f">{count}H", pdu[7:7 + nbytes])
                if not self.controller.write_words(address, list(values)):
                    return bytes([slave, function | 0x80, 2])
                return pdu[:6]
        except struct.error:
            return bytes([slave, function | 0x80, 3])
        return bytes([slave, function | 0x80, 1])
