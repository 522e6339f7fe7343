"""An event whose message already starts with its kind says it once, in the dashboard's log and in `run`'s lines alike."""

from __future__ import annotations

from datetime import UTC, datetime

from canary_tui.controller.headless import WatchEvent
from canary_tui.controller.model import Event, EventLevel
from canary_tui.ui.presenter import event_line

AT = datetime(2026, 12, 7, 8, 0, 0, tzinfo=UTC)


def _both(kind: str, message: str) -> tuple[str, str]:
    """(run's plain line, the dashboard log row's kind) for one event."""
    line = WatchEvent(AT, "staging", kind, EventLevel.INFO, message, "run@host:1", "run@host:1").as_text()
    row = event_line(Event(at=AT, actor="run@host:1", kind=kind, message=message))
    return line, row.kind


def test_a_message_that_starts_with_its_kind_is_not_prefixed_twice() -> None:
    line, kind = _both("notify", "notify auto-rollback → json://hooks/***: sent")
    assert line == "2026-12-07T08:00:00Z staging INFO notify auto-rollback → json://hooks/***: sent"
    assert kind == ""
    line, _ = _both("rollback", "rollback confirmed: 0% after 1 attempt")
    assert line == "2026-12-07T08:00:00Z staging INFO rollback confirmed: 0% after 1 attempt"


def test_any_other_message_carries_its_kind() -> None:
    line, kind = _both("poll-error", "cannot connect: refused")
    assert line == "2026-12-07T08:00:00Z staging INFO poll-error: cannot connect: refused"
    assert kind == "poll-error"



def test_a_message_that_starts_with_a_longer_form_of_its_kind_says_it_once() -> None:
    line, kind = _both("stop", "stopped after 3 polls")
    assert line == "2026-12-07T08:00:00Z staging INFO stopped after 3 polls"
    assert kind == ""
