"""A process that writes to the store until told otherwise, for the concurrency and kill -9 tests.

    python store_worker.py PATH writer FIRST LAST   # StoreWriter (the app's path): FIRST..LAST-1, then flush, print count
    python store_worker.py PATH loop [AUDIT]        # batches of BATCH rows with a prune every batch, forever (kill me);
                                                    # with AUDIT: an audit record before each batch, indexed after it
"""

from __future__ import annotations

import sys
from pathlib import Path

from store_helpers import beat

from canary_tui.controller.audit import AuditLog
from canary_tui.store import HistoryStore, Retention, StoreWriter
from canary_tui.store.audit_index import catch_up

BATCH = 10
#: a short retention so the loop folds and deletes in nearly every transaction
LOOP_RETENTION = Retention(full_s=120.0, minute_s=3600.0)


def main(argv: list[str]) -> int:
    path, mode = Path(argv[1]), argv[2]
    if mode == "writer":
        first, last = int(argv[3]), int(argv[4])
        writer = StoreWriter(path, batch_s=0.01)
        for server_s in range(first, last):
            writer.put(beat(server_s))
        assert writer.flush(30.0)
        writer.close()
        problems = []
        while not writer.problems.empty():
            problems.append(writer.problems.get_nowait())
        print(writer.written, len(problems), *problems, sep="\n", flush=True)
        return 0
    store = HistoryStore.open(path, LOOP_RETENTION)
    row = store.conn.execute("SELECT max(server_s) FROM beat").fetchone()[0]
    folded = store.conn.execute("SELECT max(minute_s) FROM beat_minute").fetchone()[0]
    next_s = int(row) + 1 if row is not None else int(folded) + 60 if folded is not None else 0
    audit = AuditLog("staging", path=Path(argv[3])) if len(argv) > 3 else None
    print("ready", flush=True)
    while True:
        if audit is not None:
            audit.record(action="set-percent", outcome="ok", first_s=next_s)
        store.record([beat(s) for s in range(next_s, next_s + BATCH)], prune=True)
        if audit is not None:
            catch_up(store, audit.path)
        next_s += BATCH


if __name__ == "__main__":
    sys.exit(main(sys.argv))
