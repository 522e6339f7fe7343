"""The stage clock: time in the current stage, bake remaining, and the ETA of every later stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from canary_tui.core.plans import RampPlan
from canary_tui.core.samples import Heartbeat


@dataclass(frozen=True, slots=True)
class BakeStatus:
    """Where the bake stands at one instant (all times from an injected clock, epoch seconds).

    `stage_index` is the 0-based plan stage of the current percent, None at 0%
    or off-plan. `elapsed_s` is the time spent at this percent (never negative).
    `remaining_s` is the bake still owed, 0.0 once met, None when nothing is
    baking (0% or an off-plan percent). `etas` pairs every later stage's percent
    with the earliest epoch second it can start if every bake runs to term;
    empty at 0% (the ramp has not started) and at the last stage.
    """

    stage_index: int | None
    elapsed_s: float
    remaining_s: float | None
    etas: tuple[tuple[int, float], ...]
    bake_s: float | None = None

    @property
    def baked(self) -> bool:
        """True once the current stage's bake is met (False when nothing is baking)."""
        return self.remaining_s is not None and self.remaining_s <= 0.0


def bake_status(plan: RampPlan, percent: int, entered_at_s: float, now_s: float) -> BakeStatus:
    """The bake of `plan` at `percent`, entered at `entered_at_s`, as seen at `now_s`.

    An off-plan percent (e.g. 25% in 10/50/100) has no bake of its own: the next
    stage above may start now, and later ETAs follow from the plan's bakes.
    """
    elapsed_s = max(0.0, now_s - entered_at_s)
    if percent <= 0:
        return BakeStatus(None, elapsed_s, None, ())
    index = plan.index_of(percent)
    if index is None:
        return BakeStatus(None, elapsed_s, None, _etas(plan, percent, now_s))
    bake_s = plan.stages[index].bake_s
    remaining_s = max(0.0, bake_s - elapsed_s)
    return BakeStatus(index, elapsed_s, remaining_s, _etas(plan, percent, now_s + remaining_s), bake_s)


def _etas(plan: RampPlan, percent: int, next_start_s: float) -> tuple[tuple[int, float], ...]:
    """Start times of the stages above `percent` when the next one starts at `next_start_s`."""
    etas: list[tuple[int, float]] = []
    start_s = next_start_s
    for stage in plan.later_stages(percent):
        etas.append((stage.percent, start_s))
        start_s += stage.bake_s
    return tuple(etas)


def format_duration(seconds: float) -> str:
    """Compact duration for gates and headers: '45s', '12m', '6h18m', '24h' (floors to the unit shown)."""
    total_s = int(max(0.0, seconds))
    hours, rest_s = divmod(total_s, 3600)
    minutes, secs = divmod(rest_s, 60)
    if hours:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"


def server_skew_s(heartbeat: Heartbeat) -> float:
    """How far the server's clock runs ahead of ours (negative: behind), from one heartbeat."""
    try:
        return heartbeat.timestamp.timestamp() - heartbeat.fetched_at_s
    except (AttributeError, ValueError, OverflowError):
        return 0.0


def entered_at(updated_at: datetime | None, now_s: float, skew_s: float = 0.0) -> float:
    """When the current stage began on our clock: the server's updated_at less its skew, never in our future; else now."""
    if updated_at is None:
        return now_s
    try:
        return min(float(updated_at.timestamp()) - skew_s, now_s)
    except (AttributeError, ValueError, OverflowError):
        return now_s
