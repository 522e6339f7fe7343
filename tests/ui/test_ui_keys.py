"""Key paths of the dashboard against a fake controller: what each key asks the controller to do."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest
from textual.actions import parse as parse_action
from textual.widgets import Button, Input

from canary_tui.controller.model import ConnectionState, Trigger
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.screens.checkpoint_note import CheckpointNote
from canary_tui.ui.screens.confirm_advance import ConfirmAdvance
from canary_tui.ui.screens.help_screen import HelpScreen
from canary_tui.ui.widgets.events_log import EventsLog
from canary_tui.ui.widgets.header_bar import HeaderBar
from canary_tui.ui.widgets.latency_chart import LatencyChart
from ui_builders import FakeController, snapshot, until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
SIZE = (120, 40)


def make_app(kind: str = "healthy", **kwargs) -> tuple[CanaryApp, FakeController]:
    controller = FakeController(snapshot(kind))
    kwargs.setdefault("theme_dirs", [BUNDLED])
    return CanaryApp(controller, **kwargs), controller


def names(controller: FakeController) -> list[str]:
    return [name for name, _ in controller.calls]


async def test_R_rolls_back_at_once_without_a_dialog() -> None:
    app, controller = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await until(pilot, lambda: "rollback" in names(controller))
        assert controller.calls[0][1]["trigger"] == Trigger.KEY
        assert not isinstance(app.screen, (ConfirmAdvance, CheckpointNote))


async def test_R_works_while_the_confirm_modal_is_open() -> None:
    app, controller = make_app("critical")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdvance))
        await pilot.press("R")
        await until(pilot, lambda: "rollback" in names(controller))
        assert "advance" not in names(controller)


async def test_R_works_while_another_action_is_in_flight() -> None:
    app, controller = make_app()
    controller.hang_actions = asyncio.Event()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await until(pilot, lambda: "pause" in names(controller))
        assert app.check_action("advance", ()) is None  # dimmed while in flight
        assert app.check_action("toggle_pause", ()) is None
        assert app.check_action("rollback", ()) is True
        await pilot.press("P")  # refused while in flight
        await pilot.press("R")
        await until(pilot, lambda: "rollback" in names(controller))
        assert names(controller).count("pause") == 1
        controller.hang_actions.set()
        await until(pilot, lambda: not app.in_flight)
        assert app.check_action("toggle_pause", ()) is True


async def test_keys_react_and_R_goes_out_while_the_heartbeat_hangs() -> None:
    app, controller = make_app()
    controller.hang_refresh = asyncio.Event()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: controller.refreshes >= 1)
        await pilot.press("space")
        assert app.frozen
        await pilot.press("R")
        await until(pilot, lambda: "rollback" in names(controller))
        assert controller.refreshes == 1  # still the one hanging fetch: no overlap
        controller.hang_refresh.set()


async def test_A_cancel_is_focused_and_cancels() -> None:
    app, controller = make_app("eligible")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdvance))
        assert app.screen.focused is app.screen.query_one("#cancel", Button)
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmAdvance))
        await pilot.pause()
        assert "advance" not in names(controller)


async def test_A_confirm_advances_without_override_when_gates_pass() -> None:
    app, controller = make_app("eligible")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdvance))
        assert not app.screen.needs_override
        await until(pilot, lambda: app.screen.query_one("#advance", Button).region.area > 0)  # laid out: a click lands on it
        await pilot.click("#advance")
        await until(pilot, lambda: "advance" in names(controller))
        assert controller.calls[-1][1]["override"] is False


async def test_A_on_failing_gates_needs_the_typed_percent() -> None:
    app, controller = make_app("critical")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdvance))
        screen = app.screen
        assert screen.needs_override
        advance = screen.query_one("#advance", Button)
        assert advance.disabled
        screen.query_one("#override", Input).focus()
        await pilot.press("1", "0")
        assert advance.disabled  # 10 is not the target (50)
        await pilot.press("backspace", "backspace", "5", "0")
        assert not advance.disabled
        await pilot.press("enter")
        await until(pilot, lambda: "advance" in names(controller))
        assert controller.calls[-1][1]["override"] is True


async def test_P_toggles_pause() -> None:
    app, controller = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await until(pilot, lambda: "pause" in names(controller))


async def test_c_asks_for_a_note_then_checkpoints() -> None:
    app, controller = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CheckpointNote))
        await pilot.press(*"pre-v0.5.0")
        await pilot.press("enter")
        await until(pilot, lambda: "checkpoint" in names(controller))
        assert controller.calls[-1][1]["note"] == "pre-v0.5.0"


async def test_read_only_dims_and_refuses_every_mutating_key() -> None:
    app, controller = make_app("eligible", read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        for key in ("A", "P", "R", "c"):
            await pilot.press(key)
        await pilot.pause()
        assert controller.calls == []
        assert not isinstance(app.screen, (ConfirmAdvance, CheckpointNote))
        shown = {parse_action(binding.action)[1]: enabled for _, binding, enabled, _ in app.screen.active_bindings.values()}
        assert {name: shown.get(name) for name in ("advance", "toggle_pause", "rollback", "checkpoint")} == dict.fromkeys(
            ("advance", "toggle_pause", "rollback", "checkpoint"), False)  # on show, dimmed: the header says why
        assert shown["freeze"] is True
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"roll")
        await pilot.pause(0.3)
        assert "Emergency rollback" not in app.screen.query_one("CommandList").render_line(0).text


async def test_a_dimmed_key_says_why_when_pressed() -> None:
    """No press is dropped in silence: R, A, P on a dashboard that cannot change anything say why, and send nothing."""
    app, controller = make_app("eligible", read_only=True)
    said: list[str] = []
    app.notify = lambda message, **_kw: said.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        await pilot.press("z", "space", "space")  # not a deployment key: nothing to say
        assert said == []
        for key in ("R", "A", "P"):
            await pilot.press(key)
        await until(pilot, lambda: len(said) == 3)
        assert all(line.endswith("not sent: read-only mode.") for line in said), said
        assert said[0].startswith("ROLLBACK") and said[1].startswith("Advance")
        assert controller.calls == []


async def test_a_dimmed_key_names_what_dims_it() -> None:
    """'an action is in flight, or there is no next step' left the operator guessing: the notice says which."""
    app, controller = make_app("eligible")
    said: list[str] = []
    app.notify = lambda message, **_kw: said.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        controller.publish(replace(controller.current, action_in_flight="pause"))
        await until(pilot, lambda: app.snapshot is not None and app.snapshot.action_in_flight == "pause")
        await pilot.press("A")
        await until(pilot, lambda: len(said) == 1)
        assert said[0] == "Advance not sent: a pause is in flight."
        hb = controller.current.heartbeat
        done = replace(hb, deployment=replace(hb.deployment, canary_percent=100))
        controller.publish(replace(controller.current, action_in_flight=None, heartbeat=done, deployment=done.deployment))
        await until(pilot, lambda: app.snapshot is not None and app.snapshot.action_in_flight is None)
        await pilot.press("A")
        await until(pilot, lambda: len(said) == 2)
        assert said[1] == "Advance not sent: no next stage to advance to."
        assert controller.calls == []


async def test_freeze_keeps_polling_and_loses_nothing() -> None:
    app, controller = make_app(poll_interval_s=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        header = app.query_one("#header", HeaderBar)
        await pilot.press("space")
        before = app.renders
        refreshes = controller.refreshes
        controller.current = snapshot("paused")
        controller.emit(replace(controller.events[0], message="external change seen while frozen"))
        await until(pilot, lambda: controller.refreshes >= refreshes + 2 and app.snapshot is controller.current)
        assert app.renders == before  # no redraw while frozen
        assert "PAUSED" not in str(header.render())
        log = app.query_one("#events", EventsLog)
        count = log.count
        await pilot.press("space")
        await pilot.pause()
        assert "PAUSED" in str(header.render())
        assert log.count == count + 1


async def test_r_refreshes_now() -> None:
    app, controller = make_app(poll_interval_s=60)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: controller.refreshes == 1)
        await pilot.press("r")
        await until(pilot, lambda: controller.refreshes == 2)


async def test_t_cycles_the_canary_themes() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = [app.theme]
        for _ in range(4):
            await pilot.press("t")
            seen.append(app.theme)
        assert seen == ["canary-dark", "canary-light", "canary-high-contrast", "canary-colourblind", "canary-dark"]


async def test_help_lists_every_key() -> None:
    app, _ = make_app(keymap={"rollback": "X"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = [key for key, _, _ in app.screen.rows]
        descriptions = " ".join(d for _, d, _ in app.screen.rows)
        for word in ("advance", "pause", "ROLLBACK", "checkpoint", "freeze", "refresh", "theme", "help", "quit", "command palette"):
            assert word in descriptions
        assert "X" in keys and "R" not in keys  # remapped keys are shown as remapped
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen))


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quit_never_touches_the_ramp(key: str) -> None:
    app, controller = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        assert app.return_code is None
        await pilot.press(key)
        await until(pilot, lambda: app.return_code == 0)
    assert controller.calls == []


async def test_keymap_remaps_rollback() -> None:
    app, controller = make_app(keymap={"rollback": "X"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await pilot.pause()
        assert controller.calls == []
        await pilot.press("X")
        await until(pilot, lambda: "rollback" in names(controller))


async def test_stale_holds_gates_then_recovers_by_itself() -> None:
    app, controller = make_app("stale", poll_interval_s=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        gates = str(app.query_one("#gates").render())
        heartbeat = str(app.query_one("#heartbeat").render())
        assert "HOLD" in gates and "✔" not in gates
        assert "STALE" in heartbeat and "ReadTimeout" in heartbeat and "12s old" in heartbeat
        controller.current = snapshot("healthy")
        await until(pilot, lambda: app.snapshot is controller.current)
        assert app.snapshot.connection == ConnectionState.LIVE
        assert "HOLD" not in str(app.query_one("#gates").render())
        assert "LIVE" in str(app.query_one("#header").render())


async def test_chart_redraws_only_on_new_data() -> None:
    app, controller = make_app(poll_interval_s=0.05, chart_interval_s=0.0)
    async with app.run_test(size=SIZE) as pilot:
        chart = app.query_one("#chart", LatencyChart)
        await until(pilot, lambda: chart.builds >= 1 and controller.refreshes >= 3)
        builds, calls = chart.builds, len(controller.chart_calls)
        refreshes = controller.refreshes
        await until(pilot, lambda: controller.refreshes >= refreshes + 3)
        chart.refresh()
        await pilot.pause()
        assert chart.builds == builds and len(controller.chart_calls) == calls
        later = snapshot("healthy")
        controller.current = replace(later, heartbeat=replace(later.heartbeat, fetched_at_s=later.heartbeat.fetched_at_s + 1))
        await until(pilot, lambda: chart.builds > builds)
        assert len(controller.chart_calls) == calls + 1
        assert controller.chart_calls[-1] == chart.columns


async def test_chart_redraws_are_throttled_but_never_dropped() -> None:
    app, controller = make_app(poll_interval_s=0.05, chart_interval_s=0.5)
    async with app.run_test(size=SIZE) as pilot:
        chart = app.query_one("#chart", LatencyChart)
        await until(pilot, lambda: controller.chart_calls and controller.chart_calls[-1] == chart.columns)
        await pilot.pause(0.6)
        calls = len(controller.chart_calls)
        base = snapshot("healthy")
        started_s = time.monotonic()
        for step in range(1, 6):  # five new heartbeats in quick succession
            controller.current = replace(base, heartbeat=replace(base.heartbeat, fetched_at_s=base.heartbeat.fetched_at_s + step))
            await until(pilot, lambda: app.snapshot is controller.current)
        burst_s = time.monotonic() - started_s
        # throttled: one immediate redraw, plus at most one per 0.5 s the burst took on a loaded machine
        assert len(controller.chart_calls) <= calls + 1 + int(burst_s / 0.5)
        await until(pilot, lambda: app._chart_key[0][0] == base.heartbeat.fetched_at_s + 5, timeout_s=2.0)  # the deferred one comes
        assert len(controller.chart_calls) <= calls + 2 + int(burst_s / 0.5)
        await pilot.pause()
        assert chart.builds >= 2


async def test_command_palette_runs_the_same_actions() -> None:
    app, controller = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"emergency rollback")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: "rollback" in names(controller))


async def test_an_internal_error_becomes_one_line_and_a_log_file(monkeypatch, tmp_path, capsys) -> None:
    from canary_tui.ui import presenter

    def broken(*args, **kwargs):
        raise RuntimeError("boom in a pane")

    monkeypatch.setattr(presenter, "heartbeat_view", broken)
    app, controller = make_app()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.return_code is not None)
    except RuntimeError:
        pass  # run_test re-raises the app's error to the test; the operator only sees the line below
    assert app.crashed
    err = capsys.readouterr().err
    assert "internal error" in err and "the ramp was not touched" in err and "Traceback" not in err
    log = tmp_path / "log" / "dashboard-crash.log"
    assert "boom in a pane" in log.read_text()
    assert controller.calls == []
