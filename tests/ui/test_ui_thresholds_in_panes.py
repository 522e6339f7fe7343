"""Every pane reads the thresholds in force from the snapshot: [thresholds] overrides move levels, lines and the help."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace

from screen_text import app_on, screen_lines, settled
from ui_builders import LATENCY_LE_MS, FakeController, snapshot

from canary_tui.config import config_from_dict
from canary_tui.controller.model import Snapshot, WindowLatency
from canary_tui.core.rates import Rates
from canary_tui.core.samples import LatencyBuckets
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.ui import presenter

CONFIG = """
[thresholds]
error_rate_pct = [0.5, 20]
p95_ms = [100, 250]
"""


def configured_table() -> ThresholdTable:
    """The table a user's config file puts in force (as the controller factory builds it)."""
    config = config_from_dict(tomllib.loads(CONFIG), environ={})
    return ThresholdTable.seed().with_overrides(config.threshold_overrides)


def at_one_and_a_half_percent(table: ThresholdTable) -> Snapshot:
    """A canary with 1.5% errors over a 60 s window of 2000 canary requests, and a P95 between 250 and 500 ms."""
    window = Rates.from_counts(60.0, 20000, 48, canary_requests=2000, canary_errors=30, stable_requests=18000, stable_errors=18)
    slow_shares = (0.5, 0.7, 0.85, 0.999, 1, 1, 1, 1, 1)  # 15% slower than 250 ms, 0.1% slower than 500 ms
    latency = WindowLatency(canary=LatencyBuckets(LATENCY_LE_MS, tuple(round(2000 * s) for s in slow_shares)))
    return replace(snapshot("healthy"), thresholds=table, window=window, window_latency=latency)


async def screen_of(snap: Snapshot, size: tuple[int, int] = (80, 24), press: str | None = None) -> list[str]:
    """What the dashboard shows for `snap` (after pressing `press`)."""
    app = app_on(FakeController(snap))
    async with app.run_test(size=size) as pilot:
        await settled(pilot)
        if press:
            await pilot.press(press)
            await pilot.pause()
            await pilot.pause()
        return screen_lines(app)


async def test_the_error_pane_says_warning_under_the_configured_table_and_critical_under_the_seed() -> None:
    configured = "\n".join(await screen_of(at_one_and_a_half_percent(configured_table())))
    seeded = "\n".join(await screen_of(at_one_and_a_half_percent(ThresholdTable.seed())))
    assert re.search(r"Errors\s+⚠ warning\s+canary 1\.50%", configured), configured
    assert "critical" not in configured.split("Latency")[0]  # heartbeat and error panes
    assert re.search(r"Errors\s+✖ critical\s+canary 1\.50%", seeded), seeded


async def test_the_chart_lines_and_legend_move_with_a_p95_override() -> None:
    lines = await screen_of(at_one_and_a_half_percent(configured_table()))
    text = "\n".join(lines)
    assert any(re.match(r"^\s*100[┤├┼]", line) for line in lines), text  # the configured P95 warning line, labelled
    assert "─100" in text and "─500" not in text and not any(re.match(r"^\s*500[┤├┼]", line) for line in lines)
    view = presenter.chart_view(None, 1, thresholds=configured_table())
    assert [line.ms for line in view.lines] == [100.0, 1000.0]  # the seed's rollback trigger stays where the seed put it


async def test_the_latency_readout_judges_p95_on_the_configured_table() -> None:
    configured = presenter.latency_view(at_one_and_a_half_percent(configured_table()))
    seeded = presenter.latency_view(at_one_and_a_half_percent(ThresholdTable.seed()))
    p95 = {row.variant: row.figures[1] for row in configured.rows}
    assert p95["canary"].level == "critical"  # 15% of requests slower than the configured 250 ms
    assert {row.variant: row.figures[1] for row in seeded.rows}["canary"].level == "healthy"  # 0.1% slower than 500 ms


async def test_the_help_screen_lists_the_thresholds_in_force() -> None:
    text = "\n".join(await screen_of(at_one_and_a_half_percent(configured_table()), size=(100, 50), press="question_mark"))
    assert re.search(r"error rate\s+✔ < 0\.5 · ⚠ 0\.5–20 · ✖ > 20%", text), text
    assert re.search(r"P95\s+✔ < 100 · ⚠ 100–250 · ✖ > 250 ms", text), text
