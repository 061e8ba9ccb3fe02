"""The handshake state machine: the full cycle, every timeout, intrusions, resets, and a
property test against the simulated controller: the platen never advances with an arm
inside, whatever the arm does and whenever it does it."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from press_control.control.dies import Die
from press_control.control.handshake import (CLOSING, FAULT, INTENT_LOAD, INTENT_NONE,
                                             INTENT_UNLOAD, LOADED, OPEN_IDLE, PRESSING,
                                             READY_TO_LOAD, READY_TO_UNLOAD, STATE_NAMES,
                                             ArmReport, Handshake, HandshakeTimeouts, PressReport,
                                             arm_clear)
from press_control.control.profile_runner import Command
from press_control.control.safety import Interlocks, motion_refusal
from press_control.sim.stepped import SteppedPress

READY = PressReport(pressure_mpa=0.0)


class Cell:
    """A handshake driven by hand: clock, press report and arm in one place."""

    def __init__(self, **timeouts):
        self.now = 0.0
        self.press = READY
        self.machine = Handshake(HandshakeTimeouts(**timeouts))
        self.pending = []

    def arm(self, inside, cell="", intent=INTENT_NONE):
        """Send one heartbeat; its transitions come back with the next tick()."""
        self.pending += self.machine.on_arm(ArmReport("arm_1", inside, cell, intent, self.now))

    def tick(self, seconds=0.1, **press):
        self.now += seconds
        if press:
            self.press = PressReport(**{"pressure_mpa": self.press.pressure_mpa, **press})
        arm = self.machine.arms.latest
        if arm is not None:                   # a live arm keeps sending the same report
            self.pending += self.machine.on_arm(ArmReport(arm.arm_id, arm.in_workspace,
                                                          arm.cell_id, arm.intent, self.now))
        transitions, self.pending = self.pending, []
        return transitions + self.machine.update(self.press, self.now)

    @property
    def state(self):
        return self.machine.state

    def load(self, cell="c1"):
        self.arm(False)
        self.tick()
        assert self.state == READY_TO_LOAD
        self.arm(True, cell, INTENT_LOAD)
        self.tick()
        self.arm(False, cell)
        self.tick()
        assert self.state == LOADED and self.machine.cell_id == cell

    def press_cycle(self, cell="c1"):
        self.machine.goal_started(cell, self.now)
        assert self.state == CLOSING
        self.tick(pressure_mpa=5.0)
        assert self.state == PRESSING
        self.machine.goal_finished("profile SUCCEEDED", self.now)
        self.tick(pressure_mpa=0.2)
        assert self.state == READY_TO_UNLOAD


def test_full_cycle_with_reasons_and_cell_ids():
    cell = Cell()
    cell.load("c1")
    cell.press_cycle("c1")
    cell.arm(True, "c1", INTENT_UNLOAD)
    cell.tick()
    assert cell.state == READY_TO_UNLOAD
    [transition] = cell.machine.on_arm(ArmReport("arm_1", False, "c1", INTENT_NONE, cell.now))
    assert cell.state == OPEN_IDLE and cell.machine.cell_id == ""
    assert "took the pressed cell 'c1'" in transition.reason
    assert str(transition).startswith("READY_TO_UNLOAD -> OPEN_IDLE cell 'c1'")
    cell.tick()
    assert cell.state == READY_TO_LOAD


def test_a_whole_visit_between_two_updates_still_counts():
    """A loaded host may drain in, place, out in one go before its next update."""
    cell = Cell()
    cell.arm(False)
    cell.tick()
    assert cell.state == READY_TO_LOAD
    for inside, intent in ((True, INTENT_LOAD), (True, INTENT_LOAD), (False, INTENT_NONE)):
        cell.arm(inside, "c1", intent)
    [transition] = cell.tick()
    assert cell.state == LOADED and cell.machine.cell_id == "c1", transition
    cell.press_cycle("c1")
    cell.arm(True, "c1", INTENT_UNLOAD)
    cell.arm(False)
    transitions = cell.tick()
    assert [STATE_NAMES[t.state] for t in transitions] == ["OPEN_IDLE", "READY_TO_LOAD"]


def test_another_arms_report_does_not_end_a_visit():
    cell = Cell()
    cell.arm(False)
    cell.tick()
    cell.arm(True, "c1", INTENT_LOAD)
    assert cell.machine.on_arm(ArmReport("arm_2", False, "", INTENT_NONE, cell.now)) == []
    assert cell.state == READY_TO_LOAD
    cell.arm(False)
    cell.tick()
    assert cell.state == LOADED


def test_goals_need_the_loaded_cell():
    cell = Cell()
    cell.arm(False)
    cell.tick()
    assert "no cell is loaded" in cell.machine.start_refusal("c1")
    with pytest.raises(ValueError):
        cell.machine.goal_started("c1", cell.now)
    cell.load("c1")
    assert "'c1', not 'c2'" in cell.machine.start_refusal("c2")
    assert cell.machine.start_refusal("c1") is None


def test_arm_leaving_without_a_cell_loads_nothing():
    cell = Cell()
    cell.arm(False)
    cell.tick()
    cell.arm(True, "", INTENT_LOAD)
    cell.tick()
    cell.arm(False)
    cell.tick()
    assert cell.state == READY_TO_LOAD


def test_unpressed_cell_can_be_taken_back():
    cell = Cell()
    cell.load("c1")
    cell.arm(True, "c1", INTENT_UNLOAD)
    cell.tick()
    [transition] = cell.machine.on_arm(ArmReport("arm_1", False, "", INTENT_NONE, cell.now))
    assert cell.state == OPEN_IDLE and "unpressed" in transition.reason


@pytest.mark.parametrize("inside", [True, False], ids=["enters", "goes silent"])
def test_intrusion_while_pressing_faults_and_latches(inside):
    cell = Cell(arm_heartbeat_s=1.0)
    cell.load("c1")
    cell.machine.goal_started("c1", cell.now)
    cell.tick(pressure_mpa=100.0)
    assert cell.state == PRESSING
    if inside:
        cell.arm(True, "c1")
        [transition] = cell.tick()
        assert "arm 'arm_1' is in the workspace" in transition.reason
    else:
        cell.now += 1.5                   # the last report (outside) goes stale
        [transition] = cell.machine.update(cell.press, cell.now)
        assert "stale" in transition.reason
    assert cell.state == FAULT and transition.reason.startswith("intrusion while pressing")
    cell.arm(False)
    cell.tick(pressure_mpa=0.0)
    assert cell.state == FAULT, "a handshake fault latches until reset"


def test_reset_refuses_until_safe_then_asks_for_the_cell_to_be_unloaded():
    cell = Cell()
    cell.load("c1")
    cell.machine.goal_started("c1", cell.now)
    cell.tick(pressure_mpa=50.0, faulted=True, problem="press fault 7")
    assert cell.state == FAULT
    with pytest.raises(ValueError, match="still has a fault"):
        cell.machine.reset(cell.press, cell.now)
    cell.tick(faulted=False, problem="")
    with pytest.raises(ValueError, match="pressurized"):
        cell.machine.reset(cell.press, cell.now)
    cell.tick(pressure_mpa=0.0)
    cell.arm(True)
    with pytest.raises(ValueError, match="in the workspace"):
        cell.machine.reset(cell.press, cell.now)
    cell.arm(False)
    [transition] = cell.machine.reset(cell.press, cell.now)
    assert cell.state == READY_TO_UNLOAD and cell.machine.cell_id == "c1"
    with pytest.raises(ValueError, match="nothing to reset"):
        cell.machine.reset(cell.press, cell.now)


@pytest.mark.parametrize("where", ["load dwell", "no profile", "no contact", "no release",
                                   "no unload", "unload dwell"])
def test_every_waiting_step_times_out_into_fault(where):
    cell = Cell(arm_dwell_s=5.0, handoff_s=20.0, closing_s=10.0, release_s=15.0)
    cell.arm(False)
    cell.tick()
    if where == "load dwell":
        cell.arm(True, "c1", INTENT_LOAD)
        limit = 5.0
    else:
        cell.load("c1")
        limit = 20.0
    if where in ("no contact", "no release"):
        cell.machine.goal_started("c1", cell.now)
        limit = 10.0
    if where == "no release":
        cell.tick(pressure_mpa=100.0)
        cell.machine.goal_finished("profile ABORTED", cell.now)
        limit = 15.0
    if where in ("no unload", "unload dwell"):
        cell.press_cycle("c1")
    if where == "unload dwell":
        cell.arm(True, "c1", INTENT_UNLOAD)
        cell.tick()
        limit = 5.0
    before = cell.state
    while cell.now < 200.0 and cell.state == before:
        cell.tick(0.5)
    assert cell.state == FAULT, where
    assert cell.now - cell.machine.since_s == 0.0
    assert limit <= cell.now <= limit + 10.0 + 1.0, (where, cell.now)


def test_without_an_arm_profiles_start_from_idle_and_faults_clear_themselves():
    machine = Handshake(arm_required=False)
    machine.update(READY, 0.0)
    assert machine.state == READY_TO_LOAD and machine.start_refusal("any") is None
    machine.goal_started("c9", 0.1)
    machine.update(PressReport(pressure_mpa=3.0), 0.2)
    assert machine.state == PRESSING
    machine.update(PressReport(3.0, "press fault 1", faulted=True), 0.3)
    assert machine.state == FAULT
    machine.update(PressReport(0.0, "press fault 1", faulted=True), 0.4)
    assert machine.state == FAULT
    machine.update(READY, 0.5)
    assert machine.state == OPEN_IDLE
    machine.update(READY, 300.0)
    assert machine.state == READY_TO_LOAD, "no handoff timeouts without an arm"


# ---- property: the platen never advances with an arm inside ----------------------------

def arm_timeline(visits, heartbeat_s=0.1):
    """Heartbeat reports (time, ArmReport) of an arm making the given visits."""
    reports, t = [], 0.0
    for outside_s, inside_s, intent, has_cell, silence_s in visits:
        cell = "c1" if has_cell else ""
        for inside, span in ((False, outside_s), (True, inside_s)):
            end = t + span
            silent_from = end - silence_s if not inside else end
            while t < end:
                if t < silent_from:
                    reports.append((t, ArmReport("arm", inside, cell,
                                                 intent if inside else INTENT_NONE, t)))
                t += heartbeat_s
    return reports


def run_cell(visits, driver_gate=True):
    """Step a simulated press, the handshake and a host through an arm's visits.

    Returns the times at which the platen advanced while the arm was inside.
    """
    die = Die("d10", 10.0, 500.0)
    press = SteppedPress(die)
    timeouts = HandshakeTimeouts(arm_heartbeat_s=1.0, arm_dwell_s=3.0, handoff_s=6.0,
                                 closing_s=10.0, release_s=30.0)
    machine = Handshake(timeouts)
    reports = arm_timeline(visits)
    arm, goal_end_s, t = None, None, reports[-1][0]
    violations = []
    while press.time_s < t + 5.0:
        now = press.time_s
        while reports and reports[0][0] <= now:
            arm = reports.pop(0)[1]
            machine.on_arm(arm)
        # press_driver: the permit follows the arm at once, and on every heartbeat
        permit = arm_clear(arm, now, timeouts.arm_heartbeat_s) if driver_gate else True
        press.press.set_motion_permit(permit)
        fault = press.controller.fault_code
        machine.update(PressReport(press.true_pressure_mpa, "fault" if fault else "",
                                   faulted=bool(fault)), now)
        # the host (profile_server): a profile on the loaded cell, aborted on FAULT
        interlocks = Interlocks(True, True, fault, True, False, permit)
        if machine.state == LOADED and motion_refusal(interlocks) is None:
            machine.goal_started(machine.cell_id, now)
            press.apply(Command("set_pressure", 150.0, 20.0))
            goal_end_s = now + 12.0
        elif goal_end_s is not None and (now >= goal_end_s or machine.state == FAULT):
            press.apply(Command("release", 0.0, 20.0))
            machine.goal_finished("profile done", now)
            goal_end_s = None
        if machine.state == FAULT and not fault and press.true_pressure_mpa < 1.0 and \
                not (arm and arm.in_workspace):
            machine.reset(PressReport(press.true_pressure_mpa), now)
        if fault and press.true_pressure_mpa < 1.0:
            press.press.reset_fault()
        before = press.hydraulics.force_kn
        press.advance(0.05)
        if arm is not None and arm.in_workspace:
            assert machine.state not in (CLOSING, PRESSING)
            if press.hydraulics.force_kn > before + 1e-9:
                violations.append(round(now, 2))
    return violations


# load, then enter again 0.6 s after leaving: during the ramp
INTRUSION_DURING_RAMP = [(0.5, 1.0, INTENT_LOAD, True, 0.0),
                         (0.6, 2.0, INTENT_NONE, False, 0.0),
                         (1.0, 0.0, INTENT_NONE, False, 0.0)]


def test_the_property_check_catches_a_press_without_the_driver_gate():
    assert run_cell(INTRUSION_DURING_RAMP, driver_gate=False)
    assert run_cell(INTRUSION_DURING_RAMP) == []


ARM_VISIT = st.tuples(
    st.floats(0.05, 8.0),                                   # outside the workspace, s
    st.floats(0.05, 4.0),                                   # inside, s
    st.sampled_from([INTENT_NONE, INTENT_LOAD, INTENT_UNLOAD]),
    st.booleans(),                                          # carries a cell id
    st.floats(0.0, 2.0))                                    # silent before entering, s


@pytest.mark.minutes(45)
@settings(max_examples=40, deadline=None)
@given(st.lists(ARM_VISIT, min_size=1, max_size=8))
def test_platen_never_advances_with_the_arm_inside(visits):
    assert run_cell(visits) == []


def drive_to(state):
    """A Cell whose handshake is in the given state (no arm inside)."""
    cell = Cell(arm_dwell_s=5.0)
    if state == OPEN_IDLE:
        cell.tick(problem="guard is open")
        return cell
    if state == FAULT:
        cell.load("c1")
        cell.machine.goal_started("c1", cell.now)
        cell.tick(pressure_mpa=50.0, faulted=True, problem="press fault 2: emergency stop")
        return cell
    if state == READY_TO_LOAD:
        cell.arm(False)
        cell.tick()
        return cell
    cell.load("c1")
    if state in (CLOSING, PRESSING, READY_TO_UNLOAD):
        cell.machine.goal_started("c1", cell.now)
    if state in (PRESSING, READY_TO_UNLOAD):
        cell.tick(pressure_mpa=50.0)
    if state == READY_TO_UNLOAD:
        cell.machine.goal_finished("profile SUCCEEDED", cell.now)
        cell.tick(pressure_mpa=0.0)
    return cell


@pytest.mark.parametrize("state", range(7), ids=lambda s: STATE_NAMES[s])
def test_arm_intrusion_in_every_state(state):
    cell = drive_to(state)
    assert cell.state == state
    cell.arm(True, "", INTENT_NONE)
    cell.tick()
    assert not arm_clear(cell.machine.arms.latest, cell.now, 1.0), "the driver withholds motion"
    if state in (CLOSING, PRESSING, FAULT):
        assert cell.state == FAULT
        return
    assert cell.state == state, "outside pressing an arm visit is not a fault"
    while cell.state == state and cell.now < 20.0:      # unless it stays too long
        cell.tick(0.5)
    assert cell.state == FAULT and "stayed in the workspace" in cell.machine.reason
