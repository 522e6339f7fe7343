"""The header never claims more than it knows (issue 12): no token said at start, data age ticking while a poll hangs."""

from __future__ import annotations

import time

from canary_tui.controller.model import ConnectionState, Trigger
from canary_tui.core.clock import ManualClock
from canary_tui.ui.widgets.events_log import EventsLog
from canary_tui.ui.widgets.header_bar import HeaderBar
from two_operators import two_operators
from ui_builders import until


def _header(app) -> str:
    header = app.query_one("#header", HeaderBar)
    assert header._view is not None
    return HeaderBar.markup_for(header._view)


def _log_text(app) -> str:
    return "\n".join(strip.text for strip in app.query_one("#events", EventsLog).lines)


async def test_no_token_is_shown_before_any_key(simulator_factory, tmp_path) -> None:
    async with two_operators(simulator_factory, tmp_path, token1=None) as ops:
        app = ops.app
        await until(ops.pilot, lambda: app.query_one("#header", HeaderBar)._view is not None)
        assert "VIEW ONLY" in _header(app) and "no bearer token configured" in _header(app)
        await until(ops.pilot, lambda: "cannot change the deployment" in _log_text(app))
        await ops.pilot.pause(0.3)  # polls go on: the log says it once
        assert _log_text(app).count("cannot change the deployment") == 1
        for action in ("advance", "toggle_pause", "rollback", "checkpoint"):
            assert app.check_action(action, ()) is None, action  # on show in the footer, dimmed
        await ops.pilot.press("R")
        await ops.pilot.pause(0.2)
        assert ops.sim.state.canary_percent == 10 and ops.sim.state.history == []


async def test_data_age_ticks_every_second_while_a_poll_hangs_then_turns_stale(simulator_factory, tmp_path) -> None:
    clock = ManualClock(time.time())
    async with two_operators(simulator_factory, tmp_path, clock=clock, read_s=30.0) as ops:
        app = ops.app
        await until(ops.pilot, lambda: app.snapshot is not None and app.snapshot.connection is ConnectionState.LIVE)
        ops.sim.inject_fault("hang", count=-1)
        await until(ops.pilot, lambda: "hang" in ops.sim.faults.fired)  # a poll is stuck now
        start = app.snapshot.data_age_s
        assert start is not None
        ages = []
        for second in range(1, 8):
            clock.advance(1.0)
            await until(ops.pilot, lambda s=second: (app.query_one("#header", HeaderBar)._view.data_age_s or 0) >= start + s - 1e-6)
            view = app.query_one("#header", HeaderBar)._view
            ages.append(round(view.data_age_s - start))
            expected = "stale" if view.data_age_s > ops.ctl1.stale_after_s else "live"
            assert view.connection == expected, (second, view)
        assert ages == [1, 2, 3, 4, 5, 6, 7]
        assert ops.sim.faults.fired.count("hang") == 1  # the same request hung throughout


async def test_frozen_view_shows_the_age_of_the_frozen_data_still_ticking(simulator_factory, tmp_path) -> None:
    clock = ManualClock(time.time())
    async with two_operators(simulator_factory, tmp_path, clock=clock) as ops:
        app = ops.app
        await until(ops.pilot, lambda: app.snapshot is not None and app.snapshot.connection is ConnectionState.LIVE)
        await ops.pilot.press("space")
        assert app.frozen
        frozen_age = app._frozen_snapshot.data_age_s
        clock.advance(3.0)
        header = app.query_one("#header", HeaderBar)
        await until(ops.pilot, lambda: header._view.data_age_s is not None and header._view.data_age_s >= frozen_age + 3.0 - 1e-6)
        assert header._view.frozen and header._view.connection == "live"
        clock.advance(3.0)  # the frozen data is now older than stale_after_s (5 s)
        await until(ops.pilot, lambda: header._view.data_age_s >= frozen_age + 6.0 - 1e-6)
        assert header._view.connection == "stale"


async def test_header_after_a_confirmed_rollback_says_stage_zero_not_off_plan(simulator_factory, tmp_path) -> None:
    async with two_operators(simulator_factory, tmp_path) as ops:
        await ops.pilot.press("R")
        await until(ops.pilot, lambda: ops.sim.state.canary_percent == 0)
        await ops.ctl1.wait_idle()
        header = ops.app.query_one("#header", HeaderBar)
        await until(ops.pilot, lambda: header._view is not None and header._view.canary_percent == 0 and not ops.app.in_flight)
        assert header._view.stage_text == "stage 0/3" and "off-plan" not in _header(ops.app)
        assert not header._view.bake_text and not header._view.eta_text


async def test_P_is_refused_when_the_ramp_changed_before_it_was_sent(simulator_factory, tmp_path) -> None:
    async with two_operators(simulator_factory, tmp_path, poll=False) as ops:
        assert (await ops.ctl2.rollback(Trigger.KEY)).ok  # operator 1 has not seen it: the dashboard still shows 10%
        await ops.pilot.press("P")
        await until(ops.pilot, lambda: any("refused the pause: nothing changed" in n for n in ops.notices()))
        assert any("changed by oncall-2 to 0%" in n for n in ops.notices())
        assert ops.sim.state.canary_percent == 0 and ops.sim.state.paused is False


async def test_a_rollback_read_back_from_unverified_heartbeats_never_confirms(simulator_factory, tmp_path) -> None:
    async with two_operators(simulator_factory, tmp_path) as ops:
        ops.sim.inject_fault("bad_signature", count=-1, mode="verified")  # every heartbeat says verified: false
        await ops.pilot.press("R")
        await until(ops.pilot, lambda: ops.sim.state.canary_percent == 0)  # the change landed ...
        await until(ops.pilot, lambda: any(r.get("outcome") == "retry" for r in ops.audit1()))
        await ops.pilot.pause(0.5)
        rollbacks = [r for r in ops.audit1() if r.get("action") == "rollback"]
        assert not any(r.get("outcome") == "ok" for r in rollbacks)  # ... but nothing untrusted confirms it
        assert any("untrusted" in str(r.get("server")) for r in rollbacks if r.get("outcome") == "retry")
        assert "rollback" in ops.app.in_flight and "rollback…" in _header(ops.app)  # the screen says it is still going
        ops.sim.clear_faults()
        await until(ops.pilot, lambda: any(r.get("action") == "rollback" and r.get("outcome") == "ok" for r in ops.audit1()))
