"""Reading the store for others: the current stage's counts (the judgment resumes from them), decisions and audit records.

Every function takes an open `HistoryStore` and raises `StoreUnavailable` on failure. Times are epoch
seconds on the watcher's clock (`observed_s`) or, for audit records, the record's own `time`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from canary_tui.core.evidence import WindowCounts
from canary_tui.core.resume import StoredStage
from canary_tui.store.history_store import HistoryStore, unavailable
from canary_tui.store.records import DECISION_COLUMNS, SLOW_COLUMNS, StoredDecision

_COUNTS = ("canary_requests", "canary_errors", "stable_requests", "stable_errors")


def _rows(store: HistoryStore, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
    """Run one read; any sqlite3 failure as StoreUnavailable."""
    try:
        return store.conn.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise unavailable(store.path, exc) from None


def last_stage(store: HistoryStore, target: str, *, window_s: float, slow_gate_ms: float) -> StoredStage | None:
    """The target's latest stored stage (same canary version and percent since the last row that differs),
    as counts per window of whole minutes (`window_s` rounded) — None when nothing is stored or the canary was at 0%.

    Slow counts are used only where they were taken at `slow_gate_ms` (the P95 bound in force now).
    Read from the per-minute summaries: a 72 h stage is ~4 300 minutes, not 259 200 rows.
    """
    last = _rows(store, "SELECT canary_version, canary_percent FROM beat WHERE target = ? ORDER BY observed_s DESC LIMIT 1", (target,))
    if not last or not last[0][1]:
        return None
    version, percent = str(last[0][0]), int(last[0][1])
    since_s = _stage_start(store, target, version, percent)
    slow = ", ".join(f"CASE WHEN slow_gate_ms = ? THEN {c} END" for c in SLOW_COLUMNS)
    columns = f"{', '.join(_COUNTS)}, {slow}"
    first = _rows(store, f"SELECT observed_s, server_s, {columns} FROM beat WHERE target = ? AND observed_s > ? ORDER BY observed_s LIMIT 1",
                  (*(slow_gate_ms,) * 4, target, since_s))
    if not first:
        return None
    first_s, first_minute_s = float(first[0][0]), int(first[0][1]) // 60 * 60
    minutes = _rows(store, f"SELECT last_observed_s, {columns} FROM beat_minute WHERE target = ? AND minute_s >= ? ORDER BY minute_s",
                    (*(slow_gate_ms,) * 4, target, first_minute_s))
    per_window = max(1, round(window_s / 60.0))
    ends = [row for i, row in enumerate(minutes) if (i + 1) % per_window == 0 or i == len(minutes) - 1]
    out: list[tuple[float, WindowCounts]] = []
    previous = first[0][2:]
    for row in ends:
        current = row[1:]
        out.append((float(row[0]), WindowCounts(*(_delta(a, b) or 0 for a, b in zip(previous[:4], current[:4], strict=True)),
                                                *(_delta(a, b) for a, b in zip(previous[4:], current[4:], strict=True)))))
        previous = current
    return StoredStage(version, percent, first_s, tuple(out))


def _stage_start(store: HistoryStore, target: str, version: str, percent: int) -> float:
    """When the last row of another version or percent was observed (the stage began after it); -1 when none is stored.

    The minute summaries find its minute; the rows of that minute, the row.
    """
    found = _rows(store, "SELECT max(minute_s) FROM beat_minute WHERE target = ? AND "
                         "(canary_version IS NOT ? OR canary_percent_min != ? OR canary_percent_max != ?)", (target, version, percent, percent))
    minute_s = found[0][0] if found else None
    if minute_s is None:
        return -1.0
    row = _rows(store, "SELECT max(observed_s) FROM beat WHERE target = ? AND server_s >= ? AND server_s < ? "
                       "AND (canary_version IS NOT ? OR canary_percent != ?)", (target, minute_s, minute_s + 60, version, percent))
    return float(row[0][0]) if row and row[0][0] is not None else float(minute_s + 59)


def _delta(before: object, after: object) -> int | None:
    """How much a cumulative counter grew (a counter that went down was reset: all of it is new); None when unknown."""
    if not isinstance(before, int) or not isinstance(after, int):
        return None
    return after - before if after >= before else after


def decisions(store: HistoryStore, target: str | None = None, since_s: float | None = None, until_s: float | None = None) -> list[StoredDecision]:
    """The stored verdict changes (state, judgment, gates) of one target or all, observed in [since, until], oldest first."""
    sql = f"SELECT {', '.join(DECISION_COLUMNS)} FROM decision WHERE observed_s >= ? AND observed_s <= ?"
    params: list[object] = [-1e18 if since_s is None else since_s, 1e18 if until_s is None else until_s]
    if target is not None:
        sql += " AND target = ?"
        params.append(target)
    return [StoredDecision(*row) for row in _rows(store, sql + " ORDER BY observed_s, server_s", tuple(params))]


def audit_records(store: HistoryStore, target: str | None = None, since_s: float | None = None, until_s: float | None = None,
                  action: str | None = None) -> list[dict[str, object]]:
    """The indexed audit records (each the JSON object as written) of one target or all, optionally one action,
    timed in [since, until], oldest first. Call `audit_index.catch_up` for the files first to include their newest lines."""
    sql = "SELECT record FROM audit WHERE coalesce(time_s, 0) >= ? AND coalesce(time_s, 0) <= ?"
    params: list[object] = [-1e18 if since_s is None else since_s, 1e18 if until_s is None else until_s]
    if target is not None:
        sql += " AND target = ?"
        params.append(target)
    if action is not None:
        sql += " AND action = ?"
        params.append(action)
    out = []
    for (text,) in _rows(store, sql + " ORDER BY time_s, source, byte_at", tuple(params)):
        value = json.loads(text)
        if isinstance(value, dict):
            out.append(value)
    return out
