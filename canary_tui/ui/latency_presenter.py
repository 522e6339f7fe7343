"""Snapshot and chart data → the latency pane's views: the percentile readout, the chart, its lines and marks.

Every number the pane compares against comes from the snapshot's threshold table (config
overrides applied) or the seed's trigger in core; none is written here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from canary_tui.controller.model import Snapshot
from canary_tui.core.levels import LevelCall, quantile_level
from canary_tui.core.rates import Rates
from canary_tui.core.samples import LatencyBuckets, VariantMetrics
from canary_tui.core.seed import SEED_TRIP_P95_MS
from canary_tui.core.thresholds import Level, Metric, ThresholdTable
from canary_tui.ui.widgets.view_models import (
    Badge,
    ChartSeries,
    ChartView,
    LatencyFigure,
    LatencyRow,
    LatencyView,
    ReferenceLine,
)

#: the percentiles the readout shows, with their quantile and the table's metric
PERCENTILES: tuple[tuple[str, float, Metric], ...] = (
    ("P50", 0.50, Metric.P50_MS),
    ("P95", 0.95, Metric.P95_MS),
    ("P99", 0.99, Metric.P99_MS),
)

LOW_DATA = "low data"
NO_TRAFFIC = "no traffic"


def level_badge(call: LevelCall | None) -> Badge:
    """A level call as glyph + word; an undecided call says 'low data' rather than guess."""
    if call is None:
        return Badge("unknown", Level.UNKNOWN.glyph, "unknown")
    if call.level is Level.UNKNOWN:
        return Badge("unknown", Level.UNKNOWN.glyph, LOW_DATA if call.low_data else "unknown")
    return Badge(call.level.value, call.level.glyph, call.level.word)


def worst_badge(badges: list[Badge]) -> Badge:
    """The most severe of several badges (healthy < unknown/low data < warning < critical)."""
    return max(badges, key=lambda b: Level(b.level).severity, default=Badge("unknown", Level.UNKNOWN.glyph, "unknown"))


def ms_figure(value_ms: float | None) -> str:
    """A percentile without its unit (the pane says ms once): '31', '4.2', '1.2k'; '—' when unknown."""
    if value_ms is None:
        return "—"
    if value_ms >= 10_000:
        return f"{value_ms / 1000:.0f}k"
    if value_ms >= 1000:
        return f"{value_ms / 1000:.1f}k"
    return f"{value_ms:.0f}" if value_ms >= 10 else f"{value_ms:.1f}"


def _variant_counts(window: Rates | None, variant: str) -> int | None:
    """Requests the variant served over the window (None when the window or the split is unknown)."""
    if window is None:
        return None
    if variant == "all":
        return window.requests
    return getattr(window, f"{variant}_requests")


def _slower_than(buckets: LatencyBuckets | None, requests: int) -> Callable[[float], int | None]:
    """How many of the window's requests were slower than a bound (None without a histogram edge on it)."""
    return lambda ms: None if buckets is None else buckets.slower_than(ms, requests)


def latency_row(variant: str, metrics: Any, requests: int | None, buckets: LatencyBuckets | None, table: ThresholdTable) -> LatencyRow:
    """One variant's percentiles with their levels, judged on the window's slow counts (never the point alone)."""
    if requests == 0:
        figures = tuple(LatencyFigure(label, "—", "unknown", Level.UNKNOWN.glyph, low_data=True) for label, _, _ in PERCENTILES)
        return LatencyRow(variant, figures, Badge("unknown", Level.UNKNOWN.glyph, NO_TRAFFIC), note=NO_TRAFFIC)
    figures_list: list[LatencyFigure] = []
    badges: list[Badge] = []
    for label, quantile, metric in PERCENTILES:
        point_ms = getattr(metrics, f"{label.lower()}_ms", None) if metrics is not None else None
        call = quantile_level(quantile, requests or 0, _slower_than(buckets, requests or 0), table.threshold(metric), point_ms)
        badge = level_badge(call)
        badges.append(badge)
        figures_list.append(LatencyFigure(label, ms_figure(point_ms), badge.level, badge.glyph, low_data=call.low_data))
    return LatencyRow(variant, tuple(figures_list), worst_badge(badges))


def canary_idle(snapshot: Snapshot) -> bool:
    """The canary serves no traffic now (0%): its figures are left over from before, not shown as current."""
    deployment = snapshot.deployment or (snapshot.heartbeat.deployment if snapshot.heartbeat is not None else None)
    return deployment is not None and deployment.canary_percent == 0


def latency_view(snapshot: Snapshot) -> LatencyView:
    """The readout: canary and stable (or the whole service without a split), current percentiles and levels."""
    hb = snapshot.heartbeat
    window = snapshot.window
    buckets = snapshot.window_latency
    table = snapshot.thresholds
    window_s = window.interval_s if window is not None else 0.0
    stale = snapshot.connection.degraded
    if hb is None:
        return LatencyView(rows=(), window_s=window_s, stale=stale)
    metrics = hb.metrics
    split = metrics.canary is not None and metrics.stable is not None
    rows: list[LatencyRow] = []
    if split:
        for variant in ("canary", "stable"):
            vm: VariantMetrics | None = getattr(metrics, variant)
            requests = 0 if variant == "canary" and canary_idle(snapshot) else _variant_counts(window, variant)
            rows.append(latency_row(variant, vm, requests, getattr(buckets, variant, None) if buckets else None, table))
    else:
        rows.append(latency_row("all", metrics, _variant_counts(window, "all"), buckets.service if buckets else None, table))
    return LatencyView(rows=tuple(rows), window_s=window_s, stale=stale)


# ---- chart -----------------------------------------------------------------------------------

#: latency series the chart prefers, split by variant; the whole-service ones are the fallback
VARIANT_SERIES = ("canary_p50_ms", "canary_p95_ms", "canary_p99_ms", "stable_p50_ms", "stable_p95_ms", "stable_p99_ms")
SERVICE_SERIES = ("p50_ms", "p95_ms", "p99_ms")
#: the chart draws the first of these groups that holds data: the dashboard asks the controller for no other series
CHART_SERIES_CHOICES = (VARIANT_SERIES, SERVICE_SERIES)


def chart_series_names(data: Any) -> list[str]:
    """The series of `data` (ChartData) the chart draws: the first group of CHART_SERIES_CHOICES with data, in order."""
    filled = {s.name for s in getattr(data, "series", ()) if not s.empty}
    for group in CHART_SERIES_CHOICES:
        names = [name for name in group if name in filled]
        if names:
            return names
    return []


def reference_lines(table: ThresholdTable | None) -> tuple[ReferenceLine, ...]:
    """The chart's horizontal lines: P95's warning line from the table in force (none known: none drawn), and the seed's rollback trigger."""
    lines = []
    warn_ms = table.threshold(Metric.P95_MS).warning_from if table is not None else None
    if warn_ms is not None:
        lines.append(ReferenceLine(warn_ms, "chart-line-warn", "P95 warning"))
    if SEED_TRIP_P95_MS != warn_ms:
        lines.append(ReferenceLine(SEED_TRIP_P95_MS, "chart-line-critical", "P95 rollback"))
    return tuple(lines)


def _series_label(name: str) -> str:
    """'canary_p95_ms' → 'canary P95'."""
    parts = [p for p in name.split("_") if p != "ms"]
    return " ".join(p.upper() if p.startswith("p") and p[1:].isdigit() else p for p in parts)


def _colour_for(name: str) -> str:
    """Theme variable for a series: canary and stable told apart."""
    return "chart-stable" if name.startswith("stable") else "chart-canary"


def _stage_label(raw: str) -> tuple[str, str]:
    """('10%', '50%') from a history mark '10%→50% alice'; ('', first word) when it is not a percent change."""
    head = str(raw).split(" ")[0]
    if "→" in head:
        before, _, after = head.partition("→")
        return before, after
    return "", head[:9]


def _group_label(parts: list[tuple[str, str]]) -> str:
    """'10%→50%' for one change, '10%→…→0%' for several close together."""
    first_from, first_to = parts[0]
    last_to = parts[-1][1]
    if not first_from:
        return first_to if len(parts) == 1 else f"{first_to}…{last_to}"
    return f"{first_from}→{first_to}" if len(parts) == 1 else f"{first_from}→…→{last_to}"


def _span(col: float, length: int, columns: int) -> tuple[float, float, str]:
    """Where a label drawn at a mark sits: right of the line, or left of it near the right edge."""
    if col + 1 + length <= columns:
        return col + 1, col + 1 + length, "left"
    return col - length, col, "right"


def stage_marks(
    marks: tuple[tuple[float, str], ...] | list[tuple[float, str]], start_s: float | None, end_s: float | None, columns: int
) -> tuple[tuple[float, str, str], ...]:
    """Stage changes as (time, label, alignment) whose labels never overlap on a chart `columns` cells wide.

    Changes closer than their label merge into one ('10%→…→0%'); a label that still collides is
    shortened to where the ramp went ('→0%'), then left out (the line stays).
    """
    if start_s is None or end_s is None or not marks:
        return ()
    span_s = max(end_s - start_s, 1e-9)
    cells = max(columns, 2)
    inside = sorted((float(t), str(label)) for t, label in marks if start_s <= float(t) <= end_s)

    def col_of(t_s: float) -> float:
        return (t_s - start_s) / span_s * (cells - 1)

    groups: list[list[tuple[float, str]]] = []
    for t_s, raw in inside:
        if groups:
            group = groups[-1]
            label = _group_label([_stage_label(r) for _, r in group])
            low, high, _ = _span(col_of(group[0][0]), len(label), cells)
            if col_of(t_s) <= high + 1:
                group.append((t_s, raw))
                continue
        groups.append([(t_s, raw)])
    out: list[tuple[float, str, str]] = []
    taken_until = float("-inf")
    for index, group in enumerate(groups):
        parts = [_stage_label(r) for _, r in group]
        col = col_of(group[0][0])
        next_col = col_of(groups[index + 1][0][0]) if index + 1 < len(groups) else float("inf")
        chosen = ("", "left")
        for label in (_group_label(parts), f"→{parts[-1][1]}" if parts[-1][0] else ""):
            if not label:
                continue
            low, high, align = _span(col, len(label), cells)
            if low > taken_until and high < next_col:
                chosen = (label, align)
                taken_until = high
                break
        out.append((group[0][0], chosen[0], chosen[1]))
        out.extend((t_s, "", "left") for t_s, _ in group[1:])
    return tuple(out)


def chart_view(data: Any, version: int, *, thresholds: ThresholdTable | None = None) -> ChartView:
    """Controller ChartData (already downsampled to the chart width) → ChartView.

    Uses each column's maximum for latency so that short spikes survive downsampling. Where the canary
    served no traffic the controller records no canary figures, so no canary line is drawn there.
    """
    lines = reference_lines(thresholds)
    if data is None or not getattr(data, "series", ()):
        return ChartView(start_s=None, end_s=None, series=(), stage_marks=(), lines=lines, version=version)
    by_name = {s.name: s for s in data.series}
    names = chart_series_names(data)
    series = tuple(
        ChartSeries(
            label=_series_label(name),
            colour_variable=_colour_for(name),
            times_s=tuple(by_name[name].t_s),
            values_ms=tuple(by_name[name].high),
        )
        for name in names
    )
    filled = [t for s in series for t, v in zip(s.times_s, s.values_ms, strict=True) if v is not None]
    end_s = data.end_s
    if filled and end_s is not None:
        end_s = min(end_s, max(filled) + 1.0)  # young history: no empty right half
    marks = stage_marks(tuple(data.marks or ()), data.start_s, end_s, int(getattr(data, "columns", 0) or 0))
    return ChartView(start_s=data.start_s, end_s=end_s, series=series, stage_marks=marks, lines=lines, version=version)
