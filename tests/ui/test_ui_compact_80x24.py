"""80×24 is a first-class size: the legend, the reference line's label, every gate, the decision and the newest event are on screen, whole."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from screen_text import app_on, screen_lines, settled
from ui_builders import NOW, FakeController, snapshot

from canary_tui.controller.model import Event
from canary_tui.ui import presenter

STATES = ["healthy", "warning", "critical", "stale", "unreachable", "paused", "rolled-back", "low-data", "eligible"]
LATEST = Event(NOW + timedelta(seconds=1), "bob@laptop", "advance", "advanced 10% → 50% (override: gates on hold)")


async def rendered(kind: str, size: tuple[int, int]) -> tuple[list[str], FakeController]:
    """The screen of a dashboard on state `kind` at `size`, after one more event arrived."""
    controller = FakeController(snapshot(kind))
    app = app_on(controller)
    async with app.run_test(size=size) as pilot:
        await settled(pilot)
        controller.emit(LATEST)
        for _ in range(100):
            if any("bob@laptop" in line for line in screen_lines(app)):
                break
            await pilot.pause(0.01)
        return screen_lines(app), controller


def gate_heads(kind: str) -> list[str]:
    """'✔ P95 < 500 ms 287 ms' for each gate the pane shows."""
    view = presenter.gates_view(snapshot(kind))
    return [f"{g.glyph} {g.name} {g.figure_text or g.value_text}" for g in view.gates]


@pytest.mark.parametrize("kind", STATES)
async def test_nothing_the_operator_needs_is_cut_at_80x24(kind: str) -> None:
    lines, controller = await rendered(kind, (80, 24))
    text = "\n".join(lines)
    assert "…" not in text, text  # nothing cut short
    assert "━canary" in text and "━stable" in text and "─500" in text and "─1000" in text, text  # the legend
    assert any(re.match(r"^\s*500[┤├┼]", line) for line in lines), text  # the 500 ms line has its label
    for head in gate_heads(kind):
        assert sum(head in line for line in lines) == 1, (head, text)  # every gate, one line each
    decision = controller.current.decision
    if decision is not None:
        assert "decision " + decision.kind.value in text
        assert decision.reason.split()[-1] in text  # the whole reason, to its last word
    assert "bob@laptop advanced 10% → 50% (override: gates on hold)" in text  # the newest event, whole


@pytest.mark.parametrize("kind", ["healthy", "critical"])
async def test_the_latency_readout_stands_beside_the_chart_at_160x48(kind: str) -> None:
    lines, _ = await rendered(kind, (160, 48))
    text = "\n".join(lines)
    header = next(line for line in lines if re.search(r"ms\s+canary\s+stable", line))
    p95 = next(line for line in lines if re.search(r"P95\s+\d+ \S\s+\d+ \S", line))
    assert re.search(r"[┌┐]", header) and re.search(r"[┤├│]", p95)  # beside the plot, on its rows
    assert "── 500 ms P95 warning" in text and "── 1000 ms P95 rollback" in text  # the full legend
    assert "…" not in text


def log_text(lines: list[str]) -> str:
    """The events log's rows joined as one text (scrollbar cells and wrapping removed)."""
    start = next(i for i, line in enumerate(lines) if "Events" in line)
    rows = [line.rstrip().rstrip("▁▂▃▄▅▆▇█").strip() for line in lines[start + 1 : -1]]
    return " ".join(row for row in rows if row)


async def test_a_long_line_in_the_log_wraps_without_losing_a_character() -> None:
    controller = FakeController(snapshot("healthy"), events=[])
    app = app_on(controller)
    message = "switched to the standby region at mc.staging.example after a failover; polling every 1 s again"
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        controller.emit(Event(NOW, "alice@laptop", "", message))
        for _ in range(100):
            if "again" in log_text(screen_lines(app)):
                break
            await pilot.pause(0.01)
        lines = screen_lines(app)
        assert not any("switched" in line and "again" in line for line in lines)  # it did wrap
        assert message in log_text(lines)


def test_gates_that_do_not_fit_say_how_many_lines_are_below() -> None:
    from textual.content import Content

    from canary_tui.ui.widgets.gates_pane import GatesPane

    view = presenter.gates_view(snapshot("critical"))
    fitting = Content.from_markup(GatesPane.markup_for(view, compact=True, width=33, height=40)).plain.split("\n")
    short = Content.from_markup(GatesPane.markup_for(view, compact=True, width=33, height=6)).plain.split("\n")
    assert not any("more" in line for line in fitting)
    counts = next(line for line in short if line.startswith("✖"))
    assert counts.endswith(f"↓ {len(short) - 6} more") and len(short) > 6
    assert all(len(line) <= 33 for line in short if "more" not in line)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_advance_dialog_keeps_its_prompt_and_buttons_on_screen(size: tuple[int, int]) -> None:
    from textual.widgets import Button

    crowded = snapshot("critical")
    crowded = replace(crowded, gates=crowded.gates * 3)  # many gates with long reasons, as on a real stage
    controller = FakeController(crowded)
    app = app_on(controller)
    async with app.run_test(size=size) as pilot:
        await settled(pilot)
        await pilot.press("A")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "Override needed" in text and "Cancel" in text and "Advance to 50%" in text, text
        for button in app.screen.query(Button).filter("#cancel, #advance"):
            assert button.region.bottom <= size[1], button  # wholly on screen


async def test_a_resize_round_trip_brings_the_80x24_layout_back_whole() -> None:
    """160×48 then back to 80×24: the screen reads as it did at start (the readout once kept its 5-row table, leaving a 3-row chart)."""
    app = app_on(FakeController(snapshot("healthy")))
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        before = screen_lines(app)
        await pilot.resize_terminal(160, 48)
        await settled(pilot)
        await pilot.resize_terminal(80, 24)
        await settled(pilot)
        assert screen_lines(app) == before
