"""Figures of the history store (issue 16): a start with 72 h stored, the store's idle CPU, its size.

- start: `canary-tui watch bench --read-only` on a pty, from spawn to the first LIVE frame (the stored chart is
  drawn before the first frame, the judgment resumed from the stored stage), with 72 h of one target stored
  (259 200 rows, the simulator's canary version and percent) against the same launch with an empty store;
  launches alternated, medians compared.
- idle CPU: the dashboard watching at 1 Hz with its store, against the same with a store it cannot open (so it
  records nothing); windows alternated, the difference of the medians in percentage points of one core.
- size: the store file after 72 h of one target at 1 Hz (WAL checkpointed).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import Figure, at_most, median, process_cpu_s, reported
from benchmarks._procs import PtyApp, SimulatorProcess, child_env
from benchmarks.store_fill import fill
from canary_tui.store import HistoryStore

TARGET = "bench"
STORED_H = 72.0
LIVE = b"LIVE"
TIMEOUT_S = 60.0
WARMUP_S = 3.0


def _config(home: str, name: str, url: str, store: Path, poll_interval_s: float | None = None) -> str:
    """A config file watching `url` as TARGET with its store at `store`."""
    path = os.path.join(home, f"{name}.toml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f'store = "{store}"\n')
        if poll_interval_s is not None:
            handle.write(f"poll_interval_s = {poll_interval_s}\n")
        handle.write(f'[environments.{TARGET}]\nurl = "{url}"\n')
    return path


def _first_live_s(env: dict[str, str], config: str) -> float:
    """Seconds from spawn to the first LIVE frame of the dashboard on TARGET."""
    argv = [sys.executable, "-m", "canary_tui", "watch", TARGET, "--read-only"]
    with PtyApp(argv, {**env, "CANARY_TUI_CONFIG": config}, markers=(LIVE,)) as app:
        seen = app.wait_for(LIVE, TIMEOUT_S)
        if seen is None:
            raise RuntimeError(f"the dashboard never showed live data (exit {app.proc.poll()})")
        return seen - app.spawned_at


def _idle_cpu_percent(env: dict[str, str], config: str, window_s: float) -> float:
    """CPU share of one core of the dashboard watching at 1 Hz, over `window_s` after a warm-up."""
    argv = [sys.executable, "-m", "canary_tui", "watch", TARGET, "--read-only"]
    with PtyApp(argv, {**env, "CANARY_TUI_CONFIG": config}, markers=(LIVE,)) as app:
        if app.wait_for(LIVE, TIMEOUT_S) is None:
            raise RuntimeError(f"the dashboard never showed live data (exit {app.proc.poll()})")
        time.sleep(WARMUP_S)
        cpu0, wall0 = process_cpu_s(app.proc.pid), time.perf_counter()
        time.sleep(window_s)
        cpu1, wall1 = process_cpu_s(app.proc.pid), time.perf_counter()
        if app.proc.poll() is not None:
            raise RuntimeError("the dashboard exited during the idle window")
    return (cpu1 - cpu0) / (wall1 - wall0) * 100.0


def run(quick: bool) -> list[Figure]:
    trials = 3 if quick else 7
    windows, window_s = (1, 10.0) if quick else (3, 40.0)
    with tempfile.TemporaryDirectory(prefix="canary-bench-home-") as home, \
            SimulatorProcess(scenario="healthy", seed=7, initial_percent=10) as sim:
        env = child_env(home)
        full, empty, template = Path(home, "full.sqlite3"), Path(home, "empty.sqlite3"), Path(home, "template.sqlite3")
        t0 = time.perf_counter()
        rows = fill(full, TARGET, time.time(), STORED_H)
        fill_s = time.perf_counter() - t0
        size_mb = full.stat().st_size / 1e6
        HistoryStore.open(template).close()
        unusable = Path(home, "a-file", "history.sqlite3")
        Path(home, "a-file").write_text("")  # a store under a regular file cannot be opened: the dashboard records nothing
        full_config = _config(home, "full", sim.url, full)
        empty_config = _config(home, "empty", sim.url, empty)

        def fresh_empty() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{empty}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(template, empty)

        fresh_empty()
        _first_live_s(env, empty_config)  # warm the page cache, untimed
        _first_live_s(env, full_config)
        empty_s: list[float] = []
        full_s: list[float] = []
        for _ in range(trials):
            fresh_empty()
            empty_s.append(_first_live_s(env, empty_config))
            full_s.append(_first_live_s(env, full_config))
        with_store, without_store = [], []
        recording = _config(home, "recording", sim.url, empty, poll_interval_s=1.0)
        not_recording = _config(home, "not-recording", sim.url, unusable, poll_interval_s=1.0)
        for _ in range(windows):
            fresh_empty()
            with_store.append(_idle_cpu_percent(env, recording, window_s))
            without_store.append(_idle_cpu_percent(env, not_recording, window_s))
    start_ratio = median(full_s) / median(empty_s)
    added_pp = median(with_store) - median(without_store)
    return [
        at_most("store: first frame with 72 h stored / with an empty store", start_ratio, 1.5, "x",
                f"median of {trials} launches each on a 120x40 pty: {median(full_s) * 1000:.0f} ms with {rows} rows "
                f"of one target stored (range {min(full_s) * 1000:.0f}-{max(full_s) * 1000:.0f}), "
                f"{median(empty_s) * 1000:.0f} ms empty (range {min(empty_s) * 1000:.0f}-{max(empty_s) * 1000:.0f})"),
        at_most("store: idle CPU added by recording at 1 Hz", added_pp, 0.2, "pp",
                f"median of {windows} windows of {window_s:.0f} s each: {median(with_store):.2f}% of a core recording, "
                f"{median(without_store):.2f}% with a store it cannot open"),
        reported("store: size for 72 h of one target", size_mb, "MB",
                 f"{rows} rows at 1 Hz and their {rows // 60} minute summaries, WAL checkpointed; filled in {fill_s:.1f} s"),
    ]
