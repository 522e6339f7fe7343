"""The fleet's drill-down is the single dashboard's own screen (freeze, history, help, theme), and every fleet footer fits its width."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fleet_builders import fleet, named
from textual.widgets._footer import FooterKey
from ui_builders import FakeController, rates, snapshot, until

from canary_tui.controller.model import Event
from canary_tui.core.actions import BY_ID
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.fleet_app import FleetApp
from canary_tui.ui.screens.confirm_rollback_all import ConfirmRollbackAll
from canary_tui.ui.screens.dashboard_screen import DashboardScreen
from canary_tui.ui.screens.help_screen import HelpScreen
from canary_tui.ui.screens.target_screen import TargetScreen
from canary_tui.ui.widgets.error_rate_pane import ErrorRatePane
from canary_tui.ui.widgets.events_log import EventsLog
from canary_tui.ui.widgets.fit_footer import FitFooter
from canary_tui.ui.widgets.header_bar import HeaderBar

PANES = ("#header", "#heartbeat", "#errors", "#latency", "#chart", "#gates", "#events")
FREEZE = BY_ID["freeze"].description
TARGET = "production/us-east-1"  # the worst row when it is the one critical target: Enter opens it


async def drill_down(pilot, app: FleetApp) -> TargetScreen:
    """Open the selected row's dashboard and wait until its panes are drawn."""
    await until(pilot, lambda: len(app.rows) == 4 and app.selection_settled)  # every target reported: the worst row is selected
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, TargetScreen) and app.screen.snapshot is not None)
    screen = app.screen
    assert isinstance(screen, TargetScreen)
    return screen


def footer_text(app) -> str:
    """The footer line as the terminal shows it."""
    return app.screen._compositor.render_strips()[-1].text


def cut_keys(app) -> list[str]:
    """The footer keys that do not fit whole: past the footer's right edge, or under the palette hint."""
    footer = app.screen.query_one(FitFooter)
    keys = list(footer.query(FooterKey))
    right = min([footer.region.right, *(key.region.x for key in keys if key.has_class("-command-palette"))])
    return [key.description or key.key for key in keys if not key.has_class("-command-palette") and key.region.right > right]


async def test_single_view_and_drill_down_are_the_same_dashboard_screen() -> None:
    single = CanaryApp(FakeController(snapshot("healthy")), poll=False, tick_interval_s=0)
    async with single.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: single.snapshot is not None)
        assert type(single.screen) is DashboardScreen
        assert all(single.screen.query(pane) for pane in PANES)
    app, _ = fleet({TARGET: "critical"})
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await drill_down(pilot, app)
        assert isinstance(screen, DashboardScreen) and screen.target == TARGET
        assert all(screen.query(pane) for pane in PANES)
        assert TARGET in str(screen.query_one(HeaderBar).render())  # the target's name says which region


async def test_drill_down_freezes_like_the_single_view_and_loses_nothing() -> None:
    app, controllers = fleet({TARGET: "critical"})
    target = controllers[1]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await drill_down(pilot, app)
        log = screen.query_one("#events", EventsLog)
        await pilot.press("space")
        assert screen.frozen and app.check_action("freeze", ()) is True
        header = screen.query_one(HeaderBar)
        await until(pilot, lambda: header._view is not None and header._view.frozen)
        drawn, count = screen.snapshot, log.count
        target.publish(named("paused", TARGET))
        target.emit(Event(target.events[0].at, "bob@laptop", "pause", "paused while frozen"))
        await until(pilot, lambda: app.targets[TARGET].snapshot is target.current)
        await pilot.pause()
        assert screen.snapshot is drawn and log.count == count  # neither the panes nor the log move while frozen
        await pilot.press("space")
        await until(pilot, lambda: screen.snapshot is target.current)
        assert not screen.frozen and log.count == count + 1
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TargetScreen))
        assert app.check_action("freeze", ()) is False  # the overview has no frozen view


async def test_drill_down_error_sparkline_is_the_history_of_rates_kept_before_it_opened() -> None:
    app, controllers = fleet({TARGET: "critical"})
    target = controllers[1]
    base = named("critical", TARGET)
    sent = [base] + [replace(base, rates=rates(errors=errors)) for errors in (10, 40, 20)]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.targets[TARGET].snapshot is not None)
        for snap in sent[1:3]:  # kept while the overview is on show
            target.publish(snap)
            await until(pilot, lambda snap=snap: app.targets[TARGET].snapshot is snap)
        screen = await drill_down(pilot, app)
        target.publish(sent[3])
        await until(pilot, lambda: screen.snapshot is sent[3])
        pane = screen.query_one("#errors", ErrorRatePane)
        expected = tuple(snap.rates.error_rate for snap in sent if snap.rates is not None)
        assert pane._view is not None and pane._view.history == expected  # as the single view's: one point per new rates
        assert len(set(expected)) > 1 and sent[3].window is base.window  # the window's rate did not move: not the row's trend


async def test_drill_down_has_help_and_theme_and_escape_goes_back_in_order() -> None:
    app, _ = fleet({TARGET: "critical"})
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await drill_down(pilot, app)
        theme = app.theme
        await pilot.press("t")
        assert app.theme != theme
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert {description: word for _, description, word in help_screen.rows}[FREEZE] == ""  # available in the drill-down
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TargetScreen))
        assert app.query_one("#fleet-table")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        words = {description: word for _, description, word in app.screen.rows}  # type: ignore[attr-defined]
        assert words[FREEZE] == "unavailable now"  # the overview has no frozen view (not a read-only matter)


@pytest.mark.parametrize("width", [80, 86, 94, 100, 120, 131, 160])
@pytest.mark.parametrize("kind", ["critical", "paused"])
async def test_every_key_the_fleet_footers_show_is_whole(width: int, kind: str) -> None:
    app, _ = fleet({TARGET: kind})  # paused: P shows its longer face, Resume
    async with app.run_test(size=(width, 24)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4 and app.selected == TARGET)
        await pilot.pause()
        assert cut_keys(app) == [], footer_text(app)
        await drill_down(pilot, app)
        await pilot.pause()
        assert cut_keys(app) == [], footer_text(app)


async def test_at_80x24_the_overview_and_drill_down_footers_show_their_keys_whole_and_X_still_works() -> None:
    app, controllers = fleet({TARGET: "critical"})
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4)
        await pilot.pause()
        overview = footer_text(app)
        for key in ("A Advance", "P Pause", "R ^r ROLLBACK", "X ROLLBACK ALL", "c Checkpoint", "q Quit", "⏎ Open"):
            assert key in overview, overview
        await drill_down(pilot, app)
        await pilot.pause()
        drilled = footer_text(app)
        for key in ("esc Overview", "A Advance", "P Pause", "R ^r ROLLBACK", "c Checkpoint", "space Freeze", "q Quit"):
            assert key in drilled, drilled
        assert "ROLLBACK ALL" not in drilled  # left out where short of space, but the key works
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, ConfirmRollbackAll))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, TargetScreen))
        assert all(not c.calls for c in controllers)


async def test_the_overview_footer_follows_a_resized_terminal() -> None:
    """A tmux pane made narrower: the overview's footer refits (compact, no palette hint, t left out), and back."""
    app, _ = fleet({TARGET: "paused"})
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4)
        footer = app.screen.query_one(FitFooter)
        assert footer.show_command_palette and not footer.compact
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: footer.compact and not footer.show_command_palette and "next_theme" in footer.shed)
        await pilot.pause()
        assert cut_keys(app) == [], footer_text(app)
        await pilot.resize_terminal(160, 48)
        await until(pilot, lambda: footer.show_command_palette and not footer.compact and not footer.shed)


UNFROZEN = "View unfrozen: the advance is confirmed on the deployment as it is now."


async def test_advance_on_a_frozen_view_unfreezes_it_first_and_says_so() -> None:
    """The dialog shows the deployment now: the screen behind it must not be the frozen past (single view and drill-down)."""
    from canary_tui.ui.screens.confirm_advance import ConfirmAdvance

    single = CanaryApp(FakeController(snapshot("eligible")), poll=False)
    async with single.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: single.snapshot is not None and single.dashboard.ready)
        await pilot.press("space")
        assert single.dashboard.frozen
        await pilot.press("A")
        await until(pilot, lambda: isinstance(single.screen, ConfirmAdvance))
        assert not single.dashboard.frozen and UNFROZEN in [str(n.message) for n in single._notifications]
    app, _ = fleet({TARGET: "eligible"})
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await drill_down(pilot, app)
        await pilot.press("space")
        assert screen.frozen
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdvance))
        assert not screen.frozen and UNFROZEN in [str(n.message) for n in app._notifications]
