"""The judgment never raises on odd but contract-valid heartbeats (resets, missing splits, missing buckets)."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from canary_tui.core.judgment import EvidenceRule, decision_between, decision_to_json
from canary_tui.core.plans import STANDARD
from canary_tui.core.rates import compute_rates
from canary_tui.core.rules import Observation
from canary_tui.core.samples import Deployment, Heartbeat, HeartbeatStatus, LatencyBuckets, Metrics, VariantMetrics

LE = (50.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 1500.0, 2500.0, 5000.0)


@st.composite
def variants(draw: st.DrawFn) -> VariantMetrics | None:
    if draw(st.booleans()):
        return None
    requests = draw(st.integers(0, 10**7))
    errors = draw(st.integers(0, requests))
    buckets = None
    if draw(st.booleans()):
        counts = sorted(draw(st.lists(st.integers(0, requests), min_size=9, max_size=9)))
        buckets = LatencyBuckets(LE, tuple(counts))
    return VariantMetrics(requests, errors, latency_buckets=buckets)


@st.composite
def heartbeats(draw: st.DrawFn) -> Heartbeat:
    canary, stable = draw(variants()), draw(variants())
    requests = (canary.requests if canary else 0) + (stable.requests if stable else 0) + draw(st.integers(0, 100))
    errors = draw(st.integers(0, requests))
    metrics = Metrics(requests, errors, 60, p95_ms=draw(st.one_of(st.none(), st.floats(0, 1e5))), canary=canary, stable=stable)
    deployment = Deployment("d", "staging", "v1", draw(st.sampled_from(["v2", "v3"])), draw(st.sampled_from([0, 10, 50, 100, 37])))
    return Heartbeat(datetime(2026, 11, 26, tzinfo=timezone.utc), HeartbeatStatus.OK, deployment, metrics,
                     verified=draw(st.booleans()), fetched_at_s=draw(st.floats(0, 1e6)))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(heartbeats(), min_size=2, max_size=6))
def test_rule_and_one_shot_decision_never_raise(sequence: list[Heartbeat]) -> None:
    rule = EvidenceRule(plan=STANDARD)
    ordered = sorted(sequence, key=lambda hb: hb.fetched_at_s)
    previous = None
    for hb in ordered:
        rates = compute_rates(previous, hb) if previous is not None else None
        verdict = rule.observe(Observation(hb, rates, False, hb.fetched_at_s, hb.deployment.canary_percent, previous=previous))
        assert verdict.decision is not None and verdict.decision.reason
        for gate in rule.gates:
            assert gate.evidence is None or 0.0 <= gate.evidence <= 1.0
        previous = hb
    decision_to_json(decision_between(ordered[0], ordered[-1], STANDARD))
