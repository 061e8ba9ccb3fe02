"""A campaign's study: Optuna's ask/tell over a database every press of the campaign shares.

Optuna (docs/campaigns.md says why, with the measurements) keeps every cell as a trial in
its storage: an SQLite file by default, PostgreSQL (`postgresql+psycopg://...`) when presses
on several hosts share one campaign. A cell is asked (RUNNING, with its press and cell id),
pressed, then told: COMPLETE with its objectives and constraint values, or FAIL with the
reason (a cell that did not end SUCCEEDED, a record that cannot be read, a campaign process
that stopped while the cell was in the press). Nothing is dropped: a failed cell stays in
the study with its parameters and reason, and counts as a pressed cell.

No two presses test the same pending point: the sampler's constant liar treats pending cells
as already measured, and a suggestion within `DUPLICATE_SHARE` of every range of another
press's pending cell is set aside (FAIL, "not pressed") and asked again.
"""
import dataclasses
import datetime
import json
import math
import os
import random
import socket
import time
from typing import Dict, List, Optional

import optuna
import sqlalchemy.exc
from optuna.trial import TrialState

from press_control.control.campaign_spec import Campaign, Constraint, Objective, Range

DUPLICATE_SHARE = 0.01          # closer than 1 % of every range: the same point
STARTUP_CELLS = 5               # random cells before the model proposes (measured: docs)
SAMPLERS = ("tpe", "gp", "random")
SCHEMA_ATTEMPTS = 8             # the first storage open races another press's (below)
ATTR_CELL, ATTR_PRESS, ATTR_REASON = "cell_id", "press", "reason"
ATTR_RECORD, ATTR_METRICS, ATTR_SKIPPED = "record_dir", "metrics", "not_pressed"
ATTR_VIOLATIONS, ATTR_SPEC = "violations", "campaign"

optuna.logging.set_verbosity(optuna.logging.WARNING)


class StudyMismatch(ValueError):
    """The storage holds a study of this name with another campaign file."""


@dataclasses.dataclass
class Cell:
    """One cell of the campaign as the study knows it."""

    number: int                       # the study's trial number
    cell_id: str
    press: str
    state: str                        # RUNNING, COMPLETE, FAIL
    params: Dict[str, float]
    metrics: Dict[str, float]
    values: List[float]
    feasible: bool
    reason: str
    record_dir: str


def storage_url(path_or_url: str) -> str:
    """An SQLAlchemy URL: a path becomes an SQLite file URL."""
    if "://" in path_or_url:
        return path_or_url
    return "sqlite:///" + os.path.abspath(os.path.expanduser(path_or_url))


def _violations(trial) -> List[float]:
    return trial.user_attrs.get(ATTR_VIOLATIONS, [])


def make_sampler(kind: str, seed: int):
    """The sampler of `kind` (SAMPLERS); it reads each cell's constraint values."""
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True,
                                          n_startup_trials=STARTUP_CELLS)
    if kind == "gp":                        # needs torch: not installed by scripts/setup.sh
        return optuna.samplers.GPSampler(seed=seed, n_startup_trials=STARTUP_CELLS)
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"unknown sampler {kind!r} (known: {', '.join(SAMPLERS)})")


def distributions(campaign: Campaign) -> dict:
    return {r.name: optuna.distributions.FloatDistribution(r.low, r.high, log=r.log)
            for r in campaign.space}


def spec_text(campaign: Campaign) -> str:
    """The campaign as the study stores it: what must not change on resume."""
    return json.dumps(dataclasses.asdict(dataclasses.replace(campaign, cells=0,
                                                             description="")),
                      sort_keys=True)


def campaign_from_text(text: str) -> Campaign:
    """The Campaign a study stored (spec_text)."""
    fields = json.loads(text)
    fields["space"] = [Range(**r) for r in fields["space"]]
    fields["objectives"] = [Objective(**o) for o in fields["objectives"]]
    fields["constraints"] = [Constraint(**{k: (math.nan if v is None else v)
                                           for k, v in c.items()})
                             for c in fields["constraints"]]
    return Campaign(**fields)


class CampaignStudy:
    """ask/tell for one campaign on a shared storage."""

    def __init__(self, campaign: Campaign, storage: str, press: str = "",
                 sampler: str = "tpe", seed: Optional[int] = None):
        self.campaign = campaign
        self.press = press or socket.gethostname()
        self.storage = storage_url(storage)
        self._storage, self.study = self._create(campaign)
        self._study_id = self._storage.get_study_id_from_name(campaign.name)
        stored = self.study.user_attrs.get(ATTR_SPEC)
        mine = spec_text(campaign)
        if stored is None:
            self.study.set_user_attr(ATTR_SPEC, mine)
        elif stored != mine:
            raise StudyMismatch(f"the storage already holds campaign '{campaign.name}' with "
                                "another space, protocol or objectives; give the campaign a "
                                "new name to start afresh")
        base = campaign.seed if seed is None else seed
        # seeded anew each session, so a resumed campaign does not replay its first draws
        self.study.sampler = make_sampler(sampler, base + len(self.study.trials))
        self.distributions = distributions(campaign)

    def _create(self, campaign: Campaign):
        """(storage, study), made or loaded; retried while another press makes the schema.

        Two presses starting one campaign on an empty database at the same moment both
        create Optuna's tables: the loser's CREATE fails (PostgreSQL: a duplicate type;
        SQLite: a table that exists or a locked file). Seen in the two-press tests; a
        second attempt finds the schema made.
        """
        engine = {"connect_args": {"timeout": 60}} if self.storage.startswith("sqlite") \
            else {"pool_pre_ping": True}
        for attempt in range(1, SCHEMA_ATTEMPTS + 1):
            try:
                storage = optuna.storages.RDBStorage(self.storage, engine_kwargs=engine)
                return storage, optuna.create_study(
                    study_name=campaign.name, storage=storage, load_if_exists=True,
                    directions=[o.direction for o in campaign.objectives])
            except sqlalchemy.exc.DBAPIError:
                if attempt == SCHEMA_ATTEMPTS:
                    raise
                time.sleep(random.uniform(0.1, 0.5) * attempt)

    @classmethod
    def open(cls, name: str, storage: str) -> Optional["CampaignStudy"]:
        """The study of campaign `name` in storage, from the campaign it stored; None if absent."""
        url = storage_url(storage)
        if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):]):
            return None
        probe = optuna.storages.RDBStorage(url)
        try:
            study_id = probe.get_study_id_from_name(name)
        except KeyError:
            return None
        stored = probe.get_study_user_attrs(study_id).get(ATTR_SPEC)
        if stored is None:
            return None
        return cls(campaign_from_text(stored), url, press="reader")

    # ---- reading -----------------------------------------------------------------------
    def cells(self) -> List[Cell]:
        """Every cell pressed or in a press, oldest first (set-aside suggestions left out)."""
        return [self._cell(t) for t in self.study.get_trials(deepcopy=False)
                if ATTR_SKIPPED not in t.user_attrs]

    def _cell(self, trial) -> Cell:
        metrics = {k: (math.nan if v is None else v)
                   for k, v in trial.user_attrs.get(ATTR_METRICS, {}).items()}
        values = list(trial.values) if trial.values is not None else []
        feasible = trial.state == TrialState.COMPLETE and all(
            v <= 0 for v in _violations(trial))
        return Cell(number=trial.number, cell_id=trial.user_attrs.get(ATTR_CELL, ""),
                    press=trial.user_attrs.get(ATTR_PRESS, ""), state=trial.state.name,
                    params=dict(trial.params), metrics=metrics, values=values,
                    feasible=feasible, reason=trial.user_attrs.get(ATTR_REASON, ""),
                    record_dir=trial.user_attrs.get(ATTR_RECORD, ""))

    def finished(self) -> int:
        """Cells that count against the campaign's budget: pressed and told."""
        return sum(c.state in ("COMPLETE", "FAIL") for c in self.cells())

    def pending(self, press: Optional[str] = None) -> List[Cell]:
        return [c for c in self.cells() if c.state == "RUNNING" and
                (press is None or c.press == press)]

    def best(self) -> List[Cell]:
        """The best feasible cell (one objective) or the feasible Pareto set (several)."""
        done = [c for c in self.cells() if c.feasible]
        if not done:
            return []
        signs = [1.0 if o.direction == "minimize" else -1.0 for o in self.campaign.objectives]
        keyed = [(tuple(s * v for s, v in zip(signs, c.values)), c) for c in done]
        if len(signs) == 1:
            return [min(keyed, key=lambda kc: kc[0])[1]]
        return [c for k, c in keyed if not any(
            all(a <= b for a, b in zip(other, k)) and other != k for other, _ in keyed)]

    # ---- asking and telling ------------------------------------------------------------
    def ask(self, attempts: int = 20) -> Cell:
        """The next cell's parameters, away from every other press's pending cell."""
        for _ in range(attempts):
            trial = self.study.ask(self.distributions)
            clash = self._clash(trial.number, trial.params)
            if clash is None:
                cell_id = f"{self.campaign.name}-{trial.number:03d}"
                trial.set_user_attr(ATTR_CELL, cell_id)
                trial.set_user_attr(ATTR_PRESS, self.press)
                return self._cell(self._storage.get_trial(self._trial_id(trial.number)))
            self.set_aside(trial.number, f"within {DUPLICATE_SHARE:.0%} of pending cell "
                                         f"{clash.cell_id} on {clash.press}")
        raise RuntimeError(f"no suggestion away from the pending cells in {attempts} tries")

    def set_aside_orphans(self, older_than_s: float = 60.0) -> int:
        """Suggestions a stopped process asked but never gave a press: set aside (FAIL)."""
        now = datetime.datetime.now()
        orphans = [t for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                   if ATTR_PRESS not in t.user_attrs and t.datetime_start is not None and
                   (now - t.datetime_start).total_seconds() > older_than_s]
        for trial in orphans:
            self.set_aside(trial.number, "asked by a process that stopped before giving it "
                                         "to a press")
        return len(orphans)

    def set_aside(self, number: int, reason: str) -> Cell:
        """A suggestion no press pressed: kept in the study, not counted as a cell."""
        self._attrs(number, {ATTR_SKIPPED: reason})
        self.study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
        return self._cell(self._storage.get_trial(self._trial_id(number)))

    def _clash(self, number: int, params: Dict[str, float]) -> Optional[Cell]:
        for other in self.pending():
            # a suggestion another press is still writing (its parameters come one by one)
            # is skipped; that press checks against this one's, complete, when it is done
            if other.number == number or set(other.params) != set(params):
                continue
            if all(abs(self._scaled(r, params[r.name]) - self._scaled(r, other.params[r.name]))
                   < DUPLICATE_SHARE for r in self.campaign.space):
                return other
        return None

    @staticmethod
    def _scaled(r, value: float) -> float:
        if r.log:
            return (math.log(value) - math.log(r.low)) / (math.log(r.high) - math.log(r.low))
        return (value - r.low) / (r.high - r.low)

    def tell_measured(self, number: int, metrics: Dict[str, float], record_dir: str = "",
                      violations: List[float] = (), reason: str = "") -> Cell:
        """A cell that ran to its end: its objectives and how far it broke each constraint."""
        values = [metrics[o.metric] for o in self.campaign.objectives]
        violations = [_finite_number(v) for v in violations]
        self._attrs(number, {ATTR_METRICS: _finite(metrics), ATTR_RECORD: record_dir,
                             ATTR_VIOLATIONS: violations, ATTR_REASON: reason})
        trial = optuna.trial.Trial(self.study, self._trial_id(number))
        for constraint, violation in zip(self.campaign.constraints, violations):
            trial.set_constraint(constraint.metric, violation)
        if not all(math.isfinite(v) for v in values):
            return self.tell_failed(number, f"objective not measured ({reason or 'no value'})",
                                    record_dir)
        self.study.tell(number, values, skip_if_finished=True)
        return self._cell(self._storage.get_trial(self._trial_id(number)))

    def tell_failed(self, number: int, reason: str, record_dir: str = "") -> Cell:
        """A cell that did not end SUCCEEDED, or whose record cannot be read: with why."""
        self._attrs(number, {ATTR_REASON: reason, ATTR_RECORD: record_dir})
        self.study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
        return self._cell(self._storage.get_trial(self._trial_id(number)))

    def _trial_id(self, number: int) -> int:
        return self._storage.get_trial_id_from_study_id_trial_number(self._study_id, number)

    def _attrs(self, number: int, attrs: dict) -> None:
        trial_id = self._trial_id(number)
        for key, value in attrs.items():
            self._storage.set_trial_user_attr(trial_id, key, value)


def _finite_number(value: float) -> float:
    """JSON (the storage's format) has no infinity: a huge number keeps the order."""
    return value if math.isfinite(value) else (1e300 if value > 0 else -1e300)


def _finite(metrics: Dict[str, float]) -> Dict[str, float]:
    return {k: (v if math.isfinite(v) else None) for k, v in metrics.items()}
