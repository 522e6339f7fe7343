"""A Prometheus that stops, and queries that cannot give a figure: STALE with the reason, never a rollback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prom_harness import PrometheusServer, env_toml, write_config

from canary_tui.config import load_config
from canary_tui.controller.factory import build_client, build_controller
from canary_tui.controller.fleet import states_from_clients
from canary_tui.core.clock import SystemClock
from canary_tui.controller.model import ConnectionState, Trigger
from canary_tui.core.verdicts import DecisionKind
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.widgets.heartbeat_pane import HeartbeatPane

THEMES = Path(__file__).resolve().parents[2] / "themes"
BAD_QUERIES = {
    "syntax": ('requests = \'sum(http_requests_total{variant="{variant}"{labels}}\'', "prometheus-bad-query", "parse error"),
    "noseries": ('requests = \'sum(no_such_metric_total{variant="{variant}"{labels}})\'', "prometheus-no-series", "no series"),
    "nan": ('errors = \'sum(http_requests_total{variant="{variant}"{labels}}) * NaN\'', "prometheus-nan", "NaN"),
    "several": ('requests = \'http_requests_total{variant="{variant}"{labels}}\'', "prometheus-several-series", "2 series"),
}


async def poll_until(controller, condition, what: str, timeout_s: float = 20.0, every_s: float = 0.25):
    """Refresh the controller until `condition(snapshot)` holds; fail naming `what` after `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        snapshot = await controller.refresh()
        if condition(snapshot):
            return snapshot
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {snapshot.connection} {snapshot.connection_error}")
        await asyncio.sleep(every_s)


async def test_prometheus_stopped_mid_watch_is_stale_with_the_reason_never_a_rollback(simulator_factory, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPS_TOKEN", "test-token")
    sim = simulator_factory(scenario="healthy", seed=7, token="test-token", initial_percent=50)
    (tmp_path / "prom").mkdir()
    prometheus = PrometheusServer(tmp_path / "prom", {"own": sim.url})
    try:
        prometheus.start()
        config = load_config(write_config(tmp_path, env_toml("own", sim.url, prometheus.url, "own", auto_rollback=True)))
        controller = build_controller(config.environments["own"], config, audit=False, store=False)
        async with controller.client:
            live = await poll_until(controller, lambda s: s.connection is ConnectionState.LIVE, "LIVE through Prometheus")
            assert live.heartbeat.metrics.source == "prometheus"
            prometheus.stop()
            for _ in range(5):  # past the errors after which a broken heartbeat would turn UNREACHABLE
                stale = await controller.refresh()
                assert stale.connection is ConnectionState.STALE
                assert stale.connection_error.startswith("prometheus-failed: Prometheus") and "cannot reach" in stale.connection_error
                assert stale.decision is None or stale.decision.kind is not DecisionKind.ROLLBACK
            await controller.wait_idle()
            assert sim.state.canary_percent == 50 and not sim.state.history  # nothing was rolled back
            # the promotion pipeline reads only the deployment state: an upstream's metrics source being down does not hide it
            read = states_from_clients(config, lambda env: build_client(env, SystemClock()), SystemClock())
            (upstream,) = (await read(["own"])).values()
            assert upstream.problem is None and upstream.percent == 50, upstream
            # R still works: Mission Control's read-back confirms 0% while Prometheus is down
            result = await controller.rollback(Trigger.KEY, "by hand while Prometheus is down")
            assert result.ok and sim.state.canary_percent == 0, result.message
            prometheus.start()
            back = await poll_until(controller, lambda s: s.connection is ConnectionState.LIVE, "LIVE again")
            assert back.connection_error is None and back.heartbeat.metrics.source == "prometheus"
        await controller.aclose()
    finally:
        prometheus.stop()


def test_bad_queries_are_clear_errors_in_status(stack, tmp_path) -> None:
    sim = stack.simulators["healthy"]
    tables = [env_toml(name, sim.url, stack.prometheus.url, "healthy", extra=query) for name, (query, _, _) in BAD_QUERIES.items()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANARY_TUI_", "OPS_TOKEN"))}
    env.update(CANARY_TUI_STATE_DIR=str(tmp_path / "state"), CANARY_TUI_CONFIG=str(write_config(tmp_path, *tables)))
    done = subprocess.run([sys.executable, "-m", "canary_tui", "status", "--all", "--window", "1"], capture_output=True,
                          text=True, env=env, timeout=90)
    assert done.returncode == 3 and "Traceback" not in done.stderr
    lines = {line.split(" - ")[1].split(":")[0]: line for line in done.stdout.splitlines()}
    for name, (_, kind, words) in BAD_QUERIES.items():
        assert lines[name].startswith(f"CANARY UNKNOWN - {name}: {kind}: Prometheus "), lines[name]
        assert words in lines[name], lines[name]
    assert "requests query (canary)" in lines["syntax"]  # the query and the variant are named


@pytest.mark.parametrize("name", ["syntax", "nan"])
async def test_bad_queries_are_clear_errors_on_the_dashboard(stack, tmp_path, name: str) -> None:
    sim = stack.simulators["healthy"]
    query, kind, words = BAD_QUERIES[name]
    config = load_config(write_config(tmp_path, env_toml(name, sim.url, stack.prometheus.url, "healthy", extra=query)))
    controller = build_controller(config.environments[name], config, audit=False, store=False, read_only=True)
    app = CanaryApp(controller, read_only=True, poll_interval_s=0.2, theme_dirs=[THEMES])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.query_one("#heartbeat", HeartbeatPane)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10.0
            while kind not in str(pane.render()):
                assert loop.time() < deadline, f"the heartbeat pane never showed {kind}: {pane.render()}"
                await pilot.pause(0.05)
            text = str(pane.render())
            assert words in text and sim.state.canary_percent == 50
        assert not app.crashed
    finally:
        await controller.aclose()


async def test_the_dashboard_says_the_figures_come_from_prometheus(stack, tmp_path) -> None:
    sim = stack.simulators["healthy"]
    config = load_config(write_config(tmp_path, env_toml("live", sim.url, stack.prometheus.url, "healthy")))
    controller = build_controller(config.environments["live"], config, audit=False, store=False, read_only=True)
    app = CanaryApp(controller, read_only=True, poll_interval_s=0.2, theme_dirs=[THEMES])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.query_one("#heartbeat", HeartbeatPane)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10.0
            while app.snapshot is None or app.snapshot.connection is not ConnectionState.LIVE:
                assert loop.time() < deadline, "never LIVE through Prometheus"
                await pilot.pause(0.05)
            while "metrics: prometheus" not in str(pane.render()):  # the pane draws the LIVE snapshot on its next turn
                assert loop.time() < deadline, f"the heartbeat pane never named its source: {pane.render()}"
                await pilot.pause(0.05)
        assert not app.crashed
    finally:
        await controller.aclose()
