"""Run records: folder per run, CSV, MCAP readable by ROS tools, summary, plot; crash-safe."""
import json
import math
import os
import subprocess
import sys
import time

from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory

from press_control.control.profiles import Segment
from press_control.records.bag_reader import read_bag
from press_control.records.run_record import RunRecord
from press_control.ros.bag_codec import RosMessageCodec
from press_control_interfaces.msg import PressState


def _fill(record, seconds=3.0):
    for i in range(int(seconds * 20)):
        t = i / 20
        record.add_sample(time_s=t, segment=0 if t < 1.5 else 1, phase="ramping",
                          setpoint_mpa=10 * t, measured_mpa=10 * t + 0.1, error_mpa=0.1,
                          relative_density=math.nan, impedance_ohm=100.0)
        state = PressState(pressure_mpa=10 * t, mode_name="RAMP")
        record.add_message("state", state, int(t * 1e9))


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
    assert len(open(record.path("samples.csv")).readlines()) == 61
    with open(record.path("bag/run.mcap"), "rb") as stream:
        decoded = list(make_reader(stream, decoder_factories=[DecoderFactory()])
                       .iter_decoded_messages(topics=["state"]))
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
        "    r.add_message('state', PressState(pressure_mpa=float(i)), i * 50_000_000)\n"
        "    time.sleep(0.05)\n")
    process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                               stdout=subprocess.PIPE, text=True)
    folder = process.stdout.readline().strip()
    time.sleep(3.0)
    process.kill()
    process.wait()
    assert json.load(open(os.path.join(folder, "summary.json")))["status"] == "running"
    assert len(open(os.path.join(folder, "samples.csv")).readlines()) > 10
    messages = read_bag(os.path.join(folder, "bag", "run.mcap"))
    assert len(messages) > 10
    assert messages[-1][2].pressure_mpa == len(messages) - 1
