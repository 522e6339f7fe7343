"""The status report of a controller snapshot: levels on evidence over the window, heartbeat status and signature rules.

Heartbeats are handed to a real controller (injected clock, no HTTP); `judge` reads its snapshot.
"""

from __future__ import annotations

from typing import Any

from mission_wire import encode, heartbeat_doc, set_path

from canary_tui.commands.status import judge, render_text, to_json
from canary_tui.controller.controller import RampController
from canary_tui.core.clock import ManualClock
from canary_tui.core.plans import FAST_TRACK
from canary_tui.core.thresholds import Level, ThresholdTable
from canary_tui.mission.actuators import ApiActuator
from canary_tui.mission.parse import parse_heartbeat

FIRST = {"heartbeat__metrics__requests": 100_000, "heartbeat__metrics__errors": 100, "heartbeat__metrics__canary": None,
         "heartbeat__metrics__stable": None, "heartbeat__metrics__latency_buckets": None}


def _hb(clock: ManualClock, signature_valid: bool | None = None, **paths: Any):
    """A parsed heartbeat from the contract example with dotted-path overrides (`__` for `.`), fetched now."""
    doc = heartbeat_doc()
    for path, value in paths.items():
        set_path(doc, path.replace("__", "."), value)
    return parse_heartbeat(encode(doc), fetched_at_s=clock.now(), response_ms=5.0, signature_valid=signature_valid)


def _snapshot(*later: dict[str, Any], signature_valid: bool | None = None):
    """A controller's snapshot after the FIRST heartbeat and then each of `later`, one second apart."""
    clock = ManualClock()
    controller = RampController(environment="t", plan=FAST_TRACK, client=None, actuator=ApiActuator(None), actor="test",
                                clock=clock, audit=None, thresholds=ThresholdTable.seed())
    snapshot = controller.observe(_hb(clock, **FIRST))
    for paths in later:
        clock.advance(1.0)
        snapshot = controller.observe(_hb(clock, signature_valid, **{**FIRST, **paths}))
    return snapshot


def _after(requests: int, errors: int, **paths: Any) -> dict[str, Any]:
    """The second heartbeat: `requests` and `errors` more than FIRST."""
    return {"heartbeat__metrics__requests": 100_000 + requests, "heartbeat__metrics__errors": 100 + errors, **paths}


def test_all_green_is_ok() -> None:
    report = judge("t", _snapshot(_after(100_000, 20)))
    assert report.level is Level.HEALTHY and report.exit_code == 0
    assert to_json(report)["requests"] == 100_000 and to_json(report)["errors"] == 20


def test_worst_level_known_on_evidence_decides() -> None:
    assert judge("t", _snapshot(_after(100_000, 500))).level is Level.WARNING  # 0.5%, interval inside 0.1..1%
    assert judge("t", _snapshot(_after(100_000, 2_000))).level is Level.CRITICAL  # 2%
    few = judge("t", _snapshot(_after(1_000, 5)))  # 0.5% of 1000: the interval straddles 1%: low data, not a guess
    assert few.level is Level.UNKNOWN and few.exit_code == 3 and "low data" in (few.error or "")
    assert "errors 0.50% (low data)" in render_text(few).splitlines()[0]  # the point is shown, never as if judged
    assert to_json(few)["levels"]["errors"] == "unknown"


def test_heartbeat_status_and_signature_raise_the_level() -> None:
    assert judge("t", _snapshot(_after(100_000, 20, heartbeat__status="degraded"))).level is Level.WARNING
    assert judge("t", _snapshot(_after(100_000, 20, heartbeat__status="down"))).level is Level.CRITICAL
    unverified = _after(100_000, 20, verified=False)
    report = judge("t", _snapshot(unverified, _after(200_000, 40, verified=False)))  # confirmed by the second
    assert report.level is Level.CRITICAL and to_json(report)["levels"]["signature"] == "critical"
    forged = judge("t", _snapshot(_after(100_000, 20), _after(200_000, 40), signature_valid=False))
    assert forged.level is Level.CRITICAL and "SIGNATURE FAILED" in render_text(forged).splitlines()[0]


def test_nothing_measurable_is_unknown() -> None:
    report = judge("t", _snapshot(_after(0, 0, heartbeat__metrics__p50=None, heartbeat__metrics__p95=None, heartbeat__metrics__p99=None)))
    assert report.level is Level.UNKNOWN and report.exit_code == 3
    doc = to_json(report)
    assert doc["level"] == "unknown" and "low data" in doc["error"] and doc["requests"] == 0


def test_counter_reset_between_polls_is_not_negative() -> None:
    report = judge("t", _snapshot({"heartbeat__metrics__requests": 30_000, "heartbeat__metrics__errors": 0}))
    assert report.snapshot is not None and report.snapshot.window is not None and report.snapshot.window.reset
    assert to_json(report)["requests"] == 30_000 and to_json(report)["errors"] == 0
    assert report.level is Level.HEALTHY


def test_canary_split_is_judged_on_its_own() -> None:
    first_split = {"heartbeat__metrics__canary": {"requests": 10_000, "errors": 10}, "heartbeat__metrics__stable": {"requests": 90_000, "errors": 90}}
    second = _after(200_000, 710, heartbeat__metrics__canary={"requests": 30_000, "errors": 710},
                    heartbeat__metrics__stable={"requests": 270_000, "errors": 100})
    clock = ManualClock()
    controller = RampController(environment="t", plan=FAST_TRACK, client=None, actuator=ApiActuator(None), actor="test",
                                clock=clock, audit=None, thresholds=ThresholdTable.seed())
    controller.observe(_hb(clock, **{**FIRST, **first_split}))
    clock.advance(1.0)
    report = judge("t", controller.observe(_hb(clock, **{**FIRST, **second})))
    levels = to_json(report)["levels"]
    assert levels["errors"] == "warning" and levels["canary_errors"] == "critical" and levels["stable_errors"] == "ok"
    assert report.level is Level.CRITICAL


def test_the_fleet_row_reads_the_heartbeats_word_as_status_does() -> None:
    """One rule for the server's own health word: a row and `status` never disagree on ok / degraded / down."""
    from canary_tui.controller.target_verdict import TargetVerdict, standing

    for word, level, verdict in (("ok", Level.HEALTHY, None), ("degraded", Level.WARNING, TargetVerdict.WARNING),
                                 ("down", Level.CRITICAL, TargetVerdict.CRITICAL)):
        snapshot = _snapshot(_after(100_000, 20, heartbeat__status=word))
        assert judge("t", snapshot).level is level, word
        stand = standing(snapshot)
        if verdict is None:
            assert stand.verdict.level is not Level.CRITICAL and "heartbeat" not in stand.reason, word
        else:
            assert (stand.verdict, stand.reason) == (verdict, f"heartbeat {word}")
