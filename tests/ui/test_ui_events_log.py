"""The event log re-wraps what it keeps when its pane narrows or widens: no line's end is cut after a resize."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.app import App, ComposeResult
from ui_builders import NOW, FakeController, snapshot, until

from canary_tui.controller.model import Event, EventLevel
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.screens.confirm_advance import ConfirmAdvance
from canary_tui.ui.widgets.events_log import EventsLog
from canary_tui.ui.widgets.view_models import EventLine

BUNDLED = Path(__file__).resolve().parents[2] / "themes"

MESSAGE = "rolled back to 0% (confirmed, attempt 1)"


class LogApp(App[None]):
    """Just the log, full width."""

    def compose(self) -> ComposeResult:
        yield EventsLog(id="events")


def _widths(log: EventsLog) -> list[int]:
    return [strip.cell_length for strip in log.lines]


async def test_a_narrowed_log_rewraps_its_lines_and_a_widened_one_joins_them_again() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 12)) as pilot:  # (a headless console measures text up to 80 columns)
        log = app.query_one(EventsLog)
        for n in range(3):
            log.add(EventLine(f"18:41:0{n}", "alice@laptop", "rollback", MESSAGE, "warning"))
        await until(pilot, lambda: len(log.lines) == 3)  # one line each at 80 columns
        await pilot.resize_terminal(40, 12)
        await until(pilot, lambda: len(log.lines) > 3)
        width = log.scrollable_content_region.width
        assert max(_widths(log)) <= width and len(log.lines) >= 3 * 2
        text = "".join(strip.text for strip in log.lines).replace(" ", "")  # (a wrap drops the space it breaks at)
        assert text.count("rolledbackto0%(confirmed,attempt1)") == 3  # every event whole, none cut at the old width
        await pilot.resize_terminal(80, 12)
        await until(pilot, lambda: len(log.lines) == 3)
        assert log.count == 3


async def test_after_a_resize_round_trip_under_a_dialog_the_log_shows_its_newest_line() -> None:
    """A pane that grew and shrank back kept its old scroll offset: older lines sat at the bottom as if the latest."""
    controller = FakeController(snapshot("healthy"))
    app = CanaryApp(controller, theme_dirs=[BUNDLED], poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.dashboard.query_one(EventsLog)
        for n in range(8):
            controller.emit(Event(NOW + timedelta(seconds=n), "alice", "rollback", f"rollback attempt {n} not confirmed", EventLevel.ERROR))
        await until(pilot, lambda: log.count >= 8 and log.max_scroll_y > 0 and log.scroll_offset.y == log.max_scroll_y)
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdvance))
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmAdvance))
        await until(pilot, lambda: log.size.height > 0 and log.scroll_offset.y == log.max_scroll_y)
        assert log.lines[-1].text.endswith("rollback attempt 7 not confirmed")
