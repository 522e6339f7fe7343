"""`status` through a real Prometheus agrees with the heartbeat, and judges the regressions as the heartbeat does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from prom_harness import SCRAPE_INTERVAL_S, env_toml, wait_for, write_config

from canary_tui.config import load_config
from canary_tui.controller.factory import mission_client
from canary_tui.core.clock import SystemClock
from canary_tui.mission.client import MissionClient
from canary_tui.mission.credentials import Secret
from canary_tui.mission.prometheus import PrometheusBackedClient
from canary_tui.simulator.options import LATENCY_LE_MS

#: the healthy simulator's traffic (requests per simulated second, at speed 1)
RATE_PER_S = 100.0


def status_json(tmp_path: Path, config: Path, *args: str) -> Any:
    """`canary-tui status ARGS --json` as a subprocess; its parsed output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANARY_TUI_", "OPS_TOKEN"))}
    env.update(CANARY_TUI_STATE_DIR=str(tmp_path / "state"), CANARY_TUI_CONFIG=str(config), OPS_TOKEN="test-token")
    done = subprocess.run([sys.executable, "-m", "canary_tui", "status", *args, "--json"], capture_output=True, text=True,
                          env=env, timeout=90)
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout)


def bucket_width_ms(value_ms: float) -> float:
    """The width of the histogram bucket holding `value_ms`: how far a bucket-interpolated quantile may sit from it."""
    lower = 0.0
    for edge in LATENCY_LE_MS:
        if value_ms <= edge:
            return edge - lower
        lower = edge
    return float(LATENCY_LE_MS[-1])


async def test_counts_and_buckets_agree_with_the_heartbeat_within_one_scrape(stack, tmp_path) -> None:
    sim = stack.simulators["healthy"]
    config = load_config(write_config(tmp_path, env_toml("healthy", sim.url, stack.prometheus.url, "healthy")))
    env = config.environments["healthy"]
    through_prometheus = mission_client(env, SystemClock(), Secret("test-token"), None)
    assert isinstance(through_prometheus, PrometheusBackedClient)
    async with through_prometheus, MissionClient(sim.url) as direct:
        via_prom = await through_prometheus.heartbeat()
        via_heartbeat = await direct.heartbeat()
    assert via_prom.metrics.source == "prometheus" and via_heartbeat.metrics.source == "heartbeat"
    assert via_prom.deployment == via_heartbeat.deployment  # the deployment state is still Mission Control's
    slack = 2 * SCRAPE_INTERVAL_S * RATE_PER_S  # Prometheus lags by up to one scrape, plus the poll's own time
    for variant in ("canary", "stable"):
        prom_v, hb_v = getattr(via_prom.metrics, variant), getattr(via_heartbeat.metrics, variant)
        assert hb_v.requests - slack <= prom_v.requests <= hb_v.requests, variant
        assert prom_v.latency_buckets.le_ms == tuple(float(le) for le in LATENCY_LE_MS)
        for prom_count, hb_count in zip(prom_v.latency_buckets.counts, hb_v.latency_buckets.counts, strict=True):
            assert hb_count - slack <= prom_count <= hb_count, variant
        assert abs(prom_v.p95_ms - hb_v.p95_ms) <= bucket_width_ms(hb_v.p95_ms), variant


def test_status_json_through_prometheus_agrees_with_the_heartbeat(stack, tmp_path) -> None:
    sim = stack.simulators["healthy"]
    config = write_config(tmp_path, env_toml("prom", sim.url, stack.prometheus.url, "healthy"),
                          env_toml("direct", sim.url, None, "healthy"))
    prom, direct = status_json(tmp_path, config, "prom", "direct", "--window", "4")
    assert prom["metrics_source"] == "prometheus" and direct["metrics_source"] == "heartbeat"
    assert prom["error"] is None and prom["canary_percent"] == direct["canary_percent"] == 50
    assert prom["level"] == direct["level"]
    assert prom["decision"]["kind"] == direct["decision"]["kind"]
    # both windows cover the same 4 s of traffic, Prometheus's shifted by at most one scrape at each end
    assert abs(prom["requests"] - direct["requests"]) <= 2 * SCRAPE_INTERVAL_S * RATE_PER_S + 0.5 * RATE_PER_S
    assert abs(prom["p95_ms"] - direct["p95_ms"]) <= bucket_width_ms(direct["p95_ms"])


def test_regressions_are_judged_rollback_through_prometheus_as_through_the_heartbeat(stack, tmp_path) -> None:
    tables = []
    for job in ("latency", "errors"):
        url = stack.simulators[job].url
        tables += [env_toml(f"{job}-prom", url, stack.prometheus.url, job), env_toml(f"{job}-direct", url, None, job)]
    # the error spike starts 120 simulated seconds after the canary went live (6 s at the fixture's speed)
    wait_for(lambda: stack.simulators["errors"].state.sim_elapsed_s() > 130, 30.0, "the error spike")
    reports = status_json(tmp_path, write_config(tmp_path, *tables), "--all", "--window", "6")
    kinds = {r["target"]: (r["decision"] or {}).get("kind") for r in reports}
    assert kinds == dict.fromkeys(("latency-prom", "latency-direct", "errors-prom", "errors-direct"), "rollback"), reports
    assert {r["target"]: r["metrics_source"] for r in reports}["errors-prom"] == "prometheus"
    assert all(r["level"] == "critical" for r in reports)
