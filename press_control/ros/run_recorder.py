"""run_recorder: the run record of every goal, written from the cell's topics at their own rates.

profile_server tells it when a goal starts and ends (the `record` service, RecordRun); in
between it files every message of the cell's topics into that goal's RunRecord
(records/run_record.py) as it arrives, under the full topic names: `state` (the driver's
100 Hz, as the CDR bytes came), `installed_die`, `force_calibration`, `interface/health`,
`interface/events`, `interface/spectrum` (also as `spectra/sweep_NNN.csv`),
`handling/state`, `cell/stack`, `/diagnostics` and the goal's feedback
(`run_profile/feedback`, also the rows of `samples.csv`). The latched topics' last messages
open every record, as `ros2 bag record` would receive them on joining. All disk I/O of a
run happens here, in a process of its own: the sequencer never waits on a disk. A record
that cannot be written (a full disk) is announced on `record/failure` (RecordFailure):
profile_server aborts that goal, which releases the press.

The topics are taken by HotInputs (ros/hot_input.py): at 100 Hz through rclpy's Python
executor, `state` alone would cost several percent of a core.
"""
import json
import sys
import threading

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from std_msgs.msg import String

from press_control.control.profiles import Segment
from press_control.records.run_record import RunRecord
from press_control.ros.bag_codec import RosMessageCodec, Serialized
from press_control.ros.guard import guarded, guarded_service
from press_control.ros.hot_input import HotInputs
from press_control.ros.parameters import RECORDER_PARAMETERS, declare
from press_control.ros.qos import LATCHED
from press_control.ros.record_tap import RecordTap
from press_control.ros.spin import spin_node
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import (CellStack, HandlingState, ImpedanceSpectrum,
                                          InterfaceEvent, InterfaceHealth, PressState,
                                          RecordFailure)
from press_control_interfaces.srv import RecordRun


# How often each topic goes out (docs/interfaces.md shows this table).
PUBLISH_RATES = {"record/failure": "when a run's record cannot be written"}


def _fill_failed(response, text):
    response.ok, response.reason = False, text


class RunRecorderNode(Node):
    """Writes the record of the goal profile_server says is running."""

    def __init__(self, **kwargs):
        super().__init__("run_recorder", **kwargs)
        self.config = declare(self, RECORDER_PARAMETERS)
        self.tap = RecordTap(self, on_failure=self._record_failed)
        self.codec = RosMessageCodec()
        self.force_calibration = None
        self.health = None
        self._lock = threading.Lock()           # the goal being recorded, and its record
        self.goal_id, self.record, self.segments, self.problem = "", None, [], ""
        self._finished = None       # (goal id, the answer) of the last record closed
        self.hot_inputs = HotInputs(self, period_s=0.02)
        inputs = self.hot_inputs
        inputs.add(PressState, "state", guarded(self, self.on_state), raw=True)
        inputs.add(String, "installed_die", guarded(self, self.latched("installed_die")),
                   qos=LATCHED)
        inputs.add(String, "force_calibration", guarded(self, self.on_force_calibration),
                   qos=LATCHED)
        inputs.add(InterfaceHealth, "interface/health", guarded(self, self.on_health), depth=10)
        inputs.add(InterfaceEvent, "interface/events",
                   guarded(self, self.plain("interface/events")), depth=50)
        inputs.add(ImpedanceSpectrum, "interface/spectrum", guarded(self, self.on_spectrum),
                   qos=LATCHED)
        inputs.add(HandlingState, "handling/state",
                   guarded(self, self.latched("handling/state")), qos=LATCHED)
        inputs.add(CellStack, "cell/stack", guarded(self, self.latched("cell/stack")),
                   qos=LATCHED)
        inputs.add(DiagnosticArray, "/diagnostics", guarded(self, self.plain("/diagnostics")),
                   depth=10)
        inputs.add(RunPressureProfile.Impl.FeedbackMessage, "run_profile/_action/feedback",
                   guarded(self, self.on_feedback), depth=50)
        self.create_service(RecordRun, "record", guarded_service(self, self.on_record,
                                                                 _fill_failed))
        self.failures = self.create_publisher(RecordFailure, "record/failure", 10)
        self.get_logger().info(f"recording runs into {self.config.record_dir}")

    def destroy_node(self):
        self.hot_inputs.close()
        with self._lock:
            record, self.record = self.record, None
        if record is not None:                  # Ctrl-C mid-goal: what was written stays
            self._close(record, {"outcome": "INTERRUPTED",
                                 "reason": "run_recorder stopped before the goal ended"})
        super().destroy_node()

    # ---- inputs ------------------------------------------------------------------------
    def latched(self, topic: str):
        return lambda message: self.tap.write(topic, message, latched=True)

    def plain(self, topic: str):
        return lambda message: self.tap.write(topic, message)

    def on_state(self, data: bytes) -> None:
        self.tap.write("state", Serialized(PressState, data))

    def on_force_calibration(self, message: String) -> None:
        try:
            self.force_calibration = json.loads(message.data)
        except ValueError:
            self.force_calibration = {"unreadable": message.data}
        self.tap.write("force_calibration", message, latched=True)

    def on_health(self, message: InterfaceHealth) -> None:
        self.health = message
        self.tap.write("interface/health", message)

    def on_spectrum(self, message: ImpedanceSpectrum) -> None:
        self.tap.write_spectrum("interface/spectrum", message)

    def on_feedback(self, message) -> None:
        """The goal's feedback: into the bag and, as one row, into samples.csv."""
        with self._lock:
            record = self.record
            ours = record is not None and bytes(message.goal_id.uuid).hex() == self.goal_id
        if not ours:
            return
        feedback = message.feedback
        self.tap.write("run_profile/feedback", feedback)
        health = self.health
        try:
            record.add_sample(time_s=round(feedback.elapsed_s, 3),
                              segment=feedback.segment_index, phase=feedback.phase,
                              setpoint_mpa=feedback.setpoint_mpa,
                              measured_mpa=feedback.measured_mpa, error_mpa=feedback.error_mpa,
                              relative_density=feedback.relative_density,
                              impedance_ohm=feedback.impedance_ohm,
                              interface_resistance_ohm=health.interface_resistance_ohm
                              if health is not None else float("nan"))
        except OSError as error:
            self.tap.failed(record, error)

    # ---- the record service --------------------------------------------------------------
    def on_record(self, request, response):
        if request.action == RecordRun.Request.START:
            return self.start(request, response)
        if request.action == RecordRun.Request.FINISH:
            return self.finish(request, response)
        _fill_failed(response, f"unknown action {request.action}")
        return response

    def start(self, request, response):
        with self._lock:
            if self.record is not None and request.goal_id == self.goal_id:
                response.ok, response.record_dir = True, self.record.folder   # asked again
                return response
        details = json.loads(request.details_json or "{}")
        details["force_calibration"] = self.force_calibration
        segments = [Segment.from_dict(segment) for segment in details.get("segments", [])]
        record = RunRecord(self.config.record_dir, request.cell_id, details, codec=self.codec)
        with self._lock:
            earlier, self.record = self.record, record
            self.goal_id, self.segments, self.problem = request.goal_id, segments, ""
        if earlier is not None:
            self._close(earlier, {"outcome": "INTERRUPTED",
                                  "reason": "a new goal started before this one finished"})
        self.tap.start(record)
        response.ok, response.record_dir = True, record.folder
        return response

    def finish(self, request, response):
        with self._lock:
            if self._finished is not None and self._finished[0] == request.goal_id:
                return self._finished[1]                # asked again: the same answer
            record = self.record if request.goal_id == self.goal_id else None
            if record is not None:
                self.record = None
            segments, problem = self.segments, self.problem
        if record is None:
            _fill_failed(response, f"run_recorder has no record of goal {request.goal_id} "
                                   "(it was restarted while the goal ran?)")
            return response
        self.tap.stop()
        response.record_dir = record.folder
        response.record_files = self._close(record, json.loads(request.details_json or "{}"),
                                            segments)
        response.ok = not problem
        response.reason = problem
        with self._lock:
            self._finished = (request.goal_id, response)
        return response

    def _close(self, record, summary: dict, segments=()) -> list:
        try:
            return record.finish(summary, segments, plot=self.config.record_plot)
        except OSError as error:
            self._record_failed(record, error)
            return record.files()

    def _record_failed(self, record, error) -> None:
        with self._lock:
            first = not self.problem
            self.problem = self.problem or f"the run record {record.folder} cannot be " \
                                           f"written ({error})"
            goal_id, problem = self.goal_id, self.problem
        if first:
            self.failures.publish(RecordFailure(goal_id=goal_id, record_dir=record.folder,
                                                reason=problem))


def main(args=None) -> int:
    return spin_node(RunRecorderNode, args)


if __name__ == "__main__":
    sys.exit(main())
