"""Ramp plans: the ordered stages a canary goes through, each with its bake time."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from canary_tui.core.seed import HOUR_S, SEED_BAKE_S, SEED_FAST_TRACK_BAKE_S, SEED_STAGE_PERCENTS

__all__ = ["HOUR_S", "BUILTIN_PLANS", "FAST_TRACK", "STANDARD", "RampPlan", "Stage"]


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage: the canary's traffic percent and how long it must bake there."""

    percent: int
    bake_s: float


@dataclass(frozen=True, slots=True)
class RampPlan:
    """A named, ordered list of stages with strictly increasing percents ending at 100."""

    name: str
    stages: tuple[Stage, ...]

    def index_of(self, percent: int) -> int | None:
        """0-based stage index for a canary percent, or None when the percent is off-plan."""
        for i, stage in enumerate(self.stages):
            if stage.percent == percent:
                return i
        return None

    def later_stages(self, percent: int) -> tuple[Stage, ...]:
        """Every stage above `percent`, in order (all of them from 0%)."""
        return tuple(stage for stage in self.stages if stage.percent > percent)

    def next_stage(self, percent: int) -> Stage | None:
        """The first stage above `percent` (from 0% that is stage 1), or None at or past the end."""
        for stage in self.stages:
            if stage.percent > percent:
                return stage
        return None


STANDARD = RampPlan("standard", tuple(Stage(percent, SEED_BAKE_S) for percent in SEED_STAGE_PERCENTS))
FAST_TRACK = RampPlan("fast-track", tuple(Stage(percent, SEED_FAST_TRACK_BAKE_S) for percent in SEED_STAGE_PERCENTS))
BUILTIN_PLANS = {plan.name: plan for plan in (STANDARD, FAST_TRACK)}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": HOUR_S, "d": 24 * HOUR_S}


def parse_duration(text: str | int | float) -> float:
    """Seconds in '90m', '2h', '1.5d', '30s' or a bare number of seconds; ValueError otherwise."""
    if isinstance(text, bool):
        raise ValueError("expected a duration like '90m' or '2h'")
    if isinstance(text, (int, float)):
        if not math.isfinite(text):
            raise ValueError("a duration must be a finite number of seconds")
        if text < 0:
            raise ValueError("a duration cannot be negative")
        return float(text)
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"expected a duration like '90m' or '2h', got {text!r}")
    return float(match.group(1)) * _UNIT_S[match.group(2) or "s"]


def validate_stages(stages: tuple[Stage, ...]) -> None:
    """Raise ValueError unless percents are 1..100, strictly increasing, and end at 100."""
    if not stages:
        raise ValueError("a plan needs at least one stage")
    previous = 0
    for stage in stages:
        if not 1 <= stage.percent <= 100:
            raise ValueError(f"stage percent {stage.percent} is outside 1..100")
        if stage.percent <= previous:
            raise ValueError("stage percents must increase strictly")
        if stage.bake_s < 0:
            raise ValueError("bake time cannot be negative")
        previous = stage.percent
    if previous != 100:
        raise ValueError("the last stage must be 100%")


def make_plan(name: str, stages: tuple[Stage, ...]) -> RampPlan:
    """A validated plan (ValueError as validate_stages)."""
    validate_stages(stages)
    return RampPlan(name, stages)
