"""A Modbus master wired straight to an in-process PressController (no serial line).

hardware.Press takes it as its transport (`open_master`), so the supervisor and the
controller meet through the real register map in unit tests that step time themselves.
"""
from press_control.protocol.modbus_rtu import ModbusExceptionReply

ILLEGAL_ADDRESS = 2


class DirectLine:
    """The `line` of a Press wired to an in-process controller; it is never opened."""

    name, baud, parity = "in-process controller", 115200, "N"

    def open(self, timeout_s):
        raise OSError("a direct link has no line to open; pass open_master")


def direct_press(controller, register_map, timeout_s: float = 0.1, **press_options):
    """A hardware.Press whose Modbus master is the controller itself (connect() it)."""
    from press_control.hardware.press import Press
    return Press(DirectLine(), 1, register_map, timeout_s,
                 open_master=lambda _: ControllerLink(controller), **press_options)


class ControllerLink:
    """read_holding_registers / write_register(s) served by a PressController."""

    def __init__(self, controller):
        self.controller = controller

    def read_holding_registers(self, address: int, count: int) -> list:
        words = self.controller.read_words(address, count)
        if words is None:
            raise ModbusExceptionReply(0x03, ILLEGAL_ADDRESS)
        return words

    def write_register(self, address: int, value: int) -> None:
        if not self.controller.write_words(address, [value]):
            raise ModbusExceptionReply(0x06, ILLEGAL_ADDRESS)

    def write_registers(self, address: int, values) -> None:
        if not self.controller.write_words(address, list(values)):
            raise ModbusExceptionReply(0x10, ILLEGAL_ADDRESS)
