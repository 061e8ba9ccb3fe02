"""Per-run records: a folder per cell and run, written as the run goes.

* `bag/run.mcap` — ROS 2 messages (state, feedback, interface health) as an MCAP file with
  the ros2msg schemas and CDR payloads that `ros2 bag` (rosbag2_storage_mcap) and Foxglove
  read; written without chunking and flushed every second, so a killed run keeps all but
  the last second.
* `samples.csv` — the same run for spreadsheets, flushed every second.
* `summary.json` — goal, outcome and statistics (written at the start as "running").
* `plot.png` — setpoint and pressure against time with segments marked, plus impedance and
  density.
"""
import csv
import datetime
import json
import math
import os
import re
import time

from press_control.ros_schema import message_definition, type_name_of

CSV_COLUMNS = ["time_s", "segment", "phase", "setpoint_mpa", "measured_mpa", "error_mpa",
               "relative_density", "impedance_ohm", "interface_resistance_ohm"]
FLUSH_PERIOD_S = 1.0


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "cell"


class RunRecord:
    """The files of one run; add samples and messages, then finish()."""

    def __init__(self, root: str, cell_id: str, goal: dict, started: datetime.datetime = None):
        started = started or datetime.datetime.now(datetime.timezone.utc)
        base = os.path.join(os.path.expanduser(root),
                            f"{_safe(cell_id)}_{started.strftime('%Y%m%dT%H%M%SZ')}")
        self.folder, suffix = base, 1
        while True:
            try:
                os.makedirs(self.folder)
                break
            except FileExistsError:
                suffix += 1
                self.folder = f"{base}_{suffix}"
        os.makedirs(os.path.join(self.folder, "bag"))
        self.summary = {"cell_id": cell_id, "started": started.isoformat(), "status": "running",
                        "goal": goal}
        self._write_summary()
        self._csv_file = open(self.path("samples.csv"), "w", newline="")
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(CSV_COLUMNS)
        self.rows = []
        self._bag_file = open(self.path("bag/run.mcap"), "wb")
        from mcap.writer import CompressionType, Writer
        self._bag = Writer(self._bag_file, use_chunking=False,
                           compression=CompressionType.NONE)
        self._bag.start(profile="ros2", library="press_control")
        self._channels = {}
        self._sequence = 0
        self._last_flush = time.monotonic()
        self.closed = False

    def path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def add_sample(self, **values) -> None:
        row = [values.get(column, "") for column in CSV_COLUMNS]
        self._csv.writerow(["" if isinstance(v, float) and math.isnan(v) else v for v in row])
        self.rows.append(values)
        self.flush_if_due()

    def add_message(self, topic: str, message, stamp_ns: int) -> None:
        from rclpy.serialization import serialize_message
        if topic not in self._channels:
            type_name = type_name_of(message)
            schema = self._bag.register_schema(type_name, "ros2msg",
                                               message_definition(type_name).encode())
            self._channels[topic] = self._bag.register_channel(topic, "cdr", schema)
        self._sequence += 1
        self._bag.add_message(self._channels[topic], stamp_ns, serialize_message(message),
                              stamp_ns, self._sequence)
        self.flush_if_due()

    def flush_if_due(self) -> None:
        if time.monotonic() - self._last_flush >= FLUSH_PERIOD_S:
            self.flush()

    def flush(self) -> None:
        self._csv_file.flush()
        self._bag_file.flush()
        os.fsync(self._bag_file.fileno())
        self._last_flush = time.monotonic()

    def finish(self, result: dict, segments=()) -> list:
        """Close the files, write the summary and the plot; returns the record's files."""
        if self.closed:
            return self.files()
        self.closed = True
        self._bag.finish()
        self._bag_file.close()
        self._csv_file.close()
        self.summary.update(result)
        self.summary["status"] = result.get("outcome", "finished")
        self.summary["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
        self._write_summary()
        try:
            plot_run(self.rows, segments, self.path("plot.png"),
                     f"{self.summary['cell_id']}: {self.summary['status']}")
        except Exception as error:  # noqa: BLE001 - a plot must never lose the record
            self.summary["plot_error"] = str(error)
            self._write_summary()
        return self.files()

    def files(self) -> list:
        return sorted(os.path.join(root, name) for root, _, names in os.walk(self.folder)
                      for name in names)

    def _write_summary(self) -> None:
        temporary = self.path("summary.json.tmp")
        with open(temporary, "w") as stream:
            json.dump(self.summary, stream, indent=2, default=str)
        os.replace(temporary, self.path("summary.json"))


def plot_run(rows, segments, path: str, title: str) -> None:
    """Setpoint and pressure against time (segments shaded), impedance and density."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def column(name):
        return [row.get(name, math.nan) for row in rows]
    t = column("time_s")
    figure, (top, middle, bottom) = plt.subplots(3, 1, sharex=True, figsize=(10, 8),
                                                 height_ratios=[3, 1.5, 1.5])
    top.plot(t, column("setpoint_mpa"), "--", color="tab:gray", label="setpoint")
    top.plot(t, column("measured_mpa"), color="tab:blue", label="measured pressure")
    indices = column("segment")
    for index in sorted({i for i in indices if isinstance(i, int) and i >= 0}):
        times = [ti for ti, si in zip(t, indices) if si == index]
        label = segments[index].type if index < len(segments) else str(index)
        top.axvspan(times[0], times[-1], alpha=0.08 if index % 2 else 0.16, color="tab:orange")
        top.text(times[0], 0.98, f" {index + 1} {label}", transform=top.get_xaxis_transform(),
                 va="top", fontsize=8)
    top.set_ylabel("pressure on sample [MPa]")
    top.legend(loc="lower right")
    top.set_title(title)
    middle.plot(t, column("impedance_ohm"), color="tab:red", label="|Z|")
    middle.plot(t, column("interface_resistance_ohm"), color="tab:purple",
                label="R interface")
    middle.set_ylabel("ohm")
    middle.legend(loc="upper right")
    bottom.plot(t, column("relative_density"), color="tab:green")
    bottom.set_ylabel("relative density")
    bottom.set_xlabel("time [s]")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def read_bag(path: str) -> list:
    """(topic, log_time_ns, decoded message) of every message in a run's MCAP file.

    Reads sequentially, so the file of a run that was killed (no footer, a torn last
    record) yields everything up to its last flush.
    """
    from mcap.exceptions import McapError
    from mcap.records import Channel, Message, Schema
    from mcap.stream_reader import StreamReader
    from mcap_ros2.decoder import DecoderFactory

    factory, schemas, channels, decoders, messages = DecoderFactory(), {}, {}, {}, []
    with open(path, "rb") as stream:
        try:
            for record in StreamReader(stream).records:
                if isinstance(record, Schema):
                    schemas[record.id] = record
                elif isinstance(record, Channel):
                    channels[record.id] = record
                elif isinstance(record, Message):
                    channel = channels[record.channel_id]
                    if channel.id not in decoders:
                        decoders[channel.id] = factory.decoder_for(
                            channel.message_encoding, schemas[channel.schema_id])
                    messages.append((channel.topic, record.log_time,
                                     decoders[channel.id](record.data)))
        except (McapError, EOFError, ValueError, KeyError):
            pass          # torn tail of a run that did not finish
    return messages
