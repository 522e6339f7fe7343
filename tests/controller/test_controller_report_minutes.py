"""A report on a release older than the store's full resolution reads its per-minute summaries instead of the pruned rows."""

from __future__ import annotations

from canary_tui.controller.reports import MinuteBeat, stored_beats
from canary_tui.store import HistoryStore, Retention, StoredBeat

T0 = 1_796_000_040  # a whole minute


def beat(second: int, percent: int, requests: int, errors: int) -> StoredBeat:
    return StoredBeat(target="staging", server_s=T0 + second, observed_s=float(T0 + second), canary_version="v2", stable_version="v1",
                      canary_percent=percent, paused=False, verified=True, requests=requests, errors=errors,
                      canary_requests=requests // 10, canary_errors=errors, p95_ms=100.0 + second % 7, canary_p95_ms=200.0)


def test_pruned_rows_come_back_as_minutes_and_recent_rows_as_they_are(tmp_path):
    path = tmp_path / "history.sqlite3"
    store = HistoryStore.open(path, Retention(full_s=3600.0, minute_s=30 * 86400.0))
    old = [beat(s, 10, 1000 * (s + 1), s // 10) for s in range(0, 180, 5)]  # three minutes, pruned below
    store.record(old)
    store.prune(T0 + 2 * 3600.0)
    assert store.count("beat") == 0 and store.count("beat_minute") == 3
    recent = [beat(7200 + s, 50, 500_000 + s, 100) for s in range(0, 30, 5)]
    store.record(recent)
    store.close()

    samples, note = stored_beats(path, "staging", float(T0 - 60))
    assert note is None
    minutes = [s for s in samples if isinstance(s, MinuteBeat)]
    assert [m.observed_s for m in minutes] == [T0, T0 + 60, T0 + 120]
    assert [m.requests for m in minutes] == [56_000, 116_000, 176_000]  # each minute's last counter (its beat at :55)
    assert all(m.canary_percent == 10 and m.canary_p95_ms == 200.0 for m in minutes)
    assert [s.observed_s for s in samples[3:]] == [b.observed_s for b in recent]


def test_no_store_file_is_a_note_not_an_error(tmp_path):
    samples, note = stored_beats(tmp_path / "missing.sqlite3", "staging", 0.0)
    assert samples == [] and note is not None and "no history store" in note
