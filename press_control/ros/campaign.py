"""campaign: self-driving campaigns on one press, as an action (`run_campaign`).

It is the demo arm's robot program with the cells chosen by a campaign: for each cell it
asks the campaign's study (control/campaign_study.py) for the next protocol, loads the cell
through the handshake, sends the protocol as a run_profile goal (the server validates it,
the driver checks every command, as for any client), unloads, reads the cell's run record
(analysis/campaign_metrics.py) and tells the study. Several presses (one campaign node in
each namespace) share one study through its database; a cell that was in this press when an
earlier campaign process stopped is settled from its record before the next is asked.

Cancelling the goal cancels the running cell (the press releases at its safe rate) and
asks for no further cell.
"""
import dataclasses
import glob
import json
import math
import os
import socket
import threading
import time

from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup

from press_control.analysis.campaign_metrics import RecordUnreadable, metrics_from_record
from press_control.control.campaign_loop import NOT_PRESSED, Pressed, run_cells
from press_control.control.campaign_spec import (CampaignError, check_campaign,
                                                 load_campaign)
from press_control.control.campaign_study import CampaignStudy, StudyMismatch
from press_control.control.dies import parse_die_table
from press_control.control.handshake import FAULT, INTENT_NONE, LOADED, READY_TO_UNLOAD
from press_control.control.profile_runner import ABORTED, SUCCEEDED
from press_control.resources import config_path
from press_control.ros.demo_arm import ArmStopped, DemoArmNode
from press_control.ros.guard import guarded
from press_control.ros.parameters import CAMPAIGN_PARAMETERS, safety_limits
from press_control.ros.segment_messages import segment_to_msg
from press_control.ros.spin import SpinningNode
from press_control_interfaces.action import RunCampaign, RunPressureProfile
from press_control_interfaces.msg import CampaignCell

PUBLISH_RATES = {"handling/arm": "`heartbeat_rate_hz`"}
RECORD_WAIT_S = 60.0          # a finished run's summary.json is written within this


class CampaignNode(DemoArmNode):
    """Runs campaigns (run_campaign action) cell by cell through the arm handshake."""

    NODE_NAME = "campaign"
    PARAMETERS = CAMPAIGN_PARAMETERS

    def start_program(self) -> None:
        self.running = threading.Lock()
        self.next_goal = None
        self.dies = parse_die_table(self.config.die_table)
        self.limits = safety_limits(self.config)
        namespace = self.get_namespace().strip("/")
        self.press_id = self.config.press_id or namespace or socket.gethostname()
        self.server = ActionServer(
            self, RunCampaign, "run_campaign", guarded(self, self.execute, self._failed),
            goal_callback=lambda _: GoalResponse.REJECT if self.running.locked()
            else GoalResponse.ACCEPT,
            cancel_callback=lambda _: CancelResponse.ACCEPT,
            callback_group=ReentrantCallbackGroup())
        self.finished.set()

    # ---- the action --------------------------------------------------------------------
    def _failed(self, error, handle) -> RunCampaign.Result:
        """A bug ends the goal, not the node; the cell in the press is settled next time."""
        if self.context.ok():
            handle.abort()
        return RunCampaign.Result(message=f"campaign failed: {type(error).__name__}: {error}")

    def execute(self, handle) -> RunCampaign.Result:
        with self.running:
            self._stop.clear()
            self.cancel_cell.clear()
            self.stopped = ""
            return self._run(handle)

    def _run(self, handle) -> RunCampaign.Result:
        goal = handle.request
        result = RunCampaign.Result()
        try:
            campaign = self._campaign(goal)
            storage = goal.storage or self.config.storage or os.path.join(
                os.path.expanduser(self.config.campaigns_dir), campaign.name, "campaign.db")
            if "://" not in storage:
                os.makedirs(os.path.dirname(os.path.abspath(storage)), exist_ok=True)
            study = CampaignStudy(campaign, storage, press=self.press_id)
        except (CampaignError, StudyMismatch, OSError) as error:
            result.message = f"campaign refused: {error}"
            self.get_logger().error(result.message)
            handle.abort()
            return result
        stop = threading.Event()
        watcher = threading.Thread(target=self._watch_cancel, args=(handle, stop),
                                   name="campaign-cancel", daemon=True)
        watcher.start()
        self.get_logger().info(f"campaign {campaign.name}: {study.finished()} of "
                               f"{campaign.cells} cells done; storage {study.storage}")

        def publish(cell):
            feedback = RunCampaign.Feedback(
                cell_number=study.finished() + (1 if cell.state == "RUNNING" else 0),
                cells=campaign.cells, cell=_cell_msg(study, cell),
                best=[_cell_msg(study, c) for c in study.best()])
            if self.context.ok():                # not while the node shuts down
                handle.publish_feedback(feedback)
        try:
            run_cells(study, lambda cell: self._press_cell(study, cell, goal.hold_scale, stop),
                      campaign.cells, self._settle, on_cell=publish, on_next=publish,
                      stop=stop)
        except ArmStopped as stopped:
            self.stopped = str(stopped)
        finally:
            stop.set()
            self._move(False, "", INTENT_NONE)
        if self.stopped and not handle.is_cancel_requested:
            result.message = f"campaign stopped: {self.stopped}"
        result.cells_finished = study.finished()
        result.best = [_cell_msg(study, c) for c in study.best()]
        if handle.is_cancel_requested:
            result.message = result.message or f"cancelled after {result.cells_finished} cells"
            handle.canceled()
        elif result.message:
            handle.abort()
        else:
            result.success = True
            result.message = f"{result.cells_finished} cells; best: " + \
                ("; ".join(c.cell_id for c in result.best) or "none feasible")
            handle.succeed()
        self.get_logger().info(result.message)
        return result

    def _watch_cancel(self, handle, stop: threading.Event) -> None:
        """On cancel: the running cell's goal is cancelled; the arm unloads it as usual."""
        while not stop.wait(0.1):
            if handle.is_cancel_requested:
                self.get_logger().warning("campaign cancelled: cancelling the running cell")
                self.cancel_cell.set()
                stop.set()

    def _campaign(self, goal):
        path = goal.campaign_file or (config_path(f"campaigns/{goal.campaign}.yaml")
                                      if goal.campaign else "")
        if not path:
            raise CampaignError("give campaign_file or campaign")
        campaign = load_campaign(path)
        if goal.cells:
            campaign = dataclasses.replace(campaign, cells=int(goal.cells))
        if goal.seed >= 0:
            campaign = dataclasses.replace(campaign, seed=int(goal.seed))
        check_campaign(campaign, self.dies, self.limits)
        return campaign

    # ---- one cell ----------------------------------------------------------------------
    def _press_cell(self, study, cell, hold_scale: float, stop) -> Pressed:
        campaign = study.campaign
        self.next_goal = RunPressureProfile.Goal(
            segments=[segment_to_msg(s) for s in campaign.segments(cell.params)],
            cell_id=cell.cell_id, die_id=campaign.die_id, hold_scale=float(hold_scale),
            electrolyte=campaign.electrolyte,
            electrolyte_mass_mg=campaign.electrolyte_mass_mg, anode=campaign.anode)
        if self.cancel_cell.is_set():
            return Pressed(NOT_PRESSED, "campaign cancelled before the cell was loaded")
        try:
            outcome = self._one_cell(cell.cell_id)
        except ArmStopped as stopped:
            self.stopped = str(stopped)          # a refusal, or a wait that ran out: the
            stop.set()                           # cell is told failed, the campaign ends
            return Pressed("STOPPED", self.stopped)
        return self._pressed(outcome.outcome, outcome.reason, outcome.record_dir)

    def goal_for(self, cell_id: str) -> RunPressureProfile.Goal:
        return self.next_goal

    def _pressed(self, outcome: str, reason: str, record_dir: str) -> Pressed:
        if outcome != SUCCEEDED:
            return Pressed(outcome, reason, None, record_dir)
        try:
            return Pressed(outcome, reason, metrics_from_record(
                self._finished_record(record_dir)), record_dir)
        except RecordUnreadable as error:
            return Pressed(outcome, str(error), None, record_dir)

    @staticmethod
    def _finished_record(record_dir: str) -> str:
        deadline = time.monotonic() + RECORD_WAIT_S
        summary = os.path.join(record_dir, "summary.json")
        while time.monotonic() < deadline:
            try:
                with open(summary) as stream:
                    if "finished" in json.load(stream):
                        break
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        return record_dir

    def _settle(self, cell) -> Pressed:
        """A cell this press held when an earlier campaign process stopped."""
        records = sorted(glob.glob(os.path.join(os.path.expanduser(self.config.record_dir),
                                                f"{cell.cell_id}_*")))
        pressed = Pressed(ABORTED, "the campaign process stopped while the cell was in the "
                                   "press (released by the owner lease); no run record")
        for record_dir in reversed(records):
            try:
                with open(os.path.join(record_dir, "summary.json")) as stream:
                    summary = json.load(stream)
            except (OSError, ValueError):
                continue
            status = summary.get("status") or summary.get("outcome") or ABORTED
            reason = summary.get("reason", "")
            if status != SUCCEEDED:
                reason = f"the campaign process stopped while the cell was in the press: " \
                         f"{reason}"
            pressed = self._pressed(status, reason, record_dir)
            break
        with self.lock:
            handling = self.handling
        if handling is not None and handling.cell_id == cell.cell_id and \
                handling.state in (LOADED, READY_TO_UNLOAD, FAULT):
            self._wait_for(lambda h: h.state == READY_TO_UNLOAD, "the press to open")
            self.unload(cell.cell_id)
        return pressed


def _cell_msg(study, cell) -> CampaignCell:
    campaign = study.campaign
    return CampaignCell(
        cell_id=cell.cell_id, press=cell.press, state=cell.state,
        parameter_names=[r.name for r in campaign.space],
        parameters=[float(cell.params.get(r.name, math.nan)) for r in campaign.space],
        objective_names=[o.metric for o in campaign.objectives],
        objectives=[float(v) for v in cell.values], feasible=cell.feasible,
        reason=cell.reason, record_dir=cell.record_dir)


def main(args=None) -> int:
    spinning = SpinningNode(CampaignNode, args)
    try:
        while spinning.alive():
            spinning.spinner.join(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        spinning.node.stop()
        spinning.node.cancel_cell.set()
        spinning.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
