"""controller/fleet.py with real controllers on two simulators: the pipeline guard read from a fleet's snapshots,
and rollback_each (every target confirmed at 0%, results as they land)."""

from __future__ import annotations

from controller_harness import make_client, make_controller

from canary_tui.config import config_from_dict
from canary_tui.controller.fleet import pipeline_guard, rollback_each, states_from_controllers, targets_above_zero
from canary_tui.controller.model import ActionResult, Trigger
from canary_tui.core.clock import ManualClock


async def test_a_fleet_guard_reads_upstream_snapshots_and_rollback_each_confirms_every_target(simulator_factory, tmp_path):
    clock = ManualClock()
    staging_sim = simulator_factory(scenario="healthy", token="test-token", seed=3, clock=clock)
    region_sim = simulator_factory(scenario="healthy", token="test-token", seed=4, clock=clock)
    config = config_from_dict({"environments": {
        "staging": {"url": staging_sim.url},
        "production": {"after": "staging", "regions": {"us-east-1": region_sim.url}},
    }}, None, {"USER": "t"})
    staging = make_controller(make_client(staging_sim.url, clock), clock, tmp_path, environment="staging")
    fleet = {"staging": staging}
    guard = pipeline_guard(config.targets["production/us-east-1"], config, states_from_controllers(fleet))
    assert pipeline_guard(config.targets["staging"], config, states_from_controllers(fleet)) is None
    region = make_controller(make_client(region_sim.url, clock), clock, tmp_path, environment="production/us-east-1", advance_guard=guard)
    fleet["production/us-east-1"] = region
    try:
        await staging.refresh()
        await region.refresh()
        refused = await region.set_percent(10, Trigger.KEY)
        assert not refused.ok and refused.message == "promotion pipeline: staging has not completed v0.5.0: staging at 0%"
        assert region_sim.state.canary_percent == 0
        assert (await staging.set_percent(100, Trigger.KEY)).ok
        baking = await region.set_percent(10, Trigger.KEY)
        assert not baking.ok and "staging at 100%, bake 2m to go" in baking.message
        clock.advance(121)  # staging's last bake (the harness plan: 120 s) is met
        await staging.refresh()
        await region.refresh()
        assert (await region.set_percent(10, Trigger.KEY)).ok and region_sim.state.canary_percent == 10
        assert (await region.set_percent(5, Trigger.KEY)).ok  # lowering is never refused

        assert targets_above_zero(fleet) == ["staging", "production/us-east-1"]
        landed: list[str] = []

        def on_result(target: str, result: ActionResult) -> None:
            landed.append(target)

        results = await rollback_each(fleet, Trigger.KEY, "incident", on_result=on_result)
        assert list(results) == ["staging", "production/us-east-1"] and all(r.ok for r in results.values())
        assert sorted(landed) == sorted(results)
        assert (staging_sim.state.canary_percent, region_sim.state.canary_percent) == (0, 0)
        assert targets_above_zero(fleet) == []
    finally:
        for controller in fleet.values():
            await controller.aclose()
            await controller.client.aclose()


async def test_one_target_that_raises_fails_alone() -> None:
    class Broken:
        snapshot = None

        async def rollback(self, trigger: Trigger, note: str | None = None) -> ActionResult:
            raise RuntimeError("bug")

    class Fine:
        snapshot = None

        async def rollback(self, trigger: Trigger, note: str | None = None) -> ActionResult:
            return ActionResult("rollback", True, "rolled back to 0% (confirmed, attempt 1)", 10, 0)

    results = await rollback_each({"a": Broken(), "b": Fine()}, Trigger.KEY, None)
    assert not results["a"].ok and "RuntimeError: bug" in results["a"].message and results["b"].ok


async def test_states_come_from_watching_controllers_and_are_fetched_only_for_the_rest(monkeypatch) -> None:
    from canary_tui.controller.fleet import states_watched_or_fetched
    from canary_tui.core.pipeline import TargetState

    class Watching:
        snapshot = None

    fetched: list[list[str]] = []

    async def fetch(names):
        fetched.append(list(names))
        return {n: TargetState(n, "v0.5.0", 100, 0.0) for n in names}

    watched_states: list[str] = []

    async def fake_watched(names):
        watched_states.extend(names)
        return {n: TargetState(n, problem="watched here") for n in names}

    import canary_tui.controller.fleet as fleet

    monkeypatch.setattr(fleet, "states_from_controllers", lambda controllers: fake_watched)
    read = states_watched_or_fetched({"staging": Watching()}, fetch)
    states = await read(["staging", "production/us-east-1"])
    assert watched_states == ["staging"] and fetched == [["production/us-east-1"]]
    assert states["staging"].problem == "watched here" and states["production/us-east-1"].percent == 100
