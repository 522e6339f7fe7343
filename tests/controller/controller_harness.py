"""Shared wiring for controller tests: a real client on loopback, a shared ManualClock, fast backoff."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from canary_tui.controller.audit import AuditLog, read_audit
from canary_tui.controller.controller import RampController
from canary_tui.core.clock import ManualClock
from canary_tui.core.plans import RampPlan, Stage
from canary_tui.core.rules import SeedRollbackRule
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.mission.actuators import ApiActuator
from canary_tui.mission.client import MissionClient, RetryPolicy, Timeouts
from canary_tui.mission.credentials import Secret

TOKEN = "test-token"
QUICK_PLAN = RampPlan("quick", (Stage(10, 120.0), Stage(50, 120.0), Stage(100, 120.0)))
FAST_RETRY = RetryPolicy(attempts=5, base_s=0.01, cap_s=0.05, jitter=False)


async def no_sleep(_seconds: float) -> None:
    """Backoff that only yields to the loop: tests never wait on wall time for a retry."""
    await asyncio.sleep(0)


def make_client(url: str, clock: ManualClock, *, secret: str | None = None, read_s: float = 2.0, retry: RetryPolicy = FAST_RETRY) -> MissionClient:
    """A MissionClient on the simulator with the test token and short timeouts."""
    return MissionClient(
        url,
        token=Secret(TOKEN),
        secret=Secret(secret) if secret else None,
        timeouts=Timeouts(connect_s=1.0, read_s=read_s, total_s=read_s + 1.0),
        retry=retry,
        clock=clock,
        sleep=no_sleep,
    )


def make_controller(
    client: Any,
    clock: ManualClock,
    tmp_path: Path,
    *,
    actor: str = "alice@test",
    environment: str = "staging",
    plan: RampPlan = QUICK_PLAN,
    actuator: Any = None,
    debounce_n: int = 3,
    checkpoint_for: str | None = "v0.5.0",
    **options: Any,
) -> RampController:
    """A controller with an audit log under tmp_path and no real sleeping.

    `checkpoint_for` writes a rollback checkpoint of that canary version into the audit log first
    (the pre-flight gates of 0% → 10% want one); None starts without.
    """
    audit = AuditLog(environment, path=tmp_path / f"{environment}-{actor}.jsonl", clock=clock)
    if checkpoint_for is not None:
        audit.record(actor=actor, action="checkpoint", outcome="ok", trigger="cli", note=f"pre-{checkpoint_for}",
                     checkpoint_id="ckpt-harness", canary_version=checkpoint_for)
    return RampController(
        environment=environment,
        plan=plan,
        client=client,
        actuator=actuator or ApiActuator(client),
        actor=actor,
        clock=clock,
        audit=audit,
        thresholds=ThresholdTable.seed(),
        rules=options.pop("rules", (SeedRollbackRule(debounce_n=debounce_n),)),
        sleep=options.pop("sleep", no_sleep),
        **options,
    )


def audit_records(controller: RampController) -> list[dict[str, object]]:
    """Every record the controller's audit log holds (less the checkpoint the harness wrote first)."""
    assert controller.audit is not None
    return [r for r in read_audit(controller.audit.path).records if r.get("checkpoint_id") != "ckpt-harness"]


async def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0, what: str = "condition") -> None:
    """Poll `condition` on the loop (wall time) until true; fail with `what` after timeout_s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def poll(controller: RampController, clock: ManualClock, step_s: float, times: int) -> None:
    """Advance the shared clock by step_s and refresh, `times` times."""
    for _ in range(times):
        clock.advance(step_s)
        await controller.refresh()


async def eventually(make: Callable[[], Awaitable[bool]], timeout_s: float = 10.0, what: str = "condition") -> None:
    """Await `make()` until it returns True."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await make():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def holds_for(condition: Callable[[], bool], duration_s: float) -> None:
    """Assert `condition` stays true for duration_s of wall time (for "never happens" checks)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + duration_s
    while loop.time() < deadline:
        assert condition(), "condition stopped holding"
        await asyncio.sleep(0.02)
