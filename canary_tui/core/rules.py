"""Auto-rollback rules: a small interface the controller drives, and the seed's triggers behind it.

A rule sees one `Observation` per new heartbeat (or per failed fetch) and answers
with a `RuleVerdict`. Missing or stale data never trips a rule and never counts
towards its debounce: it is a HOLD, shown as such. Evidence-based rules
(judgment.md) implement the same `Rule` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from canary_tui.core.gates import seed_trigger_breaches
from canary_tui.core.rates import Rates
from canary_tui.core.samples import Heartbeat
from canary_tui.core.verdicts import Decision


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


@runtime_checkable
class Rule(Protocol):
    """An auto-rollback rule: stateful across observations, reset when a ramp starts over."""

    name: str

    def observe(self, obs: Observation) -> RuleVerdict:
        """Judge one observation; called once per new heartbeat or failed fetch."""
        ...

    def reset(self) -> None:
        """Forget the debounce and any accumulated evidence."""
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


SIGNATURE_BREACH = "signature invalid"


class SeedRollbackRule:
    """The seed's automated triggers: error rate > 5% or P95 > 1000 ms for N observations; bad signature at once."""

    name = "seed"

    def __init__(self, debounce_n: int = 3) -> None:
        self._debounce = Debounce(debounce_n)

    def observe(self, obs: Observation) -> RuleVerdict:
        """Trip on a confirmed bad signature, or on N consecutive breaching observations."""
        needed = self._debounce.needed
        if obs.signature_confirmed_bad:
            return RuleVerdict(self.name, True, "signature invalid (confirmed by re-fetch)", needed, needed)
        if not obs.usable:
            why = obs.error or ("stale data" if obs.stale else "no data")
            return RuleVerdict(self.name, False, f"hold: {why}", self._debounce.count, needed, hold=True)
        if obs.stage_percent == 0:  # nothing to roll back; the window still holds the old canary's latency
            self._debounce.reset()
            return RuleVerdict(self.name, False, "hold: canary at 0%", 0, needed, hold=True)
        assert obs.heartbeat is not None and obs.rates is not None
        if _unmeasurable(obs.heartbeat, obs.rates):
            return RuleVerdict(self.name, False, "hold: no traffic to judge", self._debounce.count, needed, hold=True)
        # a signature failure counts only once the controller's re-fetch confirmed it (handled above)
        breaches = tuple(b for b in seed_trigger_breaches(obs.heartbeat, obs.rates) if b != SIGNATURE_BREACH)
        if not breaches:
            self._debounce.miss()
            return RuleVerdict(self.name, False, "", 0, needed)
        tripped = self._debounce.hit()
        reason = "; ".join(breaches)
        return RuleVerdict(self.name, tripped, reason, self._debounce.count, needed)

    def reset(self) -> None:
        """Forget the debounce count."""
        self._debounce.reset()
