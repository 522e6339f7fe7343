"""The fleet overview under Pilot on fake targets: verdicts, order, selection, drill-down, R, rollback-all, read-only."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Static
from fleet_builders import NAMES, fleet, named
from ui_builders import snapshot, until

from canary_tui.controller.model import ConnectionState, RampState, Trigger
from canary_tui.controller.target_verdict import Standing, TargetVerdict, standing
from canary_tui.core.verdicts import Decision, DecisionKind
from canary_tui.ui.fleet_presenter import bake_bar, sparkline, summary_line, target_row, worst_first
from canary_tui.ui.screens.confirm_advance import ConfirmAdvance
from canary_tui.ui.screens.confirm_rollback_all import ConfirmRollbackAll
from canary_tui.ui.screens.target_screen import TargetScreen
from canary_tui.ui.widgets.events_log import EventsLog
from canary_tui.ui.widgets.fleet_table import FleetTable, layout
from canary_tui.ui.widgets.header_bar import HeaderBar

EXPECTED = {
    "healthy": TargetVerdict.HEALTHY, "warning": TargetVerdict.WARNING, "critical": TargetVerdict.CRITICAL,
    "stale": TargetVerdict.STALE, "unreachable": TargetVerdict.UNREACHABLE, "paused": TargetVerdict.PAUSED,
    "rolled-back": TargetVerdict.ROLLED_BACK, "low-data": TargetVerdict.HOLD,
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_state_has_its_verdict(kind: str) -> None:
    assert standing(snapshot(kind)).verdict is EXPECTED[kind]


def test_a_rollback_decision_is_critical_whatever_the_window_says_and_untrusted_is_critical() -> None:
    healthy = snapshot("healthy")
    assert standing(replace(healthy, decision=Decision(DecisionKind.ROLLBACK, "P95 above 1000 ms"))).verdict is TargetVerdict.CRITICAL
    assert standing(replace(healthy, connection=ConnectionState.UNTRUSTED)).verdict is TargetVerdict.CRITICAL


def test_rows_worst_first_in_stable_order_and_the_summary_counts_them() -> None:
    kinds = ["healthy", "stale", "healthy", "critical", "healthy"]
    rows = [target_row(f"t{i}", snapshot(kind)) for i, kind in enumerate(kinds)]
    ordered = worst_first(rows)
    assert [row.name for row in ordered] == ["t3", "t1", "t0", "t2", "t4"]
    assert summary_line(ordered) == "5 targets: 1 critical, 1 stale, 3 healthy"


def test_row_texts() -> None:
    row = target_row("production/eu-west-1", snapshot("critical"))
    assert row.release == "v0.4.1 → v0.5.0" and row.percent == "10%" and row.stage == "1/3"
    assert row.canary_errors == "4.00%" and row.p95 == "824 ms" and row.eta == "17h42m"
    assert bake_bar(0.5, 8) == "████    " and bake_bar(None) == ""
    assert sparkline([1.0, 2.0, 3.0]) == "▁▅█" and sparkline([5.0, 5.0]) == "▁▁" and sparkline([]) == ""


def test_a_rolled_back_row_says_why_and_shows_no_canary_figures_from_before() -> None:
    """At 0% the canary's error rate and P95 are history; the reason is the rollback's own note (an auto one's trip)."""
    from canary_tui.controller.model import ActionResult

    critical = snapshot("critical")  # a canary window with errors in it
    assert critical.window is not None and critical.window.canary_error_rate
    zero = replace(critical.heartbeat.deployment, canary_percent=0)
    down = replace(critical, heartbeat=replace(critical.heartbeat, deployment=zero), deployment=zero, decision=None)
    row = target_row("production/eu-west-1", replace(down, ramp=RampState.ROLLED_BACK))  # seen to come down
    assert (row.verdict, row.canary_errors, row.p95, row.reason) == (TargetVerdict.ROLLED_BACK, "—", "—", "canary at 0%")
    why = "auto-rollback: seed: error rate > 5% on evidence: 255/3140"
    done = ActionResult("rollback", True, "rolled back to 0% (confirmed, attempt 1)", 10, 0, note=why)
    assert target_row("production/eu-west-1", replace(down, extra={**down.extra, "last_result": done})).reason == why


def test_a_target_at_0_percent_not_seen_to_come_down_is_idle_not_rolled_back() -> None:
    """A release not yet ramped (or one that came down before we started watching) claims no rollback."""
    zero = snapshot("rolled-back")
    never = replace(zero, ramp=RampState.IDLE)
    assert standing(never) == Standing(TargetVerdict.IDLE, "canary at 0%")
    assert standing(zero).verdict is TargetVerdict.ROLLED_BACK
    row = target_row("staging", never)
    assert (row.verdict, row.glyph, row.reason) == (TargetVerdict.IDLE, "○", "canary at 0%")
    assert TargetVerdict.HEALTHY.severity < TargetVerdict.IDLE.severity < TargetVerdict.ROLLED_BACK.severity


def test_columns_drop_by_priority_but_never_the_verdict() -> None:
    rows = [target_row(name, snapshot("healthy")) for name in NAMES]
    narrow = [column.header for column, _ in layout(rows, 76)]
    wide = [column.header for column, _ in layout(rows, 156)]
    assert {"target", "verdict", "%", "errors", "P95", "age"} <= set(narrow)
    assert "P95 ~" not in narrow and "release" not in narrow
    assert {"release", "bake", "ETA", "stable", "P95 ~", "err ~"} <= set(wide)


async def test_selection_moves_with_arrows_and_jk_and_stays_on_its_target() -> None:
    app, _ = fleet({"production/eu-west-1": "critical"})
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4 and app.rows[0].verdict is TargetVerdict.CRITICAL)
        assert app.selected == "production/eu-west-1"  # the worst row until the operator moves
        await pilot.press("down")
        assert app.selected == "staging"
        await pilot.press("j", "j", "k")
        assert app.selected == "production/us-east-1"
        await pilot.press("up", "up", "up")
        assert app.selected == "production/eu-west-1"
        table = app.query_one(FleetTable)
        assert table.rows[table.selected].name == app.selected


async def test_the_selected_row_is_spelt_out_whole_below_the_table_and_the_log_starts_with_what_is_watched() -> None:
    """At 80 columns the table has no room for the reason: the line under it says it whole, and follows the selection."""
    app, _ = fleet({"production/eu-west-1": "critical"})
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4 and app.selected == "production/eu-west-1")
        detail = app.query_one("#fleet-detail", Static)
        critical = next(row for row in app.rows if row.name == "production/eu-west-1")
        assert critical.reason and critical.reason not in app.query_one(FleetTable).markup_for(app.rows, 0, 80)
        assert str(detail.render()) == f"▶ production/eu-west-1 · ✖ CRITICAL · {critical.reason}"
        await pilot.press("down")
        staging = next(row for row in app.rows if row.name == "staging")
        assert str(detail.render()).startswith(f"▶ staging · {staging.glyph} {staging.verdict.upper()} · {staging.reason}")
        log = app.query_one("#fleet-events", EventsLog)
        assert log.count >= 1 and "watching 4 targets: staging, production/us-east-1" in log.lines[0].text + log.lines[1].text


async def test_the_selection_never_moves_by_itself_so_R_hits_the_row_the_operator_sees() -> None:
    app, controllers = fleet({"production/eu-west-1": "critical"})
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: app.selection_settled and app.selected == "production/eu-west-1")
        controllers[3].publish(named("stale", "production/ap-southeast-1"))
        controllers[0].publish(named("critical", "staging"))  # a new worst row sorts above the selected one
        await until(pilot, lambda: not app.redraw_pending and app.rows[0].name != "production/eu-west-1")
        assert app.selected == "production/eu-west-1"
        table = app.query_one(FleetTable)
        assert table.rows[table.selected].name == "production/eu-west-1"  # the ▶ mark stays on it too
        await pilot.press("R")
        await until(pilot, lambda: bool(controllers[2].calls))
        assert [name for name, _ in controllers[2].calls] == ["rollback"] and not controllers[0].calls


async def test_enter_opens_the_target_dashboard_and_escape_comes_back() -> None:
    app, controllers = fleet({"production/us-east-1": "critical"})
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4 and app.rows[0].name == "production/us-east-1")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TargetScreen))
        screen = app.screen
        assert isinstance(screen, TargetScreen) and screen.target == "production/us-east-1"
        await until(pilot, lambda: screen.snapshot is not None)
        assert "production/us-east-1" in str(screen.query_one(HeaderBar).render())
        controllers[1].publish(named("paused", "production/us-east-1"))  # the open dashboard follows its target
        await until(pilot, lambda: screen.snapshot is not None and screen.snapshot.ramp.value == "paused")
        await pilot.press("R")  # R in the drill-down rolls back that target, not another
        await until(pilot, lambda: [name for name, _ in controllers[1].calls] == ["rollback"])
        assert all(not c.calls for i, c in enumerate(controllers) if i != 1)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TargetScreen))
        assert app.query_one(FleetTable).rows


async def test_R_rolls_back_the_selected_target_at_once() -> None:
    app, controllers = fleet()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4)
        await pilot.press("down", "down", "R")  # rows in config order when all are healthy
        await until(pilot, lambda: bool(controllers[2].calls))
        name, kwargs = controllers[2].calls[0]
        assert name == "rollback" and kwargs["trigger"] is Trigger.KEY and "R" in kwargs["note"]
        assert all(not c.calls for i, c in enumerate(controllers) if i != 2)
        assert not isinstance(app.screen, ConfirmRollbackAll)  # no dialog
        await until(pilot, lambda: "rollback done" in app.targets["production/eu-west-1"].note)


async def test_rollback_all_confirms_once_listing_targets_above_zero_then_rolls_back_each() -> None:
    app, controllers = fleet({"production/ap-southeast-1": "rolled-back"}, held=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4)
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, ConfirmRollbackAll))
        dialog = app.screen
        assert isinstance(dialog, ConfirmRollbackAll)
        assert [line.split(":")[0] for line in dialog.lines] == ["staging", "production/us-east-1", "production/eu-west-1"]
        assert all(not c.calls for c in controllers)  # nothing sent before the confirmation
        await pilot.press("y")
        await until(pilot, lambda: all(c.calls for c in controllers[:3]))
        assert not controllers[3].calls  # already at 0%
        await until(pilot, lambda: sum(row.verdict is TargetVerdict.CRITICAL for row in app.rows) == 3)  # rolling back
        release = controllers[0].release  # type: ignore[attr-defined]
        release.set()
        await until(pilot, lambda: all(row.verdict is TargetVerdict.ROLLED_BACK for row in app.rows))
        assert all("confirmed" in app.targets[name].note for name in NAMES[:3])


async def test_rollback_all_cancelled_sends_nothing() -> None:
    app, controllers = fleet()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4)
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, ConfirmRollbackAll))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmRollbackAll))
        await pilot.pause(0.1)
        assert all(not c.calls for c in controllers)


async def test_A_opens_the_same_confirmation_for_the_selected_target() -> None:
    app, controllers = fleet({"production/us-east-1": "eligible"})
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4)
        await pilot.press("down", "A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdvance))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmAdvance))
        assert all(not c.calls for c in controllers)


async def test_read_only_dims_every_key_that_changes_a_deployment() -> None:
    app, controllers = fleet(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4)
        for action in ("rollback", "rollback_all", "advance", "checkpoint"):
            assert app.check_action(action, ()) is None
        said: list[str] = []
        app.notify = lambda message, **_kw: said.append(str(message))  # type: ignore[method-assign]
        await pilot.press("R", "X", "A", "c")
        await until(pilot, lambda: len(said) == 4)  # each press says why it sent nothing
        assert all(not c.calls for c in controllers)
        assert not isinstance(app.screen, ConfirmRollbackAll)
        assert "VIEW ONLY" in str(app.query_one("#fleet-summary").render())
        assert [line.split(" not sent")[0] for line in said] == ["ROLLBACK", "ROLLBACK ALL", "Advance", "Checkpoint"], said
        assert all(line.endswith("read-only mode.") for line in said), said


def test_availability_is_asked_safely_with_no_screen_at_all() -> None:
    app, _ = fleet()  # not running: no screen on the stack, as while it shuts down
    assert app.check_action("freeze", ()) is False and app.check_action("cursor", (1,)) is False


async def test_keys_typed_ahead_act_in_order_j_then_R_rolls_back_the_row_below() -> None:
    from textual import events

    app, controllers = fleet()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.selection_settled and app.selected == "staging")  # rows in config order: all healthy
        app.post_message(events.Key("j", "j"))  # both queued before either is handled, as a fast typist's keys arrive
        app.post_message(events.Key("R", "R"))
        await until(pilot, lambda: any(c.calls for c in controllers))
        await pilot.pause(0.1)
        assert [bool(c.calls) for c in controllers] == [False, True, False, False]  # production/us-east-1, the row below
        assert app.selected == "production/us-east-1"


def _enabled(app, action: str) -> bool | None:
    """Whether the footer would show `action`'s key as available (None: not shown)."""
    return next((active.enabled for active in app.screen.active_bindings.values() if active.binding.action == action), None)


def _shown_dimmed(app, action: str) -> bool:
    """Whether the footer on screen shows `action`'s key dimmed."""
    return any(key.action == action and key.has_class("-disabled") for key in app.screen.query("FooterKey"))


async def test_the_footer_follows_a_lasting_rollback_but_not_a_blip() -> None:
    app, controllers = fleet(held=True)
    async with app.run_test(size=(160, 48)) as pilot:
        refreshed: list[bool] = []
        refresh = app.refresh_bindings
        app.refresh_bindings = lambda: (refreshed.append(True), refresh())[1]  # type: ignore[method-assign]
        await until(pilot, lambda: len(app.rows) == 4 and not app.redraw_pending)
        assert _enabled(app, "advance") is True
        await pilot.press("R")
        await until(pilot, lambda: bool(app.targets[NAMES[0]].in_flight) and not app.redraw_pending)
        await until(pilot, lambda: _shown_dimmed(app, "advance"))  # held: its keys dimmed on screen
        assert refreshed and _enabled(app, "advance") is False
        refreshed.clear()
        controllers[0].release.set()  # type: ignore[attr-defined]
        await until(pilot, lambda: "confirmed" in app.targets[NAMES[0]].note and not app.redraw_pending)
        assert refreshed and _enabled(app, "advance") is True
        await until(pilot, lambda: not _shown_dimmed(app, "advance"))

    app, controllers = fleet()
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: len(app.rows) == 4 and not app.redraw_pending)
        refreshed = []
        app.refresh_bindings = lambda: refreshed.append(True)  # type: ignore[method-assign]
        await pilot.press("R")
        await until(pilot, lambda: "rollback done" in app.targets[NAMES[0]].note and not app.redraw_pending)
        assert not refreshed and not _shown_dimmed(app, "advance")  # confirmed before the keys settled: the footer was never remounted


def test_the_summarys_action_counts_say_what_was_counted() -> None:
    from canary_tui.ui.fleet_presenter import actions_line

    states = [("a", set(), "✔ rolled back"), ("b", set(), "✔ rolled back"), ("c", set(), "✖ not confirmed"), ("d", {"rollback"}, "")]
    assert actions_line(states) == "↺ rolling back 1 · ✔ 2 actions confirmed · ✖ 1 action failed"
