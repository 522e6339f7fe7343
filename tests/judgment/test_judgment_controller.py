"""The evidence rule plugged into the controller (controller/factory.build_rules) over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.controller.model import Trigger
from canary_tui.core.clock import ManualClock
from canary_tui.core.judgment import EvidenceRule
from canary_tui.core.plans import RampPlan, Stage
from canary_tui.core.verdicts import DecisionKind
from canary_tui.mission.client import MissionClient, RetryPolicy, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.simulator import SimulatorServer

PLAN = RampPlan("quick", (Stage(10, 3600.0), Stage(50, 3600.0), Stage(100, 3600.0)))


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


def _client(url: str, clock: ManualClock) -> MissionClient:
    return MissionClient(url, token=Secret("test-token"), secret=None, timeouts=Timeouts(1.0, 2.0, 3.0),
                         retry=RetryPolicy(attempts=5, base_s=0.01, cap_s=0.05, jitter=False), clock=clock,
                         sleep=_no_sleep)


async def test_factory_rules_roll_back_on_evidence_no_later_than_the_seed(
    simulator_factory: Callable[..., SimulatorServer],
) -> None:
    """error-spike at 10% (canary 0.5% -> 8%): the evidence rule trips, the decision says why, 0% lands."""
    clock = ManualClock()
    sim = simulator_factory(scenario="error-spike", token="test-token", seed=7, clock=clock)
    env = EnvironmentConfig(name="sim", url=sim.url, plan=PLAN)
    async with _client(sim.url, clock) as client:
        ctl = build_controller(env, Config(), clock=clock, audit=False, client=client, sleep=_no_sleep)
        assert any(isinstance(rule, EvidenceRule) for rule in ctl.rules)
        await ctl.refresh()
        assert (await ctl.set_percent(10, Trigger.CLI)).ok
        polls = 0
        for polls in range(1, 61):
            clock.advance(30.0)
            snap = await ctl.refresh()
            if ctl.action_in_flight == "rollback":
                break
        verdicts = {v.rule: v for v in snap.extra["verdicts"]}
        await ctl.wait_idle()
        assert sim.state.canary_percent == 0
        assert verdicts["evidence"].trip, verdicts
        assert snap.decision is not None and snap.decision.kind is DecisionKind.ROLLBACK
        assert "evidence" in snap.decision.reason or "mixture" in snap.decision.reason or "lower bound" in snap.decision.reason
        print(f"\nerror-spike over loopback: rolled back at poll {polls} ({polls * 30 / 60:.1f} simulated min); "
              f"seed rule tripped too: {verdicts['seed'].trip}; decision: {snap.decision.reason}")


async def test_flapping_but_healthy_canary_is_never_rolled_back(simulator_factory: Callable[..., SimulatorServer]) -> None:
    clock = ManualClock()
    sim = simulator_factory(scenario="flapping", token="test-token", seed=7, clock=clock)
    env = EnvironmentConfig(name="sim", url=sim.url, plan=PLAN)
    async with _client(sim.url, clock) as client:
        ctl = build_controller(env, Config(), clock=clock, audit=False, client=client, sleep=_no_sleep)
        await ctl.refresh()
        assert (await ctl.set_percent(10, Trigger.CLI)).ok
        kinds = set()
        for _ in range(2 * 60 * 2):  # 2 simulated hours at 30 s polls
            clock.advance(30.0)
            snap = await ctl.refresh()
            assert ctl.action_in_flight != "rollback", snap.decision
            assert snap.decision is not None
            kinds.add(snap.decision.kind)
        assert sim.state.canary_percent == 10
        assert DecisionKind.ROLLBACK not in kinds
        gates = {g.name: g for g in snap.gates}  # the seed's gates plus the evidence rule's
        assert {"bake", "canary errors", "errors vs stable", "latency vs stable", "slow>500ms"} <= set(gates), sorted(gates)
        assert gates["canary errors"].interval is not None and not gates["canary errors"].low_data
        assert gates["errors vs stable"].evidence is not None and 0.0 <= gates["errors vs stable"].evidence <= 1.0
        assert snap.decision.kind in (DecisionKind.PROMOTE_ELIGIBLE, DecisionKind.INCONCLUSIVE, DecisionKind.HOLD)
        print(f"\nflapping (1% both sides) 2 h: decisions seen {sorted(k.value for k in kinds)}; "
              f"final {snap.decision.kind.value}: {snap.decision.reason}")
