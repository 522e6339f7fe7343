"""The judgment resumes from the stored counts of the current stage: a restart never resets the evidence or the bake.

End to end over real HTTP (simulator, injected clock): watch a stage, quit, watch again; the second controller's
evidence totals continue from the first's, its bake clock is the same, and the chart covers the first run with a gap.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from test_store_restart import STEP_S, T0, TOKEN, _controller, _watch

from canary_tui.controller.controller import RampController
from canary_tui.controller.model import Trigger
from canary_tui.controller.recording import GAP_LABEL
from canary_tui.core.clock import ManualClock
from canary_tui.core.evidence import WindowCounts
from canary_tui.core.resume import StoredStage, resume_seed
from canary_tui.core.seed_triggers import SeedTriggers
from canary_tui.simulator import SimulatorServer
from canary_tui.store import HistoryStore
from canary_tui.store.queries import decisions, last_stage


def _evidence(controller: RampController) -> dict[str, object]:
    decision = controller.snapshot.decision
    assert decision is not None
    return dict(decision.evidence)


async def test_watch_quit_watch_again_continues_the_evidence_and_the_bake(simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = simulator_factory(scenario="healthy", seed=11, token=TOKEN, clock=clock)
    store = tmp_path / "history.sqlite3"
    first = _controller(sim.url, clock, store)
    await _watch(first, clock, 2)
    assert (await first.advance(Trigger.CLI, override=True)).ok  # to the first stage
    await _watch(first, clock, 120)  # 10 minutes of the stage
    before = _evidence(first)
    bake_before = first.view.bake(first.plan)
    assert isinstance(before["canary_requests"], int) and before["canary_requests"] > 0 and before["windows"] >= 8
    first_run_end = clock.now()
    await first.aclose()

    clock.advance(300.0)  # five minutes nobody watching
    second = _controller(sim.url, clock, store)
    await _watch(second, clock, 3)
    after = _evidence(second)
    assert after["percent"] == before["percent"]
    assert isinstance(after["canary_requests"], int) and after["canary_requests"] >= before["canary_requests"], (before, after)
    assert isinstance(after["windows"], int) and after["windows"] >= before["windows"] - 1  # not from zero
    assert after["stage_started_s"] == before["stage_started_s"]
    elapsed_s, _ = second.view.bake(second.plan)
    assert bake_before[0] is not None and elapsed_s is not None and elapsed_s >= bake_before[0] + 300.0  # the bake went on
    assert any(e.kind == "store" and "judgment resumed" in e.message for e in second.events)
    marks = second.chart(60).marks
    assert any(label == GAP_LABEL and abs(t - first_run_end) <= STEP_S for t, label in marks)
    assert second.history.oldest_s is not None and second.history.oldest_s <= T0 + 2 * STEP_S
    await second.aclose()


async def test_another_stage_on_restart_starts_the_evidence_afresh(simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = simulator_factory(scenario="healthy", seed=11, token=TOKEN, clock=clock)
    store = tmp_path / "history.sqlite3"
    first = _controller(sim.url, clock, store)
    await _watch(first, clock, 2)
    assert (await first.advance(Trigger.CLI, override=True)).ok
    await _watch(first, clock, 60)
    stored_requests = _evidence(first)["canary_requests"]
    await first.aclose()
    other = _controller(sim.url, clock, False)  # type: ignore[arg-type]  # not recording: the store never saw the next stage
    await _watch(other, clock, 1)
    assert (await other.advance(Trigger.CLI, override=True)).ok
    await other.aclose()
    third = _controller(sim.url, clock, store)
    await _watch(third, clock, 3)
    evidence = _evidence(third)
    assert not any("judgment resumed" in e.message for e in third.events)
    assert isinstance(evidence["canary_requests"], int) and isinstance(stored_requests, int)
    assert 0 < evidence["canary_requests"] < stored_requests / 2  # a few polls' worth, not the stored stage
    await third.aclose()


def test_the_stored_stage_is_counted_per_minute_window_through_a_counter_reset(tmp_path: Path) -> None:
    from dataclasses import replace

    from store_helpers import beat

    store = HistoryStore.open(tmp_path / "h.sqlite3")
    rows = [beat(s, percent=5) for s in range(1000, 1100)] + [beat(s, percent=10) for s in range(1100, 1400)]
    rows = [replace(r, canary_requests=r.server_s - 1330) if r.server_s >= 1330 else r for r in rows]  # the server restarted
    store.record(rows)
    stage = last_stage(store, "staging", window_s=60.0, slow_gate_ms=500.0)
    assert stage is not None and stage.percent == 10 and stage.first_s == 1100.5
    assert [end for end, _ in stage.windows] == [1139.5, 1199.5, 1259.5, 1319.5, 1379.5, 1399.5]  # whole minutes
    assert [c.canary_requests for _, c in stage.windows] == [39, 60, 60, 60, 10, 69]  # the reset counted a minute late
    assert stage.totals.canary_requests == (1329 - 1100) + 69  # ... and none lost
    assert stage.totals.canary_slow_gate is None  # no slow counts stored at 500 ms
    assert len(last_stage(store, "staging", window_s=120.0, slow_gate_ms=500.0).windows) == 3  # type: ignore[union-attr]
    store.record([beat(2000, percent=0)])
    assert last_stage(store, "staging", window_s=60.0, slow_gate_ms=500.0) is None  # at 0% there is nothing to resume


def test_the_seed_cusum_resumes_from_windows() -> None:
    bad = WindowCounts(canary_requests=1000, canary_errors=150, stable_requests=9000, stable_errors=90)
    triggers = SeedTriggers()
    resume_seed(triggers, StoredStage("v2", 10, 0.0, ((60.0, bad),)))
    assert triggers.errors.tripped  # 15% errors over a thousand requests: the seed's error trigger holds
    resume_seed(triggers, StoredStage("v2", 10, 0.0, ((60.0, WindowCounts(1000, 10, 9000, 90)),)))
    assert not triggers.errors.tripped


async def test_decisions_and_gates_are_stored_as_they_change_once_for_two_dashboards(
        simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = simulator_factory(scenario="healthy", seed=11, token=TOKEN, clock=clock)
    store = tmp_path / "history.sqlite3"
    one, two = _controller(sim.url, clock, store), _controller(sim.url, clock, store)
    for controller in (one, two):
        await controller.refresh()
    assert (await one.advance(Trigger.CLI, override=True)).ok
    for _ in range(60):
        clock.advance(STEP_S)
        await one.refresh()
        await two.refresh()
    await one.aclose()
    await two.aclose()
    opened = HistoryStore.open(store)
    rows = decisions(opened, "staging")
    assert 2 <= len(rows) < 30, [r.change for r in rows]  # changes, not one row per poll
    assert len({(r.server_s, r.change) for r in rows}) == len(rows)  # each once, though two dashboards judged it
    assert all(a.change != b.change for a, b in zip(rows, rows[1:], strict=False))
    assert one.snapshot.deployment is not None and rows[-1].canary_percent == one.snapshot.deployment.canary_percent
    assert len({r.canary_percent for r in rows}) == 2, [(r.canary_percent, r.change) for r in rows]  # the advance is a change
    gates = json.loads(rows[-1].gates)
    assert gates and {"name", "status", "value", "threshold", "reason"} <= set(gates[0])
    assert decisions(opened, "staging", since_s=clock.now() + 1) == [] and decisions(opened, "other") == []
