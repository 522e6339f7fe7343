"""The environment's proxy is honoured: `status`, the controller's poll and the rollback POST go through HTTP_PROXY,
and past it when NO_PROXY covers the host (a recording forward proxy on loopback)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from forward_proxy import ForwardProxy

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.audit import AuditLog
from canary_tui.controller.factory import build_controller
from canary_tui.controller.model import Trigger
from canary_tui.mission.client import MissionClient
from canary_tui.mission.credentials import Secret

HEARTBEAT = "/api/ghost/heartbeat"
CANARY = "/api/ghost/canary"


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy.running() as running:
        yield running


def _status(tmp_path: Path, url: str, **proxy_env: str) -> subprocess.CompletedProcess[str]:
    """`canary-tui status sim --json` as a subprocess, environment "sim" -> url, with the given proxy variables."""
    config_path = tmp_path / "config.toml"
    config_path.write_text(f'[environments.sim]\nurl = "{url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("OPS_TOKEN", "HEARTBEAT_SECRET")}
    env.update(CANARY_TUI_CONFIG=str(config_path), HOME=str(tmp_path), NO_COLOR="1", **proxy_env)
    return subprocess.run([sys.executable, "-m", "canary_tui", "status", "sim", "--json"],
                          capture_output=True, text=True, env=env, timeout=60)


def test_status_goes_through_http_proxy(simulator, proxy, tmp_path) -> None:
    done = _status(tmp_path, simulator.url, HTTP_PROXY=proxy.url)
    assert done.returncode in (0, 1, 2), done.stderr  # a verdict, not UNKNOWN (3): the heartbeats came back
    forwarded = proxy.requests()
    assert forwarded and all(req == ("GET", simulator.url + HEARTBEAT) for req in forwarded)


def test_status_skips_the_proxy_for_no_proxy_hosts(simulator, proxy, tmp_path) -> None:
    done = _status(tmp_path, simulator.url, HTTP_PROXY=proxy.url, NO_PROXY="localhost,127.0.0.1")
    assert done.returncode in (0, 1, 2), done.stderr
    assert proxy.requests() == []


def test_lower_case_proxy_variable_is_honoured_too(simulator, proxy, tmp_path) -> None:
    done = _status(tmp_path, simulator.url, http_proxy=proxy.url)
    assert done.returncode in (0, 1, 2), done.stderr
    assert proxy.requests()


async def _poll_then_roll_back(simulator, tmp_path: Path) -> None:
    """The production wiring (build_controller): one poll, then the rollback the R key starts; it reaches 0%."""
    env = EnvironmentConfig(name="staging", url=simulator.url, auto_advance=False, auto_rollback=False)
    client = MissionClient(simulator.url, token=Secret("test-token"))
    controller = build_controller(env, Config(), client=client, audit=AuditLog("staging", path=tmp_path / "audit.jsonl"))
    try:
        await controller.refresh()
        result = await controller.rollback(Trigger.KEY, "proxy test")
    finally:
        await controller.aclose()
        await client.aclose()
    assert result.ok, result.message
    assert simulator.state.canary_percent == 0


@pytest.mark.parametrize("direct", [False, True], ids=["through-proxy", "no-proxy"])
async def test_controller_poll_and_rollback_post_follow_the_proxy_settings(simulator_factory, proxy, tmp_path, monkeypatch, direct) -> None:
    simulator = simulator_factory(scenario="healthy", token="test-token", seed=7, initial_percent=10)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    if direct:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    await _poll_then_roll_back(simulator, tmp_path)
    forwarded = proxy.requests()
    if direct:
        assert forwarded == []
    else:
        assert ("GET", simulator.url + HEARTBEAT) in forwarded
        assert ("POST", simulator.url + CANARY) in forwarded
        assert {url for _, url in forwarded} <= {simulator.url + HEARTBEAT, simulator.url + CANARY}
