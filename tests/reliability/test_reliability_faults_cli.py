"""Fault matrix × the CLI: `canary-tui status` as a subprocess meets every fault over loopback.

Under a fault: exit 3 (UNKNOWN), exactly one line naming the typed reason, no
traceback, no secret. When the fault ends the same command judges again (0/1/2).
"""

from __future__ import annotations

import json
import time

import pytest

from canary_tui.core.clock import ManualClock
from reliability_support import SECRET, SPEC_FAULT_TIMEOUTS, TOKEN, CliHome, closed_port, wait_until
from fault_catalog import CASES, HEARTBEAT, FaultCase

LENIENT = "[thresholds]\np50_ms = [150, 300]\nerror_rate_pct = [2, 5]\n"


def _sim(simulator_factory, **options):
    options.setdefault("scenario", "healthy")
    options.setdefault("initial_percent", 10)
    options.setdefault("speed", 30)
    return simulator_factory(faults=True, token=TOKEN, secret=SECRET, seed=5, **options)


def _assert_unknown(result, case: FaultCase) -> None:
    lines = result.stdout.splitlines()
    assert result.returncode == 3, (result.returncode, result.stdout, result.stderr)
    assert len(lines) == 1, result.stdout
    line = lines[0]
    assert line.startswith("CANARY UNKNOWN - sim: heartbeat "), line
    kind = line.removeprefix("CANARY UNKNOWN - sim: heartbeat ").split(":")[0]
    assert kind in case.kinds, line
    assert any(w in line.lower() for w in case.words), line
    assert result.stderr.count("\n") <= 1  # at most one line of warning, never a traceback


def _assert_judged(result) -> None:
    """A verdict on evidence: the window (2 s) holds enough requests to judge, so low data is not the answer."""
    assert result.returncode in (0, 1, 2), (result.returncode, result.stdout, result.stderr)
    assert not result.stdout.startswith("CANARY UNKNOWN")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_status_under_fault_is_unknown_with_one_line_then_recovers(case, simulator_factory, cli_home: CliHome, tls_front_factory, request):
    sim = _sim(simulator_factory)
    cli_home.extra_env_toml = SPEC_FAULT_TIMEOUTS
    cli_home.top_toml = LENIENT
    if case.transport == "sim":
        cli_home.url = sim.url
        case.inject(sim, [HEARTBEAT])
    elif case.transport == "refused":
        port = closed_port()
        cli_home.url = f"http://127.0.0.1:{port}"
    elif case.transport == "dns":
        cli_home.url = "https://mission.invalid"
    elif case.transport == "tls":
        front = tls_front_factory(int(sim.url.rsplit(":", 1)[1]))
        cli_home.url = front.url  # no ca_bundle: the self-signed chain must be refused
    elif case.transport == "connect-timeout":
        cli_home.url = request.getfixturevalue("blackhole").url
    started = time.monotonic()
    _assert_unknown(cli_home.run("status", "sim", "--interval-s", "0.1"), case)
    assert time.monotonic() - started < 20  # bounded by the configured timeouts, not hung
    # the fault ends
    if case.transport == "sim":
        sim.clear_faults()
    elif case.transport == "refused":
        simulator_factory(faults=True, token=TOKEN, secret=SECRET, seed=5, port=port, initial_percent=10, speed=30)
    elif case.transport == "tls":
        cli_home.extra_env_toml += f'ca_bundle = "{front.ca_path}"\n'
    else:
        cli_home.url = sim.url
    _assert_judged(cli_home.run("status", "sim", "--window", "2"))


def test_status_json_under_fault_carries_the_reason(simulator_factory, cli_home: CliHome):
    sim = _sim(simulator_factory)
    cli_home.url = sim.url
    sim.inject_fault("html", count=-1, status=502)
    result = cli_home.run("status", "sim", "--json", "--interval-s", "0.1")
    doc = json.loads(result.stdout)
    assert result.returncode == 3 and doc["level"] == "unknown" and doc["exit_code"] == 3
    assert doc["error"].startswith("heartbeat http: HTTP 502")


def test_status_heartbeat_flapping_between_its_two_reads(simulator_factory, cli_home: CliHome):
    """Up for the first read, down for the second: UNKNOWN; then up for both: judged; down first: UNKNOWN."""
    sim = _sim(simulator_factory)
    cli_home.url = sim.url
    cli_home.top_toml = LENIENT
    served = sim.state.counters["heartbeats"]
    proc = cli_home.popen("status", "sim", "--interval-s", "1.5")
    wait_until(lambda: sim.state.counters["heartbeats"] > served, what="the first heartbeat")
    sim.inject_fault("drop", count=1)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3 and out.startswith("CANARY UNKNOWN - sim: heartbeat unreachable: ") and "Traceback" not in err
    assert sim.faults.fired == ["drop"]
    _assert_judged(cli_home.run("status", "sim", "--window", "2"))
    sim.inject_fault("drop", count=1)
    assert cli_home.run("status", "sim", "--interval-s", "0.1").returncode == 3


def test_status_across_a_counter_reset_never_reports_a_negative_rate(simulator_factory, cli_home: CliHome):
    clock = ManualClock()
    sim = _sim(simulator_factory, scenario="counter-reset", clock=clock, speed=1, initial_percent=50)
    clock.advance(100.0)  # 100 s of traffic; the server restarts at 120 s
    before = sim.state.heartbeat()[0]["heartbeat"]["metrics"]["requests"]
    cli_home.url = sim.url
    cli_home.top_toml = LENIENT
    served = sim.state.counters["heartbeats"]
    proc = cli_home.popen("status", "sim", "--json", "--interval-s", "1.5")
    wait_until(lambda: sim.state.counters["heartbeats"] > served, what="the first heartbeat")
    clock.advance(100.0)  # past the restart: the counters fall
    out, err = proc.communicate(timeout=30)
    assert sim.state.counters["restarts"] == 1
    assert sim.state.heartbeat()[0]["heartbeat"]["metrics"]["requests"] < before
    doc = json.loads(out)
    assert "Traceback" not in err
    assert proc.returncode in (0, 1, 2, 3)
    for key in ("error_rate", "errors", "requests"):
        assert doc[key] is None or doc[key] >= 0, doc
    assert doc["p95_ms"] is not None  # the percentiles still judge: not UNKNOWN for a restart
    assert proc.returncode != 3, doc


@pytest.mark.parametrize("skew_h", [-5.0, 7.0])
def test_status_with_server_clock_hours_off_still_judges(simulator_factory, cli_home: CliHome, skew_h):
    sim = _sim(simulator_factory, clock=lambda: time.time() + skew_h * 3600)
    sim.state.set_canary(10, None, None, "skewed change", "bob@skewed")
    cli_home.url = sim.url
    cli_home.top_toml = LENIENT
    result = cli_home.run("status", "sim", "--json", "--interval-s", "0.2")
    doc = json.loads(result.stdout)
    assert result.returncode in (0, 1, 2), doc
    assert doc["requests"] is not None and doc["requests"] >= 0 and doc["error_rate"] is not None
    assert 0 <= doc["error_rate"] <= 1


def test_cli_rollback_waits_out_retry_after_and_backoff(simulator_factory, cli_home: CliHome):
    """429 Retry-After: 2, then 503 twice: the rollback lands, and no retry came sooner than the server or the backoff allowed."""
    from datetime import datetime

    from reliability_support import need_command
    from canary_tui.controller.audit import read_audit

    need_command("rollback")
    sim = _sim(simulator_factory)
    cli_home.url = sim.url
    sim.inject_fault("retry_after", count=1, paths=["/api/ghost/canary"], seconds=2)
    sim.inject_fault("status", count=2, paths=["/api/ghost/canary"], status=503)
    result = cli_home.run("rollback", "sim", "--note", "backoff", "--timeout", "30")
    assert result.returncode == 0, result.stderr
    assert [(c.percent, c.actor) for c in sim.state.history] == [(0, "cli@reliability")]
    records = [r for r in read_audit(cli_home.audit_file).records if r.get("note") == "backoff" and "http_attempt" in r]
    times = [datetime.fromisoformat(str(r["time"]).replace("Z", "+00:00")).timestamp() for r in records]
    assert [r["outcome"] for r in records] == ["http-failed", "http-failed", "http-failed", "sent"], records
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps[0] >= 2.0, gaps  # Retry-After honoured
    assert all(g >= 0.1 for g in gaps[1:]), gaps  # jittered backoff: at least half the 0.2 s base


#: `canary-tui rollback` under the simulator faults: four by default, the rest in the slow run (the 1 B/s
#: slow-loris, 7 s here, is left to the controller and dashboard matrices, which cover every case)
CLI_R_DEFAULT = ("http-503", "connection-dropped", "html-proxy-page", "non-json")
CLI_R_CASES = [c if c.name in CLI_R_DEFAULT else pytest.param(c, marks=pytest.mark.slow)
               for c in CASES if c.transport == "sim" and c.name != "total-timeout-slow-loris"]


@pytest.mark.parametrize("case", CLI_R_CASES, ids=str)
def test_cli_rollback_during_fault_lands_once_when_the_server_answers(case, simulator_factory, cli_home: CliHome):
    from reliability_support import need_command
    from canary_tui.controller.audit import read_audit

    need_command("rollback")
    sim = _sim(simulator_factory)
    cli_home.url = sim.url
    cli_home.extra_env_toml = SPEC_FAULT_TIMEOUTS
    case.inject(sim, [HEARTBEAT, "/api/ghost/canary"])

    def failed_attempts() -> int:
        if not cli_home.audit_file.exists():
            return 0
        return sum(1 for r in read_audit(cli_home.audit_file).records if r.get("outcome") in ("http-failed", "retry"))

    proc = cli_home.popen("rollback", "sim", "--note", f"during {case.name}", "--timeout", "60")
    try:
        wait_until(lambda: failed_attempts() >= 2 or proc.poll() is not None, timeout_s=30, what="two failed attempts")
        assert proc.poll() is None, proc.communicate()
        assert sim.state.history == [] or case.fault == "hang"
        sim.clear_faults()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, (out, err)
    assert "Traceback" not in out + err and TOKEN not in out + err
    assert [(c.percent, c.actor) for c in sim.state.history] == [(0, "cli@reliability")]
    records = [r for r in read_audit(cli_home.audit_file).records if r.get("action") == "rollback"]
    assert records[0]["outcome"] == "attempt" and records[-1]["outcome"] == "ok"
    assert sum(1 for r in records if r["outcome"] == "ok") == 1
    assert sum(1 for r in records if r["outcome"] in ("http-failed", "retry")) >= 2
