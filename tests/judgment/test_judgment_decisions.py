"""Decisions on evidence: PROMOTE-ELIGIBLE, HOLD, INCONCLUSIVE, ROLLBACK, each with its reason; the fallback."""

from __future__ import annotations

import dataclasses

from judgment_builders import FakeServer, observation

from canary_tui.core.judgment import Evidence, EvidenceRule, JudgmentConfig, judge
from canary_tui.core.plans import FAST_TRACK
from canary_tui.core.rules import Rule
from canary_tui.core.samples import Heartbeat
from canary_tui.core.trips import TripKind
from canary_tui.core.verdicts import DecisionKind, GateKind, GateStatus


def _run(server: FakeServer, rule: EvidenceRule, steps: int, dt_s: float = 10.0, prev: Heartbeat | None = None):  # type: ignore[no-untyped-def]
    """Feed `steps` heartbeats; return (verdicts, last heartbeat)."""
    verdicts = []
    for _ in range(steps):
        hb = server.step(dt_s)
        verdicts.append(rule.observe(observation(hb, prev)))
        prev = hb
    return verdicts, prev


def _first(verdicts, kind: DecisionKind) -> int | None:  # type: ignore[no-untyped-def]
    return next((i for i, v in enumerate(verdicts) if v.decision.kind is kind), None)


def test_rule_implements_the_controller_protocol() -> None:
    assert isinstance(EvidenceRule(), Rule)


def test_healthy_canary_goes_inconclusive_then_baking_then_promote_eligible() -> None:
    rule = EvidenceRule(plan=FAST_TRACK)
    verdicts, _ = _run(FakeServer(seed=1), rule, 90 * 6)  # 90 min of 10 s polls
    kinds = [v.decision.kind for v in verdicts]
    assert kinds[0] is DecisionKind.INCONCLUSIVE and "not enough canary requests" in verdicts[0].decision.reason
    assert DecisionKind.ROLLBACK not in kinds and not any(v.trip for v in verdicts)
    first_hold = _first(verdicts, DecisionKind.HOLD)
    first_promote = _first(verdicts, DecisionKind.PROMOTE_ELIGIBLE)
    assert first_hold is not None and "baking" in verdicts[first_hold].decision.reason
    assert first_promote is not None and first_promote >= 6 * 60 - 1  # never before the 1 h bake
    final = verdicts[-1].decision
    assert final.kind is DecisionKind.PROMOTE_ELIGIBLE and not final.fallback
    assert final.evidence["error_sprt_status"] == "accept"
    assert final.evidence["canary_requests"] > 40_000


def test_two_fold_error_regression_rolls_back_on_the_mixture() -> None:
    rule = EvidenceRule(plan=FAST_TRACK)
    verdicts, _ = _run(FakeServer(seed=2, canary_error_rate=0.01), rule, 30 * 6)
    first = next(i for i, v in enumerate(verdicts) if v.trip)
    decision = verdicts[first].decision
    assert decision.kind is DecisionKind.ROLLBACK
    assert "mixture e-value" in decision.reason and "errors" in decision.reason
    assert float(decision.evidence["error_e_value"]) >= 100.0
    print(f"\n2x error regression (FakeServer, 10 s polls): rolled back after {(first + 1) * 10 / 60:.1f} min")
    assert (first + 1) * 10 <= 20 * 60


def test_latency_regression_rolls_back_on_slow_counts() -> None:
    rule = EvidenceRule(plan=FAST_TRACK)
    verdicts, _ = _run(FakeServer(seed=3, canary_median_ms=400.0), rule, 20 * 6)
    tripped = [v for v in verdicts if v.trip]
    assert tripped and "slower than stable" in tripped[0].reason
    assert not tripped[0].decision.fallback


def test_absolute_error_rate_trips_on_evidence_even_when_stable_is_as_bad() -> None:
    """Both at 10%: the seed's CUSUM holds within about a minute; the Wilson bound confirms by the third window."""
    rule = EvidenceRule(plan=FAST_TRACK)
    verdicts, _ = _run(FakeServer(seed=4, canary_error_rate=0.10, stable_error_rate=0.10), rule, 6 * 6)
    first = next(i for i, v in enumerate(verdicts) if v.trip)
    assert "error rate > 5% on evidence" in verdicts[first].reason
    assert 1 <= first <= 12  # never on the first poll's point estimate, well before 3 windows
    kinds = [t.kind for t in rule.evidence.rollback_trips()]
    assert TripKind.SEED_ERRORS in kinds and TripKind.ERROR_BOUND in kinds
    assert TripKind.ERRORS_VS_STABLE not in kinds  # no relative regression


def test_missing_or_stale_data_holds_and_never_rolls_back() -> None:
    server = FakeServer(seed=5, canary_error_rate=0.05)
    rule = EvidenceRule(plan=FAST_TRACK)
    prev = server.step(10)
    rule.observe(observation(prev, None))
    for _ in range(60):
        hb = server.step(10)
        verdict = rule.observe(observation(hb, prev, stale=True))
        assert verdict.hold and not verdict.trip
        assert verdict.decision.kind is DecisionKind.HOLD and "stale" in verdict.decision.reason
    assert rule.evidence.windows_closed == 0


def test_signature_failure_rolls_back_and_zero_percent_is_inconclusive() -> None:
    server = FakeServer(seed=6)
    ev = Evidence()
    prev = server.step(10)
    ev.observe(prev, None, None, prev.fetched_at_s)
    assert judge(ev, signature_ok=False).kind is DecisionKind.ROLLBACK
    assert judge(ev, stale=True).kind is DecisionKind.HOLD
    assert judge(Evidence()).kind is DecisionKind.HOLD  # no data yet
    assert judge(ev, pending="advance").kind in (DecisionKind.HOLD, DecisionKind.INCONCLUSIVE)
    server.set_percent(0)
    hb = server.step(10)
    ev.observe(hb, prev, None, hb.fetched_at_s)
    assert judge(ev).kind is DecisionKind.INCONCLUSIVE and "0%" in judge(ev).reason


def test_without_per_variant_metrics_falls_back_to_seed_thresholds_and_says_so() -> None:
    rule = EvidenceRule(plan=FAST_TRACK)
    verdicts, prev = _run(FakeServer(seed=7, per_variant=False), rule, 70 * 6)
    final = verdicts[-1].decision
    assert final.fallback and "no per-variant metrics" in final.reason
    assert final.kind is DecisionKind.PROMOTE_ELIGIBLE
    bad = FakeServer(seed=7, per_variant=False, canary_error_rate=0.5, stable_error_rate=0.5)
    verdicts, _ = _run(bad, EvidenceRule(plan=FAST_TRACK), 4)
    assert [v.trip for v in verdicts] == [False, True, True, True]  # 500 of 1000 failed: evidence in one interval
    assert verdicts[-1].decision.fallback and "error rate > 5% on evidence" in verdicts[-1].reason
    slow = FakeServer(seed=7, per_variant=False, aggregate_p95_ms=1500.0)
    verdicts, _ = _run(slow, EvidenceRule(plan=FAST_TRACK), 4)
    assert verdicts[-1].trip and "P95 > 1000 ms" in verdicts[-1].reason


def test_without_buckets_latency_falls_back_to_the_fixed_p95_threshold() -> None:
    rule = EvidenceRule(plan=FAST_TRACK)
    verdicts, _ = _run(FakeServer(seed=8, buckets=False), rule, 10 * 6)
    decision = verdicts[-1].decision
    assert decision.fallback and "no latency buckets" in decision.reason
    gates = {g.name: g for g in rule_gates(rule)}
    assert "P95" in gates and gates["P95"].status is GateStatus.PASS and "no latency buckets" in gates["P95"].reason


def rule_gates(rule: EvidenceRule):  # type: ignore[no-untyped-def]
    from canary_tui.core.judgment import evidence_gates

    return evidence_gates(rule.evidence, bake_elapsed_s=0.0, bake_s=3600.0)


def test_gates_carry_intervals_evidence_positions_and_low_data() -> None:
    rule = EvidenceRule(plan=FAST_TRACK)
    _run(FakeServer(seed=9, requests_per_s=20.0), rule, 2)  # ~20 canary requests
    early = {g.name: g for g in rule_gates(rule)}
    assert early["canary errors"].low_data and early["canary errors"].status is GateStatus.HOLD
    _run(FakeServer(seed=9), rule := EvidenceRule(plan=FAST_TRACK), 60 * 6)
    gates = {g.name: g for g in rule_gates(rule)}
    errors = gates["canary errors"]
    assert errors.status is GateStatus.PASS and not errors.low_data
    assert errors.interval is not None and errors.interval[0] <= errors.value <= errors.interval[1] < 1.0
    for gate in gates.values():
        assert gate.evidence is None or 0.0 <= gate.evidence <= 1.0
    assert gates["errors vs stable"].status is GateStatus.PASS and gates["errors vs stable"].evidence == 0.0
    assert gates["slow>500ms"].status is GateStatus.PASS and gates["bake"].status is GateStatus.HOLD
    offered = {g.name for g in rule.gates}  # what the controller shows: no bake (the seed's gate has it)
    assert offered == {"canary errors", "errors vs stable", "slow>500ms", "latency vs stable"}


def test_failing_gate_holds_without_rolling_back() -> None:
    """3% errors on both sides: the 1% stage gate fails on its bound, but nothing says roll back."""
    rule = EvidenceRule(plan=FAST_TRACK)
    verdicts, _ = _run(FakeServer(seed=10, canary_error_rate=0.03, stable_error_rate=0.03), rule, 30 * 6)
    assert not any(v.trip for v in verdicts)
    assert verdicts[-1].decision.kind is DecisionKind.HOLD and "gate failing" in verdicts[-1].decision.reason
    failing = verdicts[-1].decision.failing  # what `ramp`'s stage check reads: the gates failing on their own bounds
    assert [g.kind for g in failing] == [GateKind.CANARY_ERRORS] and failing[0].interval is not None and failing[0].interval[0] > 1.0
    assert verdicts[-1].decision.stage_failures == [f"canary errors: {failing[0].reason}"]
    # early on, 3% of a few requests: a point estimate over 1% but an interval across it fails nothing
    early = next(v.decision for v in verdicts if v.decision.kind is DecisionKind.INCONCLUSIVE)
    assert early.failing == () and early.stage_failures == []


def test_stage_change_restarts_sprt_but_mixture_carries_and_new_version_resets() -> None:
    server = FakeServer(seed=11)
    rule = EvidenceRule(plan=FAST_TRACK)
    _, prev = _run(server, rule, 30 * 6)
    ev = rule.evidence
    log_e, sprt = ev.error_mixture.log_e, ev.error_sprt.log_lr
    assert ev.error_mixture.windows == 29 and sprt < 0  # 179 intervals after the first poll
    server.set_percent(50)
    _, prev = _run(server, rule, 1, prev=prev)
    assert ev.percent == 50 and ev.error_sprt.windows == 0 and ev.stage.canary_requests < 1000
    assert ev.error_mixture.windows >= 29 and ev.error_mixture.log_e == log_e  # carried, not reset
    server.canary_version = "v0.6.0"
    _run(server, rule, 1, prev=prev)
    assert ev.error_mixture.windows == 0 and ev.canary_version == "v0.6.0"
    rule.reset()
    assert rule.evidence.last_heartbeat is None and rule.decision is None


def test_config_is_honoured() -> None:
    config = dataclasses.replace(JudgmentConfig(), debounce_windows=1, min_stage_requests=10)
    rule = EvidenceRule(plan=FAST_TRACK, config=config)
    verdicts, _ = _run(FakeServer(seed=4, canary_error_rate=0.10, stable_error_rate=0.10), rule, 2 * 6)
    first = next(i for i, v in enumerate(verdicts) if v.trip)
    assert first <= 6  # one window is enough with debounce 1


def test_full_rollout_is_judged_on_its_own_gates_without_a_stable_to_compare() -> None:
    rule = EvidenceRule(plan=FAST_TRACK)
    verdicts, _ = _run(FakeServer(seed=13, percent=100), rule, 70 * 6)
    final = verdicts[-1].decision
    assert final.kind is DecisionKind.PROMOTE_ELIGIBLE, final.reason
    assert not any(v.trip for v in verdicts)


def test_absolute_slow_fraction_trips_on_evidence_even_when_stable_is_as_slow() -> None:
    """Both variants at a 900 ms median (~40% slower than 1000 ms): P95 > 1000 ms on slow counts, no mixture."""
    rule = EvidenceRule(plan=FAST_TRACK)
    verdicts, _ = _run(FakeServer(seed=14, canary_median_ms=900.0, stable_median_ms=900.0), rule, 6 * 6)
    first = next(i for i, v in enumerate(verdicts) if v.trip)
    assert "P95 > 1000 ms on evidence" in verdicts[first].reason
    assert "mixture" not in verdicts[first].reason  # no relative regression
    assert 1 <= first <= 6
    kinds = [t.kind for t in rule.evidence.rollback_trips()]
    assert TripKind.SEED_SLOW in kinds and TripKind.SLOW_BOUND in kinds and TripKind.SLOW_VS_STABLE not in kinds


def test_gates_read_the_thresholds_in_force() -> None:
    """`[thresholds] error_rate_pct = [0.5, 20]`, `p95_ms = [750, 900]`: the evidence gates move with the table."""
    from canary_tui.core.thresholds import ThresholdTable
    from canary_tui.core.verdicts import GateKind

    table = ThresholdTable.seed().with_overrides({"error_rate_pct": [0.5, 20], "p95_ms": [750, 900]})
    server, rule, prev = FakeServer(seed=15, canary_error_rate=0.015, stable_error_rate=0.015), EvidenceRule(plan=FAST_TRACK), None
    for _ in range(6 * 6):
        hb = server.step(10.0)
        rule.observe(dataclasses.replace(observation(hb, prev), thresholds=table))
        prev = hb
    gates = {g.kind: g for g in rule.gates}
    assert gates[GateKind.CANARY_ERRORS].threshold == 20.0 and gates[GateKind.CANARY_ERRORS].status is GateStatus.PASS
    assert gates[GateKind.SLOW].name == "slow>750ms" and gates[GateKind.SLOW].interval is not None
    no_edge = ThresholdTable.seed().with_overrides({"p95_ms": [800, 900]})  # the buckets have no 800 ms edge
    rule.observe(dataclasses.replace(observation(server.step(10.0), prev), thresholds=no_edge))
    assert GateKind.SLOW not in {g.kind for g in rule.gates}
    seed_rule, prev = EvidenceRule(plan=FAST_TRACK), None
    server = FakeServer(seed=15, canary_error_rate=0.015, stable_error_rate=0.015)
    for _ in range(6 * 6):
        hb = server.step(10.0)
        seed_rule.observe(observation(hb, prev))
        prev = hb
    seed_gate = next(g for g in seed_rule.gates if g.kind is GateKind.CANARY_ERRORS)
    assert seed_gate.threshold == 1.0 and seed_gate.status is GateStatus.FAIL  # 1.5% against the seed's 1%
