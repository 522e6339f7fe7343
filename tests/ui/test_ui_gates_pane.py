"""The gates pane, P's footer label and the log's first line: what the operator reads, and that it fits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from textual.content import Content

from canary_tui.core.verdicts import GateResult, GateStatus
from canary_tui.ui import presenter
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.widgets.events_log import EventsLog
from canary_tui.ui.widgets.gates_pane import GatesPane, evidence_cells
from ui_builders import FakeClient, FakeController, snapshot

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
KINDS = ["healthy", "warning", "critical", "stale", "paused", "eligible", "low-data"]


def plain(markup: str) -> list[str]:
    """The pane's lines as the terminal shows them (markup resolved)."""
    return Content.from_markup(markup).plain.split("\n")


def test_interval_follows_the_value_in_its_unit() -> None:
    p95 = presenter.gate_line(GateResult("P95 < 500 ms", GateStatus.PASS, 287.4, 500.0, "ms", "P95 287 ms < 500 ms", interval=(262.2, 311.0)))
    rate = presenter.gate_line(GateResult("errors < 1%", GateStatus.PASS, 0.0002, 0.01, "fraction", "x", interval=(0.0, 0.0011)))
    pct = presenter.gate_line(GateResult("canary errors", GateStatus.PASS, 4.0, 1.0, "%", "x", interval=(2.95, 5.4)))
    assert (p95.figure_text, p95.interval_text) == ("287 ms", "[262–311]")
    assert (rate.figure_text, rate.interval_text) == ("0.02%", "[0–0.11%]")
    assert (pct.figure_text, pct.interval_text) == ("4.00%", "[2.95–5.40%]")


def test_a_reason_that_repeats_the_figures_is_not_shown() -> None:
    passing = presenter.gate_line(GateResult("P95 < 500 ms", GateStatus.PASS, 90.0, 500.0, "ms", "P95 90 ms < 500 ms"))
    baking = presenter.gate_line(GateResult("bake", GateStatus.HOLD, 22680.0, 86400.0, "s", "bake 6h18m / 24h"))
    failing = presenter.gate_line(GateResult("P95 < 500 ms", GateStatus.FAIL, 812.0, 500.0, "ms", "P95 812 ms ≥ 500 ms"))
    holding = presenter.gate_line(GateResult("errors vs stable", GateStatus.HOLD, 0.0, 1.5, "×", "evidence still accumulating", evidence=0.4))
    assert passing.detail == "" and baking.detail == "" and failing.detail == ""
    assert baking.figure_text == "6h18m / 24h"
    assert holding.detail == "hold: evidence still accumulating"


@pytest.mark.parametrize("position,expected", [(0.0, ("", "─" * 9)), (1.0, ("━" * 9, "")), (0.5, ("━" * 5, "─" * 4)), (7.0, ("━" * 9, ""))])
def test_evidence_marker_sits_between_the_boundaries(position: float, expected: tuple[str, str]) -> None:
    assert evidence_cells(position, 10) == expected


@pytest.mark.parametrize("width", [28, 32, 34, 52])
@pytest.mark.parametrize("kind", KINDS)
def test_gate_lines_fit_the_pane_and_say_every_status_in_words(kind: str, width: int) -> None:
    view = presenter.gates_view(snapshot(kind))
    for compact in (True, False):
        lines = plain(GatesPane.markup_for(view, compact=compact, width=width))
        bars = [line for line in lines if "▕" in line]
        assert all(len(line) <= width for line in bars), bars  # a bar is never cut or wrapped
        counts = [line for line in lines if re.match(r"^[✔✖◌] \d+ (pass|hold|fail)", line)]
        gate_heads = [line for line in lines if line and line[0] in "✔✖◌" and line not in counts]
        assert len(gate_heads) == len(view.gates)  # one line per gate
        assert len(counts) == 1 and all(f"{g.glyph} " in counts[0] and g.status in counts[0] for g in view.gates)


def test_low_data_is_said_once_per_gate() -> None:
    view = presenter.gates_view(snapshot("low-data"))
    text = "\n".join(plain(GatesPane.markup_for(view, compact=True, width=32)))
    assert text.count("low data") == sum(1 for g in view.gates if g.low_data) == 2


async def test_P_says_pause_while_running_and_resume_while_paused() -> None:
    controller = FakeController(snapshot("healthy"))
    app = CanaryApp(controller, poll=False, theme_dirs=[BUNDLED])
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            if app.snapshot is not None:
                break
            await pilot.pause(0.01)

        def p_label() -> str:
            return app.screen.active_bindings["P"].binding.description

        assert p_label() == "Pause"
        controller.publish(snapshot("paused"))
        for _ in range(100):
            if p_label() == "Resume":
                break
            await pilot.pause(0.01)
        assert p_label() == "Resume"
        await pilot.press("P")
        for _ in range(100):
            if controller.calls:
                break
            await pilot.pause(0.01)
        assert [name for name, _ in controller.calls] == ["resume"]  # the face P showed, compare-and-set on what was seen
        assert controller.calls[0][1]["seen_paused"] is True


async def test_the_log_starts_with_what_is_watched_and_never_shows_user_info() -> None:
    controller = FakeController(snapshot("healthy"), events=[], client=FakeClient("https://ops:hunter2@mc.staging.example:8443/api/?token=abc"))
    app = CanaryApp(controller, poll=True, poll_interval_s=2.0, theme_dirs=[BUNDLED])
    async with app.run_test(size=(120, 40)) as pilot:
        log = app.query_one("#events", EventsLog)
        for _ in range(100):
            if log.count:
                break
            await pilot.pause(0.01)
        text = " ".join(" ".join(strip.text.split()) for strip in log.lines)  # the log may wrap
        assert "alice@laptop watching staging at mc.staging.example:8443/api · polling every 2 s" in text
        assert "hunter2" not in text and "ops" not in text and "token" not in text


def test_stale_gates_hold_without_repeating_why_on_each() -> None:
    view = presenter.gates_view(snapshot("stale"))
    assert view.held_reason and all(g.status == "hold" and g.glyph == "◌" and g.detail == "" for g in view.gates)
