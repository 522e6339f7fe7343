"""Which notices a canary-tui on this machine already sent: a small SQLite file every process shares.

A `run` watcher, two dashboards and a `ramp` that see one stage advance would otherwise each send the same
message. Before a channel sends, it claims (destination, notice) for the dedupe window; a claim another process
holds means "already sent". A claims file that cannot be opened or written never stops a notification.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path

from canary_tui.core.notices import Notice

log = logging.getLogger("canary_tui.notify")

#: how long a writer waits for another process's claim before sending anyway
BUSY_TIMEOUT_MS = 2000

_SCHEMA = "CREATE TABLE IF NOT EXISTS sent (key TEXT PRIMARY KEY, at_s REAL NOT NULL)"


class SentClaims:
    """Claims on (destination, notice) for `window_s`, shared through `path`; one connection per sending thread."""

    def __init__(self, path: Path, window_s: float) -> None:
        self.path = path
        self.window_s = window_s
        self.problem: str | None = None  # why claims are not used, once they failed
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (made on first use; the table and old claims seen to)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
            self._local.connection = connection
        return connection

    def claim(self, destination: str, notice: Notice, now_s: float) -> bool:
        """True when this process may send `notice` to `destination` (no other sent it within the window)."""
        if self.problem is not None:
            return True
        key = json.dumps([destination, *notice.dedupe_key], ensure_ascii=False)
        try:
            connection = self._connection()
            cursor = connection.execute(
                "INSERT INTO sent (key, at_s) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET at_s = excluded.at_s WHERE sent.at_s <= ?",
                (key, now_s, now_s - self.window_s),
            )
            claimed = cursor.rowcount == 1
            if claimed:
                connection.execute("DELETE FROM sent WHERE at_s <= ?", (now_s - self.window_s,))
            return claimed
        except (sqlite3.Error, OSError) as exc:
            self.problem = f"{self.path}: {exc}"
            log.warning("notification claims unavailable, sending without them: %s", self.problem)
            return True

    def close(self) -> None:
        """Close this thread's connection (the others close with their threads)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
