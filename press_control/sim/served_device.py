"""A simulated instrument served by its own thread on a serial port."""
import threading


class ServedDevice:
    """Base of the simulated devices: start() runs _serve() in a thread until stop()."""

    def __init__(self, name: str):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    def _serve(self) -> None:
        raise NotImplementedError
