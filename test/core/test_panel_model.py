"""PanelModel: the latest values, a bounded trace at its own period, JSON-ready snapshots."""
import json
import math

from press_control.panel.model import PanelModel


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_trace_is_sampled_at_its_period_and_bounded_to_the_window():
    clock = Clock()
    model = PanelModel(window_s=2.0, trace_period_s=0.1, clock=clock)
    for step in range(500):                          # 5 s of state at 100 Hz
        clock.now = 100.0 + step * 0.01
        model.on_press(pressure_mpa=float(step), setpoint_mpa=1.0)
    snapshot = model.snapshot()
    assert len(snapshot["trace"]) == 20              # 2 s window / 0.1 s
    times = [row[0] for row in snapshot["trace"]]
    assert all(0.099 <= b - a <= 0.111 for a, b in zip(times, times[1:]))   # 100 Hz input
    assert snapshot["trace"][-1][1] >= 480.0
    assert snapshot["press"]["pressure_mpa"] == 499.0


def test_snapshots_send_only_what_is_new():
    clock = Clock()
    model = PanelModel(trace_period_s=0.1, clock=clock)
    model.on_press(pressure_mpa=1.0)
    model.on_spectrum(frequency_hz=[1.0], z_real_ohm=[2.0], z_imag_ohm=[-3.0])
    first = model.snapshot()
    assert len(first["trace"]) == 1 and first["spectrum"]["sequence"] == 1
    clock.now += 0.2
    model.on_press(pressure_mpa=2.0)
    second = model.snapshot(first["trace_last"], first["spectrum_sequence"])
    assert [row[1] for row in second["trace"]] == [2.0] and second["spectrum"] is None


def test_goal_segments_mark_the_trace_and_end_with_the_result():
    clock = Clock()
    model = PanelModel(trace_period_s=0.1, clock=clock)
    model.on_feedback(cell_id="c1", segment_index=2)
    model.on_press(pressure_mpa=5.0)
    model.on_result(outcome="CANCELED", cell_id="c1")
    clock.now += 1
    model.on_press(pressure_mpa=0.0)
    snapshot = model.snapshot()
    assert [row[3] for row in snapshot["trace"]] == [2, None]
    assert snapshot["goal"]["active"] is False
    assert snapshot["last_result"]["outcome"] == "CANCELED"


def test_not_a_number_becomes_null_and_events_come_and_go():
    model = PanelModel()
    model.on_interface(interface_resistance_ohm=math.nan, impedance_ohm=math.inf)
    model.on_event("short_suspected", True, "|Z| 3 ohm")
    model.on_event("contact_established", True, "")
    model.on_event("short_suspected", False, "")
    snapshot = model.snapshot()
    text = json.dumps(snapshot, allow_nan=False)
    assert snapshot["interface"]["interface_resistance_ohm"] is None and "NaN" not in text
    assert [e["name"] for e in snapshot["events"]] == ["contact_established"]
