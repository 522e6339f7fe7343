"""The latency pane's views: readout levels on evidence, stage marks that stay readable, honest ratios, legends that fit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.content import Content
from ui_builders import NOW_S, chart_data, snapshot

from canary_tui.controller.chart import ChartData
from canary_tui.controller.chart import ChartSeries as DataSeries
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.core.verdicts import GateResult, GateStatus
from canary_tui.ui import presenter
from canary_tui.ui.latency_presenter import stage_marks
from canary_tui.ui.widgets.chart_legend import legend_markup
from canary_tui.ui.widgets.latency_readout import lines_markup, row_markup, table_markup

KINDS = ["healthy", "warning", "critical", "stale", "paused", "rolled-back", "low-data", "eligible"]


def plain(markup: str) -> str:
    return Content.from_markup(markup).plain


def test_levels_come_from_slow_counts_and_say_low_data_when_they_cannot_tell() -> None:
    healthy = presenter.latency_view(snapshot("healthy"))
    thin = presenter.latency_view(snapshot("low-data"))
    assert [row.variant for row in healthy.rows] == ["canary", "stable"]
    assert all(row.summary.word == "healthy" for row in healthy.rows)
    canary = thin.rows[0]
    assert canary.summary.word == "low data" and any(f.low_data for f in canary.figures)  # 40 requests cannot tell P99
    unknown = presenter.latency_view(replace(snapshot("healthy"), window_latency=None))
    assert all(f.level == "unknown" and f.low_data for row in unknown.rows for f in row.figures)  # no histogram: no guess


def test_a_canary_that_served_nothing_says_so_instead_of_figures() -> None:
    view = presenter.latency_view(snapshot("rolled-back"))
    canary = view.rows[0]
    assert canary.note == "no traffic" and all(f.text == "—" for f in canary.figures)
    assert plain(row_markup(canary)[0]) == "canary — no traffic"


@pytest.mark.parametrize("kind", KINDS)
def test_the_readout_lines_fit_the_small_pane(kind: str) -> None:
    view = presenter.latency_view(snapshot(kind))
    for line in plain(lines_markup(view, 44)).split("\n"):
        assert len(line) <= 44, line
    table = plain(table_markup(view)).split("\n")
    assert len(table) == 5 and all(len(line) <= 30 for line in table), table


def test_the_worst_figure_keeps_its_glyph_when_there_is_room() -> None:
    row = presenter.latency_view(snapshot("critical")).rows[0]
    wide, narrow = plain(row_markup(row, 80)[0]), plain(row_markup(row, 44)[0])
    assert "824✖" in wide and "✖ critical" in wide
    assert len(narrow) <= 44 and narrow.endswith("✖ critical")


def test_close_stage_changes_merge_and_labels_never_overlap() -> None:
    start, end = NOW_S - 3600, NOW_S
    marks = [(start + 1800 + i * 20, label) for i, label in enumerate(["0%→10% a", "10%→50% b", "50%→0% R", "0%→10% c"])]
    marks.append((start + 600, "10%→50% alice"))
    out = stage_marks(marks, start, end, 60)
    labelled = [(t, label, align) for t, label, align in out if label]
    assert len(out) == 5  # every change keeps its line
    assert (start + 600, "10%→50%", "left") in labelled
    assert ("0%→…→10%") in [label for _, label, _ in labelled]  # four changes a minute apart: one label
    spans = []
    for t, label, align in labelled:
        col = (t - start) / (end - start) * 59
        spans.append((col + 1, col + 1 + len(label)) if align == "left" else (col - len(label), col))
    spans.sort()
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False)), spans


def test_a_label_at_the_right_edge_turns_left_and_far_apart_ones_stay_whole() -> None:
    start, end = 0.0, 1000.0
    out = stage_marks([(100.0, "0%→10% a"), (500.0, "10%→50% a"), (995.0, "50%→100% a")], start, end, 80)
    assert [(label, align) for _, label, align in out] == [("0%→10%", "left"), ("10%→50%", "left"), ("50%→100%", "right")]


def test_no_canary_line_where_the_canary_served_nothing() -> None:
    data = chart_data(40)
    empty = tuple(replace(s, low=(None,) * 40, high=(None,) * 40, last=(None,) * 40) if s.name.startswith("canary") else s for s in data.series)
    view = presenter.chart_view(ChartData(40, data.start_s, data.end_s, empty, ()), 1, thresholds=ThresholdTable.seed())
    assert view.series and not any(s.label.startswith("canary") for s in view.series)
    legend = plain(legend_markup(view, 200))
    assert "stable" in legend and "canary" not in legend


@pytest.mark.parametrize("width", [40, 46, 78, 100])
def test_the_legend_fits_and_pairs_each_marker_with_its_word(width: int) -> None:
    view = presenter.chart_view(chart_data(40), 1, thresholds=ThresholdTable.seed())
    legend = plain(legend_markup(view, width))
    assert len(legend) <= max(width, 41)  # the shortest form is what 40 columns get
    for sample in ("━canary", "━stable", "⠤P95", "•P99", "·P50", "─500", "─1000"):
        assert sample in legend.replace("━━ ", "━").replace("━ ", "━").replace("⠤⠒ ", "⠤").replace("•• ", "•").replace("·· ", "·").replace("── ", "─").replace("─ ", "─")


@pytest.mark.parametrize(
    "value,low_data,expected",
    [(None, False, "—"), (0.0, True, "—"), (1.0, True, "—"), (845.59, False, ">10×"), (0.04, False, "<0.1×"), (0.0, False, "canary none"), (1.42, False, "1.4×")],
)
def test_ratios_read_as_a_person_would_say_them(value: float | None, low_data: bool, expected: str) -> None:
    gate = GateResult("errors vs stable", GateStatus.HOLD, value, 1.5, "×", "evidence still accumulating", low_data=low_data)
    assert presenter.gate_line(gate).value_text == expected


def test_series_from_the_controller_keep_their_spikes() -> None:
    series = DataSeries("canary_p95_ms", (1.0, 2.0), (100.0, 120.0), (900.0, 130.0), (110.0, 125.0))
    view = presenter.chart_view(ChartData(2, 1.0, 2.0, (series,), ()), 3, thresholds=ThresholdTable.seed())
    assert view.series[0].values_ms == (900.0, 130.0)


def test_at_zero_percent_the_canary_has_no_current_figures_even_while_the_window_remembers_some() -> None:
    healthy = snapshot("healthy")
    at_zero = replace(healthy, heartbeat=replace(healthy.heartbeat, deployment=replace(healthy.heartbeat.deployment, canary_percent=0)))
    assert at_zero.window is not None and at_zero.window.canary_requests  # requests from before the rollback
    assert presenter.latency_view(at_zero).rows[0].note == "no traffic"
    errors = presenter.error_rate_view(at_zero)
    assert errors.judged == "all" and errors.canary_idle
