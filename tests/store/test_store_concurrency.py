"""Several processes on one store: two writers of one target record each heartbeat once; kill -9 mid-write never damages it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from store_helpers import beat
from store_worker import BATCH, LOOP_RETENTION

from canary_tui.controller.audit import read_audit
from canary_tui.store import HistoryStore
from canary_tui.store.audit_index import catch_up
from canary_tui.store.queries import audit_records

HERE = Path(__file__).resolve().parent
KILLS = 50


def _worker(*args: str) -> subprocess.Popen[str]:
    """Start store_worker.py with the tests' own interpreter (stdout piped)."""
    return subprocess.Popen([sys.executable, str(HERE / "store_worker.py"), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=HERE)


def test_two_writer_processes_on_one_target_record_each_heartbeat_once(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore.open(path).close()
    first = _worker(str(path), "writer", "0", "3000")
    second = _worker(str(path), "writer", "1000", "4000")  # overlaps the first on 1000..2999
    outputs = [p.communicate(timeout=60) for p in (first, second)]
    for process, (out, err) in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, err
        assert out.splitlines()[1] == "0", out  # no problem reported: no 'database is locked' anywhere
    written = [int(out.splitlines()[0]) for out, _ in outputs]
    store = HistoryStore.open(path)
    assert store.count() == 4000 and sum(written) == 4000  # none lost, none twice
    assert [b.server_s for b in store.beats("staging")] == list(range(4000))


def test_kill_9_while_writing_never_leaves_a_broken_store_or_a_partial_batch(tmp_path: Path) -> None:
    path, audit = tmp_path / "h.sqlite3", tmp_path / "audit" / "staging.jsonl"
    rng = random.Random(16)
    started = time.monotonic()
    previous_newest = -1
    grew = 0
    for kill in range(KILLS):
        process = _worker(str(path), "loop", str(audit))
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready", process.stderr.read() if process.stderr else ""
        time.sleep(rng.uniform(0.0, 0.06))  # the kill lands anywhere in the write loop (an audit fsync, a batch, an index)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        store = HistoryStore.open(path, LOOP_RETENTION)
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"kill {kill}"
        rows = store.beats("staging")
        newest = rows[-1].server_s if rows else previous_newest
        assert newest >= previous_newest, f"kill {kill}: committed rows went missing"
        assert (newest + 1) % BATCH == 0, f"kill {kill}: a batch was cut in half"  # transactions whole or not at all
        assert all(row == beat(row.server_s) for row in rows), f"kill {kill}: a row differs from what was written"
        kept = [row.server_s for row in rows]
        assert kept == list(range(kept[0], kept[0] + len(kept))) if kept else True, f"kill {kill}: a hole in the rows"
        grew += newest > previous_newest
        folded = store.count("beat_minute")
        catch_up(store, audit)  # the next start catches up: the store agrees with the audit log, torn tail and all
        logged = read_audit(audit).records
        assert audit_records(store, "staging") == list(logged), f"kill {kill}: the store disagrees with the audit log"
        store.close()
        previous_newest = newest
    assert grew > KILLS // 2, f"only {grew} of {KILLS} runs wrote before the kill"  # the kills did land mid-loop
    assert folded > 0  # and the loop folded and deleted too
    assert len(read_audit(audit).records) >= grew  # the audit log has a record for every batch that got written
    elapsed_s = time.monotonic() - started
    assert elapsed_s < 60, f"{KILLS} kills took {elapsed_s:.1f} s"
