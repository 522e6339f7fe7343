"""Fleet helpers: act on several targets' controllers at once; no judgment of their own, each controller decides.

Used by the fleet overview (rollback-all) and the CLI (`rollback ENV`, `rollback --all`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from canary_tui.controller.model import ActionResult, Snapshot, Trigger


class FleetMember(Protocol):
    """What the fleet helpers need from a RampController."""

    @property
    def snapshot(self) -> Snapshot: ...

    async def rollback(self, trigger: Trigger, note: str | None = None) -> ActionResult: ...


ResultListener = Callable[[str, ActionResult], None]


async def rollback_each(
    controllers: Mapping[str, Any],
    trigger: Trigger,
    note: str | None,
    *,
    on_result: ResultListener | None = None,
) -> dict[str, ActionResult]:
    """Roll back every target in parallel, each retried by its controller until a trusted read-back shows 0%.

    Results are keyed by target name in the mapping's order; `on_result(target, result)` is called as each lands.
    A controller that raises gives a failed result for its target only.
    """

    async def one(target: str, controller: FleetMember) -> tuple[str, ActionResult]:
        try:
            result = await controller.rollback(trigger, note)
        except Exception as exc:  # noqa: BLE001 - one target's bug must not lose the others' rollbacks
            result = ActionResult("rollback", False, f"rollback failed unexpectedly ({type(exc).__name__}: {exc})", None, 0)
        if on_result is not None:
            on_result(target, result)
        return target, result

    landed = dict(await asyncio.gather(*(one(name, ctl) for name, ctl in controllers.items())))
    return {name: landed[name] for name in controllers}


def percent_of(snapshot: Snapshot) -> int | None:
    """The canary percent the server shows now (any parsed heartbeat), or None before the first."""
    if snapshot.deployment is not None:
        return snapshot.deployment.canary_percent
    if snapshot.heartbeat is not None:
        return snapshot.heartbeat.deployment.canary_percent
    return None


def targets_above_zero(controllers: Mapping[str, Any]) -> list[str]:
    """The targets whose canary is above 0% as last seen, or not known yet (a rollback of those is never skipped)."""
    out: list[str] = []
    for name, controller in controllers.items():
        percent = percent_of(controller.snapshot)
        if percent is None or percent > 0:
            out.append(name)
    return out


def all_ok(results: Mapping[str, ActionResult]) -> bool:
    """Every result confirmed (and at least one target)."""
    return bool(results) and all(r.ok for r in results.values())


__all__ = ["FleetMember", "ResultListener", "all_ok", "percent_of", "rollback_each", "targets_above_zero"]
