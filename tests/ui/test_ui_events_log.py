"""The event log re-wraps what it keeps when its pane narrows or widens: no line's end is cut after a resize."""

from __future__ import annotations

from textual.app import App, ComposeResult
from ui_builders import until

from canary_tui.ui.widgets.events_log import EventsLog
from canary_tui.ui.widgets.view_models import EventLine

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
