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

from press_control.records.plot import plot_run

CSV_COLUMNS = ["time_s", "segment", "phase", "setpoint_mpa", "measured_mpa", "error_mpa",
               "relative_density", "impedance_ohm", "interface_resistance_ohm"]
FLUSH_PERIOD_S = 1.0


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "cell"


class RunRecord:
    """The files of one run; add samples and messages, then finish().

    Messages are written through `codec` (see press_control.ros.bag_codec): an object with
    `schema(message) -> (type_name, ros2msg definition)` and `serialize(message) -> bytes`,
    so this module stays free of ROS.
    """

    def __init__(self, root: str, cell_id: str, goal: dict, started: datetime.datetime = None,
                 codec=None):
        self.codec = codec
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
        if self.codec is None:
            raise ValueError("this record has no message codec")
        if topic not in self._channels:
            type_name, definition = self.codec.schema(message)
            schema = self._bag.register_schema(type_name, "ros2msg", definition.encode())
            self._channels[topic] = self._bag.register_channel(topic, "cdr", schema)
        self._sequence += 1
        self._bag.add_message(self._channels[topic], stamp_ns, self.codec.serialize(message),
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
