"""Auto-rollback rules: a small interface the controller drives, and the seed's triggers behind it.

A rule sees one `Observation` per new heartbeat (or per failed fetch) and answers
with a `RuleVerdict`. Missing or stale data never trips a rule and never counts
towards its evidence: it is a HOLD, shown as such. Evidence-based rules
(judgment.md) implement the same `Rule` protocol. The observation carries THE
stage clock (the controller's, skew-corrected) and the thresholds in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from canary_tui.core.rates import Rates
from canary_tui.core.resume import StoredStage, resume_seed
from canary_tui.core.samples import Heartbeat
from canary_tui.core.seed import SEED_DEBOUNCE_N
from canary_tui.core.seed_triggers import SeedState, SeedTriggers
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.core.trips import Trip, TripKind, describe_trips
from canary_tui.core.verdicts import Decision, GateResult


@dataclass(frozen=True, slots=True)
class Observation:
    """What a rule may look at: the newest good heartbeat and rates, or why there are none."""

    heartbeat: Heartbeat | None
    rates: Rates | None
    stale: bool
    now_s: float
    stage_percent: int | None
    signature_confirmed_bad: bool = False
    error: str | None = None  # the fetch error when heartbeat is None
    previous: Heartbeat | None = None  # the heartbeat before `heartbeat`, for window deltas
    stage_entered_s: float | None = None  # when the current stage began on our clock (the controller's stage clock)
    thresholds: ThresholdTable | None = None  # the thresholds in force (None: the seed's table)
    seed: SeedState | None = None  # the seed triggers after this poll, from the rule that feeds them (handed on by the Judge)

    @property
    def usable(self) -> bool:
        """True when there is fresh data to judge (a confirmed bad signature is judged separately)."""
        return self.heartbeat is not None and self.rates is not None and not self.stale


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """A rule's answer: trip (roll back now), or a debounce count towards `needed`, or a HOLD."""

    rule: str
    trip: bool
    reason: str
    count: int = 0
    needed: int = 1
    hold: bool = False
    decision: Decision | None = None  # evidence-based rules may offer the full decision
    evidence: dict[str, float | int | str | None] = field(default_factory=dict)
    trips: tuple[Trip, ...] = ()  # the structured conditions behind `reason` when it trips
    gates: tuple[GateResult, ...] = ()  # gates the rule offers for the stage (with intervals and evidence bars)
    seed: SeedState | None = None  # the seed triggers' state, from the rule that feeds them, for the rules after it


@runtime_checkable
class Rule(Protocol):
    """An auto-rollback rule: stateful across observations, reset when a ramp starts over.

    Everything a rule tells the controller travels in its `RuleVerdict` (trip, count, decision, gates).
    A verdict's `seed` state is handed to the rules after it in the observation (controller/judging.py),
    so the seed's triggers run once however many rules speak of them.
    """

    name: str

    def observe(self, obs: Observation) -> RuleVerdict:
        """Judge one observation; called once per new heartbeat or failed fetch."""
        ...

    def reset(self) -> None:
        """Forget the debounce and any accumulated evidence."""
        ...


@runtime_checkable
class ResumableRule(Protocol):
    """A rule whose evidence can continue from stored counts after a restart (core/resume.py)."""

    def resume(self, stage: StoredStage, stage_entered_s: float | None) -> None:
        """Take the stored stage's counts as if observed, before the first live observation."""
        ...


class Debounce:
    """N consecutive hits trip; a miss starts over; a hold neither counts nor resets."""

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError("debounce needs n >= 1")
        self.needed = n
        self.count = 0

    def hit(self) -> bool:
        """Count one breach; True once `needed` consecutive breaches have been seen."""
        self.count = min(self.count + 1, self.needed)
        return self.count >= self.needed

    def miss(self) -> None:
        """A healthy observation: start counting again from zero."""
        self.count = 0

    def reset(self) -> None:
        """Same as a miss; named for the rule's reset()."""
        self.count = 0


def _unmeasurable(heartbeat: Heartbeat, rates: Rates) -> bool:
    """No traffic in the interval and no latency figure: nothing to judge."""
    metrics = heartbeat.metrics
    no_latency = metrics.p95_ms is None and (metrics.canary is None or metrics.canary.p95_ms is None)
    return rates.requests == 0 and no_latency


class SeedRollbackRule:
    """The seed's automated triggers on evidence (core/seed_triggers.py); a confirmed bad signature at once.

    `count`/`needed` of its verdicts show how far the nearest trigger is towards holding.
    """

    name = "seed"

    def __init__(self, debounce_n: int = SEED_DEBOUNCE_N) -> None:
        self.needed = debounce_n
        self.triggers = SeedTriggers(debounce_n)
        self._version: str | None = None  # the canary version the triggers' evidence is about

    def _count(self) -> int:
        """Progress of the nearest trigger in steps of 1/needed."""
        return min(self.needed, int(self.triggers.progress * self.needed))

    def observe(self, obs: Observation) -> RuleVerdict:
        """Trip on a confirmed bad signature, or once a seed trigger holds on evidence; the state rides along."""
        verdict = self._judge(obs)
        return replace(verdict, seed=self.triggers.state())

    def _judge(self, obs: Observation) -> RuleVerdict:
        needed = self.needed
        if obs.signature_confirmed_bad:
            trip = Trip(TripKind.SIGNATURE)
            return RuleVerdict(self.name, True, describe_trips([trip]), needed, needed, trips=(trip,))
        if not obs.usable:
            why = obs.error or ("stale data" if obs.stale else "no data")
            return RuleVerdict(self.name, False, f"hold: {why}", self._count(), needed, hold=True)
        if obs.stage_percent == 0:  # nothing to roll back; the window still holds the old canary's latency
            self.triggers.reset()
            return RuleVerdict(self.name, False, "hold: canary at 0%", 0, needed, hold=True)
        assert obs.heartbeat is not None and obs.rates is not None
        version = obs.heartbeat.deployment.canary_version
        if version != self._version:  # evidence speaks for one canary version
            if self._version is not None:
                self.triggers.reset()
            self._version = version
        if _unmeasurable(obs.heartbeat, obs.rates):
            return RuleVerdict(self.name, False, "hold: no traffic to judge", self._count(), needed, hold=True)
        # a signature failure counts only once the controller's re-fetch confirmed it (handled above)
        trips = self.triggers.observe(obs.heartbeat, obs.previous, obs.rates)
        if trips:
            return RuleVerdict(self.name, True, describe_trips(trips), needed, needed, trips=trips)
        return RuleVerdict(self.name, False, "", self._count(), needed)

    def resume(self, stage: StoredStage, stage_entered_s: float | None) -> None:
        """Continue from the stored counts of the stage going on (a restart): the CUSUMs fed per stored window."""
        resume_seed(self.triggers, stage)
        self._version = stage.canary_version

    def reset(self) -> None:
        """Forget all evidence."""
        self.triggers.reset()
        self._version = None
