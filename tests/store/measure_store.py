"""Figures for the store (run by hand: `python tests/store/measure_store.py`): CPU per heartbeat written, 72 h preload time, file size.

Not a test: timings on a shared machine vary; the report quotes one run.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from store_helpers import beat

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.controller.recording import Recorder, beat_from
from canary_tui.core.clock import ManualClock
from canary_tui.store import HistoryStore, StoreWriter

HOURS = 72
ROWS = HOURS * 3600


class _NoClient:
    """The controller is never polled here."""

    has_token = False


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite3"
        writer = StoreWriter(path, batch_s=0.0)
        writer.put(beat(0))
        writer.flush()
        started_cpu = time.process_time()
        for s in range(1, 1001):  # one commit per heartbeat, as at 1 Hz (the batch window holds one row)
            writer.put(beat(s))
            writer.flush()
        per_commit_ms = (time.process_time() - started_cpu)  # seconds per 1000 = ms per one
        writer.close()
        print(f"writer: {per_commit_ms:.3f} ms CPU per heartbeat committed alone -> {per_commit_ms / 10:.3f} percentage points of one core at 1 Hz")

        store = HistoryStore.open(path)
        base = 1_800_000_000
        for start in range(0, ROWS, 10_000):
            store.record([beat(base + s) for s in range(start, min(ROWS, start + 10_000))])
        store.close()
        size_mb = sum(p.stat().st_size for p in Path(tmp).glob("history.sqlite3*")) / 1e6
        print(f"store: {ROWS} heartbeats of one target ({HOURS} h at 1 Hz): {size_mb:.1f} MB on disk")

        env = EnvironmentConfig(name="staging", url="http://127.0.0.1:9")
        clock = ManualClock(base + ROWS + 1.0)
        started = time.perf_counter()
        controller = build_controller(env, Config(), clock=clock, client=_NoClient(), audit=False, store=path)
        preload_s = time.perf_counter() - started
        empty = Path(tmp) / "empty.sqlite3"
        started = time.perf_counter()
        build_controller(env, Config(), clock=clock, client=_NoClient(), audit=False, store=empty)
        empty_s = time.perf_counter() - started
        print(f"start: build_controller with {HOURS} h stored {preload_s:.2f} s (history span {controller.history.span_s / 3600:.1f} h); "
              f"with an empty store {empty_s:.3f} s")
        recorder = controller.closers[0].__self__  # type: ignore[attr-defined]
        assert isinstance(recorder, Recorder)
        _ = beat_from


if __name__ == "__main__":
    main()
