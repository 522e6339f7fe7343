"""The rules interface and the seed's triggers, as pure units: debounce, holds, signature confirmation."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from canary_tui.core.rates import Rates
from canary_tui.core.rules import Debounce, Observation, Rule, RuleVerdict, SeedRollbackRule
from canary_tui.core.samples import Deployment, Heartbeat, HeartbeatStatus, Metrics, VariantMetrics


def _hb(p95_ms: float = 300.0) -> Heartbeat:
    canary = VariantMetrics(100, 1, 30.0, p95_ms, 500.0)
    stable = VariantMetrics(900, 4, 30.0, 280.0, 400.0)
    return Heartbeat(
        timestamp=datetime(2026, 11, 26, tzinfo=timezone.utc),
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


def test_three_consecutive_breaches_trip_and_a_single_one_does_not():
    rule = SeedRollbackRule(debounce_n=3)
    verdicts = [rule.observe(o) for o in (BAD_ERRORS, GOOD, BAD_P95, BAD_ERRORS, GOOD, BAD_ERRORS)]
    assert [v.trip for v in verdicts] == [False] * 6
    assert [v.count for v in verdicts] == [1, 0, 1, 2, 0, 1]
    tripped = [rule.observe(o) for o in (BAD_P95, BAD_ERRORS)]
    assert [v.trip for v in tripped] == [False, True]
    assert "error rate" in tripped[-1].reason and tripped[-1].count == 3 == tripped[-1].needed


def test_missing_or_stale_data_holds_without_counting_or_resetting():
    rule = SeedRollbackRule(debounce_n=3)
    rule.observe(BAD_ERRORS)
    rule.observe(BAD_ERRORS)
    for obs in (STALE, MISSING, STALE):
        verdict = rule.observe(obs)
        assert verdict.hold and not verdict.trip and verdict.count == 2
    assert "unreachable" in rule.observe(MISSING).reason
    assert rule.observe(BAD_ERRORS).trip


def test_at_zero_percent_the_rule_holds_and_forgets_its_count():
    from dataclasses import replace

    rule = SeedRollbackRule(debounce_n=3)
    rule.observe(BAD_P95)
    rule.observe(BAD_P95)
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


def test_reset_forgets_the_count():
    rule = SeedRollbackRule(debounce_n=2)
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
def test_debounce_trips_exactly_after_n_bad_in_a_row_ignoring_holds(seq, n):
    rule = SeedRollbackRule(debounce_n=n)
    run = 0
    for item in seq:
        obs = {"good": GOOD, "bad": BAD_ERRORS, "hold": STALE}[item]
        verdict = rule.observe(obs)
        if item == "bad":
            run += 1
        elif item == "good":
            run = 0
        assert verdict.trip == (item == "bad" and run >= n)


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
