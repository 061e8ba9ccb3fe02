"""Supervision of one press controller: the single checked place every command goes through.

No ROS and no threads of its own: press_driver calls tick() from its I/O thread and the
command methods from its service callbacks; tests call them directly with an injected
clock. Every path to the hardware takes the I/O lock and decides under it, so an arm
entering between a check and a write cannot be given motion (safety.py lists the rules).

Which lock guards what (test_supervisor.py's stress test runs every entry point at once):

* `lock` (the I/O lock, a PriorityLock) guards the press line (`press`) and every field a
  decision reads or writes: `reading`, `owner` and its last renewal, `active`, `die`,
  `limits`, `identity`, `arms`, the permit as written, `intrusion`, `host_fault` and the
  controller's boot count. Each public method that decides takes it for the whole of its
  decision and the writes that follow (execute, renew, tick's poll-to-lease section,
  on_arm, set_active, set_installed_die, estop, reset_fault, zero_position,
  release_safely); the lock is re-entrant, so a decision may call another.
* Only the I/O thread (tick, its reconnects) touches the link's health: `_failures`,
  `_answered_s`, `_next_heartbeat_s`, `_backoff_s`, `_retry_at_s`, `reconnects`,
  `last_error`. Other threads read them for diagnostics only.
* `urgent_timings` is a deque (appends are atomic); the bench reads it.
"""
import collections
import dataclasses
import math
import threading
import time
from typing import Callable, Dict, Optional

from press_control.control.arms import ArmReport, ArmTable
from press_control.control.dies import Die
from press_control.hardware.press import (Press, PressCommunicationError, PressError, PressReading,
                                          PressValueError)
from press_control.control.safety import (NOT_TAKEN, REFUSED_INPUT, REFUSED_INTERLOCK,
                                          REFUSED_OWNERSHIP, UNKNOWN_COMMAND, Interlocks, Refusal,
                                          SafetyLimits, motion_refusal, pressure_refusal,
                                          temperature_refusal)

FAULT_OWNER_LOST = 101         # driver: the owning goal stopped renewing its lease
FAULT_SENSOR = 102             # driver: the force reading is not a finite number
COMMANDS = ("set_pressure", "hold", "release", "temperature", "acquire", "relinquish", "ping")
OWNED_COMMANDS = ("set_pressure", "hold", "temperature")


@dataclasses.dataclass(frozen=True)
class SupervisorConfig:
    """Everything the supervisor enforces, fixed at configure time."""

    limits: SafetyLimits
    dies: Dict[str, Die]
    installed_die: str
    arm_interlock: bool = True
    arm_heartbeat_timeout_s: float = 1.0
    owner_timeout_s: float = 2.0
    safe_release_rate_mpa_s: float = 10.0
    watchdog_period_s: float = 2.0
    heartbeat_period_s: float = 0.25
    failures_before_disconnect: int = 3
    silence_before_disconnect_s: float = 1.0
    reconnect_backoff_s: float = 0.25
    reconnect_backoff_max_s: float = 4.0


class PriorityLock:
    """A re-entrant lock; urgent holders (e-stop, an arm entering) go first.

    The others are served in the order they came, so a busy poll loop cannot starve a
    command.
    """

    def __init__(self):
        self._condition = threading.Condition()
        self._owner = None
        self._depth = 0
        self._urgent_waiting = 0
        self._waiting = 0
        self._next_ticket = 0
        self._serving = 0
        # Plain objects with __enter__/__exit__: @contextmanager's generator cost more than
        # the lock itself, and the driver's I/O loop takes the lock several times a poll.
        self._holds = (_Hold(self, False), _Hold(self, True))

    def hold(self, urgent: bool = False):
        """A context manager that holds the lock for its block (urgent: before the others)."""
        return self._holds[bool(urgent)]

    def _acquire(self, urgent: bool) -> None:
        me = threading.get_ident()
        with self._condition:
            if self._owner == me:
                self._depth += 1
                return
            if urgent:
                self._urgent_waiting += 1
                try:
                    while self._owner is not None:
                        self._wait()
                finally:
                    self._urgent_waiting -= 1
            else:
                ticket, self._next_ticket = self._next_ticket, self._next_ticket + 1
                while self._owner is not None or self._urgent_waiting or \
                        ticket != self._serving:
                    self._wait()
                self._serving += 1
            self._owner, self._depth = me, 1

    def _wait(self) -> None:
        self._waiting += 1
        try:
            self._condition.wait()
        finally:
            self._waiting -= 1

    def _release(self) -> None:
        with self._condition:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                if self._waiting:
                    self._condition.notify_all()


class _Hold:
    """PriorityLock.hold(urgent)'s context manager."""

    __slots__ = ("_lock", "_urgent")

    def __init__(self, lock: PriorityLock, urgent: bool):
        self._lock, self._urgent = lock, urgent

    def __enter__(self) -> None:
        self._lock._acquire(self._urgent)

    def __exit__(self, *_) -> None:
        self._lock._release()


class PressSupervisor:
    """Connect, poll, heartbeat, interlocks and permit, ownership and lease, safe release."""

    def __init__(self, press: Press, config: SupervisorConfig,
                 clock: Callable[[], float] = time.monotonic, log=None):
        if config.installed_die not in config.dies:
            raise ValueError(f"installed die '{config.installed_die}' is not in the die table")
        self.press = press
        self.config = config
        self.limits = config.limits
        self.clock = clock
        self.log = log or (lambda level, text: None)
        self.lock = PriorityLock()
        self.die = config.dies[config.installed_die]
        self.arms = ArmTable(config.arm_heartbeat_timeout_s)
        self.active = False
        self.reading: Optional[PressReading] = None
        self.owner = ""
        self.identity = None
        self.intrusion = ""
        self.intrusion_fault = press.map.fault_code("intrusion")   # permit withdrawn, loaded
        self.host_fault = (0, "")
        self.last_error = ""
        self.reconnects = 0
        self._owner_seen_s = 0.0
        self._permit = False            # the motion permit as last written by us
        self._failures, self._answered_s = 0, 0.0
        self._boot_count = None
        self._next_heartbeat_s = 0.0
        self._backoff_s = config.reconnect_backoff_s
        self._retry_at_s = 0.0
        self.urgent_timings = collections.deque(maxlen=200)  # (lock wait, write) seconds

    # ---- connection ----------------------------------------------------------------------
    def connect(self):
        """Open the link, check the identity, arm the controller watchdog, withdraw motion."""
        with self.lock.hold(urgent=True):
            identity = self.press.connect()
            self.press.set_watchdog(self.config.watchdog_period_s)
            self._write_permit(False)
            self._answered_s, self._failures = self.clock(), 0
            if identity.capacity_kn < self.limits.press_capacity_kn:
                self.log("warning", f"controller reports {identity.capacity_kn} kN capacity, "
                                    f"below the configured {self.limits.press_capacity_kn} kN; "
                                    "the lower one applies")
                self.limits = dataclasses.replace(self.limits,
                                                  press_capacity_kn=identity.capacity_kn)
            self.identity = identity
        return identity

    def close(self) -> None:
        with self.lock.hold(urgent=True):
            self.press.close()

    @property
    def connected(self) -> bool:
        return self.press.connected and self.reading is not None

    def tick(self) -> Optional[PressReading]:
        """One pass of the I/O loop: reconnect, poll, lease, heartbeat and permit."""
        now = self.clock()
        if not self.press.connected:
            self._reconnect(now)
            return None
        try:
            with self.lock.hold():
                reading = self.press.poll()
                self._take(reading)
                self._check_lease(now, reading)
            self._failures = 0
            self._answered_s = now
            if now >= self._next_heartbeat_s:
                with self.lock.hold():
                    self.press.heartbeat()
                    self._sync_permit(reading, now)
                self._next_heartbeat_s = now + self.config.heartbeat_period_s
            return reading
        except PressCommunicationError as error:
            self._failures += 1
            self.last_error = str(error)
            silent_s = self.clock() - self._answered_s
            if self._failures >= self.config.failures_before_disconnect and \
                    silent_s >= self.config.silence_before_disconnect_s:
                self.log("error", f"press not answering for {silent_s:.2f} s, "
                                  f"{self._failures} polls ({error}); reconnecting")
                self.close()
        except PressError as error:
            self.last_error = str(error)
            self.log("error", f"press connection lost: {error}")
        return None

    def send_next_poll(self) -> None:
        """Send the next tick's poll request now (Press.send_poll)."""
        if self.press.connected:
            with self.lock.hold():
                self.press.send_poll()

    def _reconnect(self, now: float) -> None:
        if now < self._retry_at_s:
            return
        try:
            self.connect()
        except PressError as error:
            self.last_error = str(error)
            self._retry_at_s = now + self._backoff_s
            self._backoff_s = min(2 * self._backoff_s, self.config.reconnect_backoff_max_s)
            self.reading = None
            return
        self._backoff_s = self.config.reconnect_backoff_s
        self.reconnects += 1
        self.log("warning", f"reconnected to {self.press.port_name}; pressing does not "
                            "resume by itself")

    def _take(self, reading: PressReading) -> None:
        if self._boot_count is not None and reading.boot_count != self._boot_count:
            self.log("error", f"press controller rebooted (boot count {self._boot_count} -> "
                              f"{reading.boot_count})")
        self._boot_count = reading.boot_count
        self.reading = reading
        if not math.isfinite(reading.force_kn) and self.host_fault[0] != FAULT_SENSOR:
            self._latch(FAULT_SENSOR, f"force reading is {reading.force_kn}: load cell or "
                                      "controller fault; pressure released")
            self.release_safely("sensor fault")

    # ---- faults and the owner lease ------------------------------------------------------
    def fault(self) -> tuple:
        """(code, text) of the latched fault: the controller's first, else the driver's."""
        reading = self.reading
        if reading is not None and reading.fault_code:
            text = reading.fault_text
            if reading.fault_code == self.intrusion_fault and self.intrusion:
                text = f"{text}: {self.intrusion}"
            return reading.fault_code, text
        return self.host_fault

    def _latch(self, code: int, text: str) -> None:
        self.host_fault = (code, text)
        self.log("error", text)

    def _lease_lapsed(self, now: float) -> bool:
        return bool(self.owner) and now - self._owner_seen_s > self.config.owner_timeout_s

    def _check_lease(self, now: float, reading: PressReading) -> None:
        if not self._lease_lapsed(now):
            return
        owner, self.owner = self.owner, ""
        silence = now - self._owner_seen_s
        if not reading.flags["pressurized"]:
            self.log("warning", f"ownership of goal {owner} lapsed ({silence:.1f} s silent)")
            return
        self._latch(FAULT_OWNER_LOST,
                    f"owner lease expired: goal {owner} sent no heartbeat for {silence:.1f} s "
                    "(its sequencer died or hung); pressure released at "
                    f"{self.config.safe_release_rate_mpa_s:g} MPa/s")
        self.release_safely("owner lost")

    def renew(self, owner: str) -> None:
        """An owner heartbeat: keeps the lease of `owner` alive.

        A lapsed lease stays lapsed: the next tick ends it and releases.
        """
        with self.lock.hold():
            now = self.clock()
            if owner and owner == self.owner and not self._lease_lapsed(now):
                self._owner_seen_s = now

    def set_active(self, active: bool) -> None:
        """The driver's lifecycle: commands need an active driver."""
        with self.lock.hold(urgent=not active):
            self.active = active

    # ---- interlocks ----------------------------------------------------------------------
    def arm_problem(self, now: Optional[float] = None) -> str:
        """Why the workspace is not clear ('' if it is), judged at `now` (default: the clock).

        Judge at the time the arms' reports were last taken: a poll that stalled after
        them (a loaded host: 1.3 s, seen) must not make them look stale.
        """
        if not self.config.arm_interlock:
            return ""
        return self.arms.problem(self.clock() if now is None else now)

    def interlocks(self) -> Interlocks:
        reading = self.reading
        connected = self.connected
        problem = self.arm_problem()
        fault_code, fault_text = self.fault() if connected else self.host_fault
        return Interlocks(
            connected=connected, active=self.active, fault_code=fault_code,
            guard_closed=reading.flags["guard_closed"] if connected else False,
            estop=reading.flags["estop"] if connected else False,
            arm_clear=not problem, arm_problem=problem, fault_text=fault_text)

    def on_arm(self, arm_id: str, in_workspace: bool, cell_id: str = "",
               intent: int = 0) -> None:
        """An arm heartbeat; an arm inside takes the motion permit away at once."""
        with self.lock.hold(urgent=True):
            self.arms.update(ArmReport(arm_id, in_workspace, cell_id, intent, self.clock()))
            if in_workspace and self.config.arm_interlock:
                self._withdraw_permit(f"arm '{arm_id}' entered the workspace")

    def _sync_permit(self, reading: PressReading, now: float) -> None:
        problem = self.arm_problem(now)
        wanted = self.active and not problem
        if wanted == reading.flags["motion_permit"] and wanted == self._permit:
            return
        if wanted:
            self._write_permit(True)
        else:
            self._withdraw_permit(problem or "driver inactive")

    def _withdraw_permit(self, why: str) -> None:
        """Drop the motion permit now: a moving controller dumps and latches fault 7."""
        reading = self.reading
        if not self._permit and (reading is None or not reading.flags["motion_permit"]):
            return
        if reading is not None and reading.mode in ("RAMP", "HOLD"):
            self.intrusion = why
            self.log("error", f"{why} while the platen was {reading.mode}: motion stopped, "
                              "pressure dumped, fault latched")
        try:
            self._write_permit(False)
        except PressError as error:
            self.log("error", f"{why}: could not withdraw the motion permit ({error})")

    def _write_permit(self, permitted: bool) -> None:
        if not permitted:
            self._permit = False
        self.press.set_motion_permit(permitted)
        self._permit = permitted

    # ---- commands ------------------------------------------------------------------------
    def execute(self, kind: str, owner: str = "", target: float = 0.0,
                rate: float = 0.0) -> Optional[Refusal]:
        """Check one command and send it; None when the press took it, else the refusal."""
        with self.lock.hold():
            refusal = self._refusal(kind, owner, target, rate)
            if refusal:
                return refusal
            try:
                self._send(kind, owner, target, rate)
            except PressValueError as error:
                return Refusal(REFUSED_INPUT, str(error))
            except PressError as error:
                return Refusal(NOT_TAKEN, f"press did not take the command: {error}")
            self.renew(owner)
            return None

    def _refusal(self, kind: str, owner: str, target: float, rate: float) -> Optional[Refusal]:
        if kind not in COMMANDS:
            return Refusal(UNKNOWN_COMMAND, f"unknown command {kind}")
        if kind == "ping":
            return None
        live_owner = self.owner
        if kind in OWNED_COMMANDS and (owner != live_owner or
                                       self._lease_lapsed(self.clock())):
            if live_owner and owner != live_owner:
                return Refusal(REFUSED_OWNERSHIP, f"press owned by goal {live_owner}")
            return Refusal(REFUSED_OWNERSHIP, f"goal {owner} does not own the press (its "
                                              "lease lapsed or the driver restarted)")
        if kind == "acquire":
            if not owner:
                return Refusal(REFUSED_INPUT, "acquire needs an owner id")
            if live_owner and (live_owner != owner or self._lease_lapsed(self.clock())):
                return Refusal(REFUSED_OWNERSHIP, f"press owned by goal {live_owner}")
            return motion_refusal(self.interlocks())
        if kind == "relinquish":
            if owner != live_owner:
                return Refusal(REFUSED_OWNERSHIP, f"goal {owner or '(none)'} does not own "
                                                  "the press")
            return None
        interlocks = self.interlocks()
        if kind == "temperature":
            return temperature_refusal(self.limits, target, interlocks)
        if kind == "hold":
            return motion_refusal(interlocks) or (
                None if self.connected else Refusal(REFUSED_INTERLOCK, "no press state yet"))
        rising = kind == "set_pressure"
        refusal = pressure_refusal(self.limits, self.die, target, rate, interlocks, rising)
        if refusal is None and not rising and self.reading is not None and \
                target > self.die.pressure_mpa(self.reading.force_kn) + 1.0:
            refusal = Refusal(REFUSED_INPUT, "release target is above the present pressure")
        return refusal

    def _send(self, kind: str, owner: str, target: float, rate: float) -> None:
        if kind == "acquire":
            self.owner, self._owner_seen_s = owner, self.clock()
        elif kind == "relinquish":
            self.owner = ""
        elif kind == "temperature":
            self.press.set_temperature(target)
        elif kind == "hold":
            self._write_permit(True)
            self.press.hold()
        else:
            rising = kind == "set_pressure"
            if rising:
                self._write_permit(True)
            self.press.ramp_to(self.die.force_kn(target), self.die.force_kn(rate),
                               releasing=not rising)

    def set_installed_die(self, die_id: str) -> Optional[Refusal]:
        """Record the die physically in the press; only while released, unowned and clear."""
        if die_id not in self.config.dies:
            return Refusal(REFUSED_INPUT, f"unknown die '{die_id}'; known: "
                                          f"{', '.join(sorted(self.config.dies))}")
        with self.lock.hold():
            reading = self.reading
            if self.owner:
                return Refusal(REFUSED_OWNERSHIP, f"press owned by goal {self.owner}")
            if not self.connected:
                return Refusal(REFUSED_INTERLOCK, "press controller is not connected")
            if reading.flags["pressurized"] or reading.mode not in ("IDLE", "FAULT", "ESTOP"):
                return Refusal(REFUSED_INTERLOCK, f"the press is not open and released "
                                                  f"(mode {reading.mode})")
            if self.arm_problem():
                return Refusal(REFUSED_INTERLOCK, f"arm workspace not clear: "
                                                  f"{self.arm_problem()}")
            self.die = self.config.dies[die_id]
        self.log("info", f"installed die is now {self.die.die_id} ({self.die.diameter_mm:g} "
                         f"mm, rated {self.die.rated_mpa:g} MPa)")
        return None

    def estop(self) -> Optional[Refusal]:
        """E-stop ahead of everything else; retried, since stopping is the safe direction."""
        return self._urgently("emergency stop", lambda: self.press.estop())

    def reset_fault(self) -> Optional[Refusal]:
        def reset():
            self.press.reset_fault()
            self.intrusion, self.host_fault = "", (0, "")
        return self._urgently("fault reset", reset, attempts=1)

    def zero_position(self) -> Optional[Refusal]:
        def zero_if_unloaded():
            reading = self.reading
            if reading is not None and reading.flags["pressurized"]:
                return Refusal(REFUSED_INTERLOCK, "zero the platen position with an empty die "
                                                  "and no load")
            self.press.zero_position()
            return None
        return self._urgently("zero position", zero_if_unloaded, attempts=1)

    def release_safely(self, why: str) -> bool:
        """Bring the pressure down at the safe rate; True once the controller took it."""
        with self.lock.hold(urgent=True):
            reading = self.reading
            if not self.press.connected or reading is None or \
                    not reading.flags["pressurized"]:
                return True
            rate_kn_s = self.die.force_kn(self.config.safe_release_rate_mpa_s)
            refusal = self._urgently(f"{why}: release", lambda: self.press.ramp_to(
                0.0, rate_kn_s, releasing=True))
        if refusal is None:
            self.log("warning", f"{why}: releasing pressure at "
                                f"{self.config.safe_release_rate_mpa_s:g} MPa/s")
            return True
        self.log("error", f"{why}: {refusal}; the controller watchdog will release")
        return False

    def _urgently(self, what: str, action, attempts: int = 3) -> Optional[Refusal]:
        if not self.press.connected:
            return Refusal(REFUSED_INTERLOCK, "press controller is not connected")
        error = None
        for attempt in range(attempts):
            try:
                asked = time.monotonic()
                with self.lock.hold(urgent=True):
                    granted = time.monotonic()
                    refusal = action()
                    self.urgent_timings.append((granted - asked, time.monotonic() - granted))
                return refusal if isinstance(refusal, Refusal) else None
            except PressError as failure:
                error = failure
                self.log("error", f"{what}: attempt {attempt + 1} failed ({failure})")
        return Refusal(NOT_TAKEN, f"press did not take the {what}: {error}")
