"""press_panel: the operators' web page of one press (press_control.panel serves it).

Follows state, the run_profile action (feedback and status), handling/state and the arm
heartbeats, interface health, spectra and events, and /diagnostics; serves them on
host:port (127.0.0.1 by default). Its two controls, stop the running goal (the action's
cancel: the profile server releases at the safe rate) and reset the handshake
(handling/reset), need the token of `token_file`. Exits 1 if it cannot serve.
"""
import sys
import threading

from action_msgs.msg import GoalStatus, GoalStatusArray
from action_msgs.srv import CancelGoal
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import qos_profile_action_status_default
from std_srvs.srv import Trigger

from press_control.control.profiles import SEGMENT_TYPES
from press_control.panel.model import PanelModel
from press_control.panel.server import PanelServer
from press_control.panel.token import TokenProblem, load_or_create_token
from press_control.ros.guard import guarded
from press_control.ros.hot_input import HotInputs
from press_control.ros.parameters import PANEL_PARAMETERS, declare
from press_control.ros.qos import LATCHED
from press_control.ros.spin import spin_node
from press_control_interfaces.action import RunCampaign, RunPressureProfile
from press_control_interfaces.msg import (ArmHeartbeat, GoalRejection, HandlingState,
                                          ImpedanceSpectrum, InterfaceEvent, InterfaceHealth,
                                          PressState)

ACTIVE = (GoalStatus.STATUS_ACCEPTED, GoalStatus.STATUS_EXECUTING, GoalStatus.STATUS_CANCELING)
OUTCOMES = {GoalStatus.STATUS_SUCCEEDED: "SUCCEEDED", GoalStatus.STATUS_CANCELED: "CANCELED",
            GoalStatus.STATUS_ABORTED: "ABORTED"}


class PressPanelNode(Node):
    """Feeds a PanelModel from the press's topics and serves it on the web."""

    def __init__(self, **kwargs):
        super().__init__("press_panel", **kwargs)
        self.config = declare(self, PANEL_PARAMETERS)
        self.model = PanelModel(self.config.trace_window_s)
        self._finished = set()
        group = ReentrantCallbackGroup()
        self.hot_inputs = HotInputs(self, period_s=0.05)
        self.hot_inputs.add(PressState, "state", guarded(self, self.on_state))
        self.hot_inputs.add(RunPressureProfile.Impl.FeedbackMessage,
                            "run_profile/_action/feedback", guarded(self, self.on_feedback))
        self.hot_inputs.add(ArmHeartbeat, "handling/arm", guarded(self, self.on_arm))
        self.create_subscription(GoalStatusArray, "run_profile/_action/status",
                                 guarded(self, self.on_goal_status),
                                 qos_profile_action_status_default, callback_group=group)
        self.create_subscription(GoalRejection, "run_profile/rejection",
                                 guarded(self, self.on_rejection), LATCHED, callback_group=group)
        self.create_subscription(HandlingState, "handling/state",
                                 guarded(self, self.on_handling), LATCHED, callback_group=group)
        self.create_subscription(InterfaceHealth, "interface/health",
                                 guarded(self, self.on_health), 10, callback_group=group)
        self.create_subscription(ImpedanceSpectrum, "interface/spectrum",
                                 guarded(self, self.on_spectrum), LATCHED, callback_group=group)
        self.create_subscription(InterfaceEvent, "interface/events",
                                 guarded(self, self.on_event), 50, callback_group=group)
        self.create_subscription(DiagnosticArray, "/diagnostics",
                                 guarded(self, self.on_diagnostics), 10, callback_group=group)
        self.create_subscription(RunCampaign.Impl.FeedbackMessage,
                                 "run_campaign/_action/feedback",
                                 guarded(self, self.on_campaign), 10, callback_group=group)
        self.cancel_client = self.create_client(CancelGoal, "run_profile/_action/cancel_goal",
                                                callback_group=group)
        self.reset_client = self.create_client(Trigger, "handling/reset", callback_group=group)
        token, problem = "", ""
        try:
            token = load_or_create_token(self.config.token_file)
        except (TokenProblem, OSError) as error:
            problem = str(error)
            self.get_logger().error(f"the panel is read-only: {problem}")
        self.server = PanelServer(self.model, self, self.config.host, self.config.port,
                                  self.config.record_dir, token, problem,
                                  self.config.push_rate_hz, self.config.runs_shown,
                                  log=lambda text: self.get_logger().info(text))

    def start_serving(self) -> str:
        """Bind the web server; "" or why it cannot serve."""
        try:
            address = self.server.start()
        except OSError as error:
            return f"cannot serve on {self.config.host}:{self.config.port}: {error}"
        self.get_logger().info(f"press panel on {address}")
        return ""

    def destroy_node(self):
        self.server.stop()
        self.hot_inputs.close()
        super().destroy_node()

    # ---- inputs ------------------------------------------------------------------------
    def on_state(self, m: PressState) -> None:
        self.model.on_press(pressure_mpa=m.pressure_mpa, setpoint_mpa=m.setpoint_mpa,
                            mode_name=m.mode_name, connected=m.connected,
                            force_kn=m.force_kn, platen_temperature_c=m.platen_temperature_c,
                            die_id=m.die_id, fault_code=m.fault_code, fault_text=m.fault_text,
                            owner=m.owner, estop_pressed=m.estop_pressed)

    def on_feedback(self, message) -> None:
        f = message.feedback
        type_name = SEGMENT_TYPES[f.segment_type] if f.segment_type < len(SEGMENT_TYPES) \
            else str(f.segment_type)
        self.model.on_feedback(goal_id=bytes(message.goal_id.uuid).hex(), cell_id=f.cell_id,
                               preset=f.preset, segment_index=f.segment_index,
                               segment_count=f.segment_count, segment_type_name=type_name,
                               phase=f.phase, setpoint_mpa=f.setpoint_mpa,
                               elapsed_s=f.elapsed_s, remaining_s=f.remaining_s)

    def on_campaign(self, message) -> None:
        feedback = message.feedback
        self.model.on_campaign(campaign_cell(feedback.cell),
                               [campaign_cell(c) for c in feedback.best], feedback.cells)

    def on_goal_status(self, message: GoalStatusArray) -> None:
        self.model.on_goal_status(any(s.status in ACTIVE for s in message.status_list))
        for status in message.status_list:
            goal_id = bytes(status.goal_info.goal_id.uuid).hex()
            if status.status in OUTCOMES and goal_id not in self._finished:
                self._finished.add(goal_id)
                goal = self.model.goal
                self.model.on_result(outcome=OUTCOMES[status.status], goal_id=goal_id,
                                     cell_id=goal.get("cell_id", "")
                                     if goal.get("goal_id") == goal_id else "")

    def on_rejection(self, m: GoalRejection) -> None:
        self.model.on_rejection(cell_id=m.cell_id, reason=m.reason)

    def on_handling(self, m: HandlingState) -> None:
        self.model.on_handling(state_name=m.state_name, cell_id=m.cell_id, reason=m.reason)

    def on_arm(self, m: ArmHeartbeat) -> None:
        self.model.on_arm(arm_id=m.arm_id, in_workspace=m.in_workspace, cell_id=m.cell_id)

    def on_health(self, m: InterfaceHealth) -> None:
        self.model.on_interface(impedance_ohm=m.impedance_ohm,
                                interface_resistance_ohm=m.interface_resistance_ohm,
                                interface_resistance_std_ohm=m.interface_resistance_std_ohm,
                                relative_density=m.relative_density,
                                instrument_connected=m.instrument_connected)

    def on_spectrum(self, m: ImpedanceSpectrum) -> None:
        self.model.on_spectrum(cell_id=m.cell_id, frequency_hz=list(m.frequency_hz),
                               z_real_ohm=list(m.z_real_ohm), z_imag_ohm=list(m.z_imag_ohm),
                               fit_ok=m.fit_ok, model=m.model, fit_reason=m.fit_reason,
                               interface_resistance_ohm=m.interface_resistance_ohm,
                               interface_resistance_std_ohm=m.interface_resistance_std_ohm)

    def on_event(self, m: InterfaceEvent) -> None:
        self.model.on_event(m.event, m.active, m.detail)

    def on_diagnostics(self, message: DiagnosticArray) -> None:
        for status in message.status:
            self.model.on_diagnostic(status.name, int.from_bytes(status.level, "little")
                                     if isinstance(status.level, bytes) else int(status.level),
                                     status.message)

    # ---- controls (called by the web server, off the executor) -------------------------
    def stop_goal(self) -> tuple:
        """Cancel every goal of run_profile (one runs at a time); (ok, message)."""
        reply = self._call(self.cancel_client, CancelGoal.Request())
        if isinstance(reply, str):
            return False, reply
        if reply.return_code != CancelGoal.Response.ERROR_NONE or not reply.goals_canceling:
            return False, "no goal is running"
        return True, "goal canceled: the press releases at the safe rate"

    def reset_handshake(self) -> tuple:
        reply = self._call(self.reset_client, Trigger.Request())
        if isinstance(reply, str):
            return False, reply
        return reply.success, reply.message

    def _call(self, client, request):
        """The reply, or a sentence saying why there is none."""
        timeout = self.config.call_timeout_s
        if not client.wait_for_service(timeout_sec=timeout):
            return f"{client.srv_name} is not available (is profile_server running?)"
        done = threading.Event()
        future = client.call_async(request)
        future.add_done_callback(lambda _: done.set())
        if not done.wait(timeout):
            future.cancel()
            return f"{client.srv_name} did not answer within {timeout} s"
        return future.result()


def campaign_cell(m) -> dict:
    return {"cell_id": m.cell_id, "press": m.press, "state": m.state,
            "parameter_names": list(m.parameter_names), "parameters": list(m.parameters),
            "objective_names": list(m.objective_names), "objectives": list(m.objectives),
            "feasible": m.feasible, "reason": m.reason}


def main(args=None) -> int:
    return spin_node(PressPanelNode, args, startup_problem=lambda node: node.start_serving())


if __name__ == "__main__":
    sys.exit(main())
