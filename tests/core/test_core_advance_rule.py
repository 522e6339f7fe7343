"""The one rule for when an advance needs an override (the controller refuses on it, the dialog asks on it)."""

from __future__ import annotations

from canary_tui.core.advance_rule import override_reasons
from canary_tui.core.verdicts import DecisionKind, GateKind, GateResult, GateStatus, Unit


def gate(kind: GateKind, status: GateStatus) -> GateResult:
    return GateResult(kind.value, status, None, None, Unit.NONE, "why", kind=kind)


PREFLIGHT_PASS = tuple(gate(k, GateStatus.PASS) for k in (GateKind.HEARTBEAT, GateKind.STABLE_HEALTH, GateKind.NOT_PAUSED, GateKind.CHECKPOINT))


def test_from_zero_only_a_failing_preflight_gate_needs_an_override() -> None:
    holding = (*PREFLIGHT_PASS[:1], gate(GateKind.STABLE_HEALTH, GateStatus.HOLD), *PREFLIGHT_PASS[2:])
    assert override_reasons(0, holding, DecisionKind.INCONCLUSIVE, data_problem=None, paused=False) == ()
    failing = (*PREFLIGHT_PASS[:3], gate(GateKind.CHECKPOINT, GateStatus.FAIL))
    assert override_reasons(0, failing, None, data_problem=None, paused=False) == ("failing: checkpoint",)


def test_on_a_stage_a_holding_gate_or_a_decision_short_of_promote_needs_an_override() -> None:
    baked = (gate(GateKind.P95, GateStatus.PASS), gate(GateKind.BAKE, GateStatus.PASS))
    assert override_reasons(10, baked, DecisionKind.PROMOTE_ELIGIBLE, data_problem=None, paused=False) == ()
    baking = (gate(GateKind.P95, GateStatus.PASS), gate(GateKind.BAKE, GateStatus.HOLD))
    assert override_reasons(10, baking, DecisionKind.PROMOTE_ELIGIBLE, data_problem=None, paused=False) == ("holding: bake",)
    assert override_reasons(10, baked, DecisionKind.HOLD, data_problem=None, paused=False) == ("decision hold",)
    assert override_reasons(10, (), None, data_problem=None, paused=False) == ("no gate evidence",)


def test_data_that_is_not_live_and_a_pause_always_need_an_override() -> None:
    baked = (gate(GateKind.BAKE, GateStatus.PASS),)
    assert override_reasons(50, baked, DecisionKind.PROMOTE_ELIGIBLE, data_problem="stale", paused=True) == ("data stale", "the ramp is paused")
    paused_gate = (*PREFLIGHT_PASS[:2], gate(GateKind.NOT_PAUSED, GateStatus.FAIL), PREFLIGHT_PASS[3])
    assert override_reasons(0, paused_gate, None, data_problem=None, paused=True) == ("failing: not-paused",)
