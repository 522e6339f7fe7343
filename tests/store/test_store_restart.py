"""Restart with the past, end to end: a controller over real HTTP (simulator, injected clock) records; a new one draws it at once.

Also: the stored chart rows agree with what the live controller charts; a store that cannot be used is one event, never a stop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from store_helpers import beat

import canary_tui.controller.recording as recording
from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.controller import RampController
from canary_tui.controller.factory import build_controller
from canary_tui.controller.model import EventLevel, Trigger
from canary_tui.controller.recording import GAP_LABEL, preload
from canary_tui.core.clock import ManualClock
from canary_tui.core.history import History
from canary_tui.mission.client import MissionClient, RetryPolicy, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.simulator import SimulatorServer
from canary_tui.store import SCHEMA_VERSION, HistoryStore

TOKEN = "test-token"
T0 = 1_800_000_000.0
STEP_S = 5.0  # one poll per chart slot (controller.HISTORY_RESOLUTION_S)


async def _no_sleep(_seconds: float) -> None:
    return None


def _controller(url: str | None, clock: ManualClock, store: Path, **options: object) -> RampController:
    """A controller built the way the app builds one, over real HTTP, recording into `store`."""
    assert url is not None
    client = MissionClient(url, token=Secret(TOKEN), timeouts=Timeouts(1.0, 2.0, 3.0), clock=clock,
                           retry=RetryPolicy(attempts=2, base_s=0.01, cap_s=0.02, jitter=False), sleep=_no_sleep)
    env = EnvironmentConfig(name="staging", url=url)
    return build_controller(env, Config(), clock=clock, client=client, audit=False, store=store, sleep=_no_sleep, **options)  # type: ignore[arg-type]


async def _watch(controller: RampController, clock: ManualClock, polls: int) -> None:
    for _ in range(polls):
        clock.advance(STEP_S)
        await controller.refresh()


def _covered(controller: RampController, field: str, columns: int) -> tuple[float, float, list[bool]]:
    """The chart's start and end, and per column whether it holds a value."""
    chart = controller.chart(columns)
    series = chart.get(field)
    assert series is not None and chart.start_s is not None and chart.end_s is not None
    return chart.start_s, chart.end_s, [v is not None for v in series.last]


async def test_watch_stop_watch_again_draws_the_first_run_with_a_gap(simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = simulator_factory(scenario="healthy", seed=3, token=TOKEN, clock=clock)
    store = tmp_path / "history.sqlite3"

    first = _controller(sim.url, clock, store)
    await _watch(first, clock, 120)  # 10 minutes watched
    first_run = (T0 + STEP_S, clock.now())
    await first.aclose()
    assert HistoryStore.open(store).count() == 120  # every heartbeat, once

    clock.advance(900.0)  # 15 minutes nobody watching
    second = _controller(sim.url, clock, store)
    assert second.history.oldest_s is not None and second.history.oldest_s <= first_run[0] + 1  # drawn before the first poll
    await _watch(second, clock, 24)  # 2 minutes
    start_s, end_s, filled = _covered(second, "p95_ms", 60)
    assert start_s <= first_run[0] and end_s >= clock.now()
    width_s = (end_s - start_s) / len(filled)
    column = [int((t - start_s) // width_s) for t in (first_run[0], first_run[1], first_run[1] + 900.0)]
    assert all(filled[column[0] + 1:column[1]]), "the first run is drawn"
    assert not any(filled[column[1] + 2:column[2] - 1]), "the unwatched 15 minutes are a gap"
    assert all(filled[column[2] + 1:-1]), "the second run is drawn after the gap"
    marks = second.chart(60).marks
    assert any(label == GAP_LABEL and abs(t - first_run[1]) <= STEP_S for t, label in marks)
    await second.aclose()
    assert HistoryStore.open(store).count() == 144


async def test_the_stored_rows_chart_exactly_what_the_live_controller_charted(simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = simulator_factory(scenario="healthy", seed=5, token=TOKEN, clock=clock)
    store = tmp_path / "history.sqlite3"
    live = _controller(sim.url, clock, store)
    await _watch(live, clock, 10)
    result = await live.advance(Trigger.CLI, override=True)  # to 10%: canary figures present, and a percent change on the way
    assert result.ok, result
    await _watch(live, clock, 50)
    await live.aclose()
    rebuilt = History(live.history.fields, live.history.max_age_s, live.history.resolution_s)
    preload(rebuilt, HistoryStore.open(store), "staging", clock.now())
    for field in live.history.fields:
        assert rebuilt.downsample(field, 40) == live.history.downsample(field, 40), field
    [(stored_t, stored_label)] = rebuilt.marks()
    [(live_t, live_label)] = live.history.marks()
    assert stored_label == "0%→10%" and live_label.startswith(stored_label) and abs(stored_t - live_t) <= STEP_S


async def test_a_corrupt_store_is_one_event_and_the_controller_watches_on(simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = simulator_factory(scenario="healthy", seed=3, token=TOKEN, clock=clock)
    store = tmp_path / "history.sqlite3"
    store.write_bytes(b"\x00garbage" * 1000)
    controller = _controller(sim.url, clock, store)
    await _watch(controller, clock, 5)
    problems = [e for e in controller.events if e.kind == "store"]
    assert len(problems) == 1 and problems[0].level is EventLevel.WARNING
    assert "not a readable history store" in problems[0].message and "without stored history" in problems[0].message
    assert controller.snapshot.heartbeat is not None and len(controller.history) == 5
    await controller.aclose()


async def test_a_newer_store_is_left_alone_and_said_once(simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = simulator_factory(scenario="healthy", seed=3, token=TOKEN, clock=clock)
    store = tmp_path / "history.sqlite3"
    HistoryStore.open(store).close()
    conn = sqlite3.connect(store, isolation_level=None)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.close()
    controller = _controller(sim.url, clock, store)
    await _watch(controller, clock, 3)
    await controller.aclose()
    [problem] = [e for e in controller.events if e.kind == "store"]
    assert "newer than this canary-tui knows" in problem.message
    conn = sqlite3.connect(store)
    assert conn.execute("SELECT count(*) FROM beat").fetchone()[0] == 0  # not written to


async def test_a_store_that_cannot_be_created_is_one_event(simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = simulator_factory(scenario="healthy", seed=3, token=TOKEN, clock=clock)
    (tmp_path / "a-file").write_text("")
    controller = _controller(sim.url, clock, tmp_path / "a-file" / "history.sqlite3")
    await _watch(controller, clock, 3)
    [problem] = [e for e in controller.events if e.kind == "store"]
    assert problem.message.startswith(f"history store {tmp_path / 'a-file' / 'history.sqlite3'}: ")
    assert len(controller.history) == 3 and not controller.closers  # watching on, nothing recording
    await controller.aclose()


async def test_two_dashboards_on_one_target_record_each_heartbeat_once(simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = simulator_factory(scenario="healthy", seed=3, token=TOKEN, clock=clock)
    store = tmp_path / "history.sqlite3"
    one, two = _controller(sim.url, clock, store), _controller(sim.url, clock, store)
    for _ in range(30):
        clock.advance(1.0)
        await one.refresh()
        await two.refresh()  # the same server second: the same heartbeat as far as the store is concerned
    await one.aclose()
    await two.aclose()
    assert HistoryStore.open(store).count() == 30
    assert not [e for e in (*one.events, *two.events) if e.kind == "store"]


def test_a_long_past_loads_from_the_minutes_with_the_same_peaks(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.sqlite3")
    start = 1_800_000_000
    rows = [beat(start + s, p95_ms=100.0 + (s // 10) % 97, percent=10 if s < 30 * 3600 else 50) for s in range(0, 60 * 3600, 10)]
    rows = [r for r in rows if not (20 * 3600 <= r.server_s - start < 21 * 3600)]  # an hour nobody watched
    store.record(rows)
    now_s = start + 60 * 3600 + 60.0
    from_minutes = History(("p95_ms", "canary_p95_ms"), 73 * 3600, 5.0)
    assert preload(from_minutes, store, "staging", now_s) <= recording.PRELOAD_BUCKETS
    recording.MINUTES_AFTER_S, saved = 1e12, recording.MINUTES_AFTER_S
    try:
        from_rows = History(("p95_ms", "canary_p95_ms"), 73 * 3600, 5.0)
        preload(from_rows, store, "staging", now_s)
    finally:
        recording.MINUTES_AFTER_S = saved
    for field in ("p95_ms", "canary_p95_ms"):
        minutes, raw = (h.downsample(field, 120, start, now_s) for h in (from_minutes, from_rows))
        assert max(v for v in minutes.max if v is not None) == max(v for v in raw.max if v is not None) == 196.0
        empty = [i for i, v in enumerate(minutes.max) if v is None]
        assert empty == [i for i, v in enumerate(raw.max) if v is None] and 1 <= len(empty) <= 3  # the unwatched hour, alike
    assert [label for _, label in from_minutes.marks()] == [label for _, label in from_rows.marks()]
    assert [label for _, label in from_minutes.marks()] == [GAP_LABEL, "10%→50%", GAP_LABEL]  # the hour, the stage, since the last row
    assert from_minutes.marks()[1][0] == start + 30 * 3600 + 0.5  # the stage change at its exact time, read from the rows
