"""Figure 5: time from launch to the first frame with live data, against a bare Textual app (same pty harness).

Both run as `python -m ...` on a pseudo-terminal; the clock starts just before the
process is spawned and stops when the output first carries the marker: "LIVE" for
the dashboard (`canary-tui watch URL --read-only` on a simulator in its own process:
the header says LIVE only once a heartbeat has been observed), the label for the bare app.
"""

from __future__ import annotations

import sys
import tempfile

from benchmarks import Figure, at_most, median
from benchmarks._bare_app import MARKER
from benchmarks._procs import PtyApp, SimulatorProcess, child_env

LIVE_MARKER = b"LIVE"
TIMEOUT_S = 30.0


def _launch(argv: list[str], env: dict[str, str], marker: bytes) -> float:
    """Seconds from spawn to the marker on screen."""
    with PtyApp(argv, env, markers=(marker,)) as app:
        seen = app.wait_for(marker, TIMEOUT_S)
        if seen is None:
            raise RuntimeError(f"{argv[2:]} never showed {marker!r} (exit {app.proc.poll()})")
        return seen - app.spawned_at


def run(quick: bool) -> list[Figure]:
    trials = 3 if quick else 9
    dashboard_s: list[float] = []
    bare_s: list[float] = []
    with tempfile.TemporaryDirectory(prefix="canary-bench-home-") as home, \
            SimulatorProcess(scenario="healthy", seed=7, initial_percent=10) as sim:
        env = child_env(home)
        dash_argv = [sys.executable, "-m", "canary_tui", "watch", sim.url, "--read-only"]
        bare_argv = [sys.executable, "-m", "benchmarks._bare_app"]
        _launch(bare_argv, env, MARKER.encode())  # warm the OS page cache for both, untimed
        _launch(dash_argv, env, LIVE_MARKER)
        for _ in range(trials):  # alternated, so drift in machine load hits both alike
            bare_s.append(_launch(bare_argv, env, MARKER.encode()))
            dashboard_s.append(_launch(dash_argv, env, LIVE_MARKER))
    dash, bare = median(dashboard_s), median(bare_s)
    detail = (f"median of {trials} launches each on a 120x40 pty: dashboard first LIVE frame {dash * 1000:.0f} ms "
              f"(DESIGN budget 1500 ms), bare Textual label {bare * 1000:.0f} ms; "
              f"dashboard range {min(dashboard_s) * 1000:.0f}-{max(dashboard_s) * 1000:.0f} ms")
    return [at_most("startup: first live frame / bare Textual app", dash / bare, 2.0, "x", detail)]
