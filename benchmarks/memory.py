"""Figure 4: RSS after feeding 1 h and 72 h of samples into the controller on an accelerated clock.

Each measurement is a fresh subprocess (`python -m benchmarks.memory HOURS STEP_S`)
that builds the controller the CLI and dashboard use (build_controller: rules, judgment,
history) and calls controller.observe(heartbeat) once per sample, the clock advanced by
the step each time; then gc, then VmRSS from /proc. Both children run at the same time.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tempfile
import time

from benchmarks import Figure, at_most, rss_kb
from benchmarks._procs import ROOT, child_env


def feed(hours: float, step_s: float) -> dict[str, float]:
    """In this process: observe hours×3600/step_s heartbeats; return RSS and counts."""
    from benchmarks._feed import OfflineClient, SyntheticFeed
    from canary_tui.config import Config, EnvironmentConfig
    from canary_tui.controller.factory import build_controller
    from canary_tui.core.clock import ManualClock

    clock = ManualClock()
    env = EnvironmentConfig(name="bench", url="http://127.0.0.1:9")
    controller = build_controller(env, Config(), clock=clock, client=OfflineClient(), audit=False, read_only=True)
    source = SyntheticFeed(clock)
    samples = int(hours * 3600 / step_s)
    started = time.perf_counter()
    for _ in range(samples):
        controller.observe(source.next(step_s))
    elapsed = time.perf_counter() - started
    controller.chart(120)
    gc.collect()
    return {"rss_kb": rss_kb(), "samples": samples, "feed_s": elapsed, "history_len": len(controller.history),
            "events": len(controller.events)}


def _spawn(hours: float, step_s: float, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "benchmarks.memory", str(hours), str(step_s)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)


def _result(proc: subprocess.Popen[str]) -> dict[str, float]:
    out, _ = proc.communicate(timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"memory child failed with exit {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])


def run(quick: bool) -> list[Figure]:
    step_s = 60.0 if quick else 1.0
    with tempfile.TemporaryDirectory(prefix="canary-bench-home-") as home:
        env = child_env(home)
        short, long = _spawn(1.0, step_s, env), _spawn(72.0, step_s, env)
        one, seventy_two = _result(short), _result(long)
    ratio = seventy_two["rss_kb"] / one["rss_kb"]
    detail = (f"RSS {one['rss_kb'] / 1024:.1f} MiB after 1 h ({one['samples']:.0f} heartbeats), "
              f"{seventy_two['rss_kb'] / 1024:.1f} MiB after 72 h ({seventy_two['samples']:.0f} heartbeats, "
              f"fed in {seventy_two['feed_s']:.0f} s) through controller.observe, one every {step_s:g} s of clock")
    return [at_most("memory: RSS at 72 h / RSS at 1 h", ratio, 1.1, "x", detail)]


if __name__ == "__main__":
    print(json.dumps(feed(float(sys.argv[1]), float(sys.argv[2]))))
