"""Modbus TCP server of the simulated press controller (the same registers as over RTU).

Listens on a localhost port (any free one by default); each connection gets a thread that
reads MBAP frames and answers them through the RTU slave's request handler, so both
framings see one controller. Tests reach it with a third-party client (pymodbus).
"""
import socket
import socketserver
import struct

from press_control.sim.tcp_service import DeviceTcpServer

HEADER = struct.Struct(">HHHB")          # transaction id, protocol id, length, unit id


class _Connection(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        stream = self.request
        stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            header = _read_exactly(stream, HEADER.size)
            if header is None:
                return
            transaction, protocol, length, _ = HEADER.unpack(header)
            rest = _read_exactly(stream, length - 1) if 2 <= length <= 254 else None
            if protocol != 0 or rest is None:
                return                        # not Modbus TCP: drop the connection
            reply = self.server.answer(header[-1:] + rest)
            if reply is not None:
                stream.sendall(struct.pack(">HHH", transaction, 0, len(reply)) + reply)
                self.server.frames_served += 1


def _read_exactly(stream, count: int):
    data = b""
    while len(data) < count:
        try:
            chunk = stream.recv(count - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return data


class ModbusTcpServer(DeviceTcpServer):
    """Serves `answer(body) -> reply body or None` (ModbusSlave.handle) on host:port."""

    def __init__(self, answer, host: str = "127.0.0.1", port: int = 0):
        super().__init__(_Connection, host, port, "modbus-tcp")
        self.answer = answer
        self.frames_served = 0

    @property
    def address(self) -> str:
        host, port = self.host_and_port
        return f"tcp://{host}:{port}"
