"""A simulated device's TCP port: a threading server on its own thread, one per connection."""
import socketserver
import threading


class DeviceTcpServer(socketserver.ThreadingTCPServer):
    """Listens on host:port (0: any free port) once started; stop() closes it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler, host: str, port: int, thread_name: str):
        super().__init__((host, port), handler)
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=thread_name, daemon=True)

    @property
    def host_and_port(self) -> tuple:
        return tuple(self.server_address[:2])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=2.0)
