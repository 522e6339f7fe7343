"""Figure 1: from the R key press to the rollback request arriving at the server, idle and under adversity.

The dashboard (CanaryApp under Textual's Pilot, the real controller with 72 h of
history loaded, audit log on, polling at 1 Hz) watches a simulator that runs in its
own process and timestamps each POST /api/ghost/canary with time.perf_counter() when
uvicorn hands it over (CLOCK_MONOTONIC, shared by both processes). Per trial the
server is put back at 10% and the dashboard has seen it; then the clock starts and
`R` is pressed. Interleaved trial by trial, in the same run:

- idle: nothing else going on;
- a heartbeat request hung in flight (the server holds the poll's GET unanswered);
- a chart redraw of the 72 h history in progress (R comes once its first series is downsampled), built
  where the real dashboard builds it (ui/launch.py gives the app a ChartBuilds process);
- the advance dialog open;
- a bare stock httpx POST of the same body on a warm connection, from the same event loop;
- the seed's way (bash running canary-ramp.sh ENV 0, which calls curl).

The terminal-not-read case needs a real terminal: benchmarks/rollback_terminal.py.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks import Figure, at_most, median, percentile, reported
from benchmarks._feed import load_history
from benchmarks._pilot import until as _until
from benchmarks._procs import SimulatorProcess

TOKEN = "bench-token"
SCRIPT = Path(__file__).resolve().parent / "canary-ramp.sh"
THEMES = Path(__file__).resolve().parents[1] / "themes"
HISTORY_S = 72 * 3600
HEARTBEAT_PATH = "/api/ghost/heartbeat"
#: R -> arrival against a bare stock httpx POST (median), and under adversity against idle (p99)
BARE_BUDGET_X = 3.0
ADVERSITY_BUDGET_X = 1.25
#: how long a trial waits for the POST to arrive before calling it lost
ARRIVAL_TIMEOUT_S = 10.0
ADVERSITY = ("heartbeat hung", "chart redraw", "advance dialog")


async def _measure(trials: int, warmup: int, step_s: int, home: str) -> tuple[dict[str, list[float]], str]:
    from canary_tui.config import Config, EnvironmentConfig
    from canary_tui.controller.audit import AuditLog
    from canary_tui.controller.factory import build_controller
    from canary_tui.controller.model import ConnectionState
    from canary_tui.mission.client import MissionClient
    from canary_tui.mission.credentials import Secret
    from canary_tui.ui.app import CanaryApp
    from canary_tui.ui.widgets.chart_builds import ChartBuilds
    from canary_tui.ui.widgets.latency_chart import LatencyChart

    curl = shutil.which("curl")
    seed_label = "bash + curl" if curl else "unavailable (no curl)"
    latencies: dict[str, list[float]] = {name: [] for name in ("idle", *ADVERSITY, "bare", "seed")}
    with SimulatorProcess(scenario="healthy", seed=7, token=TOKEN, initial_percent=10, faults=True) as sim:
        script_env = {**os.environ, "MISSION_URL": sim.url, "OPS_TOKEN": TOKEN}
        # stock clients, as anyone would make them (the environment's proxy settings apply to them as to the dashboard)
        async with httpx.AsyncClient(base_url=sim.url) as bench, httpx.AsyncClient(base_url=sim.url) as bare:
            client = MissionClient(sim.url, token=Secret(TOKEN))
            env = EnvironmentConfig(name="bench", url=sim.url, auto_advance=False, auto_rollback=False)
            audit = AuditLog("bench", path=Path(home) / "audit.jsonl")
            controller = build_controller(env, Config(), client=client, audit=audit)
            load_history(controller, HISTORY_S, step_s, time.time())
            chart_builds = ChartBuilds()
            app = CanaryApp(controller, poll_interval_s=1.0, theme_dirs=[THEMES], chart_builds=chart_builds)

            async def control(method: str, path: str, **kwargs: Any) -> Any:
                """A harness call to the simulator (idempotent): once more on a fresh connection if a kept-alive one
                was closed by the server just as it was reused (stock httpx does not retry that itself)."""
                try:
                    answer = await bench.request(method, path, **kwargs)
                except httpx.TransportError:
                    answer = await bench.request(method, path, **kwargs)
                answer.raise_for_status()
                return answer.json()

            async def reset() -> None:
                await control("POST", "/_bench/reset")

            async def arrivals() -> list[float]:
                return [float(t) for t in (await control("GET", "/_bench/arrivals"))["arrivals"]]

            async def arrival() -> float:
                got = await arrivals()
                if not got:
                    raise RuntimeError("rollback benchmark: no POST arrived")
                return got[0]

            async with app.run_test(size=(160, 48)) as pilot:
                chart = app.query_one("#chart", LatencyChart)

                def live_at_10() -> bool:
                    snap = controller.snapshot
                    return (snap.connection == ConnectionState.LIVE and snap.heartbeat is not None
                            and snap.heartbeat.deployment.canary_percent == 10 and not app.in_flight
                            and controller.action_in_flight is None)

                def settled() -> bool:
                    return not app.in_flight and controller.action_in_flight is None

                async def ready() -> None:
                    app.action_refresh()
                    await _until(pilot, live_at_10)
                    await pilot.pause(0.05)  # the snapshot is on screen; the operator reads, then presses R

                async def press_r() -> float:
                    started = time.perf_counter()
                    await pilot.press("R")
                    return started

                async def idle() -> float:
                    await ready()
                    started = await press_r()
                    await _until(pilot, settled)
                    return await arrival() - started

                async def heartbeat_hung() -> float:
                    await ready()
                    fired = len((await control("GET", "/_control/state"))["faults_fired"])
                    await control("POST", "/_control/faults", json={"fault": "hang", "paths": [HEARTBEAT_PATH]})
                    app.action_refresh()  # the poll goes out and hangs
                    while len((await control("GET", "/_control/state"))["faults_fired"]) == fired:
                        await pilot.pause(0.005)
                    started = await press_r()
                    loop = asyncio.get_running_loop()
                    deadline = loop.time() + ARRIVAL_TIMEOUT_S
                    while not await arrivals() and loop.time() < deadline:
                        await pilot.pause(0.01)
                    await control("POST", "/_control/faults/clear")  # release the hung poll
                    await _until(pilot, settled)
                    return await arrival() - started

                async def chart_redraw() -> float:
                    await ready()
                    read = controller.history.blocks_read
                    app.dashboard.draw_chart(chart)  # what the dashboard does with new chart data
                    while controller.history.blocks_read == read:  # R comes once its first series is read
                        await asyncio.sleep(0)
                    started = await press_r()
                    await _until(pilot, settled)
                    return await arrival() - started

                async def advance_dialog() -> float:
                    await ready()
                    depth = len(app.screen_stack)
                    await pilot.press("A")
                    await _until(pilot, lambda: len(app.screen_stack) > depth)
                    await pilot.pause(0.05)
                    started = await press_r()
                    await _until(pilot, settled)
                    while len(app.screen_stack) > depth:
                        app.pop_screen()
                    return await arrival() - started

                async def bare_post() -> float:
                    body = {"percent": 0, "note": "emergency rollback (bare POST)", "actor": "bench"}
                    headers = {"Authorization": f"Bearer {TOKEN}"}
                    (await bare.get(HEARTBEAT_PATH)).raise_for_status()  # warm: a connection in the pool
                    await pilot.pause(0.05)
                    started = time.perf_counter()
                    (await bare.post("/api/ghost/canary", json=body, headers=headers)).raise_for_status()
                    return await arrival() - started

                async def seed_script() -> float:
                    started = time.perf_counter()
                    proc = await asyncio.create_subprocess_exec(
                        "bash", str(SCRIPT), "bench", "0", env=script_env,
                        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
                    if await proc.wait() != 0:
                        raise RuntimeError("rollback benchmark: canary-ramp.sh failed")
                    return await arrival() - started

                kinds: list[tuple[str, Callable[[], Awaitable[float]]]] = [
                    ("idle", idle), ("heartbeat hung", heartbeat_hung), ("chart redraw", chart_redraw),
                    ("advance dialog", advance_dialog), ("bare", bare_post),
                ]
                if curl:
                    kinds.append(("seed", seed_script))
                await _until(pilot, live_at_10)
                for trial in range(warmup + trials):
                    shift = trial % len(kinds)  # rotate the order: no kind always runs first
                    for name, measure in kinds[shift:] + kinds[:shift]:
                        await reset()
                        latency = await measure()
                        if trial >= warmup:
                            latencies[name].append(latency)
            await controller.aclose()
            await client.aclose()
            chart_builds.close()
    return latencies, seed_label


def figures(latencies: dict[str, list[float]], trials: int, seed_label: str,
            terminal: tuple[dict[str, list[float]], int] | None = None) -> list[Figure]:
    """The rollback figures from the latencies (seconds) of one run; `terminal` (latencies, unread bytes) adds the stalled terminal."""
    ms = {name: (median(v) * 1000, percentile(v, 0.99) * 1000) for name, v in latencies.items() if v}
    idle, bare = ms["idle"], ms["bare"]
    listing = "; ".join(f"{name} median {m:.2f} ms, p99 {p:.2f} ms" for name, (m, p) in ms.items())
    out = [at_most("rollback R->arrival / stock httpx POST (median)", idle[0] / bare[0], BARE_BUDGET_X, "x",
                   f"{trials} interleaved trials each, 72 h history loaded, audit on, bare = stock httpx.AsyncClient "
                   f"POST on a warm connection: {listing}"),
           reported("rollback R->arrival / stock httpx POST (p99)", idle[1] / bare[1], "x", "same trials as above")]
    ratios = {name: ms[name][1] / idle[1] for name in ADVERSITY if name in ms}
    if terminal:
        term_ms = {name: percentile(v, 0.99) * 1000 for name, v in terminal[0].items() if v}
        ratios["terminal not read 2 s"] = term_ms["stalled"] / term_ms["idle"]
        listing_t = (f"; pty harness ({len(terminal[0]['idle'])} trials each, R typed at the terminal): read p99 "
                     f"{term_ms['idle']:.2f} ms, unread p99 {term_ms['stalled']:.2f} ms with >= {terminal[1]} bytes of output waiting")
    else:
        listing_t = ""
    worst = max(ratios, key=lambda name: ratios[name])
    out.append(at_most("rollback R->arrival under adversity / idle (p99)", ratios[worst], ADVERSITY_BUDGET_X, "x",
                       f"worst case: {worst}; each case's p99 over idle p99: "
                       + ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items()) + listing_t))
    if "seed" in ms:
        out.append(reported("rollback R->arrival / seed script (median)", idle[0] / ms["seed"][0], "x",
                            f"seed's way: {seed_label} running canary-ramp.sh ENV 0"))
    return out


def run(quick: bool) -> list[Figure]:
    from benchmarks import rollback_terminal

    trials, warmup, step_s = (8, 1, 5) if quick else (100, 5, 1)
    with tempfile.TemporaryDirectory(prefix="canary-bench-audit-") as home:
        latencies, seed_label = asyncio.run(_measure(trials, warmup, step_s, home))
    terminal = rollback_terminal.measure(quick)
    return figures(latencies, trials, seed_label, terminal)
