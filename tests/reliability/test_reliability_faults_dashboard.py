"""Fault matrix × the dashboard: the real CanaryApp under Pilot, a real controller, faults over loopback.

Per fault: no crash, no traceback on screen, the header says STALE then
UNREACHABLE with the typed reason, the secrets appear in no screen dump, and
LIVE returns when the fault ends. Then `R` pressed during each fault lands 0%
once the server answers, exactly once, every attempt audited.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from canary_tui.controller.model import ConnectionState
from canary_tui.core.clock import SystemClock
from canary_tui.ui.app import CanaryApp
from reliability_support import SECRET, TOKEN
from controller_harness import audit_records, make_controller
from fault_catalog import CANARY, CASES, HEARTBEAT, SIM_CASES, FaultCase
from reliability_links import Link

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
SIZE = (120, 40)
ACTOR = "dash@reliability"


def screen_text(app: CanaryApp) -> str:
    """Everything on screen as plain text (from the SVG screen dump the user could save)."""
    svg = app.export_screenshot()
    assert TOKEN not in svg and SECRET not in svg, "a secret is on screen"
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(texts)).replace("\xa0", " ")


async def until(pilot, condition: Callable[[], bool], timeout_s: float = 15.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def _state(app: CanaryApp) -> ConnectionState | None:
    return app.snapshot.connection if app.snapshot is not None else None


@asynccontextmanager
async def dashboard(case: FaultCase, simulator_factory, tmp_path, paths, **link_kw) -> AsyncIterator[tuple[CanaryApp, object, object, Link, object]]:
    sim = simulator_factory(scenario="healthy", faults=True, token=TOKEN, secret=SECRET, seed=13, initial_percent=10)
    clock = SystemClock()
    link = Link(case, sim, clock, paths, **link_kw)
    ctl = make_controller(link.client, clock, tmp_path, actor=ACTOR, sleep=asyncio.sleep, rollback_backoff_s=(0.05, 0.1))
    app = CanaryApp(ctl, poll_interval_s=0.1, theme_dirs=[BUNDLED])
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: _state(app) is ConnectionState.LIVE, what="live data")
            yield app, pilot, sim, link, ctl
            link.end()
            await ctl.wait_idle()
            await until(pilot, lambda: not app.in_flight, what="the app's action workers to finish")
            await pilot.pause(0.05)
        assert not app.crashed
    finally:
        link.end()
        await ctl.aclose()
        await link.aclose()


def _blackhole(case: FaultCase, request):
    return request.getfixturevalue("blackhole") if case.transport == "connect-timeout" else None


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_dashboard_shows_stale_then_unreachable_and_recovers(case, simulator_factory, tmp_path, tls_front_factory, request):
    async with dashboard(case, simulator_factory, tmp_path, [HEARTBEAT], tls_front_factory=tls_front_factory,
                         blackhole=_blackhole(case, request)) as (app, pilot, sim, link, ctl):
        assert "UNREACHABLE" not in screen_text(app) and "STALE" not in screen_text(app)
        link.start()
        await until(pilot, lambda: _state(app) is case.persistent_state, what=case.persistent_word)
        await until(pilot, lambda: case.persistent_word in screen_text(app), what=f"{case.persistent_word} on screen")
        text = screen_text(app)
        assert "Traceback" not in text
        assert any(w in text.lower() for w in case.words), text  # the reason is on screen, not only the state
        assert "last data " in text and " old" in text  # with the age of the last good data
        assert app.snapshot.connection_error.split(":")[0] in case.kinds, app.snapshot.connection_error
        assert app.snapshot.data_age_s is not None and app.snapshot.data_age_s > 0  # the age of the last good data
        assert sim.state.history == [] and sim.state.canary_percent == 10  # nothing rolled back on missing data
        assert not app.crashed
        link.end()
        await until(pilot, lambda: _state(app) is ConnectionState.LIVE, what="LIVE again")
        await until(pilot, lambda: case.persistent_word not in screen_text(app), what=f"{case.persistent_word} gone from the screen")
        assert "Traceback" not in screen_text(app)


async def test_dashboard_shows_stale_on_the_first_miss(simulator_factory, tmp_path):
    case = FaultCase("drop-once", fault="drop")
    async with dashboard(case, simulator_factory, tmp_path, [HEARTBEAT]) as (app, pilot, sim, link, ctl):
        sim.inject_fault("drop", count=1)  # one miss: STALE
        sim.inject_fault("hang", count=-1)  # then polls time out slowly, so STALE stays on screen long enough to see
        await until(pilot, lambda: "STALE" in screen_text(app), what="STALE on screen")
        assert _state(app) in (ConnectionState.STALE, ConnectionState.UNREACHABLE)
        sim.clear_faults()
        await until(pilot, lambda: _state(app) is ConnectionState.LIVE, what="LIVE again")


#: R under every fault is proven on the controller for all cases (test_reliability_faults_controller); through
#: the dashboard's key path four representative faults run by default, the rest in the slow run
R_DEFAULT = ("http-503", "connection-dropped", "read-timeout", "non-json")
R_CASES = [c if c.name in R_DEFAULT else pytest.param(c, marks=pytest.mark.slow) for c in SIM_CASES]


@pytest.mark.parametrize("case", R_CASES, ids=str)
async def test_R_during_fault_lands_once_when_the_server_answers(case, simulator_factory, tmp_path):
    async with dashboard(case, simulator_factory, tmp_path, [HEARTBEAT, CANARY]) as (app, pilot, sim, link, ctl):
        link.start()
        await pilot.press("R")
        await until(pilot, lambda: sum(1 for r in audit_records(ctl) if r["action"] == "rollback" and r["outcome"] == "retry") >= 2,
                    what="two failed rollback attempts")
        assert sim.state.canary_percent == 10 or case.fault == "hang"
        assert "Traceback" not in screen_text(app)
        link.end()
        await until(pilot, lambda: sim.state.canary_percent == 0, what="0% on the server")
        await until(pilot, lambda: app.snapshot.heartbeat is not None and app.snapshot.heartbeat.deployment.canary_percent == 0
                    and app.snapshot.action_in_flight is None, what="0% read back on screen")
        assert [(c.percent, c.actor) for c in sim.state.history] == [(0, ACTOR)]
        outcomes = [r["outcome"] for r in audit_records(ctl) if r["action"] == "rollback"]
        assert outcomes.count("ok") == 1 and outcomes[-1] == "ok" and outcomes.count("retry") >= 2


async def test_quit_while_a_rollback_is_retrying_exits_cleanly(simulator_factory, tmp_path):
    """R during an outage, then q: the app leaves without an exception (quitting never touches the ramp)."""
    case = FaultCase("http-503", fault="status", params={"status": 503})
    sim = simulator_factory(scenario="healthy", faults=True, token=TOKEN, secret=SECRET, seed=13, initial_percent=10)
    clock = SystemClock()
    link = Link(case, sim, clock, [HEARTBEAT, CANARY])
    ctl = make_controller(link.client, clock, tmp_path, actor=ACTOR, sleep=asyncio.sleep, rollback_backoff_s=(0.05, 0.1))
    app = CanaryApp(ctl, poll_interval_s=0.1, theme_dirs=[BUNDLED])
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: _state(app) is ConnectionState.LIVE, what="live data")
            link.start()
            await pilot.press("R")
            await until(pilot, lambda: sum(1 for r in audit_records(ctl) if r["outcome"] == "retry") >= 2, what="retries")
            await pilot.press("q")
        assert not app.crashed and app.return_code in (None, 0)
    finally:
        link.end()
        await ctl.wait_idle()  # the rollback is never abandoned: it lands once the server answers
        await ctl.aclose()
        await link.aclose()
    assert [(c.percent, c.actor) for c in sim.state.history] == [(0, ACTOR)]


async def test_a_snapshot_handled_during_shutdown_does_not_raise(simulator_factory, tmp_path):
    """The shutdown race made deterministic: after the screens are gone, a snapshot whose key changed arrives."""
    case = FaultCase("none", fault="drop")
    sim = simulator_factory(scenario="healthy", faults=True, token=TOKEN, secret=SECRET, seed=13, initial_percent=10)
    clock = SystemClock()
    link = Link(case, sim, clock, [HEARTBEAT])
    ctl = make_controller(link.client, clock, tmp_path, actor=ACTOR)
    app = CanaryApp(ctl, poll=False, theme_dirs=[BUNDLED])
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.05)
        app.in_flight.add("rollback")  # what an action worker finishing at quit time changes
        app._refresh_bindings_if_changed()
    finally:
        await ctl.aclose()
        await link.aclose()


async def test_dashboard_heartbeat_flapping_up_and_down(simulator_factory, tmp_path):
    """Every other poll dropped for a while: the screen goes STALE and back, never crashes, nothing rolls back."""
    case = FaultCase("flap", fault="drop")
    async with dashboard(case, simulator_factory, tmp_path, [HEARTBEAT]) as (app, pilot, sim, link, ctl):
        seen: list[ConnectionState] = []
        ctl.subscribe(on_snapshot=lambda snap: seen.append(snap.connection))
        for _ in range(6):
            sim.inject_fault("drop", count=1)
            await until(pilot, lambda: not sim.faults.pending(), what="the drop to fire")
            await until(pilot, lambda: seen and seen[-1] is ConnectionState.LIVE, what="LIVE between misses")
        assert sim.faults.fired.count("drop") == 6
        assert seen.count(ConnectionState.STALE) >= 6 and ConnectionState.UNREACHABLE not in seen
        assert "Traceback" not in screen_text(app) and not app.crashed
        assert sim.state.history == [] and sim.state.canary_percent == 10


@pytest.mark.parametrize("scenario,options", [("counter-reset", {"speed": 100.0}), ("healthy", {"clock_skew_h": -6.0})], ids=["counter-reset", "clock-skew"])
async def test_dashboard_counter_reset_and_clock_skew_stay_live(simulator_factory, tmp_path, scenario, options):
    import time as _time

    skew_h = options.pop("clock_skew_h", 0.0)
    if skew_h:
        options["clock"] = lambda: _time.time() + skew_h * 3600
    sim = simulator_factory(scenario=scenario, faults=True, token=TOKEN, secret=SECRET, seed=13, initial_percent=10, **options)
    clock = SystemClock()
    link = Link(FaultCase("none", fault="drop"), sim, clock, [HEARTBEAT])
    ctl = make_controller(link.client, clock, tmp_path, actor=ACTOR)
    app = CanaryApp(ctl, poll_interval_s=0.1, theme_dirs=[BUNDLED])
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: _state(app) is ConnectionState.LIVE, what="live data")
            if scenario == "counter-reset":
                await until(pilot, lambda: sim.state.counters["restarts"] == 1, what="the server restart")
            polls = app.polls
            await until(pilot, lambda: app.polls >= polls + 5, what="five more polls")
            assert _state(app) is ConnectionState.LIVE
            rates = app.snapshot.rates
            assert rates is not None and all(v is None or v >= 0 for v in (rates.requests, rates.errors, rates.error_rate))
            text = screen_text(app)
            assert "Traceback" not in text and "STALE" not in text and "UNREACHABLE" not in text
        assert not app.crashed
    finally:
        await ctl.aclose()
        await link.aclose()
    assert sim.state.history == []
