"""Fleet helpers: act on several targets' controllers at once; no judgment of their own, each controller decides.

Used by the fleet overview (rollback-all) and the CLI (`rollback ENV`, `rollback --all`). The promotion pipeline's
guard is wired here too: the rule is core/pipeline.py's; this reads the upstream targets' states for it, from their
controllers' snapshots when they run in this process (a fleet), else by fetching one heartbeat each (the CLI).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from canary_tui.config_fields import ConfigError
from canary_tui.controller.model import ActionResult, Snapshot, Trigger
from canary_tui.core.pipeline import TargetState, promotion_refusal, state_of
from canary_tui.core.stage_clock import server_skew_s
from canary_tui.mission.errors import MissionError, deployment_heartbeat

if TYPE_CHECKING:
    from canary_tui.config import Config, EnvironmentConfig
    from canary_tui.controller.changes import AdvanceGuard
    from canary_tui.core.clock import Clock


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



# ---------------------------------------------------------------- the promotion pipeline's inputs

#: reads the states of the named targets (all of them, each once)
StateReader = Callable[[Sequence[str]], Awaitable[dict[str, TargetState]]]


def pipeline_guard(target: EnvironmentConfig, config: Config, read_states: StateReader) -> AdvanceGuard | None:
    """The controller hook for `target`'s place in the pipeline (`after`, `waves`), or None when it has none."""
    upstream = [t.name for t in config.targets_of(target.after)] if target.after else []
    previous = target.previous_region if target.waves else None
    if not upstream and previous is None:
        return None

    async def guard(version: str | None, from_percent: int, to_percent: int) -> str | None:
        if to_percent <= from_percent:
            return None
        states = await read_states([*upstream, *([previous] if previous else [])])
        return promotion_refusal(
            version=version, from_percent=from_percent, to_percent=to_percent, after=target.after,
            upstream=[states[name] for name in upstream], previous_region=states[previous] if previous else None,
        )

    return guard


def snapshot_state(target: str, snapshot: Snapshot) -> TargetState:
    """A target's pipeline state from its controller's snapshot: unknown while its data is degraded."""
    heartbeat = snapshot.heartbeat
    if heartbeat is None or snapshot.connection.degraded:
        return TargetState(target, problem=snapshot.connection_error or snapshot.connection.value)
    stage = snapshot.stage
    dep = heartbeat.deployment
    return TargetState(target, dep.canary_version, dep.canary_percent, stage.bake_remaining_s if stage is not None else None)


def states_from_controllers(controllers: Mapping[str, Any]) -> StateReader:
    """Read states from the controllers of a fleet running in this process (no request is made)."""

    async def read(names: Sequence[str]) -> dict[str, TargetState]:
        out: dict[str, TargetState] = {}
        for name in names:
            controller = controllers.get(name)
            out[name] = snapshot_state(name, controller.snapshot) if controller is not None else TargetState(name, problem="not watched")
        return out

    return read


def states_watched_or_fetched(controllers: Mapping[str, Any], fetch: StateReader) -> StateReader:
    """Read states from this process's controllers where they watch a target, else through `fetch` (one heartbeat each)."""
    watched = states_from_controllers(controllers)

    async def read(names: Sequence[str]) -> dict[str, TargetState]:
        here = [n for n in names if n in controllers]
        elsewhere = [n for n in names if n not in controllers]
        out = await watched(here)
        if elsewhere:
            out.update(await fetch(elsewhere))
        return out

    return read


def states_from_clients(config: Config, make_client: Callable[[EnvironmentConfig], Any], clock: Clock) -> StateReader:
    """Read states by fetching one heartbeat of each target in parallel (the CLI, where no controller watches them)."""

    async def one(name: str) -> TargetState:
        env = config.targets.get(name)
        if env is None:
            return TargetState(name, problem="not configured")
        try:
            client = make_client(env)
        except ConfigError as exc:  # e.g. the upstream's token source is broken: its state is unknown, said so
            return TargetState(name, problem=f"config: {'; '.join(exc.errors)}")
        try:
            heartbeat = await client.heartbeat()
        except MissionError as exc:
            arrived = deployment_heartbeat(exc)  # the metrics source failed: the deployment state is all the guard reads
            if arrived is None:
                return TargetState(name, problem=f"{exc.kind}: {exc}")
            heartbeat = arrived
        finally:
            await client.aclose()
        if not heartbeat.signature_ok:
            return TargetState(name, problem="heartbeat signature invalid")
        dep = heartbeat.deployment
        return state_of(name, env.plan, dep.canary_version, dep.canary_percent, dep.updated_at, clock.now(), server_skew_s(heartbeat))

    async def read(names: Sequence[str]) -> dict[str, TargetState]:
        unique = list(dict.fromkeys(names))
        return dict(zip(unique, await asyncio.gather(*(one(n) for n in unique)), strict=True))

    return read


__all__ = [
    "FleetMember", "ResultListener", "StateReader", "all_ok", "percent_of", "pipeline_guard", "rollback_each",
    "snapshot_state", "states_from_clients", "states_from_controllers", "states_watched_or_fetched", "targets_above_zero",
]
