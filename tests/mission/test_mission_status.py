"""`canary-tui status` end to end: a subprocess against the in-process simulator, one test per exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from canary_tui.core.clock import ManualClock

TOKEN_VALUE = "ops-STATUSCHECK-31f5"
SECRET_VALUE = "hb-STATUSCHECK-9e07"
CLI = [sys.executable, "-m", "canary_tui"]
#: thresholds under which the simulator's healthy baseline (p50 ≈ 120 ms, 0.5% errors) is OK
LENIENT = "[thresholds]\np50_ms = [150, 300]\nerror_rate_pct = [2, 5]\n"
#: a tight P95 band: the simulator's healthy P95 (~104 ms) sits in its warning range (bounds on the
#: heartbeat's histogram edges, where the slow counts that judge a P95 are known)
P95_TIGHT = "[thresholds]\np95_ms = [50, 750]\n"


def _run(tmp_path: Path, url: str, *args: str, config: str = "", secret: str | None = SECRET_VALUE) -> subprocess.CompletedProcess[str]:
    """Run the CLI with an isolated config (environment "sim" -> url) and known credentials."""
    config_path = tmp_path / "config.toml"
    config_path.write_text(f'{config}\n[environments.sim]\nurl = "{url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("OPS_TOKEN", "HEARTBEAT_SECRET", "NO_COLOR")}
    env.update(CANARY_TUI_CONFIG=str(config_path), HOME=str(tmp_path), OPS_TOKEN=TOKEN_VALUE, NO_COLOR="1")
    if secret is not None:
        env["HEARTBEAT_SECRET"] = secret
    result = subprocess.run([*CLI, "status", *args], capture_output=True, text=True, env=env, timeout=60)
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream
        assert TOKEN_VALUE not in stream and SECRET_VALUE not in stream
    return result


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The single JSON object on stdout (first and only line)."""
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def _wait_for(condition, timeout_s: float = 20.0) -> None:
    """Poll condition() until true (no blind sleeps)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_healthy_is_ok_exit_0(simulator_factory, tmp_path) -> None:
    sim = simulator_factory(scenario="healthy", initial_percent=50, speed=60, seed=21, secret=SECRET_VALUE)
    result = _run(tmp_path, sim.url, "sim", "--json", config=LENIENT)
    doc = _json(result)
    assert result.returncode == 0, doc
    assert doc["level"] == "ok" and doc["error"] is None
    assert doc["canary_percent"] == 50 and doc["paused"] is False
    assert doc["verified"] is True and doc["signature_valid"] is True
    assert doc["requests"] > 1000 and 0 <= doc["error_rate"] < 0.02
    assert 0 < doc["p50_ms"] <= doc["p95_ms"] <= doc["p99_ms"]
    assert doc["heartbeat_ms"] > 0 and doc["summary"].startswith("CANARY OK - sim:")


def test_text_output_has_summary_metrics_and_deployment(simulator_factory, tmp_path) -> None:
    sim = simulator_factory(scenario="healthy", initial_percent=50, speed=60, seed=22, secret=SECRET_VALUE)
    sim.state.set_canary(50, None, True, "hold for lunch", "alice@test")
    result = _run(tmp_path, sim.url, "sim", config=LENIENT)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout
    assert lines[0].startswith("CANARY OK - sim: canary 50% (v0.5.0), canary errors ")  # the canary's own, split out
    assert ", canary P95 " in lines[0]
    assert " | error_rate=" in lines[0] and "p95=" in lines[0] and "ms;500;750" in lines[0]
    perfdata = dict(item.split("=", 1) for item in lines[0].split(" | ", 1)[1].split())
    assert all(len(value.split(";")[0].rstrip("%ms").replace(".", "").lstrip("0")) <= 4 for value in perfdata.values()), perfdata
    assert lines[1] == "Checking metrics"
    assert lines[2].startswith("  ✔ Heartbeat OK: ") and "signature verified" in lines[2]
    text = result.stdout
    for label in ("Errors: ", "P50: ", "P95: ", "P99: ", "Canary errors: "):
        assert f"{label}" in text
    assert " healthy" in text and "%)" in text
    assert "  Versions: v0.4.1 (stable) → v0.5.0 (canary)" in lines
    assert "  Canary:   50%" in lines and "  Paused:   yes" in lines
    assert any(line.startswith("  Updated:  20") and line.endswith(" by alice@test") for line in lines)


def test_healthy_simulator_is_ok_on_the_seed_table_exit_0(simulator_factory, tmp_path) -> None:
    sim = simulator_factory(scenario="healthy", initial_percent=50, speed=60, seed=23)
    doc = _json(result := _run(tmp_path, sim.url, "sim", "--json", secret=None))
    assert result.returncode == 0, doc
    assert doc["level"] == "ok" and doc["p50_ms"] < 50 and doc["p95_ms"] < 500


def test_p95_in_the_warning_band_is_a_warning_exit_1(simulator_factory, tmp_path) -> None:
    sim = simulator_factory(scenario="healthy", initial_percent=50, speed=60, seed=23)
    doc = _json(result := _run(tmp_path, sim.url, "sim", "--json", config=P95_TIGHT, secret=None))
    assert result.returncode == 1, doc
    assert doc["level"] == "warning" and doc["levels"]["p95"] == "warning"
    assert 50 <= doc["p95_ms"] <= 750
    assert doc["signature_valid"] is None and doc["verified"] is True


def test_error_spike_is_critical_exit_2(simulator_factory, tmp_path) -> None:
    sim = simulator_factory(scenario="error-spike", initial_percent=50, speed=60, seed=24)
    _wait_for(lambda: sim.state.heartbeat()[0]["heartbeat"]["status"] == "degraded")
    doc = _json(result := _run(tmp_path, sim.url, "sim", "--json", config=LENIENT, secret=None))
    assert result.returncode == 2, doc
    assert doc["level"] == "critical" and doc["levels"]["canary_errors"] == "critical"
    assert doc["status"] == "degraded" and doc["error_rate"] > 0.02


def test_forged_signature_is_critical_exit_2(simulator_factory, tmp_path) -> None:
    sim = simulator_factory(scenario="healthy", initial_percent=50, speed=60, seed=25, faults=True, secret=SECRET_VALUE)
    sim.inject_fault("bad_signature", count=-1)
    doc = _json(result := _run(tmp_path, sim.url, "sim", "--json", config=LENIENT))
    assert result.returncode == 2, doc
    assert doc["verified"] is False and doc["signature_valid"] is False and doc["levels"]["signature"] == "critical"


def test_outage_is_unknown_exit_3(simulator_factory, tmp_path) -> None:
    clock = ManualClock()
    sim = simulator_factory(scenario="outage", initial_percent=10, clock=clock, seed=26)
    clock.advance(70)
    result = _run(tmp_path, sim.url, "sim")
    assert result.returncode == 3
    assert result.stdout.splitlines()[0].startswith("CANARY UNKNOWN - sim: heartbeat unreachable")


def test_invalid_data_is_unknown_exit_3_with_error(simulator_factory, tmp_path) -> None:
    sim = simulator_factory(faults=True, seed=27)
    sim.inject_fault("errors_gt_requests", count=-1)
    doc = _json(result := _run(tmp_path, sim.url, "sim", "--json"))
    assert result.returncode == 3
    assert doc["level"] == "unknown" and "heartbeat.metrics.errors" in doc["error"]
    assert doc["canary_percent"] is None


def test_url_target_resolves_to_its_environment_or_stands_alone(simulator_factory, tmp_path) -> None:
    sim = simulator_factory(scenario="healthy", initial_percent=50, speed=60, seed=28)
    doc = _json(result := _run(tmp_path, sim.url, sim.url, "--json", config=LENIENT, secret=None))
    assert result.returncode == 0, doc
    assert doc["target"] == "sim"  # the URL matched the configured environment
    doc = _json(result := _run(tmp_path, "http://127.0.0.1:1", sim.url, "--json", config=LENIENT, secret=None))
    assert result.returncode == 0, doc
    port = sim.url.rsplit(":", 1)[1]
    assert doc["target"] == f"127.0.0.1:{port}" and doc["canary_percent"] == 50  # named by host and port


@pytest.mark.parametrize("args", [[], ["sim", "--bogus"], ["sim", "--interval-s", "abc"], ["no-such-env"],
                                  ["sim", "--interval-s", "60"]])
def test_usage_and_config_errors_are_unknown_exit_3(tmp_path, args: list[str]) -> None:
    result = _run(tmp_path, "http://127.0.0.1:1", *args)
    assert result.returncode == 3, result
    assert result.stdout.startswith("CANARY UNKNOWN - ")
