"""The store's index of the JSON Lines audit logs: the logs stay the source of truth; the store catches up with them.

Each complete line of an audit file becomes one row keyed by (file, byte offset), so catching up twice,
or from two processes at once, indexes a record once. A torn last line (a write cut short) is left
until a newline ends it; a corrupt line is skipped. A file that shrank (replaced) is indexed afresh.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path

from canary_tui.store.history_store import HistoryStore, unavailable

_INSERT = ("INSERT OR IGNORE INTO audit (source, byte_at, target, time_s, action, outcome, actor, canary_version, record) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _time_s(value: object) -> float | None:
    """An audit record's ISO 8601 `time` as epoch seconds (None when missing or unreadable)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _text(record: dict[str, object], key: str) -> str | None:
    """A record's field when it is a string."""
    value = record.get(key)
    return value if isinstance(value, str) else None


def catch_up(store: HistoryStore, path: Path) -> int:
    """Index what `path` gained since it was last indexed (missing file: nothing); returns records added."""
    source = str(path.absolute())
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise unavailable(store.path, exc) from None
    conn = store.conn
    try:
        row = conn.execute("SELECT indexed_to FROM audit_source WHERE source = ?", (source,)).fetchone()
        if row is not None and row[0] == size:
            return 0  # the common case, without a write lock
        conn.execute("BEGIN IMMEDIATE")
        try:
            added = _index(conn, source, path, size)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except (sqlite3.Error, OSError) as exc:
        raise unavailable(store.path, exc) from None
    return added


def _index(conn: sqlite3.Connection, source: str, path: Path, size: int) -> int:
    """Inside the write transaction: read from where the index stopped to the last complete line, and index it."""
    row = conn.execute("SELECT indexed_to FROM audit_source WHERE source = ?", (source,)).fetchone()
    start = int(row[0]) if row is not None else 0
    if start > size:  # the file was replaced or truncated: index it afresh
        conn.execute("DELETE FROM audit WHERE source = ?", (source,))
        start = 0
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read()
    end = data.rfind(b"\n") + 1  # a torn last line waits for the newline that ends it
    added = 0
    at = start
    for line in data[:end].split(b"\n")[:-1]:
        line_at, at = at, at + len(line) + 1
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not isinstance(record, dict):
            continue
        target = _text(record, "target") or _text(record, "environment")
        cursor = conn.execute(_INSERT, (source, line_at, target, _time_s(record.get("time")), _text(record, "action"),
                                        _text(record, "outcome"), _text(record, "actor"), _text(record, "canary_version"),
                                        line.decode("utf-8")))
        added += cursor.rowcount
    conn.execute("INSERT INTO audit_source (source, indexed_to) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET indexed_to = excluded.indexed_to",
                 (source, start + end))
    return added
