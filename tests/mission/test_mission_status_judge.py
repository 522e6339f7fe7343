"""The status judgement on fixed heartbeats: worst known level, heartbeat status and signature rules."""

from __future__ import annotations

from typing import Any

from mission_wire import encode, heartbeat_doc, set_path

from canary_tui.commands.status import judge, render_text, to_json
from canary_tui.core.thresholds import Level, ThresholdTable
from canary_tui.mission.parse import parse_heartbeat

TABLE = ThresholdTable.seed()


def _hb(fetched_at_s: float, signature_valid: bool | None = None, **paths: Any):
    """A parsed heartbeat from the contract example with dotted-path overrides (`__` for `.`)."""
    doc = heartbeat_doc()
    for path, value in paths.items():
        set_path(doc, path.replace("__", "."), value)
    return parse_heartbeat(encode(doc), fetched_at_s=fetched_at_s, response_ms=5.0, signature_valid=signature_valid)


def _pair(**second: Any):
    """Two heartbeats 1 s apart: 1000 more requests, errors and latencies as given."""
    first = _hb(0.0)
    defaults = {"heartbeat__metrics__requests": 2000, "heartbeat__metrics__errors": 5, "heartbeat__metrics__p50": 20.0,
                "heartbeat__metrics__p95": 200.0, "heartbeat__metrics__p99": 400.0, "heartbeat__metrics__canary": None,
                "heartbeat__metrics__latency_buckets": None}
    return first, _hb(1.0, **{**defaults, **second})


def test_all_green_is_ok() -> None:
    report = judge("t", *_pair(), TABLE)
    assert report.level is Level.HEALTHY and report.exit_code == 0
    assert report.rates is not None and (report.rates.requests, report.rates.errors) == (1000, 0)


def test_worst_metric_decides() -> None:
    assert judge("t", *_pair(heartbeat__metrics__errors=10), TABLE).level is Level.WARNING  # 5/1000 = 0.5%
    assert judge("t", *_pair(heartbeat__metrics__errors=25), TABLE).level is Level.CRITICAL  # 2%
    assert judge("t", *_pair(heartbeat__metrics__p95=750.0), TABLE).level is Level.WARNING  # boundary is warning
    assert judge("t", *_pair(heartbeat__metrics__p99=1500.01), TABLE).level is Level.CRITICAL


def test_heartbeat_status_and_signature_raise_the_level() -> None:
    assert judge("t", *_pair(heartbeat__status="degraded"), TABLE).level is Level.WARNING
    assert judge("t", *_pair(heartbeat__status="down"), TABLE).level is Level.CRITICAL
    assert judge("t", *_pair(verified=False), TABLE).level is Level.CRITICAL
    first, second = _pair()
    forged = _hb(1.0, signature_valid=False, heartbeat__metrics__requests=2000, heartbeat__metrics__errors=5,
                 heartbeat__metrics__p50=20.0, heartbeat__metrics__p95=200.0, heartbeat__metrics__p99=400.0)
    report = judge("t", first, forged, TABLE)
    assert report.level is Level.CRITICAL and "SIGNATURE FAILED" in render_text(report).splitlines()[0]


def test_nothing_measurable_is_unknown() -> None:
    first, second = _pair(heartbeat__metrics__requests=1000, heartbeat__metrics__errors=5, heartbeat__metrics__p50=None,
                          heartbeat__metrics__p95=None, heartbeat__metrics__p99=None)
    report = judge("t", first, second, TABLE)
    assert report.level is Level.UNKNOWN and report.exit_code == 3
    doc = to_json(report)
    assert doc["level"] == "unknown" and "no measurable metric" in doc["error"] and doc["requests"] == 0


def test_counter_reset_between_polls_is_not_negative() -> None:
    first = _hb(0.0)
    second = _hb(1.0, heartbeat__metrics__requests=300, heartbeat__metrics__errors=0, heartbeat__metrics__canary=None,
                 heartbeat__metrics__latency_buckets=None, heartbeat__metrics__p50=20.0, heartbeat__metrics__p99=400.0)
    report = judge("t", first, second, TABLE)
    assert report.rates is not None and report.rates.reset and report.rates.requests == 300
    assert report.level is Level.HEALTHY


def test_canary_split_is_judged_on_its_own() -> None:
    first = _hb(0.0)
    second = _hb(1.0, heartbeat__metrics__requests=2000, heartbeat__metrics__errors=8, heartbeat__metrics__p50=20.0,
                 heartbeat__metrics__p99=400.0, heartbeat__metrics__latency_buckets=None,
                 heartbeat__metrics__canary={"requests": 200, "errors": 7, "p95": 300.0},
                 heartbeat__metrics__stable={"requests": 1800, "errors": 1})
    report = judge("t", first, second, TABLE)
    levels = to_json(report)["levels"]
    assert levels["errors"] == "warning" and levels["canary_errors"] == "critical"  # 3/1000 vs 5/100
    assert report.level is Level.CRITICAL
