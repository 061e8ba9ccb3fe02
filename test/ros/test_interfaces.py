"""The generated interface types import from the installed workspace and carry their units."""
import math

from press_control_interfaces.action import RunCampaign, RunPressureProfile
from press_control_interfaces.msg import (ArmHeartbeat, HandlingState, InterfaceEvent,
                                          InterfaceHealth, PressState, ProfileSegment,
                                          SegmentStatistics)
from press_control_interfaces.srv import PressCommand


def test_message_types_have_unit_named_fields():
    state = PressState(pressure_mpa=392.0, force_kn=30.8, platen_position_mm=1.25)
    assert state.pressure_mpa == 392.0
    assert "pressure_mpa" in PressState.get_fields_and_field_types()
    assert "force_kn" in PressState.get_fields_and_field_types()
    assert "impedance_ohm" in InterfaceHealth.get_fields_and_field_types()
    assert "duration_s" in ProfileSegment.get_fields_and_field_types()
    assert SegmentStatistics().rms_error_mpa == 0.0


def test_constants_are_generated():
    assert PressState.MODE_DISCONNECTED == 6
    assert ProfileSegment.REGULATE == 3
    assert HandlingState.READY_TO_UNLOAD == 5
    assert ArmHeartbeat.INTENT_UNLOAD == 2
    assert InterfaceEvent.SHORT_CIRCUIT == "short_circuit"
    assert PressCommand.Request.SET_PRESSURE == 0


def test_action_has_goal_result_feedback():
    goal = RunPressureProfile.Goal(preset="sulfide_densify_392", cell_id="c1", die_id="d10")
    goal.segments.append(ProfileSegment(type=ProfileSegment.HOLD, target_mpa=392.0,
                                        temperature_c=math.nan))
    assert goal.segments[0].type == ProfileSegment.HOLD
    result = RunPressureProfile.Result(outcome=RunPressureProfile.Result.CANCELED)
    assert result.outcome == 1
    assert RunPressureProfile.Feedback(measured_mpa=1.0).measured_mpa == 1.0


def test_a_campaign_goal_that_names_no_seed_keeps_the_files():
    goal = RunCampaign.Goal(campaign="li6ps5cl_interface")
    assert goal.seed == -1 and goal.cells == 0            # -1: the file's seed, 0: its cells


def test_the_core_codes_are_the_interface_codes():
    from press_control.control import profiles, safety, supervisor
    from press_control_interfaces.msg import GoalRejection
    response = PressCommand.Response
    assert (safety.OK, safety.REFUSED_INPUT, safety.REFUSED_LIMIT, safety.REFUSED_INTERLOCK,
            safety.REFUSED_OWNERSHIP, safety.NOT_TAKEN, safety.UNKNOWN_COMMAND) == (
        response.OK, response.REFUSED_INPUT, response.REFUSED_LIMIT,
        response.REFUSED_INTERLOCK, response.REFUSED_OWNERSHIP, response.NOT_TAKEN,
        response.UNKNOWN_COMMAND)
    assert (profiles.REJECT_BUSY, profiles.REJECT_INVALID, profiles.REJECT_NOT_READY,
            profiles.REJECT_HANDLING, profiles.REJECT_WRONG_DIE) == (
        GoalRejection.BUSY, GoalRejection.INVALID, GoalRejection.NOT_READY,
        GoalRejection.HANDLING, GoalRejection.WRONG_DIE)
    assert supervisor.FAULT_OWNER_LOST == PressState.FAULT_OWNER_LOST
    assert supervisor.FAULT_SENSOR == PressState.FAULT_SENSOR
    assert [ProfileSegment.RAMP, ProfileSegment.HOLD, ProfileSegment.RELEASE,
            ProfileSegment.REGULATE] == [profiles.SEGMENT_TYPES.index(kind) for kind in (
                profiles.RAMP, profiles.HOLD, profiles.RELEASE, profiles.REGULATE)]
    from press_control.control import profile_runner
    from press_control.ros.profile_client import OUTCOME_NAMES
    result = RunPressureProfile.Result
    assert OUTCOME_NAMES == {result.SUCCEEDED: profile_runner.SUCCEEDED,
                             result.CANCELED: profile_runner.CANCELED,
                             result.ABORTED: profile_runner.ABORTED,
                             result.REJECTED: profile_runner.REJECTED}
