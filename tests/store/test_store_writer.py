"""The writer thread: batches off the caller's thread, keeps rows while the store is held by another process, stops for good on failure."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from store_helpers import beat

from canary_tui.store import HistoryStore, StoreWriter


def _problems(writer: StoreWriter) -> list[str]:
    out = []
    while not writer.problems.empty():
        out.append(writer.problems.get_nowait())
    return out


def test_rows_are_committed_in_batches_and_flush_waits_for_them(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    writer = StoreWriter(path, batch_s=0.01)
    for s in range(500):
        writer.put(beat(s))
    assert writer.flush(10.0)
    assert writer.written == 500 and HistoryStore.open(path).count() == 500
    writer.close()
    assert _problems(writer) == []


def test_a_store_held_by_another_process_keeps_the_rows_and_writes_them_when_free(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    writer = StoreWriter(path, batch_s=0.0, busy_timeout_s=0.05)
    for s in range(10):
        writer.put(beat(s))
    assert writer.flush(10.0)
    [held] = _problems(writer)
    assert "held by another process" in held and "rows are kept" in held and "database is locked" not in held
    holder.execute("ROLLBACK")
    holder.close()
    writer.put(beat(10))
    assert writer.flush(10.0)
    assert HistoryStore.open(path).count() == 11  # nothing lost
    assert ["free again" in p for p in _problems(writer)] == [True]
    writer.close()


def test_a_store_that_cannot_be_opened_stops_recording_with_one_message(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    writer = StoreWriter(tmp_path / "a-file" / "h.sqlite3", batch_s=0.0)
    for s in range(3):
        writer.put(beat(s))
        assert writer.flush(10.0)
    assert writer.failed is not None
    [message] = _problems(writer)
    assert message.endswith("history is no longer recorded")
    writer.close()


def test_a_process_that_exits_without_closing_still_commits_its_last_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    code = ("import sys; sys.path.insert(0, sys.argv[2]); from pathlib import Path; from store_helpers import beat; "
            "from canary_tui.store import StoreWriter; w = StoreWriter(Path(sys.argv[1]), batch_s=5.0); [w.put(beat(s)) for s in range(7)]")
    done = subprocess.run([sys.executable, "-c", code, str(path), str(Path(__file__).parent)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert HistoryStore.open(path).count() == 7  # the 5 s batch window was cut short by the exit, not dropped
