"""The simulated analyzer's LAN port: SCPI over a raw TCP socket, as an E4980A's port 5025.

Newline-terminated commands in, newline-terminated replies out, no line-rate pacing (a LAN
link): a reply waits only for the measurement it triggered. Every connection drives the
one Analyzer the serial port drives too (the instrument has one state, as a real one).
Its VISA resource string, TCPIP0::127.0.0.1::<port>::SOCKET, is what pyvisa opens.
"""
import socket
import socketserver
import time

from press_control.sim.scpi_analyzer import respond
from press_control.sim.tcp_service import DeviceTcpServer


class _Connection(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        stream = self.request
        stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        while True:
            try:
                chunk = stream.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                reply, busy_s = respond(self.server.analyzer,
                                        raw.decode("ascii", "replace").strip())
                if busy_s:
                    time.sleep(busy_s)
                if reply is not None:
                    try:
                        stream.sendall((reply + "\n").encode("ascii"))
                    except OSError:
                        return
                    self.server.lines_served += 1


class ScpiTcpServer(DeviceTcpServer):
    """Serves an Analyzer's SCPI on host:port (any free port by default)."""

    def __init__(self, analyzer, host: str = "127.0.0.1", port: int = 0):
        super().__init__(_Connection, host, port, "scpi-tcp")
        self.analyzer = analyzer
        self.lines_served = 0

    @property
    def visa_resource(self) -> str:
        host, port = self.host_and_port
        return f"TCPIP0::{host}::{port}::SOCKET"
