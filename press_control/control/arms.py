"""Robot arms around the press: their heartbeats, one table per arm id (pure)."""
import dataclasses
from typing import Dict, Optional

INTENT_NONE, INTENT_LOAD, INTENT_UNLOAD = range(3)


@dataclasses.dataclass(frozen=True)
class ArmReport:
    """One arm heartbeat, stamped with the local time it arrived."""

    arm_id: str
    in_workspace: bool
    cell_id: str
    intent: int
    received_s: float


class ArmTable:
    """The last heartbeat of every arm seen; the workspace is clear only if all agree.

    An arm once seen must keep reporting: a silent arm may be inside, so it blocks motion
    until it reports clear again (an arm taken out of service needs a driver restart).
    """

    def __init__(self, heartbeat_timeout_s: float):
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.reports: Dict[str, ArmReport] = {}
        self.latest: Optional[ArmReport] = None

    def update(self, report: ArmReport) -> None:
        self.reports[report.arm_id] = report
        self.latest = report

    def problem(self, now_s: float) -> str:
        """Why the workspace does not count as clear ("" if it does)."""
        if not self.reports:
            return "no arm heartbeat on handling/arm"
        for arm_id in sorted(self.reports):
            report = self.reports[arm_id]
            if report.in_workspace:
                return f"arm '{arm_id}' is in the workspace"
            age = now_s - report.received_s
            if age > self.heartbeat_timeout_s:
                return f"arm '{arm_id}' heartbeat is stale ({age:.1f} s old)"
        return ""

    def clear(self, now_s: float) -> bool:
        return not self.problem(now_s)

    def anyone_inside(self) -> Optional[ArmReport]:
        """The report of an arm that says it is inside, or None."""
        for arm_id in sorted(self.reports):
            if self.reports[arm_id].in_workspace:
                return self.reports[arm_id]
        return None


def arm_clear(arm: Optional[ArmReport], now_s: float, heartbeat_timeout_s: float) -> bool:
    """True when one arm's heartbeat is fresh and says the workspace is clear."""
    return not arm_problem(arm, now_s, heartbeat_timeout_s)


def arm_problem(arm: Optional[ArmReport], now_s: float, heartbeat_timeout_s: float) -> str:
    """Why one arm's report does not make the workspace clear ("" if it does)."""
    table = ArmTable(heartbeat_timeout_s)
    if arm is not None:
        table.update(arm)
    return table.problem(now_s)
