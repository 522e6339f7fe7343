"""The embedded history store: one SQLite file in WAL mode shared by every dashboard and command on the machine.

Rows are keyed by (target, server second) and written with INSERT OR IGNORE, so two watchers
of one target record each heartbeat once. Each new row is merged into its minute's summary in
the same transaction (so the 72 h chart loads from ~4 000 minutes, not 259 200 rows); rows
older than their retention are deleted, minutes later. Every failure surfaces as
`StoreUnavailable` with one readable reason.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from canary_tui.store.records import BEAT_COLUMNS, COUNTER_COLUMNS, DECISION_COLUMNS, SLOW_COLUMNS, VALUE_COLUMNS, MinuteSummary, StoredBeat, StoredDecision
from canary_tui.store.schema import SchemaTooNew, migrate

#: how long a statement waits for another process's write lock before it counts as "busy"
BUSY_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Retention:
    """How long rows are kept: full resolution for `full_s`, then per minute until `minute_s`."""

    full_s: float = 72 * 3600.0
    minute_s: float = 90 * 86400.0


DEFAULT_RETENTION = Retention()


@dataclass(frozen=True, slots=True)
class Bucket:
    """Rows of one time bucket (observed time): first and last observation, and per expression its min, max and last value."""

    first_s: float
    last_s: float
    low: dict[str, float | None]
    high: dict[str, float | None]
    last: dict[str, float | None]


class StoreUnavailable(Exception):
    """The store cannot be used (corrupt, read-only, locked out, too new): `str()` is the one message to show."""

    def __init__(self, path: Path, reason: str, *, busy: bool = False) -> None:
        super().__init__(f"history store {path}: {reason}")
        self.path = path
        self.reason = reason
        self.busy = busy


def unavailable(path: Path, exc: BaseException) -> StoreUnavailable:
    """One readable reason for an sqlite3 or OS error (never a bare 'database is locked')."""
    if isinstance(exc, StoreUnavailable):
        return exc
    if isinstance(exc, SchemaTooNew):
        return StoreUnavailable(path, str(exc))
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StoreUnavailable(path, f"held by another process for over {BUSY_TIMEOUT_S:g} s", busy=True)
    if "readonly" in text or "read-only" in text:
        return StoreUnavailable(path, "read-only (check the file's and its directory's permissions)")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreUnavailable(path, "not a readable history store (corrupt?); move it aside to start a new one")
    if isinstance(exc, OSError):
        return StoreUnavailable(path, exc.strerror or type(exc).__name__)
    return StoreUnavailable(path, str(exc) or type(exc).__name__)


_INSERT_DECISION = f"INSERT OR IGNORE INTO decision ({', '.join(DECISION_COLUMNS)}) VALUES ({', '.join('?' * len(DECISION_COLUMNS))})"
_INSERT = f"INSERT OR IGNORE INTO beat ({', '.join(BEAT_COLUMNS)}) VALUES ({', '.join('?' * len(BEAT_COLUMNS))})"


def _merge_sql() -> str:
    """One new row merged into its minute's summary (created when it is the minute's first)."""
    names = ["target", "minute_s", "samples", "first_observed_s", "last_observed_s", "canary_version",
             "canary_percent_min", "canary_percent_max", *COUNTER_COLUMNS]
    merge = ["samples = samples + 1",
             "first_observed_s = min(first_observed_s, excluded.first_observed_s)",
             "last_observed_s = max(last_observed_s, excluded.last_observed_s)",
             "canary_version = coalesce(excluded.canary_version, canary_version)",
             "canary_percent_min = min(coalesce(canary_percent_min, excluded.canary_percent_min), excluded.canary_percent_min)",
             "canary_percent_max = max(coalesce(canary_percent_max, excluded.canary_percent_max), excluded.canary_percent_max)"]
    merge += [f"{c} = max(coalesce({c}, excluded.{c}), coalesce(excluded.{c}, {c}))" for c in (*COUNTER_COLUMNS, *SLOW_COLUMNS)]
    names += ["slow_gate_ms", *SLOW_COLUMNS]
    merge += ["slow_gate_ms = coalesce(excluded.slow_gate_ms, slow_gate_ms)"]
    for v in VALUE_COLUMNS:
        names += [f"{v}_min", f"{v}_max", f"{v}_sum", f"{v}_n"]
        merge += [
            f"{v}_min = min(coalesce({v}_min, excluded.{v}_min), coalesce(excluded.{v}_min, {v}_min))",
            f"{v}_max = max(coalesce({v}_max, excluded.{v}_max), coalesce(excluded.{v}_max, {v}_max))",
            f"{v}_sum = coalesce({v}_sum, 0) + coalesce(excluded.{v}_sum, 0)",
            f"{v}_n = {v}_n + excluded.{v}_n",
        ]
    return (f"INSERT INTO beat_minute ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
            f"ON CONFLICT (target, minute_s) DO UPDATE SET {', '.join(merge)}")


_MERGE = _merge_sql()


def _minute_row(beat: StoredBeat) -> tuple[object, ...]:
    """The merge's parameters for one row: a minute of one sample."""
    row: list[object] = [beat.target, beat.server_s // 60 * 60, 1, beat.observed_s, beat.observed_s, beat.canary_version,
                         beat.canary_percent, beat.canary_percent]
    row += [getattr(beat, c) for c in COUNTER_COLUMNS]
    row += [beat.slow_gate_ms, *(getattr(beat, c) for c in SLOW_COLUMNS)]
    for v in VALUE_COLUMNS:
        value = getattr(beat, v)
        row += [value, value, value, 0 if value is None else 1]
    return tuple(row)


class HistoryStore:
    """One connection to the store file (use one per thread); every method raises StoreUnavailable on failure."""

    def __init__(self, conn: sqlite3.Connection, path: Path, retention: Retention) -> None:
        self.conn = conn
        self.path = path
        self.retention = retention

    @classmethod
    def open(cls, path: Path, retention: Retention = DEFAULT_RETENTION, *, busy_timeout_s: float = BUSY_TIMEOUT_S, mode: str = "rwc") -> HistoryStore:
        """Open (creating the file and its directory when missing), switch to WAL and migrate to the current schema.

        `mode` is SQLite's URI open mode: "ro" opens read-only (what a file without write permission gives).
        """
        conn: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            uri = f"{path.absolute().as_uri()}?mode={mode}"
            conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise StoreUnavailable(path, f"cannot switch to WAL mode (journal mode {mode[0] if mode else '?'}); read-only?")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a process kill loses nothing committed; power loss at most the last commits
            migrate(conn)
        except (sqlite3.Error, OSError, SchemaTooNew, StoreUnavailable) as exc:
            if conn is not None:
                conn.close()
            raise unavailable(path, exc) from None
        return cls(conn, path, retention)

    def close(self) -> None:
        """Close the connection (a failure to close is of no interest to anyone)."""
        try:
            self.conn.close()
        except sqlite3.Error:
            pass

    # ------------------------------------------------------------------ writing

    def record(self, beats: Sequence[StoredBeat], *, prune: bool = False, decisions: Sequence[StoredDecision] = ()) -> int:
        """Insert beats and merge each new one into its minute, and the decisions, in one transaction (a key already
        there is kept: recorded once, counted once); returns beat rows added."""
        try:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                added = 0
                for beat in beats:
                    if conn.execute(_INSERT, _row(beat)).rowcount == 1:
                        conn.execute(_MERGE, _minute_row(beat))
                        added += 1
                for decision in decisions:
                    conn.execute(_INSERT_DECISION, tuple(getattr(decision, name) for name in DECISION_COLUMNS))
                if prune and beats:
                    self._prune(max(beat.server_s for beat in beats), {beat.target for beat in beats})
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise unavailable(self.path, exc) from None
        return added

    def prune(self, now_s: float) -> None:
        """Drop rows older than the full-resolution retention (their minutes stay) and minutes older than theirs."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self._prune(now_s)
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise unavailable(self.path, exc) from None

    def _prune(self, now_s: float, targets: set[str] | None = None) -> None:
        """The prune, inside the caller's transaction: of `targets` only (a range of the primary key each), else of all."""
        cutoff = int((now_s - self.retention.full_s) // 60 * 60)
        if targets is None:
            self.conn.execute("DELETE FROM beat WHERE server_s < ?", (cutoff,))
        else:
            self.conn.executemany("DELETE FROM beat WHERE target = ? AND server_s < ?", [(target, cutoff) for target in sorted(targets)])
        self.conn.execute("DELETE FROM beat_minute WHERE minute_s < ?", (int(now_s - self.retention.minute_s),))
        self.conn.execute("DELETE FROM decision WHERE server_s < ?", (int(now_s - self.retention.minute_s),))

    # ------------------------------------------------------------------ reading

    def beats(self, target: str, since_observed_s: float | None = None) -> list[StoredBeat]:
        """The target's full-resolution rows observed at or after `since_observed_s`, oldest first."""
        sql = f"SELECT {', '.join(BEAT_COLUMNS)} FROM beat WHERE target = ? AND observed_s >= ? ORDER BY server_s"
        try:
            rows = self.conn.execute(sql, (target, -1e18 if since_observed_s is None else since_observed_s)).fetchall()
        except sqlite3.Error as exc:
            raise unavailable(self.path, exc) from None
        return [_beat(row) for row in rows]

    def buckets(self, target: str, since_observed_s: float, bucket_s: float, expressions: Mapping[str, str]) -> list[Bucket]:
        """The target's rows from `since_observed_s` summed up per `bucket_s` of observed time, oldest first, computed in SQLite.

        `expressions` maps a name to an SQL expression over the beat's columns (the caller's own constants, never user input).
        """
        names = list(expressions)
        aggregates = ", ".join(f"min({expressions[n]}) AS low{i}, max({expressions[n]}) AS high{i}" for i, n in enumerate(names))
        lasts = ", ".join(expressions[n] for n in names)  # bare columns: the joined row, the bucket's newest (a primary-key look-up)
        sql = (f"WITH agg AS (SELECT CAST(observed_s / ? AS INTEGER) AS bucket, min(observed_s) AS t0, max(observed_s) AS t1, max(server_s) AS newest, {aggregates} "
               f"FROM beat WHERE target = ? AND observed_s >= ? GROUP BY bucket) "
               f"SELECT agg.*, {lasts} FROM agg JOIN beat ON beat.target = ? AND beat.server_s = agg.newest ORDER BY agg.bucket")
        try:
            rows = self.conn.execute(sql, (bucket_s, target, since_observed_s, target)).fetchall()
        except sqlite3.Error as exc:
            raise unavailable(self.path, exc) from None
        out: list[Bucket] = []
        count = len(names)
        for row in rows:
            pairs = row[4:4 + 2 * count]
            out.append(Bucket(row[1], row[2], dict(zip(names, pairs[0::2], strict=True)), dict(zip(names, pairs[1::2], strict=True)),
                              dict(zip(names, row[4 + 2 * count:], strict=True))))
        return out

    def minute_buckets(self, target: str, since_observed_s: float, bucket_s: float, columns: Mapping[str, tuple[str, str | None]]) -> list[Bucket]:
        """Like `buckets`, from the per-minute summaries (no full-resolution row is read): per name its min, max and mean.

        `columns` maps a name to (a VALUE_COLUMNS column or "canary_percent", an SQL condition over the minute's columns
        that must hold for its values to count, or None); the caller's own constants, never user input.
        """
        parts = []
        for column, condition in columns.values():
            if column == "canary_percent":
                parts.append("min(canary_percent_min), max(canary_percent_max), max(canary_percent_max)")
                continue
            if column not in VALUE_COLUMNS:
                raise ValueError(column)
            low, high, total, n = (f"CASE WHEN {condition} THEN {column}{suffix} END" if condition else f"{column}{suffix}"
                                   for suffix in ("_min", "_max", "_sum", "_n"))
            parts.append(f"min({low}), max({high}), sum({total}) / sum({n})")
        sql = (f"SELECT CAST(last_observed_s / ? AS INTEGER) AS bucket, min(first_observed_s), max(last_observed_s), {', '.join(parts)} "
               f"FROM beat_minute WHERE target = ? AND last_observed_s >= ? GROUP BY bucket ORDER BY bucket")
        try:
            rows = self.conn.execute(sql, (bucket_s, target, since_observed_s)).fetchall()
        except sqlite3.Error as exc:
            raise unavailable(self.path, exc) from None
        names = list(columns)
        return [Bucket(row[1], row[2], dict(zip(names, row[3::3], strict=True)), dict(zip(names, row[4::3], strict=True)),
                       dict(zip(names, row[5::3], strict=True))) for row in rows]

    def first_observed(self, target: str, since_observed_s: float) -> float | None:
        """When the target's oldest row from `since_observed_s` on was observed, None when there is none."""
        try:
            row = self.conn.execute("SELECT min(observed_s) FROM beat WHERE target = ? AND observed_s >= ?", (target, since_observed_s)).fetchone()
        except sqlite3.Error as exc:
            raise unavailable(self.path, exc) from None
        return None if row is None or row[0] is None else float(row[0])

    def changes(self, target: str, since_observed_s: float, until_observed_s: float | None = None,
                column: str = "canary_percent") -> list[tuple[float, object, object]]:
        """(observed time, old, new) wherever `column` (a beat column) changed between consecutive rows observed in [since, until]."""
        if column not in BEAT_COLUMNS:
            raise ValueError(column)
        sql = (f"SELECT observed_s, prev, {column} FROM (SELECT observed_s, {column}, lag({column}) OVER (ORDER BY observed_s) AS prev "
               f"FROM beat WHERE target = ? AND observed_s >= ? AND observed_s <= ?) WHERE prev IS NOT NULL AND prev IS NOT {column}")
        try:
            rows = self.conn.execute(sql, (target, since_observed_s, 1e18 if until_observed_s is None else until_observed_s)).fetchall()
        except sqlite3.Error as exc:
            raise unavailable(self.path, exc) from None
        return [(float(row[0]), row[1], row[2]) for row in rows]

    def minutes(self, target: str, since_s: int = 0) -> list[MinuteSummary]:
        """The target's per-minute summaries from `since_s` on, oldest first."""
        names = ["minute_s", "samples", "canary_version", "canary_percent_max", *COUNTER_COLUMNS]
        for v in VALUE_COLUMNS:
            names += [f"{v}_min", f"{v}_max", f"{v}_sum", f"{v}_n"]
        sql = f"SELECT {', '.join(names)} FROM beat_minute WHERE target = ? AND minute_s >= ? ORDER BY minute_s"
        try:
            rows = self.conn.execute(sql, (target, since_s)).fetchall()
        except sqlite3.Error as exc:
            raise unavailable(self.path, exc) from None
        out = []
        for row in rows:
            counters = dict(zip(COUNTER_COLUMNS, row[4:4 + len(COUNTER_COLUMNS)], strict=True))
            values: dict[str, tuple[float | None, float | None, float | None]] = {}
            base = 4 + len(COUNTER_COLUMNS)
            for i, v in enumerate(VALUE_COLUMNS):
                low, high, total, n = row[base + 4 * i: base + 4 * i + 4]
                values[v] = (low, high, total / n if n else None)
            out.append(MinuteSummary(target, row[0], row[1], row[2], row[3], counters, values))
        return out

    def count(self, table: str = "beat") -> int:
        """Rows in `beat`, `beat_minute`, `decision` or `audit` (for tests and `locate`-style summaries)."""
        if table not in ("beat", "beat_minute", "decision", "audit"):
            raise ValueError(table)
        try:
            return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        except sqlite3.Error as exc:
            raise unavailable(self.path, exc) from None


def _row(beat: StoredBeat) -> tuple[object, ...]:
    """A StoredBeat as the insert's parameters."""
    return tuple(getattr(beat, name) for name in BEAT_COLUMNS)


def _beat(row: Iterable[object]) -> StoredBeat:
    """A selected row as a StoredBeat (booleans restored)."""
    values = dict(zip(BEAT_COLUMNS, row, strict=True))
    values["paused"] = bool(values["paused"])
    values["verified"] = bool(values["verified"])
    return StoredBeat(**values)  # type: ignore[arg-type]
