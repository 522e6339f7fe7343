"""Transport: https for anything but loopback, certificates verified by default, a CA bundle configurable,
and no redirect ever takes the request (or the token) to another host."""

from __future__ import annotations

import socket
import threading

import pytest

from canary_tui.config import ConfigError, config_from_dict, resolve_target
from canary_tui.controller.factory import build_client
from canary_tui.core.clock import SystemClock
from canary_tui.mission.errors import RedirectRefused, TLSError
from reliability_support import SECRET, TOKEN, CliHome
from reliability_links import client


@pytest.mark.parametrize("url", ["http://mission.example.com", "http://10.0.0.5:8080", "http://[2001:db8::1]", "ftp://mission.example.com"])
def test_config_refuses_plain_http_to_non_loopback(url):
    with pytest.raises(ConfigError) as info:
        config_from_dict({"environments": {"prod": {"url": url}}})
    assert any("https" in line for line in info.value.errors)


@pytest.mark.parametrize("url", ["https://mission.example.com", "http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787"])
def test_config_accepts_https_and_loopback_http(url):
    assert config_from_dict({"environments": {"prod": {"url": url}}}).environments["prod"].url == url


@pytest.mark.parametrize("target", ["http://mission.example.com", "http://192.168.1.10"])
def test_url_targets_need_https_too(target):
    config = config_from_dict({})
    with pytest.raises(ConfigError):
        resolve_target(config, target)


def test_cli_refuses_plain_http_target_without_touching_the_network(cli_home: CliHome):
    result = cli_home.run("status", "http://mission.example.com", "--interval-s", "0.1")
    assert result.returncode == 3 and "https" in (result.stdout + result.stderr)


async def test_verification_is_on_by_default_and_a_ca_bundle_is_honoured(simulator_factory, tls_front_factory, tmp_path):
    sim = simulator_factory(scenario="healthy", token=TOKEN, secret=SECRET, seed=2)
    front = tls_front_factory(int(sim.url.rsplit(":", 1)[1]))
    default_env = config_from_dict({"environments": {"tls": {"url": front.url}}}).environments["tls"]
    assert default_env.verify_tls is True and default_env.ca_bundle is None
    async with build_client(default_env, SystemClock()) as plain:
        with pytest.raises(TLSError) as info:
            await plain.heartbeat()
    assert "certificate" in str(info.value).lower()
    bundled = config_from_dict({"environments": {"tls": {"url": front.url, "ca_bundle": str(front.ca_path)}}}).environments["tls"]
    async with build_client(bundled, SystemClock()) as trusting:
        hb = await trusting.heartbeat()
    assert hb.deployment.environment == "staging"


def test_cli_with_ca_bundle_judges_and_without_is_unknown(simulator_factory, tls_front_factory, cli_home: CliHome):
    sim = simulator_factory(scenario="healthy", token=TOKEN, secret=SECRET, seed=2, speed=30, initial_percent=10)
    front = tls_front_factory(int(sim.url.rsplit(":", 1)[1]))
    cli_home.url = front.url
    refused = cli_home.run("status", "sim", "--interval-s", "0.1")
    assert refused.returncode == 3 and "tls" in refused.stdout.lower()
    cli_home.extra_env_toml = f'ca_bundle = "{front.ca_path}"\n'
    assert cli_home.run("status", "sim", "--window", "2").returncode in (0, 1, 2)


class _Catcher:
    """A loopback listener that records whether anyone connected (where a redirect would send the token)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(0.5)
            try:
                self.received += conn.recv(65536) or b"<connected>"
            except OSError:
                self.received += b"<connected>"
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.mark.parametrize("path", ["/api/ghost/heartbeat", "/api/ghost/canary"])
@pytest.mark.parametrize("where", ["other-port", "other-host"])
async def test_redirects_elsewhere_are_refused_and_nothing_is_sent_there(simulator_factory, path, where):
    sim = simulator_factory(scenario="healthy", faults=True, token=TOKEN, secret=SECRET, seed=2)
    catcher = _Catcher()
    try:
        host = "127.0.0.1" if where == "other-port" else "localhost"
        sim.inject_fault("redirect", count=-1, paths=[path], status=307, location=f"http://{host}:{catcher.port}{path}")
        async with client(sim.url, SystemClock()) as c:
            with pytest.raises(RedirectRefused):
                if path.endswith("canary"):
                    await c.set_canary(percent=0)
                else:
                    await c.heartbeat()
        assert catcher.received == b""  # the request, and the bearer token with it, never left for the other origin
        assert sim.state.canary_percent == 0 and sim.state.history == []
    finally:
        catcher.close()
