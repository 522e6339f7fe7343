"""Writing to the store off the event loop: the poll only queues a row; a thread commits batches.

The thread owns its own connection. A busy store (another process holding the write lock past
the busy timeout) keeps the rows and tries again; any other failure stops recording. Either is
reported once through `problems`, which the owner drains on its own thread.
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from canary_tui.store.audit_index import catch_up
from canary_tui.store.history_store import BUSY_TIMEOUT_S, DEFAULT_RETENTION, HistoryStore, Retention, StoreUnavailable, unavailable
from canary_tui.store.records import StoredBeat, StoredDecision

#: how long the thread gathers rows before committing them as one transaction
BATCH_S = 0.5
#: rows kept while the store is busy (an hour at 1 Hz for four targets); the oldest are dropped past it
MAX_PENDING = 4 * 3600
#: fold and prune once per this many seconds of server time
PRUNE_EVERY_S = 60.0
_STOP = object()


class StoreWriter:
    """A daemon thread committing queued beats to the store at `path`."""

    def __init__(self, path: Path, retention: Retention = DEFAULT_RETENTION, *, batch_s: float = BATCH_S,
                 busy_timeout_s: float = BUSY_TIMEOUT_S, audit_paths: Sequence[Path] = ()) -> None:
        """`audit_paths`: audit logs the store indexes, caught up at start and after each commit (a cheap stat when unchanged)."""
        self.path = path
        self.audit_paths = tuple(audit_paths)
        self.busy_timeout_s = busy_timeout_s
        self.retention = retention
        self.batch_s = batch_s
        self.problems: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.written = 0  # rows committed (duplicates ignored by the store are not counted)
        self.failed: StoreUnavailable | None = None
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._pending: deque[StoredBeat] = deque(maxlen=MAX_PENDING)
        self._decisions: deque[StoredDecision] = deque(maxlen=MAX_PENDING)
        self._busy_reported = False
        self._last_prune_s: float | None = None
        self._thread = threading.Thread(target=self._run, name="canary-tui-store", daemon=True)
        self._thread.start()
        atexit.register(self.close)  # a command that exits without closing its controller still commits its last rows

    def put(self, row: StoredBeat | StoredDecision) -> None:
        """Queue one beat or decision (never blocks; ignored once recording has stopped for good)."""
        if self.failed is None:
            self._queue.put(row)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until everything queued before this call is committed (or kept while busy, or given up); False on timeout."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout_s)

    def close(self, timeout_s: float = 2.0) -> None:
        """Commit what is queued (waiting at most `timeout_s`) and stop the thread; idempotent."""
        atexit.unregister(self.close)
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout_s)

    def _run(self) -> None:
        """Gather, commit, repeat; the connection lives and dies on this thread."""
        store: HistoryStore | None = self._commit(None) if self.audit_paths else None  # the audit logs caught up at once
        stopping = False
        while not stopping:
            markers: list[threading.Event] = []
            stopping = self._take(self._queue.get(), markers)
            if not stopping and not markers and self.batch_s > 0:
                try:
                    stopping = self._take(self._queue.get(timeout=self.batch_s), markers)
                except queue.Empty:
                    pass
            while not stopping:  # drain without waiting
                try:
                    stopping = self._take(self._queue.get_nowait(), markers)
                except queue.Empty:
                    break
            if (self._pending or self._decisions or self.audit_paths) and self.failed is None:
                store = self._commit(store)
            for marker in markers:
                marker.set()
        if store is not None:
            store.close()

    def _take(self, item: object, markers: list[threading.Event]) -> bool:
        """File one queued item; True when it says stop."""
        if isinstance(item, StoredBeat):
            self._pending.append(item)
        elif isinstance(item, StoredDecision):
            self._decisions.append(item)
        elif isinstance(item, threading.Event):
            markers.append(item)
        return item is _STOP

    def _commit(self, store: HistoryStore | None) -> HistoryStore | None:
        """Write the pending rows and catch up the audit logs; on busy keep them for the next round, on anything else stop recording."""
        batch, decisions = list(self._pending), list(self._decisions)
        newest_s = max([beat.server_s for beat in batch] + [decision.server_s for decision in decisions], default=0)
        if self._last_prune_s is None and batch:  # the first prune a minute in, not while the dashboard starts
            self._last_prune_s = newest_s
        due = self._last_prune_s is not None and newest_s - self._last_prune_s >= PRUNE_EVERY_S
        try:
            if store is None:
                store = HistoryStore.open(self.path, self.retention, busy_timeout_s=self.busy_timeout_s)
            if batch or decisions:
                self.written += store.record(batch, prune=due, decisions=decisions)
            for audit_path in self.audit_paths:
                catch_up(store, audit_path)
        except Exception as exc:  # noqa: BLE001 - any failure of the store is reported once, never raised into the app
            problem = unavailable(self.path, exc)
            if problem.busy:
                if not self._busy_reported:
                    self._busy_reported = True
                    self.problems.put(f"{problem}; rows are kept and written when it frees")
                return store
            self.failed = problem
            self._pending.clear()
            self._decisions.clear()
            self.problems.put(f"{problem}; history is no longer recorded")
            if store is not None:
                store.close()
            return None
        self._pending.clear()
        self._decisions.clear()
        if due and batch:
            self._last_prune_s = newest_s
        if self._busy_reported:
            self._busy_reported = False
            self.problems.put(f"history store {self.path}: free again; the rows kept meanwhile are written")
        return store
