"""Figure 1, terminal case: R -> arrival while nobody reads the terminal's output for 2 s, against a terminal that is read.

`canary-tui watch URL` runs on a pseudo-terminal (120x40) against a simulator in its own
process that timestamps the rollback POST on arrival (time.perf_counter, CLOCK_MONOTONIC in
both processes). `R` is typed at the terminal. In the stalled case the harness stops reading
the output, makes the dashboard draw full screens (the help screen opened and closed) so its
writes back up, and types `R` 1.5 s into the 2 s stall. Trials alternate between the cases.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import urllib.request

from benchmarks._procs import PtyApp, SimulatorProcess, child_env

TOKEN = "bench-token"
LIVE_MARKER = b"LIVE"
STALL_S = 2.0
PRESS_AT_S = 1.5
#: the dashboard polls at 1 Hz: after a reset it has seen 10% again within this
RESEED_WAIT_S = 1.5
#: after the POST: the rollback's read-back confirms 0% well within this (a reset before that would be rolled back again)
SETTLE_S = 1.0
ARRIVAL_TIMEOUT_S = 10.0


def _bench(url: str, path: str, post: bool = False) -> dict[str, object]:
    request = urllib.request.Request(url + path, data=b"" if post else None, method="POST" if post else "GET")
    with urllib.request.urlopen(request, timeout=5) as answer:  # loopback, no proxy handler needed
        result: dict[str, object] = json.loads(answer.read())
        return result


def _arrival(url: str, started: float) -> float:
    deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
    while time.monotonic() < deadline:
        arrivals = _bench(url, "/_bench/arrivals")["arrivals"]
        if isinstance(arrivals, list) and arrivals:
            return float(arrivals[0]) - started
        time.sleep(0.01)
    raise RuntimeError("rollback terminal benchmark: no POST arrived")


def measure(quick: bool) -> tuple[dict[str, list[float]], int]:
    """Seconds from typing R to the POST's arrival, {"idle": [...], "stalled": [...]}, and the fewest output bytes
    left unread when R was typed in a stalled trial (evidence that the terminal was not being read)."""
    trials = 2 if quick else 15
    out: dict[str, list[float]] = {"idle": [], "stalled": []}
    unread: list[int] = []
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    urllib.request.install_opener(opener)
    with tempfile.TemporaryDirectory(prefix="canary-bench-term-") as home, \
            SimulatorProcess(scenario="healthy", seed=7, token=TOKEN, initial_percent=10) as sim:
        env = {**child_env(home), "OPS_TOKEN": TOKEN}
        argv = [sys.executable, "-m", "canary_tui", "watch", sim.url]
        with PtyApp(argv, env, markers=(LIVE_MARKER,)) as app:
            if app.wait_for(LIVE_MARKER, 30.0) is None:
                raise RuntimeError(f"the dashboard never showed LIVE (exit {app.proc.poll()})")
            for trial in range(2 * trials):
                stalled = trial % 2 == 1
                _bench(sim.url, "/_bench/reset", post=True)
                time.sleep(RESEED_WAIT_S)
                if stalled:
                    app.reading.clear()
                    stall_started = time.monotonic()
                    for _ in range(3):
                        app.write(b"?")
                        time.sleep(0.1)
                        app.write(b"\x1b")
                        time.sleep(0.1)
                    time.sleep(max(0.0, stall_started + PRESS_AT_S - time.monotonic()))
                    unread.append(app.unread_bytes())
                started = time.perf_counter()
                app.write(b"R")
                if stalled:
                    time.sleep(max(0.0, stall_started + STALL_S - time.monotonic()))
                    app.reading.set()
                out["stalled" if stalled else "idle"].append(_arrival(sim.url, started))
                time.sleep(SETTLE_S)
                posts = _bench(sim.url, "/_bench/arrivals")["arrivals"]
                if not isinstance(posts, list) or len(posts) != 1:
                    raise RuntimeError(f"rollback terminal benchmark: {posts!r} POSTs in one trial, expected one")
    return out, min(unread)
