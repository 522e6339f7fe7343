"""Figure 3: idle CPU of the dashboard watching the simulator at 1 Hz polling.

`canary-tui watch URL --read-only` runs on a pseudo-terminal (real driver, real output)
with a config that sets poll_interval_s = 1; the simulator runs in its own process,
so its CPU is not counted. CPU is the dashboard process's utime + stime (all threads)
from /proc over the wall time of the window, which starts 3 s after the first LIVE frame.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from benchmarks import Figure, at_most, process_cpu_s
from benchmarks._procs import PtyApp, SimulatorProcess, child_env

WARMUP_S = 3.0


def run(quick: bool) -> list[Figure]:
    window_s = 10.0 if quick else 60.0
    with tempfile.TemporaryDirectory(prefix="canary-bench-home-") as home, \
            SimulatorProcess(scenario="healthy", seed=7, initial_percent=10) as sim:
        env = child_env(home)
        config = os.path.join(home, "bench-config.toml")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write("poll_interval_s = 1.0\n")
        env["CANARY_TUI_CONFIG"] = config
        argv = [sys.executable, "-m", "canary_tui", "watch", sim.url, "--read-only"]
        with PtyApp(argv, env, markers=(b"LIVE",)) as app:
            if app.wait_for(b"LIVE", 30.0) is None:
                raise RuntimeError(f"the dashboard never showed live data (exit {app.proc.poll()})")
            time.sleep(WARMUP_S)
            cpu0, wall0, out0 = process_cpu_s(app.proc.pid), time.perf_counter(), app.output_bytes
            time.sleep(window_s)
            cpu1, wall1, out1 = process_cpu_s(app.proc.pid), time.perf_counter(), app.output_bytes
            alive = app.proc.poll() is None
    if not alive:
        raise RuntimeError("the dashboard exited during the idle window")
    share = (cpu1 - cpu0) / (wall1 - wall0) * 100.0
    detail = (f"{cpu1 - cpu0:.2f} s CPU over {wall1 - wall0:.1f} s wall (1 Hz polling, 120x40 pty, simulator in "
              f"its own process); {(out1 - out0) / (wall1 - wall0) / 1024:.1f} KiB/s written to the terminal")
    return [at_most("idle CPU watching at 1 Hz", share, 2.0, "% of one core", detail)]
