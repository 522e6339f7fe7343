"""The store's schema as a list of migrations: version N is the first N steps; an older file is migrated in place.

A file whose version is newer than the steps known here is refused untouched (a newer canary-tui wrote it).
"""

from __future__ import annotations

import sqlite3

from canary_tui.store.records import BEAT_COLUMNS, COUNTER_COLUMNS, SLOW_COLUMNS, VALUE_COLUMNS

_TEXT = {"target", "canary_version", "stable_version"}
_INTEGER = {"server_s", "canary_percent", "paused", "verified", *COUNTER_COLUMNS, *SLOW_COLUMNS}
#: columns added by version 3 (version 1 created the others)
_V3_COLUMNS = ("slow_gate_ms", *SLOW_COLUMNS)


def _kind(name: str) -> str:
    """A beat column's SQL type."""
    return "TEXT" if name in _TEXT else "INTEGER" if name in _INTEGER else "REAL"


def _beat_table() -> str:
    """Version 1: every observed heartbeat at full resolution, one row per (target, server second)."""
    columns = []
    for name in BEAT_COLUMNS:
        if name in _V3_COLUMNS:
            continue
        not_null = " NOT NULL" if name in ("target", "server_s", "observed_s") else ""
        columns.append(f"{name} {_kind(name)}{not_null}")
    return f"CREATE TABLE beat ({', '.join(columns)}, PRIMARY KEY (target, server_s)) WITHOUT ROWID"


def _minute_table() -> str:
    """Version 2: per-minute summaries of every row, kept as rows are written and for longer than the rows themselves."""
    columns = ["target TEXT NOT NULL", "minute_s INTEGER NOT NULL", "samples INTEGER NOT NULL",
               "first_observed_s REAL", "last_observed_s REAL", "canary_version TEXT", "canary_percent_min INTEGER", "canary_percent_max INTEGER"]
    columns += [f"{name} INTEGER" for name in COUNTER_COLUMNS]
    for name in VALUE_COLUMNS:
        columns += [f"{name}_min REAL", f"{name}_max REAL", f"{name}_sum REAL", f"{name}_n INTEGER NOT NULL DEFAULT 0"]
    return f"CREATE TABLE beat_minute ({', '.join(columns)}, PRIMARY KEY (target, minute_s)) WITHOUT ROWID"


def _decision_table() -> str:
    """Version 4: the controller's decision and gate results, one row per change (not per poll)."""
    return ("CREATE TABLE decision (target TEXT NOT NULL, server_s INTEGER NOT NULL, observed_s REAL NOT NULL, canary_version TEXT, "
            "canary_percent INTEGER, state TEXT, decision TEXT, reason TEXT, gates TEXT, change TEXT NOT NULL, "
            "PRIMARY KEY (target, server_s, change)) WITHOUT ROWID")


def _audit_table() -> str:
    """Version 5: an index of the JSON Lines audit logs (the logs stay the source of truth), one row per record."""
    return ("CREATE TABLE audit (source TEXT NOT NULL, byte_at INTEGER NOT NULL, target TEXT, time_s REAL, action TEXT, outcome TEXT, "
            "actor TEXT, canary_version TEXT, record TEXT NOT NULL, PRIMARY KEY (source, byte_at)) WITHOUT ROWID")


def _audit_source_table() -> str:
    """Version 5: how far each audit file has been indexed (bytes), so catching up reads only what is new."""
    return "CREATE TABLE audit_source (source TEXT PRIMARY KEY, indexed_to INTEGER NOT NULL) WITHOUT ROWID"


#: step i brings a file from version i to version i + 1
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (_beat_table(), "CREATE INDEX beat_observed ON beat (target, observed_s)"),
    (_minute_table(),),
    # slow counts, per row and per minute: the judgment resumes from them
    tuple(f"ALTER TABLE {table} ADD COLUMN {name} {_kind(name)}" for table in ("beat", "beat_minute") for name in _V3_COLUMNS),
    (_decision_table(), "CREATE INDEX decision_time ON decision (target, observed_s)"),
    (_audit_table(), "CREATE INDEX audit_time ON audit (target, time_s)", _audit_source_table()),
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The file was written by a newer canary-tui: left untouched."""

    def __init__(self, found: int) -> None:
        super().__init__(f"its schema version {found} is newer than this canary-tui knows ({SCHEMA_VERSION}); it was left untouched")
        self.found = found


def read_version(conn: sqlite3.Connection) -> int:
    """The file's schema version, 0 for a new (empty) file."""
    has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not has_table:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, steps: tuple[tuple[str, ...], ...] = MIGRATIONS) -> int:
    """Bring the file to len(steps) in one write transaction (another process may be doing the same); returns the version."""
    version = read_version(conn)  # a cheap look first: a current file takes no write lock
    if version == len(steps):
        return version
    if version > len(steps):
        raise SchemaTooNew(version)
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = read_version(conn)
        if version > len(steps):
            raise SchemaTooNew(version)
        if version == 0:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        for step in steps[version:]:
            for statement in step:
                conn.execute(statement)
        if version < len(steps):
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (len(steps),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(steps)
