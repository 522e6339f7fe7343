"""The event journal coalesces a condition a poll repeats, never an action or a change someone made."""

from __future__ import annotations

from canary_tui.controller.events import EventJournal
from canary_tui.controller.model import EventLevel
from canary_tui.core.clock import ManualClock


def _journal() -> tuple[EventJournal, ManualClock]:
    clock = ManualClock()
    return EventJournal(clock, "oncall-1", events_max=100), clock


def test_the_same_action_twice_within_a_minute_gets_two_lines() -> None:
    journal, clock = _journal()
    for _ in range(2):
        journal.emit("advance", "oncall-1 advance done: 0% → 10% (confirmed)")
        clock.advance(5.0)
        journal.emit("external-change", "oncall-2 changed the ramp: resumed", EventLevel.WARNING)
        clock.advance(5.0)
    assert [e.message for e in journal.events] == [
        "oncall-1 advance done: 0% → 10% (confirmed)", "oncall-2 changed the ramp: resumed"] * 2


def test_a_repeating_condition_is_shown_once_then_counted_once_a_minute() -> None:
    journal, clock = _journal()
    for _ in range(61):
        journal.emit("signature", "signature invalid (confirmed): bad MAC", EventLevel.ERROR)
        clock.advance(1.0)
    messages = [e.message for e in journal.events]
    assert messages[0] == "signature invalid (confirmed): bad MAC"
    assert len(messages) == 2 and messages[1].startswith("signature invalid (confirmed): bad MAC ×61 since ")
