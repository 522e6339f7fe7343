"""The seed's automatic rollback triggers (errors > 5%, P95 > 1000 ms), fired on evidence, not on one poll.

judgment.md, "Decisions": at low traffic one poll may hold only ~20 canary requests, so
each trigger is a one-sided Bernoulli CUSUM on the canary's per-request outcomes, fed
one poll's counts at a time: every error adds ln(p1/p0), every success ln((1−p1)/(1−p0)),
floored at 0; the trigger holds once the sum reaches h. With p0 = 5%, p1 = 10%, h = 12
a true 4% essentially never trips in 24 h at 20 requests/s, a true 10% trips in ~30 s.
"P95 > 1000 ms" is "more than 5% of requests slower than 1000 ms", the same test on
slow counts from the latency buckets. Without buckets the server's own P95 is all
there is: it trips when debounced over polls, flagged as the fallback it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from canary_tui.core.rates import Rates
from canary_tui.core.samples import Heartbeat
from canary_tui.core.seed import SEED_DEBOUNCE_N, SEED_P95_TAIL_FRACTION, SEED_TRIP_ERROR_RATE, SEED_TRIP_P95_MS
from canary_tui.core.stats import Debounce, slow_count_delta
from canary_tui.core.trips import Trip, TripKind

#: CUSUM decision interval (judgment.md: h ≈ 12).
CUSUM_H = 12.0


@dataclass(slots=True)
class BernoulliCusum:
    """One-sided CUSUM for 'event rate above p0', tuned to detect p1; fed per-poll counts."""

    p0: float
    p1: float
    h: float = CUSUM_H
    statistic: float = 0.0
    events: int = 0  # since the statistic last sat at 0: the run behind the current evidence
    trials: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.p0 < self.p1 < 1.0:
            raise ValueError("need 0 < p0 < p1 < 1")

    @property
    def event_step(self) -> float:
        """What one event adds: ln(p1/p0)."""
        return math.log(self.p1 / self.p0)

    @property
    def trial_step(self) -> float:
        """What one non-event adds: ln((1−p1)/(1−p0)) (negative)."""
        return math.log((1.0 - self.p1) / (1.0 - self.p0))

    def update(self, events: int, trials: int) -> bool:
        """Add one poll's counts (events among trials); True while the trigger holds."""
        if trials <= 0:
            return self.tripped
        events = min(max(events, 0), trials)
        self.statistic = max(0.0, self.statistic + events * self.event_step + (trials - events) * self.trial_step)
        if self.statistic == 0.0:
            self.events, self.trials = 0, 0
        else:
            self.events, self.trials = self.events + events, self.trials + trials
        return self.tripped

    @property
    def tripped(self) -> bool:
        """The statistic reached h."""
        return self.statistic >= self.h

    @property
    def position(self) -> float:
        """The statistic on [0, h] as a fraction in [0, 1] (for an evidence bar)."""
        return min(1.0, self.statistic / self.h)

    def reset(self) -> None:
        """Start over (a new stage or canary)."""
        self.statistic, self.events, self.trials = 0.0, 0, 0


@dataclass(frozen=True, slots=True)
class SeedState:
    """The seed triggers' verdict after one poll: what holds, and the CUSUM figures behind it.

    The seed rule feeds the one `SeedTriggers`; everything else that speaks of the seed's
    triggers (the evidence rule's decision, its --json evidence) reads this, never a copy.
    """

    trips: tuple[Trip, ...] = ()
    error_statistic: float = 0.0
    slow_statistic: float = 0.0
    h: float = CUSUM_H


def _error_cusum() -> BernoulliCusum:
    return BernoulliCusum(SEED_TRIP_ERROR_RATE, 2 * SEED_TRIP_ERROR_RATE)


def _slow_cusum() -> BernoulliCusum:
    return BernoulliCusum(SEED_P95_TAIL_FRACTION, 2 * SEED_P95_TAIL_FRACTION)


@dataclass(slots=True)
class SeedTriggers:
    """Both seed triggers for one canary: error CUSUM, slow(1000 ms) CUSUM, and the no-buckets P95 fallback."""

    debounce_n: int = SEED_DEBOUNCE_N
    errors: BernoulliCusum = field(default_factory=_error_cusum)
    slow: BernoulliCusum = field(default_factory=_slow_cusum)
    reported_p95: Debounce = field(default_factory=Debounce)
    last_p95_ms: float | None = None

    def __post_init__(self) -> None:
        self.reported_p95.needed = self.debounce_n

    def observe(self, current: Heartbeat, previous: Heartbeat | None, rates: Rates | None) -> tuple[Trip, ...]:
        """Take one poll's counts; the triggers that hold afterwards."""
        if rates is not None:
            n, x = judged_counts(rates)
            self.errors.update(x, n)
            slow = judged_slow_count(current, previous, rates)
            if slow is not None:
                self.slow.update(slow[0], slow[1])
            elif n > 0 and (previous is not None or not _has_buckets(current)):  # the server's P95 is all there is
                self.last_p95_ms = judged_p95_ms(current)
                if self.last_p95_ms is not None:
                    self.reported_p95.update(self.last_p95_ms > SEED_TRIP_P95_MS)
        return self.trips()

    def trips(self) -> tuple[Trip, ...]:
        """The seed triggers holding now, with their figures."""
        out: list[Trip] = []
        if self.errors.tripped:
            e = self.errors
            out.append(Trip(TripKind.SEED_ERRORS, e.statistic, e.h, SEED_TRIP_ERROR_RATE, e.events, e.trials))
        if self.slow.tripped:
            s = self.slow
            out.append(Trip(TripKind.SEED_SLOW, s.statistic, s.h, SEED_TRIP_P95_MS, s.events, s.trials))
        if self.reported_p95.tripped:
            out.append(Trip(TripKind.SEED_P95_REPORTED, self.last_p95_ms, SEED_TRIP_P95_MS, SEED_TRIP_P95_MS,
                            windows=self.debounce_n))
        return tuple(out)

    def state(self) -> SeedState:
        """What holds now and the CUSUM figures, as one immutable value to hand on."""
        return SeedState(self.trips(), self.errors.statistic, self.slow.statistic, self.errors.h)

    @property
    def progress(self) -> float:
        """How close the nearest trigger is to holding, 0..1 (the gate pane's 'counting')."""
        return max(self.errors.position, self.slow.position, self.reported_p95.count / self.debounce_n)

    def reset(self) -> None:
        """Forget all evidence."""
        self.errors.reset()
        self.slow.reset()
        self.reported_p95.reset()
        self.last_p95_ms = None


def judged_counts(rates: Rates) -> tuple[int, int]:
    """(requests, errors) the triggers judge: the canary's over the interval when split, else the service's."""
    if rates.canary_requests is not None and rates.canary_errors is not None:
        return int(rates.canary_requests), int(rates.canary_errors)
    return rates.requests, rates.errors


def judged_p95_ms(heartbeat: Heartbeat) -> float | None:
    """The P95 the triggers judge: the canary's when the heartbeat has a split, else the service's."""
    canary = heartbeat.metrics.canary
    if canary is not None and canary.p95_ms is not None:
        return canary.p95_ms
    return heartbeat.metrics.p95_ms


def _has_buckets(heartbeat: Heartbeat) -> bool:
    """The judged variant (the canary when split) comes with latency buckets."""
    judged = heartbeat.metrics.canary or heartbeat.metrics
    return judged.latency_buckets is not None


def judged_slow_count(current: Heartbeat, previous: Heartbeat | None, rates: Rates) -> tuple[int, int] | None:
    """(slower than 1000 ms, requests) over the interval from the latency buckets; None without them."""
    if previous is None:
        return None
    cur_v, prev_v = current.metrics.canary, previous.metrics.canary
    if cur_v is not None and prev_v is not None:
        slow = slow_count_delta(prev_v.latency_buckets, prev_v.requests, cur_v.latency_buckets, cur_v.requests,
                                SEED_TRIP_P95_MS)
        n = judged_counts(rates)[0]
    else:
        m, p = current.metrics, previous.metrics
        slow = slow_count_delta(p.latency_buckets, p.requests, m.latency_buckets, m.requests, SEED_TRIP_P95_MS)
        n = rates.requests
    return None if slow is None else (min(slow, n), n)
