"""The store on its own: schema and migration, newer schemas refused untouched, corrupt and read-only files, fold and prune."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from store_helpers import beat

from canary_tui.store import MIGRATIONS, SCHEMA_VERSION, HistoryStore, Retention, StoreUnavailable
from canary_tui.store.schema import migrate, read_version


def test_a_new_store_is_wal_at_the_current_version_and_round_trips_a_beat(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "deep" / "h.sqlite3")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert read_version(store.conn) == SCHEMA_VERSION
    original = beat(1_000)
    assert store.record([original]) == 1
    assert store.beats("staging") == [original]
    assert store.beats("other") == []
    store.close()


def test_the_same_heartbeat_is_kept_once(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.sqlite3")
    assert store.record([beat(1), beat(2)]) == 2
    assert store.record([beat(2), beat(3)]) == 1  # (target, server second) already there: ignored
    assert store.record([beat(3, target="prod")]) == 1  # another target is another row
    assert store.count() == 4


def test_an_older_schema_is_migrated_in_place_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:1]) == 1  # a file as version 1 left it: no per-minute table
    conn.close()
    old = HistoryStore.open(path, Retention(full_s=60.0))  # opening migrates
    assert read_version(old.conn) == SCHEMA_VERSION
    old.record([beat(s) for s in range(300)])
    old.prune(300)
    assert old.count("beat_minute") > 0 and len(old.beats("staging")) < 300


def test_an_unknown_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore.open(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 5,))
    conn.execute("CREATE TABLE from_the_future (x)")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreUnavailable) as info:
        HistoryStore.open(path)
    assert f"schema version {SCHEMA_VERSION + 5} is newer" in str(info.value) and "untouched" in str(info.value)
    assert path.read_bytes() == before


def test_a_corrupt_file_gives_one_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database\n" * 500)
    with pytest.raises(StoreUnavailable) as info:
        HistoryStore.open(path)
    assert str(info.value) == f"history store {path}: not a readable history store (corrupt?); move it aside to start a new one"


def test_a_read_only_store_is_read_but_a_write_says_read_only(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    writable = HistoryStore.open(path)
    writable.record([beat(5)])
    writable.close()
    store = HistoryStore.open(path, mode="ro")  # what SQLite gives for a file without write permission
    assert [b.server_s for b in store.beats("staging")] == [5]
    with pytest.raises(StoreUnavailable) as info:
        store.record([beat(6)])
    assert "read-only" in str(info.value) and "locked" not in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file permissions")
def test_a_file_without_write_permission(tmp_path: Path) -> None:  # pragma: no cover - CI runs as root
    path = tmp_path / "h.sqlite3"
    HistoryStore.open(path).close()
    os.chmod(path, 0o444)
    os.chmod(tmp_path, 0o555)
    try:
        with pytest.raises(StoreUnavailable):
            HistoryStore.open(path).record([beat(1)])
    finally:
        os.chmod(tmp_path, 0o755)


def test_a_store_held_by_another_writer_reports_busy_not_database_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    store = HistoryStore.open(path, busy_timeout_s=0.05)
    with pytest.raises(StoreUnavailable) as info:
        store.record([beat(1)])
    holder.execute("ROLLBACK")
    assert info.value.busy and "database is locked" not in str(info.value)
    assert store.record([beat(1)]) == 1  # free again: the same rows go in


def test_minutes_are_kept_as_rows_are_written_and_outlive_the_pruned_rows(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.sqlite3", Retention(full_s=600.0, minute_s=3600.0))
    store.record([beat(s, p95_ms=float(s % 60)) for s in range(7200)])  # two hours at 1 Hz
    store.prune(7200)
    kept = store.beats("staging")
    cutoff = (7200 - 600) // 60 * 60
    assert kept[0].server_s == cutoff and len(kept) == 7200 - cutoff
    minutes = store.minutes("staging")
    assert [m.minute_s for m in minutes] == list(range(3600, 7200, 60))  # older than an hour: gone; the rest outlive their rows
    first = minutes[0]
    assert first.samples == 60
    assert first.values["p95_ms"] == (0.0, 59.0, 29.5)  # min, max, mean over the minute
    assert first.counters["requests"] == 10 * (3600 + 59)  # the minute's last counter
    store.record([beat(7000)])  # a heartbeat already kept: its minute does not count it twice
    store.prune(7200)  # idempotent
    assert store.minutes("staging") == minutes


def test_a_late_row_merges_into_its_minute(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.sqlite3", Retention(full_s=60.0))
    store.record([beat(s, p95_ms=10.0) for s in range(30)])
    store.prune(600)
    store.record([beat(45, p95_ms=90.0)])  # another watcher's row for the same minute, after the fold
    store.prune(600)
    [minute] = store.minutes("staging")
    assert minute.samples == 31 and minute.values["p95_ms"][:2] == (10.0, 90.0)


def test_a_summary_appended_at_once_is_the_three_appends_it_stands_for() -> None:
    from canary_tui.core.history import History

    fields = ("p95_ms", "error_rate")
    one, three = History(fields, 3600.0, 5.0), History(fields, 3600.0, 5.0)
    for k in range(200):
        t_s = 1_800_000_000.0 + 13.0 * k
        low = {"p95_ms": 100.0 + k % 7, "error_rate": None if k % 5 == 0 else 0.01}
        high = {"p95_ms": 300.0 - k % 11, "error_rate": float("nan") if k % 5 == 0 else 0.02}
        last = {"p95_ms": 150.0 + k % 3, "error_rate": None if k % 5 == 0 else 0.015}
        one.append_summary(t_s, low, high, last)
        for values in (low, high, last):
            three.append(t_s, values)
    for field in fields:
        for columns in (7, 40, 300):
            assert one.downsample(field, columns) == three.downsample(field, columns), (field, columns)
    assert one.latest("p95_ms") == three.latest("p95_ms") and len(one) == len(three)


def test_a_write_prunes_the_rows_of_its_own_targets_past_their_retention(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.sqlite3", Retention(full_s=600.0, minute_s=86400.0))
    store.record([beat(s, target=t) for t in ("a", "b") for s in range(0, 120, 10)])
    store.record([beat(3600, target="a")], prune=True)
    assert [b.server_s for b in store.beats("a")] == [3600]  # a's old rows went, their minutes stay
    assert len(store.beats("b")) == 12 and len(store.minutes("a")) == 3
