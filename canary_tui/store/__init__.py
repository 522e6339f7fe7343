"""The embedded history store (SQLite, WAL): every observed heartbeat per target, kept across restarts.

Layers: imports core and the standard library only (no Textual, no HTTP); the controller records into it
and preloads from it (controller/recording.py).
"""

from canary_tui.store.history_store import BUSY_TIMEOUT_S, DEFAULT_RETENTION, Bucket, HistoryStore, Retention, StoreUnavailable
from canary_tui.store.records import BEAT_COLUMNS, COUNTER_COLUMNS, VALUE_COLUMNS, MinuteSummary, StoredBeat, StoredDecision
from canary_tui.store.schema import MIGRATIONS, SCHEMA_VERSION
from canary_tui.store.writer import StoreWriter

__all__ = [
    "BEAT_COLUMNS", "BUSY_TIMEOUT_S", "COUNTER_COLUMNS", "DEFAULT_RETENTION", "MIGRATIONS", "SCHEMA_VERSION", "VALUE_COLUMNS",
    "Bucket", "HistoryStore", "MinuteSummary", "Retention", "StoreUnavailable", "StoreWriter", "StoredBeat", "StoredDecision",
]
