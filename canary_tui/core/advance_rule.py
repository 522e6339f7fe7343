"""When an advance needs an override: one rule for the controller's refusal and the dashboard's dialog.

From 0% the step is judged on the pre-flight gates, where only a FAILING gate needs an override
(HOLD there means "not known yet"). From a stage, anything short of every gate passing and a
promote-eligible decision needs one. Data that is not live, or a paused ramp, always does.
"""

from __future__ import annotations

from collections.abc import Sequence

from canary_tui.core.verdicts import DecisionKind, GateKind, GateResult, GateStatus


def override_reasons(
    percent: int,
    gates: Sequence[GateResult],
    decision: DecisionKind | None,
    *,
    data_problem: str | None,
    paused: bool,
) -> tuple[str, ...]:
    """Why advancing from `percent` now needs an override ('failing: bake', 'data stale'); empty when it does not.

    `data_problem` names what is wrong with the data ('stale', 'unreachable'), None when it is live.
    """
    preflight = percent == 0
    unmet = [g for g in gates if g.status is GateStatus.FAIL or (not preflight and g.status is not GateStatus.PASS)]
    reasons: list[str] = []
    for status, word in ((GateStatus.FAIL, "failing"), (GateStatus.HOLD, "holding")):
        names = [g.name for g in unmet if g.status is status]
        if names:
            reasons.append(f"{word}: {', '.join(names)}")
    if not preflight:
        if not gates:
            reasons.append("no gate evidence")
        if decision is not None and decision is not DecisionKind.PROMOTE_ELIGIBLE:
            reasons.append(f"decision {decision.value}")
    if data_problem is not None:
        reasons.append(f"data {data_problem}")
    if paused and not any(g.kind is GateKind.NOT_PAUSED for g in unmet):  # at 0% its own gate says so
        reasons.append("the ramp is paused")
    return tuple(reasons)
