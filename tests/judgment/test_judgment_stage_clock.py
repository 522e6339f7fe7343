"""One stage clock: with the server's clock hours off, the header's bake, the bake gate and the
decision's bake all read the controller's skew-corrected clock and agree within one poll."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.core.clock import ManualClock
from canary_tui.core.judgment import EvidenceRule, decision_between, plan_bake
from canary_tui.core.plans import FAST_TRACK
from canary_tui.core.samples import Heartbeat
from canary_tui.core.verdicts import DecisionKind, GateKind
from canary_tui.mission.client import MissionClient, RetryPolicy, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.simulator import SimulatorServer

HOUR_S = 3600.0
POLL_S = 30.0


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.mark.parametrize("skew_h", [-5.0, 5.0])
async def test_header_gate_and_decision_share_the_stage_clock(
    simulator_factory: Callable[..., SimulatorServer], skew_h: float
) -> None:
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", seed=4, clock=lambda: clock.now() + skew_h * HOUR_S, token="test-token")
    env = EnvironmentConfig(name="sim", url=sim.url, plan=FAST_TRACK)
    client = MissionClient(sim.url, token=Secret("test-token"), secret=None, timeouts=Timeouts(1.0, 2.0, 3.0),
                           retry=RetryPolicy(attempts=3, base_s=0.01, cap_s=0.05, jitter=False), clock=clock,
                           sleep=_no_sleep)
    async with client:
        ctl = build_controller(env, Config(), clock=clock, audit=False, client=client, sleep=_no_sleep)
        rule = next(r for r in ctl.rules if isinstance(r, EvidenceRule))
        await ctl.refresh()
        clock.advance(POLL_S)
        sim.state.set_canary(10, None, None, "stage 1", "bob@elsewhere")  # stamped with the server's skewed clock
        for _ in range(6):
            clock.advance(POLL_S)
            snap = await ctl.refresh()
            assert snap.stage is not None
            header_s = snap.stage.bake_elapsed_s
            gate = next(g for g in snap.gates if g.kind is GateKind.BAKE)
            assert gate.value is not None
            decision_s, bake_s = plan_bake(FAST_TRACK, rule.evidence.percent, rule.evidence.stage_started_s, clock.now())
            assert decision_s is not None and bake_s == HOUR_S
            assert abs(header_s - gate.value) <= POLL_S and abs(header_s - decision_s) <= POLL_S
            assert header_s <= 7 * POLL_S  # not hours: the skew is taken out
            assert snap.decision is not None and snap.decision.kind is not DecisionKind.PROMOTE_ELIGIBLE


def _skewed(hb: Heartbeat, skew_s: float, updated_s: float) -> Heartbeat:
    """A heartbeat stamped by a server whose clock is `skew_s` ahead, stage changed at its `updated_s`."""
    dep = hb.deployment
    from dataclasses import replace

    return replace(hb, timestamp=datetime.fromtimestamp(hb.fetched_at_s + skew_s, tz=UTC),
                   deployment=replace(dep, updated_at=datetime.fromtimestamp(updated_s + skew_s, tz=UTC)))


@pytest.mark.parametrize("skew_h", [-5.0, 5.0])
def test_one_shot_decision_corrects_the_skew(skew_h: float) -> None:
    """`status`'s one-shot decision: a stage entered 60 s ago is baking, whichever way the server's clock is off."""
    from judgment_builders import FakeServer

    server = FakeServer(seed=1)
    entered_s = server.now_s
    first = _skewed(server.step(POLL_S), skew_h * HOUR_S, entered_s)
    second = _skewed(server.step(POLL_S), skew_h * HOUR_S, entered_s)
    decision = decision_between(first, second, FAST_TRACK)
    assert decision.evidence["stage_started_s"] == pytest.approx(entered_s)
    assert decision.kind is not DecisionKind.PROMOTE_ELIGIBLE
