"""Figure 1: from the R key press to the rollback request arriving at the server.

The dashboard (CanaryApp under Textual's Pilot, the real controller with 72 h of
history loaded, audit log on, polling at 1 Hz) watches a simulator that runs in its
own process and timestamps each POST /api/ghost/canary with time.perf_counter() when
uvicorn hands it over (CLOCK_MONOTONIC, shared by both processes). Per trial the
server is put back at 10% and the dashboard has seen it; then the clock starts and
`R` is pressed. Against, in the same run and interleaved trial by trial: a bare
httpx POST of the same body on a warm connection from the same event loop, and the
seed's way (bash running canary-ramp.sh ENV 0, which calls curl).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from benchmarks import Figure, at_most, median, percentile, reported
from benchmarks._feed import load_history
from benchmarks._procs import SimulatorProcess

TOKEN = "bench-token"
SCRIPT = Path(__file__).resolve().parent / "canary-ramp.sh"
THEMES = Path(__file__).resolve().parents[1] / "themes"
HISTORY_S = 72 * 3600


async def _until(pilot: object, condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise RuntimeError("rollback benchmark: condition not met in time")
        await pilot.pause(0.002)  # type: ignore[attr-defined]


async def _measure(trials: int, warmup: int, step_s: int, home: str) -> tuple[dict[str, list[float]], str]:
    from canary_tui.config import Config, EnvironmentConfig
    from canary_tui.controller.audit import AuditLog
    from canary_tui.controller.factory import build_controller
    from canary_tui.controller.model import ConnectionState
    from canary_tui.mission.client import MissionClient
    from canary_tui.mission.credentials import Secret
    from canary_tui.ui.app import CanaryApp

    curl = shutil.which("curl")
    seed_label = "bash + curl" if curl else "unavailable (no curl)"
    latencies: dict[str, list[float]] = {"dashboard": [], "bare": [], "seed": []}
    with SimulatorProcess(scenario="healthy", seed=7, token=TOKEN, initial_percent=10) as sim:
        script_env = {**os.environ, "MISSION_URL": sim.url, "OPS_TOKEN": TOKEN}
        async with httpx.AsyncClient(base_url=sim.url, trust_env=False) as bench, \
                httpx.AsyncClient(base_url=sim.url, trust_env=False) as bare:
            client = MissionClient(sim.url, token=Secret(TOKEN))
            env = EnvironmentConfig(name="bench", url=sim.url, auto_advance=False, auto_rollback=False)
            audit = AuditLog("bench", path=Path(home) / "audit.jsonl")
            controller = build_controller(env, Config(), client=client, audit=audit)
            load_history(controller, HISTORY_S, step_s, time.time())
            app = CanaryApp(controller, poll_interval_s=1.0, theme_dirs=[THEMES])

            async def reset() -> None:
                (await bench.post("/_bench/reset")).raise_for_status()

            async def arrival() -> float:
                arrivals = (await bench.get("/_bench/arrivals")).json()["arrivals"]
                if not arrivals:
                    raise RuntimeError("rollback benchmark: no POST arrived")
                return float(arrivals[0])

            async with app.run_test(size=(160, 48)) as pilot:
                def live_at_10() -> bool:
                    snap = controller.snapshot
                    return (snap.connection == ConnectionState.LIVE and snap.heartbeat is not None
                            and snap.heartbeat.deployment.canary_percent == 10 and not app.in_flight
                            and controller.action_in_flight is None)

                async def dashboard() -> float:
                    app.action_refresh()
                    await _until(pilot, live_at_10)
                    await pilot.pause(0.05)  # the snapshot is on screen; the operator reads, then presses R
                    started = time.perf_counter()
                    await pilot.press("R")
                    await _until(pilot, lambda: not app.in_flight and controller.action_in_flight is None)
                    return await arrival() - started

                async def bare_post() -> float:
                    body = {"percent": 0, "note": "emergency rollback (bare POST)", "actor": "bench"}
                    headers = {"Authorization": f"Bearer {TOKEN}"}
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

                kinds: list[tuple[str, Callable[[], Awaitable[float]]]] = [("dashboard", dashboard), ("bare", bare_post)]
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
    return latencies, seed_label


def run(quick: bool) -> list[Figure]:
    trials, warmup, step_s = (20, 2, 5) if quick else (200, 10, 1)
    with tempfile.TemporaryDirectory(prefix="canary-bench-audit-") as home:
        latencies, seed_label = asyncio.run(_measure(trials, warmup, step_s, home))
    ms = {name: (median(v) * 1000, percentile(v, 0.99) * 1000) for name, v in latencies.items() if v}
    dash, bare = ms["dashboard"], ms["bare"]
    listing = "; ".join(f"{name} median {m:.2f} ms, p99 {p:.2f} ms" for name, (m, p) in ms.items())
    detail = f"{trials} interleaved trials each, 72 h history loaded, audit on: {listing}"
    figures = [
        at_most("rollback R->arrival / bare POST (median)", dash[0] / bare[0], 2.0, "x", detail),
        at_most("rollback R->arrival / bare POST (p99)", dash[1] / bare[1], 2.0, "x", "same trials as above"),
    ]
    if "seed" in ms:
        figures.append(reported("rollback R->arrival / seed script (median)", dash[0] / ms["seed"][0], "x",
                                f"seed's way: {seed_label} running canary-ramp.sh ENV 0"))
    return figures
