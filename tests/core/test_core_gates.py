"""The seed's stage gates and rollback triggers: pass, fail, hold on missing or stale data, never guess."""

from __future__ import annotations

from dataclasses import replace

import pytest
from core_factories import deterministic, heartbeat, variant
from hypothesis import given
from hypothesis import strategies as st

from canary_tui.core.gates import evaluate_stage_gates
from canary_tui.core.preflight import PreflightFacts, preflight_gates
from canary_tui.core.rates import Rates, compute_rates
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.core.verdicts import GateKind, GateStatus

SEED = ThresholdTable.seed()
DAY_S = 24 * 3600.0


def rates(requests: int = 1000, errors: int = 5, canary: tuple[int, int] | None = None) -> Rates:
    """Rates over a 1 s interval with the given counts (and canary split)."""
    extra = {}
    if canary is not None:
        extra = {"canary_requests": canary[0], "canary_errors": canary[1],
                 "stable_requests": requests - canary[0], "stable_errors": errors - canary[1]}
    return Rates(1.0, requests, errors, float(requests), float(errors), errors / requests if requests else None, **extra)


def by_name(gates):
    return {g.name: g for g in gates}


def test_stage_one_green_mid_bake() -> None:
    gates = evaluate_stage_gates(10, heartbeat(p95_ms=287.4), rates(1000, 5), SEED, False, 6 * 3600 + 18 * 60, DAY_S)
    assert [g.name for g in gates] == ["P95 < 500 ms", "errors < 1%", "bake"]
    assert [g.kind for g in gates] == [GateKind.P95, GateKind.ERRORS, GateKind.BAKE]
    p95, err, bake = gates
    assert (p95.status, p95.value, p95.threshold, p95.unit) == (GateStatus.PASS, 287.4, 500.0, "ms")
    assert p95.reason == "P95 287 ms < 500 ms"
    assert (err.status, err.value, err.reason) == (GateStatus.PASS, 0.005, "errors 0.50% < 1%")
    assert (bake.status, bake.reason) == (GateStatus.HOLD, "bake 6h18m / 24h")


def test_failing_values_fail_with_reasons() -> None:
    p95, err, bake = evaluate_stage_gates(50, heartbeat(p95_ms=812), rates(1000, 14), SEED, False, DAY_S, DAY_S)
    assert (p95.status, p95.reason) == (GateStatus.FAIL, "P95 812 ms ≥ 500 ms")
    assert (err.status, err.reason) == (GateStatus.FAIL, "errors 1.40% ≥ 1%")
    assert (bake.status, bake.reason) == (GateStatus.PASS, "bake 24h / 24h done")


def test_boundaries_are_not_below() -> None:
    p95, err, _ = evaluate_stage_gates(10, heartbeat(p95_ms=500.0), rates(1000, 10), SEED, False, 0, DAY_S)
    assert p95.status is GateStatus.FAIL and err.status is GateStatus.FAIL
    p95, _, _ = evaluate_stage_gates(10, heartbeat(p95_ms=499.6), rates(), SEED, False, 0, DAY_S)
    assert p95.reason == "P95 499.6 ms < 500 ms"


def test_canary_figures_win_over_the_service_when_split() -> None:
    hb = heartbeat(p95_ms=100.0, canary=variant(100, 0, p95_ms=650.0), stable=variant(900, 0, p95_ms=90.0))
    p95, err, _ = evaluate_stage_gates(10, hb, rates(1000, 5, canary=(100, 5)), SEED, False, 0, DAY_S)
    assert (p95.status, p95.value) == (GateStatus.FAIL, 650.0)
    assert (err.status, err.value) == (GateStatus.FAIL, 0.05)


def test_canary_split_without_canary_figures_holds_rather_than_borrowing_stable() -> None:
    hb = heartbeat(p95_ms=100.0, canary=variant(0, 0, p95_ms=None), stable=variant(900, 0))
    p95, err, _ = evaluate_stage_gates(10, hb, rates(900, 0, canary=(0, 0)), SEED, False, 0, DAY_S)
    assert (p95.status, p95.reason) == (GateStatus.HOLD, "no data")
    assert (err.status, err.reason) == (GateStatus.HOLD, "no data")


@pytest.mark.parametrize("percent", [10, 50, 100])
def test_stale_data_holds_every_data_gate(percent) -> None:
    gates = evaluate_stage_gates(percent, heartbeat(p95_ms=9999), rates(1000, 900), SEED, True, DAY_S, DAY_S)
    data_gates = [g for g in gates if g.name != "bake"]
    assert data_gates and all((g.status, g.reason) == (GateStatus.HOLD, "stale") for g in data_gates)


@pytest.mark.parametrize("percent", [10, 50, 100])
def test_missing_data_holds(percent) -> None:
    gates = evaluate_stage_gates(percent, None, None, SEED, False, DAY_S, DAY_S)
    data_gates = [g for g in gates if g.name != "bake"]
    assert all(g.status is GateStatus.HOLD and g.reason.startswith("no data") for g in data_gates)


def test_no_traffic_in_the_interval_holds_the_error_gate() -> None:
    _, err, _ = evaluate_stage_gates(10, heartbeat(), rates(0, 0), SEED, False, 0, DAY_S)
    assert (err.status, err.reason) == (GateStatus.HOLD, "no data")


def test_bake_gate_unknown_clock_or_off_plan_holds() -> None:
    *_, bake = evaluate_stage_gates(25, heartbeat(), rates(), SEED, False)
    assert (bake.status, bake.reason) == (GateStatus.HOLD, "no bake time (off-plan stage)")
    *_, bake = evaluate_stage_gates(10, heartbeat(), rates(), SEED, False, None, DAY_S)
    assert (bake.status, bake.reason) == (GateStatus.HOLD, "bake clock not started")


def test_zero_percent_has_no_gates() -> None:
    assert evaluate_stage_gates(0, heartbeat(), rates(), SEED, False, 0, DAY_S) == ()


def test_full_stage_all_metrics_stable() -> None:
    good = evaluate_stage_gates(100, heartbeat(p50_ms=30, p95_ms=600, p99_ms=1200), rates(1000, 5), SEED, False)
    assert [(g.name, g.status) for g in good] == [("all metrics stable", GateStatus.PASS)]
    (bad,) = evaluate_stage_gates(100, heartbeat(p50_ms=130, p95_ms=812), rates(1000, 14), SEED, False)
    assert bad.status is GateStatus.FAIL
    assert bad.reason == "critical: P50 130 ms, P95 812 ms, errors 1.40%, success 98.60%"
    (unknown,) = evaluate_stage_gates(100, heartbeat(p99_ms=None), rates(), SEED, False)
    assert (unknown.status, unknown.reason) == (GateStatus.HOLD, "no data: p99_ms")
    gates = evaluate_stage_gates(100, heartbeat(), rates(), SEED, False, 3600.0, DAY_S)
    assert [g.name for g in gates] == ["all metrics stable", "bake"]


def test_full_stage_critical_beats_missing() -> None:
    (gate,) = evaluate_stage_gates(100, heartbeat(p50_ms=None, p95_ms=900), None, SEED, False)
    assert gate.status is GateStatus.FAIL


def test_overrides_move_the_gates() -> None:
    table = SEED.with_overrides({"p95_ms": (300, 800), "error_rate_pct": (0.5, 2.0)})
    p95, err, _ = evaluate_stage_gates(10, heartbeat(p95_ms=350), rates(1000, 15), table, False, 0, DAY_S)
    assert (p95.name, p95.status) == ("P95 < 300 ms", GateStatus.FAIL)
    assert (err.name, err.status) == ("errors < 2%", GateStatus.PASS)


@deterministic()
@given(
    st.integers(1, 100),
    st.one_of(st.none(), st.floats(0, 5000)),
    st.integers(0, 1000),
    st.integers(0, 1000),
    st.booleans(),
)
def test_missing_or_stale_never_passes_or_fails_a_data_gate(percent, p95_ms, requests, errors, stale) -> None:
    hb = heartbeat(p95_ms=p95_ms, p50_ms=None if p95_ms is None else 10.0)
    r = rates(requests, min(errors, requests))
    for gate in evaluate_stage_gates(percent, hb, r, SEED, stale, 0.0, DAY_S):
        if gate.name == "bake":
            continue
        if stale or gate.value is None or gate.low_data:
            assert gate.status is GateStatus.HOLD
        else:
            assert gate.status in (GateStatus.PASS, GateStatus.FAIL)


def test_error_gate_holds_on_low_data_instead_of_failing_one_error_in_ten() -> None:
    _, err, _ = evaluate_stage_gates(10, heartbeat(p95_ms=100), rates(10, 1), SEED, False, 0, DAY_S)
    assert err.status is GateStatus.HOLD and err.low_data and err.reason == "low data: 10 requests < 100"
    _, err, _ = evaluate_stage_gates(10, heartbeat(p95_ms=100), rates(100, 1), SEED, False, 0, DAY_S)
    assert err.status is GateStatus.FAIL and not err.low_data  # 1.00% is not < 1%


def test_gates_from_real_rates_between_two_heartbeats() -> None:
    prev = heartbeat(1000, 5, at_s=0, canary=variant(100, 0), stable=variant(900, 5))
    cur = replace(heartbeat(3000, 7, at_s=2, canary=variant(300, 1, p95_ms=320), stable=variant(2700, 6)))
    p95, err, _ = evaluate_stage_gates(10, cur, compute_rates(prev, cur), SEED, False, 0, DAY_S)
    assert (p95.status, err.status, err.value) == (GateStatus.PASS, GateStatus.PASS, 0.005)


def test_the_preflight_heartbeat_gate_claims_a_verified_signature_only_when_one_was_checked() -> None:
    """Without a secret the server's word is all there is: the gate passes, and says the signature went unchecked."""
    seen = heartbeat(percent=0).deployment
    checked = PreflightFacts(seen, True, True, None, None)
    unchecked = replace(checked, signature_checked=False)
    gate = {facts.signature_checked: preflight_gates(facts, SEED)[0] for facts in (checked, unchecked)}
    assert (gate[True].status, gate[True].reason) == (GateStatus.PASS, "reachable; signature verified")
    assert (gate[False].status, gate[False].reason) == (GateStatus.PASS, "reachable; signature unchecked (no secret)")
    not_paused = preflight_gates(checked, SEED)[2]
    assert (not_paused.name, not_paused.reason) == ("not paused", "the ramp is not on hold")  # not "not paused: not paused"
