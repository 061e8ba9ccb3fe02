"""Run records: folder per run, CSV, MCAP readable by ROS tools, summary, plot; crash-safe."""
import json
import math
import os
import subprocess
import sys

from pathlib import Path

import jsonschema
import pytest
import yaml
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from rosbags.highlevel import AnyReader

from press_control.control.profiles import Segment
from press_control.records.bag_reader import read_bag
from press_control.records.run_record import RunRecord, Spectrum
from press_control.ros.bag_codec import RosMessageCodec
from press_control_interfaces.msg import HandlingState, PressState
from waiting import wait_for


def _fill(record, seconds=3.0):
    for i in range(int(seconds * 20)):
        t = i / 20
        record.add_sample(time_s=t, segment=0 if t < 1.5 else 1, phase="ramping",
                          setpoint_mpa=10 * t, measured_mpa=10 * t + 0.1, error_mpa=0.1,
                          relative_density=math.nan, impedance_ohm=100.0)
        state = PressState(pressure_mpa=10 * t, mode_name="RAMP")
        record.add_message("/press_1/state", state, int(t * 1e9))


def test_complete_record(tmp_path):
    record = RunRecord(str(tmp_path), "cell/7 A", {"preset": "demo_cell"},
                       codec=RosMessageCodec())
    assert os.path.basename(record.folder).startswith("cell-7-A_")
    assert json.load(open(record.path("summary.json")))["status"] == "running"
    _fill(record)
    files = record.finish({"outcome": "SUCCEEDED", "peak_mpa": 29.6},
                          [Segment("ramp", 30.0, 10.0), Segment("hold", 30.0)])
    names = {os.path.relpath(f, record.folder) for f in files}
    assert {"summary.json", "samples.csv", "plot.png", "bag/run.mcap"} <= names
    assert json.load(open(record.path("summary.json")))["status"] == "SUCCEEDED"
    assert record.wait_for_plot()
    assert json.load(open(record.path("summary.json")))["plot"] == "drawn"
    assert os.path.getsize(record.path("plot.png")) > 10_000
    assert len(open(record.path("samples.csv")).readlines()) == 61
    with open(record.path("bag/run.mcap"), "rb") as stream:
        decoded = list(make_reader(stream, decoder_factories=[DecoderFactory()])
                       .iter_decoded_messages(topics=["/press_1/state"]))
    assert len(decoded) == 60
    assert decoded[-1].decoded_message.mode_name == "RAMP"


def test_runs_are_never_overwritten(tmp_path):
    import datetime
    when = datetime.datetime(2026, 11, 25, 12, 0, 0)
    first = RunRecord(str(tmp_path), "c1", {}, started=when)
    second = RunRecord(str(tmp_path), "c1", {}, started=when)
    assert first.folder != second.folder


def test_a_killed_run_keeps_its_record(tmp_path):
    script = (
        "import sys, time\n"
        "from press_control.records.run_record import RunRecord\n"
        "from press_control.ros.bag_codec import RosMessageCodec\n"
        "from press_control_interfaces.msg import PressState\n"
        "r = RunRecord(sys.argv[1], 'killed', {}, codec=RosMessageCodec())\n"
        "print(r.folder, flush=True)\n"
        "for i in range(10**6):\n"
        "    r.add_sample(time_s=i * 0.05, segment=0, measured_mpa=1.0)\n"
        "    r.add_message('/state', PressState(pressure_mpa=float(i)), i * 50_000_000)\n"
        "    time.sleep(0.05)\n")
    process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                               stdout=subprocess.PIPE, text=True)
    folder = process.stdout.readline().strip()

    def flushed_with_ten_messages():         # metadata.yaml is written at every flush
        try:
            with open(os.path.join(folder, "bag", "metadata.yaml")) as stream:
                document = yaml.safe_load(stream)
        except (OSError, yaml.YAMLError):
            return False
        return document["rosbag2_bagfile_information"]["message_count"] > 10
    wait_for(flushed_with_ten_messages, timeout=60.0, message="a flush of more than 10")
    process.kill()
    process.wait()
    assert json.load(open(os.path.join(folder, "summary.json")))["status"] == "running"
    assert len(open(os.path.join(folder, "samples.csv")).readlines()) > 10
    messages = read_bag(os.path.join(folder, "bag", "run.mcap"))
    assert len(messages) > 10
    assert messages[-1][2].pressure_mpa == len(messages) - 1
    with open(os.path.join(folder, "bag", "metadata.yaml")) as stream:   # of the last flush
        information = yaml.safe_load(stream)["rosbag2_bagfile_information"]
    assert 10 < information["message_count"] <= len(messages)


def _arc(resistance_ohm, capacitance_f, frequencies):
    """Z of R parallel to C: the generator of the test spectra (shares no code with ours)."""
    return [resistance_ohm / (1 + 2j * math.pi * f * resistance_ohm * capacitance_f)
            for f in frequencies]


def test_stock_readers_open_the_bag_with_full_topic_names_and_own_rates(tmp_path):
    record = RunRecord(str(tmp_path), "c", {}, codec=RosMessageCodec())
    for i in range(100):                                      # state at 100 Hz for 1 s
        if i % 50 == 0:                                       # handling state as it changed
            record.add_message("/press_1/handling/state", HandlingState(state=i // 50),
                               1_000_000_000 + i * 10_000_000, latched=True)
        record.add_message("/press_1/state", PressState(pressure_mpa=float(i)),
                           1_000_000_000 + i * 10_000_000)
    record.finish({"outcome": "SUCCEEDED"})
    with AnyReader([Path(record.folder, "bag")]) as reader:
        counts = {c.topic: c.msgcount for c in reader.connections}
        assert counts == {"/press_1/state": 100, "/press_1/handling/state": 2}
        assert {c.msgtype for c in reader.connections} == {
            "press_control_interfaces/msg/PressState",
            "press_control_interfaces/msg/HandlingState"}
        latched = [c for c in reader.connections if c.topic == "/press_1/handling/state"][0]
        assert latched.ext.offered_qos_profiles[0].durability.name == "TRANSIENT_LOCAL"
        states = [(t, reader.deserialize(raw, c.msgtype).pressure_mpa)
                  for c, t, raw in reader.messages() if c.topic == "/press_1/state"]
        assert [p for _, p in states] == [float(i) for i in range(100)]
        assert reader.duration == 990_000_000 + 1
        assert reader.start_time == 1_000_000_000


def test_summary_is_strict_json(tmp_path):
    record = RunRecord(str(tmp_path), "c", {"hold_scale": math.nan})
    record.finish({"outcome": "ABORTED", "peak_mpa": math.nan,
                   "segments": [{"index": 0, "type": "hold", "completed": False,
                                 "overshoot_mpa": math.inf, "p99_abs_error_mpa": 0.5}]})
    text = open(record.path("summary.json")).read()
    assert "NaN" not in text and "Infinity" not in text
    summary = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert summary["peak_mpa"] is None and summary["goal"]["hold_scale"] is None
    schema = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "summary.schema.json")
    jsonschema.validate(summary, json.load(open(schema)))
    assert summary["segments"][0]["overshoot_mpa"] is None


def test_a_plot_that_fails_leaves_the_record_whole_and_says_why(tmp_path):
    record = RunRecord(str(tmp_path), "c", {}, codec=RosMessageCodec())
    _fill(record)
    os.makedirs(record.path("plot.png"))          # the drawing process cannot write there
    record.finish({"outcome": "SUCCEEDED"})
    assert not record.wait_for_plot()
    summary = json.load(open(record.path("summary.json")))
    assert summary["plot"] == "failed" and "plot.png" in summary["plot_error"]
    assert summary["status"] == "SUCCEEDED"
    assert len(open(record.path("samples.csv")).readlines()) == 61


def test_every_sweep_is_kept_as_csv_and_drawn(tmp_path):
    frequencies = [10 ** (6 - k / 5) for k in range(31)]
    record = RunRecord(str(tmp_path), "c", {})
    for resistance in (1000.0, 300.0):
        z = [100 + zi for zi in _arc(resistance, 1e-6, frequencies)]
        record.add_spectrum(Spectrum(frequencies, [v.real for v in z], [v.imag for v in z]))
    files = record.finish({"outcome": "SUCCEEDED"})
    assert record.wait_for_plot()
    names = {os.path.relpath(f, record.folder) for f in record.files()}
    assert names == {os.path.relpath(f, record.folder) for f in files}
    assert {"spectra/sweep_001.csv", "spectra/sweep_002.csv", "plot.png", "plot.svg"} <= names
    rows = [line.split(",") for line in open(record.path("spectra/sweep_002.csv"))]
    assert len(rows) == 31 and float(rows[0][0]) == 1e6
    low = complex(float(rows[-1][1]), float(rows[-1][2]))
    assert abs(low - (100 + _arc(300.0, 1e-6, [frequencies[-1]])[0])) < 1e-9
    from impedance.preprocessing import readCSV         # the field's own reader
    read_frequencies, read_z = readCSV(record.path("spectra/sweep_002.csv"))
    assert list(read_frequencies) == pytest.approx(frequencies)
    assert list(read_z) == pytest.approx(z)
    assert "Nyquist" in open(record.path("plot.svg")).read() or \
        os.path.getsize(record.path("plot.svg")) > 10_000
