"""The rules interface and the seed's triggers, as pure units: evidence (CUSUM), holds, signature confirmation."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from canary_tui.core.rates import Rates
from canary_tui.core.rules import Debounce, Observation, Rule, RuleVerdict, SeedRollbackRule
from canary_tui.core.samples import Deployment, Heartbeat, HeartbeatStatus, Metrics, VariantMetrics
from canary_tui.core.seed_triggers import BernoulliCusum


def _hb(p95_ms: float = 300.0) -> Heartbeat:
    canary = VariantMetrics(100, 1, 30.0, p95_ms, 500.0)
    stable = VariantMetrics(900, 4, 30.0, 280.0, 400.0)
    return Heartbeat(
        timestamp=datetime(2026, 11, 26, tzinfo=UTC),
        status=HeartbeatStatus.OK,
        deployment=Deployment("d", "staging", "a", "b", 10),
        metrics=Metrics(1000, 5, 60.0, 25.0, p95_ms, 500.0, canary, stable),
        verified=True,
    )


def _rates(canary_errors: int, canary_requests: int = 100) -> Rates:
    return Rates(10.0, 1000, canary_errors, 100.0, canary_errors / 10, canary_errors / 1000, False, canary_requests, canary_errors, 900, 0)


GOOD = Observation(_hb(), _rates(1), stale=False, now_s=0.0, stage_percent=10)
BAD_ERRORS = Observation(_hb(), _rates(9), stale=False, now_s=0.0, stage_percent=10)
BAD_P95 = Observation(_hb(p95_ms=1200.0), _rates(1), stale=False, now_s=0.0, stage_percent=10)
STALE = Observation(_hb(), _rates(9), stale=True, now_s=0.0, stage_percent=10)
MISSING = Observation(None, None, stale=True, now_s=0.0, stage_percent=10, error="unreachable: refused")


def test_seed_rule_is_a_rule():
    assert isinstance(SeedRollbackRule(), Rule)


def _polls_to_trip() -> int:
    """Polls of BAD_ERRORS (9 errors in 100 canary requests) the CUSUM needs, computed from its steps."""
    c, n = BernoulliCusum(0.05, 0.10), 0
    while not c.update(9, 100):
        n += 1
    return n + 1


def test_one_bad_poll_never_trips_a_run_of_them_does():
    rule = SeedRollbackRule(debounce_n=3)
    needed = _polls_to_trip()
    assert needed > 3  # 9% in 100 requests is weak evidence per poll
    verdicts = [rule.observe(BAD_ERRORS) for _ in range(needed)]
    assert [v.trip for v in verdicts] == [False] * (needed - 1) + [True]
    assert "error rate > 5% on evidence" in verdicts[-1].reason and verdicts[-1].count == 3 == verdicts[-1].needed
    assert verdicts[-1].trips and verdicts[-1].trips[0].count == 9 * needed


def test_a_healthy_poll_takes_evidence_back():
    rule = SeedRollbackRule(debounce_n=3)
    for _ in range(_polls_to_trip() - 1):
        rule.observe(BAD_ERRORS)
    rule.observe(GOOD)
    assert not rule.observe(BAD_ERRORS).trip


def test_missing_or_stale_data_holds_without_counting_or_resetting():
    rule = SeedRollbackRule(debounce_n=3)
    needed = _polls_to_trip()
    for _ in range(needed - 1):
        rule.observe(BAD_ERRORS)
    before = rule.triggers.errors.statistic
    for obs in (STALE, MISSING, STALE):
        verdict = rule.observe(obs)
        assert verdict.hold and not verdict.trip
    assert rule.triggers.errors.statistic == before
    assert "unreachable" in rule.observe(MISSING).reason
    assert rule.observe(BAD_ERRORS).trip


def test_at_zero_percent_the_rule_holds_and_forgets_its_count():
    from dataclasses import replace

    rule = SeedRollbackRule(debounce_n=3)
    rule.observe(BAD_P95)
    assert rule.observe(BAD_P95).count == 2  # no buckets: the server's P95, debounced
    verdict = rule.observe(replace(BAD_P95, stage_percent=0))  # rolled back: the window still shows the slow canary
    assert verdict.hold and not verdict.trip and verdict.count == 0 and "0%" in verdict.reason
    assert not rule.observe(BAD_P95).trip  # counting starts again from 1


def test_signature_trips_only_when_confirmed():
    rule = SeedRollbackRule()
    unconfirmed = Observation(_hb(), _rates(0), stale=False, now_s=0.0, stage_percent=10)
    object.__setattr__(unconfirmed.heartbeat, "verified", False)
    assert not rule.observe(unconfirmed).trip  # a signature breach alone does not count
    confirmed = Observation(None, None, stale=True, now_s=0.0, stage_percent=10, signature_confirmed_bad=True)
    verdict = rule.observe(confirmed)
    assert verdict.trip and "signature" in verdict.reason


def test_reset_forgets_the_evidence():
    rule = SeedRollbackRule(debounce_n=2)
    for _ in range(_polls_to_trip() - 1):
        rule.observe(BAD_ERRORS)
    rule.reset()
    assert not rule.observe(BAD_ERRORS).trip


def test_no_traffic_is_a_hold():
    hb = _hb()
    object.__setattr__(hb.metrics, "p95_ms", None)
    object.__setattr__(hb.metrics, "canary", None)
    rates = Rates(10.0, 0, 0, 0.0, 0.0, None)
    verdict = SeedRollbackRule().observe(Observation(hb, rates, stale=False, now_s=0.0, stage_percent=10))
    assert verdict.hold and "no traffic" in verdict.reason


@given(st.lists(st.sampled_from(["good", "bad", "hold"]), max_size=60), st.integers(1, 5))
def test_trips_exactly_when_the_cusum_of_judged_polls_reaches_h_ignoring_holds(seq, n):
    rule = SeedRollbackRule(debounce_n=n)
    step = {"good": math.log(2) * 1 + math.log(0.90 / 0.95) * 99, "bad": math.log(2) * 9 + math.log(0.90 / 0.95) * 91}
    statistic = 0.0
    for item in seq:
        obs = {"good": GOOD, "bad": BAD_ERRORS, "hold": STALE}[item]
        verdict = rule.observe(obs)
        if item != "hold":
            statistic = max(0.0, statistic + step[item])
        assert verdict.trip == (item != "hold" and statistic >= 12.0 - 1e-9)


def test_debounce_counts_and_caps():
    d = Debounce(2)
    assert not d.hit() and d.hit() and d.hit() and d.count == 2
    d.miss()
    assert d.count == 0


class _AlwaysTrip:
    """A plug-in rule: anything implementing name/observe/reset is accepted by the controller."""

    name = "always"

    def observe(self, obs: Observation) -> RuleVerdict:
        return RuleVerdict(self.name, obs.usable, "test trip")

    def reset(self) -> None:
        pass


def test_protocol_accepts_third_party_rules():
    assert isinstance(_AlwaysTrip(), Rule)
    assert _AlwaysTrip().observe(GOOD).trip
