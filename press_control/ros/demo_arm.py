"""demo_arm: a robot arm as the press sees one, for demos and handshake tests.

For each of `cells` cells it waits for handling/state READY_TO_LOAD, enters the workspace
and places the cell, leaves, waits for LOADED, runs the profile through the run_profile
action, waits for READY_TO_UNLOAD, enters, takes the cell and leaves. Every move takes
dwell_s plus a random jitter. Its heartbeat on handling/arm says at all times whether it is
in the workspace, which cell it carries and what it intends.
"""
import dataclasses
import json
import random
import threading
import time

from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node

from press_control.ros.qos import LATCHED
from press_control.control.handshake import (FAULT, INTENT_LOAD, INTENT_NONE, INTENT_UNLOAD,
                                             LOADED, READY_TO_LOAD, READY_TO_UNLOAD)
from press_control.control.profile_runner import REJECTED, SUCCEEDED
from press_control.ros.parameters import DEMO_ARM_PARAMETERS, declare
from press_control.ros.spin import SpinningNode
from press_control.ros.profile_client import (OUTCOME_NAMES, GoalRejected, ProfileClient,
                                              ResultLost)
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import ArmHeartbeat, GoalRejection, HandlingState


# How often each topic goes out (docs/interfaces.md shows this table).
PUBLISH_RATES = {"handling/arm": "`heartbeat_rate_hz`"}
RESULT_LOST = "RESULT_LOST"      # the press finished the cell; its action result never came


@dataclasses.dataclass
class CellOutcome:
    """How one cell went."""

    cell_id: str
    outcome: str
    reason: str
    record_dir: str = ""
    peak_mpa: float = float("nan")
    segments: list = dataclasses.field(default_factory=list)


class ArmStopped(Exception):
    """The arm was told to stop, or a wait ran out; the message says which."""


class DemoArmNode(Node):
    """Loads, presses (through the action) and unloads cells one after another.

    Subclasses (ros/campaign.py) keep the arm's moves and the handshake and choose the
    goal of each cell (`goal_for`) and the program (`start_program`).
    """

    NODE_NAME = "demo_arm"
    PARAMETERS = DEMO_ARM_PARAMETERS

    def __init__(self, **kwargs):
        super().__init__(self.NODE_NAME, **kwargs)
        self.config = declare(self, self.PARAMETERS)
        self.random = random.Random(self.config.seed)
        self.lock = threading.Lock()
        self.pose = (False, "", INTENT_NONE)       # in_workspace, cell_id, intent
        self.handling = None
        self.handling_changed = threading.Condition(self.lock)
        self.results = []
        self.finished = threading.Event()
        self.stopped = ""                          # why the program ended early, if it did
        self.on_feedback = None                    # hooks for an embedding program
        self.on_cell_done = None
        self._stop = threading.Event()
        group = ReentrantCallbackGroup()
        self.heartbeat = self.create_publisher(ArmHeartbeat, "handling/arm", 10)
        self.create_subscription(HandlingState, "handling/state", self.on_handling, LATCHED,
                                 callback_group=group)
        # On a thread of its own, not an executor timer: the heartbeat must not wait for the
        # executor of a busy process (the press faults a cell on a stale one).
        self.heartbeats = threading.Thread(target=self._beat, name="arm-heartbeat", daemon=True)
        self.heartbeats.start()
        self.client = ProfileClient(self)
        self.cancel_cell = threading.Event()       # set: the running cell's goal is cancelled
        self.start_program()

    def start_program(self) -> None:
        self.worker = threading.Thread(target=self._work, name="demo-arm", daemon=True)
        self.worker.start()

    def stop(self) -> None:
        self._stop.set()
        with self.lock:
            self.handling_changed.notify_all()

    def destroy_node(self):
        self.stop()
        super().destroy_node()

    # ---- ROS side ----------------------------------------------------------------------
    def on_handling(self, message: HandlingState) -> None:
        with self.lock:
            self.handling = message
            self.handling_changed.notify_all()

    def publish_heartbeat(self) -> None:
        with self.lock:
            inside, cell_id, intent = self.pose
        message = ArmHeartbeat(arm_id=self.config.arm_id, in_workspace=inside,
                               cell_id=cell_id, intent=intent)
        message.header.stamp = self.get_clock().now().to_msg()
        try:
            self.heartbeat.publish(message)
        except Exception:                   # noqa: B902 - re-raised unless ROS is shutting down
            if self.context.ok():           # Ctrl-C ends the context under the arm's last move
                raise

    def _beat(self) -> None:
        period = 1.0 / self.config.heartbeat_rate_hz
        while not self._stop.wait(period) and self.context.ok():
            self.publish_heartbeat()

    # ---- the robot program -------------------------------------------------------------
    def _work(self) -> None:
        try:
            time.sleep(self.config.start_delay_s)
            if not self.client.wait_for_server(self.config.wait_timeout_s):
                raise ArmStopped("no run_profile server")
            for number in range(1, self.config.cells + 1):
                self._one_cell(f"{self.config.cell_prefix}-{number}")
        except ArmStopped as stop:
            self.stopped = str(stop)
            self.get_logger().error(f"arm stopped: {stop}")
        finally:
            self._move(False, "", INTENT_NONE)
            done = sum(r.outcome == SUCCEEDED for r in self.results)
            self.get_logger().info(f"arm finished: {done} of {self.config.cells} cells "
                                   "pressed successfully")
            if self.config.results_file:
                with open(self.config.results_file, "w") as stream:
                    json.dump([dataclasses.asdict(r) for r in self.results], stream, indent=1)
            self.finished.set()

    def all_succeeded(self) -> bool:
        """Every cell pressed successfully and unloaded: no wait of the arm ran out."""
        return not self.stopped and len(self.results) == self.config.cells and all(
            r.outcome == SUCCEEDED for r in self.results)

    def _one_cell(self, cell_id: str) -> CellOutcome:
        log = self.get_logger()
        self._wait_for(lambda h: h.state == READY_TO_LOAD, "the press to be ready to load")
        log.info(f"loading {cell_id}")
        self._visit(cell_id, INTENT_LOAD)
        self._move(False, cell_id, INTENT_NONE)
        self._wait_for(lambda h: h.state == LOADED and h.cell_id == cell_id,
                       f"the press to report {cell_id} loaded")
        outcome = self._press(cell_id)
        self.results.append(outcome)
        log.info(f"{cell_id}: {outcome.outcome} ({outcome.reason})")
        if self.on_cell_done:
            self.on_cell_done(outcome)
        if outcome.outcome == REJECTED:
            raise ArmStopped(f"the press refused {cell_id}: {outcome.reason}")
        state = self._wait_for(lambda h: h.state in (READY_TO_UNLOAD, FAULT),
                               "the press to open")
        if state.state == FAULT:
            log.error(f"press handling fault ({state.reason}); waiting for a reset")
            self._wait_for(lambda h: h.state == READY_TO_UNLOAD, "the fault to be reset",
                           self.config.fault_reset_wait_s)
        self.unload(cell_id)
        return outcome

    def unload(self, cell_id: str) -> None:
        self.get_logger().info(f"unloading {cell_id}")
        self._visit(cell_id, INTENT_UNLOAD)
        self._move(False, "", INTENT_NONE)

    def goal_for(self, cell_id: str) -> RunPressureProfile.Goal:
        return RunPressureProfile.Goal(preset=self.config.preset, cell_id=cell_id,
                                       die_id=self.config.die_id,
                                       hold_scale=self.config.hold_scale,
                                       electrolyte=self.config.electrolyte,
                                       electrolyte_mass_mg=self.config.electrolyte_mass_mg,
                                       anode=self.config.anode)

    def _press(self, cell_id: str) -> CellOutcome:
        goal = self.goal_for(cell_id)
        for attempt in range(self.config.goal_attempts):
            try:
                result = self.client.run(goal, on_feedback=self.on_feedback,
                                         cancel_event=self.cancel_cell,
                                         ended=lambda: self._press_is_done_with(cell_id))
            except ResultLost as lost:           # no answer, or the press says done
                self.get_logger().error(f"{cell_id}: {lost}")
                return CellOutcome(cell_id, RESULT_LOST, str(lost))
            except GoalRejected as rejection:
                reason = str(rejection)
                last = attempt + 1 == self.config.goal_attempts
                if rejection.code != GoalRejection.NOT_READY or last:
                    return CellOutcome(cell_id, "REJECTED", reason)
                self.get_logger().warning(f"{reason}; trying again")
                if self._stop.wait(1.0):
                    raise ArmStopped("stopped")
                continue
            return CellOutcome(cell_id, OUTCOME_NAMES.get(result.outcome, "?"), result.reason,
                               result.record_dir, result.peak_mpa, [
                                   {"index": s.index, "type": s.type,
                                    "p99_abs_error_mpa": s.p99_abs_error_mpa,
                                    "overshoot_mpa": s.overshoot_mpa, "completed": s.completed}
                                   for s in result.segments])
        return CellOutcome(cell_id, "REJECTED", "no attempts")

    def _press_is_done_with(self, cell_id: str) -> bool:
        """The latched handling state says the press has finished with cell_id."""
        with self.lock:
            handling = self.handling
        return handling is not None and handling.cell_id == cell_id and \
            handling.state in (READY_TO_UNLOAD, FAULT)

    def _visit(self, cell_id: str, intent: int) -> None:
        self._move(True, cell_id, intent)
        dwell = self.config.dwell_s + self.random.uniform(0.0, self.config.jitter_s)
        if self._stop.wait(dwell):
            raise ArmStopped("stopped in the workspace")

    def _move(self, inside: bool, cell_id: str, intent: int) -> None:
        with self.lock:
            self.pose = (inside, cell_id, intent)
        self.publish_heartbeat()
        if not inside:           # leaving takes a moment before the arm is really clear
            self._stop.wait(self.random.uniform(0.0, self.config.jitter_s))

    def _wait_for(self, condition, what: str, timeout_s: float = None) -> HandlingState:
        timeout_s = self.config.wait_timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout_s
        with self.lock:
            while not (self.handling is not None and condition(self.handling)):
                left = deadline - time.monotonic()
                if self._stop.is_set():
                    raise ArmStopped(f"stopped while waiting for {what}")
                if left <= 0:
                    raise ArmStopped(f"waited {timeout_s:g} s for {what}")
                self.handling_changed.wait(min(left, 0.5))
            return self.handling


def main(args=None) -> int:
    """Run the arm; with exit_when_done, exit 0 once every cell succeeded (1 otherwise)."""
    spinning = SpinningNode(DemoArmNode, args)
    node = spinning.node
    try:
        while spinning.alive() and not (node.config.exit_when_done and
                                        node.finished.wait(0.2)):
            spinning.spinner.join(0.2)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.stop()
        node.finished.wait(5.0)
        spinning.close()
    return 0 if node.all_succeeded() else 1


if __name__ == "__main__":
    raise SystemExit(main())
