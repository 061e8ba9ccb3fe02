"""Per-run records: a folder per cell and run, written as the run goes.

* `bag/` — a rosbag2 bag: `run.mcap` (ROS 2 messages under their full topic names, as they
  arrived, with the ros2msg schemas and CDR payloads that `ros2 bag`, rosbags and Foxglove
  read; unchunked and flushed every second, so a killed run keeps all but the last second)
  and `metadata.yaml` (rewritten at every flush).
* `samples.csv` — the run at the feedback rate for spreadsheets, flushed every second.
* `spectra/sweep_NNN.csv` — every EIS sweep: frequency [Hz], Z' [ohm], Z'' [ohm], no header
  (the layout impedance.py's `preprocessing.readCSV` reads).
* `summary.json` — goal, outcome and statistics (written at the start as "running"); strict
  JSON: a value that is not a number is `null` (docs/summary.schema.json).
* `plot.png`, `plot.svg` — pressure and setpoint with segments, ``|Z|`` and R_interface on log
  axes, density, and the Nyquist plot of the first and last sweep; drawn after the run
  ended, in a child process (summary.json's `plot` says when they are there), or
  later by `pressctl runs plot RUN` (plot_record) when the run was recorded without.
"""
import csv
import datetime
import json
import math
import os
import re
import threading
import time

from press_control.records.compaction_record import compaction_of, write_steps
from press_control.records.plot import submit_plot
from press_control.records.rosbag_metadata import (TopicTally, metadata, offered_qos_yaml,
                                                   write_metadata)

CSV_COLUMNS = ["time_s", "segment", "phase", "setpoint_mpa", "measured_mpa", "error_mpa",
               "relative_density", "impedance_ohm", "interface_resistance_ohm"]
FLUSH_PERIOD_S = 1.0


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "cell"


def strict_json(value):
    """`value` with every NaN or infinity replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(item) for item in value]
    return value


def write_summary(folder: str, summary: dict) -> None:
    """summary.json, replaced whole (a reader never sees half a file)."""
    temporary = os.path.join(folder, "summary.json.tmp")
    with open(temporary, "w") as stream:
        json.dump(strict_json(summary), stream, indent=2, default=str, allow_nan=False)
    os.replace(temporary, os.path.join(folder, "summary.json"))


class Spectrum:
    """One EIS sweep: frequencies [Hz] and the two impedance components [ohm]."""

    def __init__(self, frequency_hz, z_real_ohm, z_imag_ohm, label: str = ""):
        self.frequency_hz = [float(f) for f in frequency_hz]
        self.z_real_ohm = [float(z) for z in z_real_ohm]
        self.z_imag_ohm = [float(z) for z in z_imag_ohm]
        self.label = label


class RunRecord:
    """The files of one run; add samples and messages, then finish().

    Messages are written through `codec` (see press_control.ros.bag_codec): an object with
    `schema(message) -> (type_name, ros2msg definition)` and `serialize(message) -> bytes`,
    so this module stays free of ROS. Every method may be called from any thread.
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
        self._lock = threading.RLock()
        self.spectra = []
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
        self._topics = {}
        self._first_ns, self._last_ns = None, 0
        self._sequence = 0
        self._last_flush = time.monotonic()
        self.closed = False
        self._plot_written = threading.Event()   # the plot's outcome is in summary.json

    def path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def add_sample(self, **values) -> None:
        row = [values.get(column, "") for column in CSV_COLUMNS]
        with self._lock:
            if self.closed:
                return
            self._csv.writerow(["" if isinstance(v, float) and math.isnan(v) else v
                                for v in row])
            self.rows.append(values)
            self.flush_if_due()

    def add_message(self, topic: str, message, stamp_ns: int, latched: bool = False) -> None:
        """Write `message` on `topic` (its full name, e.g. /press_1/state) at stamp_ns."""
        if self.codec is None:
            raise ValueError("this record has no message codec")
        payload = self.codec.serialize(message)
        with self._lock:
            if self.closed:
                return
            if topic not in self._channels:
                type_name, definition = self.codec.schema(message)
                tally = TopicTally(topic, type_name, latched)
                schema = self._bag.register_schema(type_name, "ros2msg", definition.encode())
                self._channels[topic] = self._bag.register_channel(
                    topic, "cdr", schema,
                    {"offered_qos_profiles": offered_qos_yaml(latched)})
                self._topics[topic] = tally
            self._sequence += 1
            self._topics[topic].count += 1
            # Unindexed MCAP must be in time order; arrivals stamped on two threads can
            # cross by microseconds.
            stamp_ns = max(stamp_ns, self._last_ns)
            if self._first_ns is None:
                self._first_ns = stamp_ns
            self._last_ns = stamp_ns
            self._bag.add_message(self._channels[topic], stamp_ns, payload, stamp_ns,
                                  self._sequence)
            self.flush_if_due()

    def add_spectrum(self, spectrum: Spectrum) -> str:
        """Keep one EIS sweep as spectra/sweep_NNN.csv; returns the file's path."""
        with self._lock:
            if self.closed:
                return ""
            self.spectra.append(spectrum)
            os.makedirs(self.path("spectra"), exist_ok=True)
            path = self.path(f"spectra/sweep_{len(self.spectra):03d}.csv")
            with open(path, "w", newline="") as stream:
                writer = csv.writer(stream)
                for row in zip(spectrum.frequency_hz, spectrum.z_real_ohm,
                               spectrum.z_imag_ohm):
                    writer.writerow([repr(value) for value in row])
            return path

    def flush_if_due(self) -> None:
        if time.monotonic() - self._last_flush >= FLUSH_PERIOD_S:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            self._csv_file.flush()
            self._bag_file.flush()
            os.fsync(self._bag_file.fileno())
            self._write_bag_metadata()
            self._last_flush = time.monotonic()

    def _write_bag_metadata(self) -> None:
        write_metadata(self.path("bag"), metadata(
            "run.mcap", list(self._topics.values()), self._first_ns or 0, self._last_ns))

    def finish(self, result: dict, segments=(), plot: bool = True) -> list:
        """Close the files and write the summary; the plot follows from a child process.

        plot false: no plot now (summary.json says `"plot": "off"`); plot_record draws it.

        Returns the record's files, the plot's two among them. Drawing takes 2 CPU-seconds
        or more (more on a busy host), so the goal's result and the arm's unload do not wait
        for it: summary.json says `"plot": "pending"` until the files are there ("drawn")
        or it could not be drawn ("failed", with plot_error). wait_for_plot() waits.
        """
        with self._lock:
            if self.closed:
                return self.files()
            self.closed = True
            self._bag.finish()
            self._bag_file.close()
            self._write_bag_metadata()
            self._csv_file.close()
            result = dict(result)
            compaction = compaction_of(self.summary.get("goal") or {},
                                       result.pop("sweeps", None))
            if compaction is not None:
                result["compaction"] = compaction
                if "steps" in compaction:
                    write_steps(self.path("compaction.csv"), compaction)
            self.summary.update(result)
            self.summary["status"] = result.get("outcome", "finished")
            self.summary["finished"] = datetime.datetime.now(
                datetime.timezone.utc).isoformat()
            self.summary["plot"] = "pending" if plot else "off"
            self._write_summary()
        if not plot:
            self._plot_written.set()
            return self.files()
        try:
            drawing = submit_plot(self.rows, segments, self.spectra, self.path("plot"),
                                  f"{self.summary['cell_id']}: {self.summary['status']}",
                                  compaction=self.summary.get("compaction"))
        except RuntimeError as error:      # the interpreter is shutting down
            self._plot_ended(error)
            return self.files()
        drawing.add_done_callback(lambda future: self._plot_ended(future.exception()))
        return sorted(set(self.files()) | {self.path("plot.png"), self.path("plot.svg")})

    def _plot_ended(self, error) -> None:
        try:
            with self._lock:
                self.summary["plot"] = "failed" if error else "drawn"
                if error:                    # a plot must never lose the record
                    self.summary["plot_error"] = f"{type(error).__name__}: {error}"
                self._write_summary()
        finally:
            self._plot_written.set()

    def wait_for_plot(self, timeout_s: float = 120.0) -> bool:
        """True once the plot is drawn; False if it failed or is still being drawn."""
        return self._plot_written.wait(timeout_s) and self.summary.get("plot") == "drawn"

    def files(self) -> list:
        return sorted(os.path.join(root, name) for root, _, names in os.walk(self.folder)
                      for name in names)

    def _write_summary(self) -> None:
        write_summary(self.folder, self.summary)
