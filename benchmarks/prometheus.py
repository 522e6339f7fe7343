"""Figure: one poll through Prometheus against one through the heartbeat alone, interleaved in the same run.

The simulator runs in its own process and a real Prometheus (Debian's package, started here on a
loopback port with its data in a temporary directory) scrapes its /metrics every second. A poll
through the heartbeat is one GET of Mission Control's heartbeat; a poll through Prometheus is that
GET plus the environment's eight instant queries (four per variant, in parallel) at one instant,
both on warm connection pools, as the controller's refresh makes them.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks import Figure, median, percentile, reported
from benchmarks._procs import SimulatorProcess

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 30.0


def _prometheus_binary() -> str:
    """The prometheus program, installed through the tests' helper when missing."""
    found = shutil.which("prometheus")
    if found:
        return found
    sys.path.insert(0, str(ROOT / "tests"))
    from system_packages import ensure

    return ensure("prometheus")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(condition: object, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _two_scrapes(url: str) -> bool:
    try:
        result = httpx.get(f"{url}/api/v1/query", params={"query": "count_over_time(up[1m])"}, timeout=1.0).json()
        return bool(result["data"]["result"]) and float(result["data"]["result"][0]["value"][1]) >= 2
    except (httpx.HTTPError, ValueError, KeyError):
        return False


async def _interleaved(sim_url: str, prometheus_url: str, trials: int) -> tuple[list[float], list[float]]:
    """(heartbeat-only ms, through-Prometheus ms) of `trials` polls each, alternating."""
    from canary_tui.config_model import DEFAULT_PROMQL
    from canary_tui.mission.client import MissionClient
    from canary_tui.mission.prometheus import PrometheusBackedClient, PrometheusSource, PromQL

    source = PrometheusSource(prometheus_url, PromQL(DEFAULT_PROMQL, 60.0))
    direct_ms: list[float] = []
    prom_ms: list[float] = []
    async with MissionClient(sim_url) as direct, PrometheusBackedClient(sim_url, prometheus=source) as through:
        await direct.heartbeat()
        await through.heartbeat()  # warm both pools
        for _ in range(trials):
            for client, out in ((direct, direct_ms), (through, prom_ms)):
                started = time.perf_counter()
                await client.heartbeat()
                out.append((time.perf_counter() - started) * 1000.0)
    return direct_ms, prom_ms


def run(quick: bool) -> list[Figure]:
    trials = 40 if quick else 300
    binary = _prometheus_binary()
    with SimulatorProcess(scenario="healthy", seed=3, initial_percent=10) as sim, tempfile.TemporaryDirectory(prefix="canary-bench-prom-") as tmp:
        port = _free_port()
        config = Path(tmp) / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: sim\n    static_configs:\n"
                          f"      - targets: ['{sim.url.removeprefix('http://')}']\n")
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen([binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
                                 f"--storage.tsdb.path={tmp}/data"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(lambda: _two_scrapes(url), "Prometheus's first two scrapes")
            direct_ms, prom_ms = asyncio.run(_interleaved(sim.url, url, trials))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    detail = (f"{trials} interleaved polls each on warm pools, simulator in its own process, Prometheus scraping it every 1 s: "
              f"heartbeat median {median(direct_ms):.2f} ms, p99 {percentile(direct_ms, 0.99):.2f} ms; "
              f"through Prometheus (heartbeat + 8 instant queries in parallel) median {median(prom_ms):.2f} ms, "
              f"p99 {percentile(prom_ms, 0.99):.2f} ms")
    return [
        reported("poll through Prometheus / through the heartbeat (median)", median(prom_ms) / median(direct_ms), "x", detail),
        reported("poll through Prometheus / through the heartbeat (p99)", percentile(prom_ms, 0.99) / percentile(direct_ms, 0.99),
                 "x", "(same run)"),
    ]
