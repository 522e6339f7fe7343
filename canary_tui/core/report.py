"""A release report: timeline, before/after figures on the thresholds in force, success rate, incident.

Pure: a `Release` (core/releases.py), the stored heartbeats around it and the threshold table in, one
plain dict out (its shape is docs/report-schema.json). Levels come from core/levels.py — a rate on
its Wilson interval, a latency on the order-statistic interval of the median per-poll value — so the
report judges the way the dashboard does, never from one poll.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from canary_tui.core.levels import LevelCall, interval_level, rate_level
from canary_tui.core.releases import Outcome, Release, parse_time, seconds_between, success_rate
from canary_tui.core.stats import quantile_rank_interval
from canary_tui.core.thresholds import Metric, ThresholdTable

SCHEMA_ID = "canary-tui/report/1"
#: how far before the first stage the stable's "before" figures are taken from
BEFORE_S = 1800.0
#: the rows of the before/after table, in order
ROWS: tuple[Metric, ...] = (Metric.P50_MS, Metric.P95_MS, Metric.P99_MS, Metric.ERROR_RATE, Metric.SUCCESS_RATE)
#: audit excerpt length in an incident report
EXCERPT_MAX = 30


class Beat(Protocol):
    """What the report reads of one stored heartbeat (the store's StoredBeat has these fields)."""

    @property
    def observed_s(self) -> float: ...
    @property
    def canary_percent(self) -> int: ...
    @property
    def requests(self) -> int: ...
    @property
    def errors(self) -> int: ...
    @property
    def canary_requests(self) -> int | None: ...
    @property
    def canary_errors(self) -> int | None: ...
    @property
    def p50_ms(self) -> float | None: ...
    @property
    def p95_ms(self) -> float | None: ...
    @property
    def p99_ms(self) -> float | None: ...
    @property
    def canary_p50_ms(self) -> float | None: ...
    @property
    def canary_p95_ms(self) -> float | None: ...
    @property
    def canary_p99_ms(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the before/after table: a span of heartbeats of one variant."""

    name: str
    start_s: float
    end_s: float
    variant: str  # "service" (stable before the ramp) or "canary"
    percent: int


def _delta_sum(values: Sequence[int | None]) -> int:
    """Events counted by a monotonic counter over consecutive samples (a drop is a restart: counted from zero)."""
    total, previous = 0, None
    for value in values:
        if value is None:
            continue
        if previous is not None:
            total += value - previous if value >= previous else value
        previous = value
    return total


#: fewer polls than this have no 95% order-statistic interval for their median (1 − 2·0.5ⁿ < 0.95): low data
MEDIAN_MIN_POLLS = 6


def _median_interval(values: Sequence[float]) -> tuple[float | None, tuple[float, float] | None]:
    """The median of per-poll values and its 95% order-statistic interval (None when too few polls to have one)."""
    if not values:
        return None, None
    if len(values) < MEDIAN_MIN_POLLS:
        return statistics.median(values), None
    ordered = sorted(values)
    low, high = quantile_rank_interval(len(ordered), 0.5)
    return statistics.median(ordered), (ordered[low - 1], ordered[high - 1])


def _cell(call: LevelCall, samples: int) -> dict[str, object]:
    """One figure as the schema's cell."""
    return {"value": call.point, "low": call.interval[0] if call.interval else None, "high": call.interval[1] if call.interval else None,
            "level": call.level.value, "low_data": call.low_data, "count": call.requests, "samples": samples}


def column_figures(beats: Sequence[Beat], variant: str, table: ThresholdTable) -> dict[str, dict[str, object]]:
    """P50/P95/P99, error and success rate of one variant over the beats, each with its interval and level."""
    prefix = "canary_" if variant == "canary" else ""
    use_split = variant == "canary" and any(b.canary_requests is not None for b in beats)
    requests = _delta_sum([(b.canary_requests if use_split else b.requests) for b in beats])
    errors = _delta_sum([(b.canary_errors if use_split else b.errors) for b in beats])
    out: dict[str, dict[str, object]] = {}
    for metric in (Metric.P50_MS, Metric.P95_MS, Metric.P99_MS):
        values = [v for b in beats if (v := getattr(b, f"{prefix}{metric.value}", None)) is not None]
        point, interval = _median_interval(values)
        out[metric.value] = _cell(interval_level(table.threshold(metric), point, interval, len(values)), len(beats))
    for metric in (Metric.ERROR_RATE, Metric.SUCCESS_RATE):
        out[metric.value] = _cell(rate_level(errors, requests, table.threshold(metric)), len(beats))
    return out


def columns_of(release: Release, now_s: float) -> list[Column]:
    """Stable before the first stage (up to BEFORE_S), then the canary during each stage entered."""
    first = parse_time(release.stages[0].entered) if release.stages else parse_time(release.started)
    start_s = first.timestamp() if first else now_s
    cols = [Column("stable before", start_s - BEFORE_S, start_s, "service", 0)]
    for stage in release.stages:
        entered, left = parse_time(stage.entered), parse_time(stage.left) if stage.left else None
        if entered is None:
            continue
        cols.append(Column(f"canary {stage.percent}%", entered.timestamp(), left.timestamp() if left else now_s, "canary", stage.percent))
    return cols


def comparison(release: Release, beats: Sequence[Beat], table: ThresholdTable, now_s: float) -> dict[str, object]:
    """The before/after table: each column's span and its figures on the thresholds in force."""
    columns = []
    for col in columns_of(release, now_s):
        span = [b for b in beats if col.start_s <= b.observed_s < col.end_s and b.canary_percent == col.percent]
        columns.append({"name": col.name, "variant": col.variant, "percent": col.percent, "from_s": col.start_s, "to_s": col.end_s,
                        "samples": len(span), "figures": column_figures(span, col.variant, table)})
    return {"rows": [m.value for m in ROWS], "columns": columns}


def thresholds_dict(table: ThresholdTable) -> dict[str, dict[str, object]]:
    """The table in force, as the report states it."""
    return {t.metric.value: {"warning": t.warning_from, "critical": t.critical_beyond, "higher_is_better": t.higher_is_better}
            for t in table.thresholds}


def timeline(release: Release) -> list[dict[str, object]]:
    """Each audited step of the release, oldest first, with a line a person reads."""
    out: list[dict[str, object]] = []
    for e in release.events:
        change = f"{e.from_percent}% → {e.to_percent}%" if e.from_percent != e.to_percent else f"at {e.to_percent}%"
        words = {"stage": f"stage {e.to_percent}% entered ({change})", "checkpoint": f"checkpoint {e.checkpoint_id}",
                 "rollback": f"rollback {change}"}.get(e.kind, f"{e.action} {change}")
        if e.override:
            words += " (override)"
        out.append({"time": e.time, "kind": e.kind, "actor": e.actor, "trigger": e.trigger, "text": words, "note": e.note})
    return out


def incident(release: Release, records: Sequence[Mapping[str, object]], title_version: str) -> dict[str, object] | None:
    """The incident of a rolled-back release: title, trigger, impact window, who acted, checkpoint, audit excerpt."""
    rollback = release.rollback
    if release.outcome != Outcome.ROLLED_BACK or rollback is None:
        return None
    start = release.stages[0].entered if release.stages else release.started  # traffic reached the canary from the first stage on
    end = release.ended or rollback.time
    excerpt = [dict(r) for r in records if release.started <= str(r.get("time", "")) <= end][-EXCERPT_MAX:]
    acted = sorted({e.actor for e in release.events})
    return {
        "title": f"[INCIDENT] Rollback from {title_version}",
        "trigger": rollback.trigger, "rolled_back_by": rollback.actor, "reason": rollback.note,
        "from_percent": rollback.from_percent, "at_trigger": rollback.at_trigger,
        "impact_window": {"from": start, "to": end, "seconds": seconds_between(start, end)},
        "acted": acted, "checkpoint_id": release.checkpoint_id, "audit_excerpt": excerpt,
    }


def build_report(
    release: Release, *, releases: Sequence[Release], records: Sequence[Mapping[str, object]], beats: Sequence[Beat],
    table: ThresholdTable, now_s: float, generated_at: str, success_last: int = 10, store_note: str | None = None,
) -> dict[str, object]:
    """The whole report as plain values (docs/report-schema.json)."""
    rate, completed, rolled_back = success_rate(releases, success_last)
    return {
        "schema": SCHEMA_ID,
        "target": release.target,
        "generated_at": generated_at,
        "release": release.to_dict(),
        "timeline": timeline(release),
        "thresholds": thresholds_dict(table),
        "comparison": comparison(release, beats, table, now_s),
        "history_note": store_note,
        "success_rate": {"last": success_last, "completed": completed, "rolled_back": rolled_back, "rate": rate},
        "incident": incident(release, records, release.canary_version),
    }
