"""The promotion pipeline rule: a target may advance only after the environment it follows has completed the release,
and (with waves) only after the region before it has baked the stage it is going to. Pure: states in, reason out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from canary_tui.core.plans import RampPlan
from canary_tui.core.stage_clock import bake_status, entered_at, format_duration


@dataclass(frozen=True, slots=True)
class TargetState:
    """What the rule needs to know of one upstream target, as last seen.

    `bake_remaining_s` is the current stage's bake still owed (0 once met; None off-plan or at 0%);
    `problem` says why nothing is known (unreachable, untrusted), with everything else None.
    """

    target: str
    canary_version: str | None = None
    percent: int | None = None
    bake_remaining_s: float | None = None
    problem: str | None = None

    @property
    def known(self) -> bool:
        return self.problem is None and self.percent is not None and self.canary_version is not None


def state_of(target: str, plan: RampPlan, canary_version: str, percent: int, updated_at: datetime | None, now_s: float, skew_s: float = 0.0) -> TargetState:
    """A target's state from one heartbeat's deployment: its bake measured from the server's `updated_at`."""
    bake = bake_status(plan, percent, entered_at(updated_at, now_s, skew_s), now_s)
    return TargetState(target, canary_version, percent, bake.remaining_s)


def completed(state: TargetState, version: str) -> bool:
    """`version` reached 100% in this target and its bake there is met (a rollback since would show below 100%)."""
    return state.known and state.canary_version == version and state.percent == 100 and state.bake_remaining_s == 0.0


def _shortfall(state: TargetState, version: str, stage_percent: int) -> str:
    """Why `state` has not baked `stage_percent` of `version`, in a few words ('staging at 50%')."""
    if not state.known:
        return f"{state.target} unknown ({state.problem or 'no heartbeat'})"
    if state.canary_version != version:
        return f"{state.target} runs {state.canary_version}"
    if state.percent == stage_percent and state.bake_remaining_s:
        return f"{state.target} at {state.percent}%, bake {format_duration(state.bake_remaining_s)} to go"
    return f"{state.target} at {state.percent}%"


def baked_stage(state: TargetState, version: str, stage_percent: int) -> bool:
    """`version` has baked `stage_percent` in this target: it is past that stage, or at it with the bake met."""
    if not (state.known and state.canary_version == version and state.percent is not None):
        return False
    return state.percent > stage_percent or (state.percent == stage_percent and state.bake_remaining_s == 0.0)


def pipeline_refusal(after: str, version: str | None, upstream: Sequence[TargetState]) -> str | None:
    """Why advancing is refused because environment `after` (its targets' states given) has not completed `version`."""
    if version is None:
        return f"the canary version is unknown, so whether {after} has completed it cannot be told"
    if not upstream:
        return f"{after} has no targets to have completed {version}"
    behind = [s for s in upstream if not completed(s, version)]
    if not behind:
        return None
    return f"{after} has not completed {version}: " + "; ".join(_shortfall(s, version, 100) for s in behind)


def wave_refusal(previous: TargetState, version: str | None, to_percent: int) -> str | None:
    """Why a region may not start the `to_percent` stage yet: the region before it has not baked that stage."""
    if version is None:
        return f"the canary version is unknown, so whether {previous.target} has baked {to_percent}% cannot be told"
    if baked_stage(previous, version, to_percent):
        return None
    return f"waves: {previous.target} has not baked {to_percent}% of {version}: {_shortfall(previous, version, to_percent)}"


def promotion_refusal(
    *, version: str | None, from_percent: int | None, to_percent: int,
    after: str | None = None, upstream: Sequence[TargetState] = (), previous_region: TargetState | None = None,
) -> str | None:
    """The one rule: lowering the canary (or staying) is never refused; raising it needs the pipeline and the wave."""
    if from_percent is not None and to_percent <= from_percent:
        return None
    reasons = []
    if after is not None:
        reasons.append(pipeline_refusal(after, version, upstream))
    if previous_region is not None:
        reasons.append(wave_refusal(previous_region, version, to_percent))
    found = [r for r in reasons if r]
    return "; ".join(found) if found else None
