"""Messages into the running goal's record as they arrive, under their full topic names."""
import threading

from press_control.records.run_record import Spectrum


class RecordTap:
    """Writes what `node` receives or publishes into the active RunRecord, if any.

    Each message is stamped with its arrival time on the node's clock and filed under the
    topic's full name (`state` of a node in /press_1 becomes /press_1/state). The last
    message of each latched topic is kept, so a record starts with the current handling
    state, spectrum and diagnostics, as `ros2 bag record` would receive them on joining.
    """

    def __init__(self, node, on_failure=None):
        """on_failure(record, error): called once a write to the record has failed."""
        self.node = node
        self.on_failure = on_failure
        self.record = None
        self._latched = {}
        self._names = {}
        self._lock = threading.Lock()

    def full_name(self, topic: str) -> str:
        if topic not in self._names:
            self._names[topic] = self.node.resolve_topic_name(topic)
        return self._names[topic]

    def start(self, record) -> None:
        with self._lock:
            self.record = record
            latched = list(self._latched.items())
        stamp_ns = self._now_ns()
        for topic, message in latched:
            record.add_message(topic, message, stamp_ns, latched=True)

    def stop(self) -> None:
        with self._lock:
            self.record = None

    def write(self, topic: str, message, latched: bool = False) -> None:
        name = self.full_name(topic)
        with self._lock:
            if latched:
                self._latched[name] = message
            record = self.record
        if record is not None:
            try:
                record.add_message(name, message, self._now_ns(), latched=latched)
            except OSError as error:
                self.failed(record, error)

    def write_spectrum(self, topic: str, message) -> None:
        """An ImpedanceSpectrum: into the bag, and kept as a CSV file and for the plot."""
        self.write(topic, message, latched=True)
        record = self.record
        if record is not None:
            try:
                record.add_spectrum(Spectrum(message.frequency_hz, message.z_real_ohm,
                                             message.z_imag_ohm, _fit_label(message)))
            except OSError as error:
                self.failed(record, error)

    def failed(self, record, error) -> None:
        """A full disk, say: stop writing here and say so."""
        self.stop()
        self.node.get_logger().error(f"run record {record.folder}: {error}; no more "
                                     "messages are written to it")
        if self.on_failure is not None:
            self.on_failure(record, error)

    def _now_ns(self) -> int:
        return self.node.get_clock().now().nanoseconds


def _fit_label(message) -> str:
    if not message.fit_ok:
        return "no R_int" + (f" ({message.model})" if message.model else "")
    return f"R_int {message.interface_resistance_ohm:.4g} ohm, {message.model}"
