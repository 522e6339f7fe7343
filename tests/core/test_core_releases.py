"""Releases from audit records, the success rate, and the report's before/after figures (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from canary_tui.core.releases import Outcome, build_releases, find_release, success_rate
from canary_tui.core.report import MEDIAN_MIN_POLLS, column_figures
from canary_tui.core.report_markdown import render_markdown
from canary_tui.core.thresholds import ThresholdTable


def rec(minute: int, action: str, frm: int | None, to: int | None, *, version: str | None = "v2", trigger: str = "key",
        outcome: str = "ok", **extra: object) -> dict[str, object]:
    """One audit record at 10:MM."""
    out: dict[str, object] = {"time": f"2026-12-07T10:{minute:02d}:00Z", "target": "staging", "environment": "staging", "actor": "alice",
                              "action": action, "from": frm, "to": to, "trigger": trigger, "outcome": outcome, "note": None, **extra}
    if version is not None:
        out["canary_version"] = version
        out["stable_version"] = "v1"
    return out


RAMP_AND_ROLLBACK = [
    rec(0, "checkpoint", 0, 0, checkpoint_id="ckpt-7"),
    rec(1, "set-percent", 0, 10, outcome="attempt"),
    rec(1, "set-percent", 0, 10, trigger="cli"),
    rec(5, "pause", 10, 10),
    rec(6, "resume", 10, 10),
    rec(11, "advance", 10, 50, trigger="auto", override=True),
    rec(15, "rollback", 50, 0, trigger="auto", note="auto-rollback: errors", at_trigger={"window_canary_errors": 40}),
    rec(20, "rollback", 0, 0),  # nothing open: not a release
    rec(30, "set-percent", 0, 10, version="v3"),
    rec(40, "advance", 10, 50, version="v3"),
    rec(50, "advance", 50, 100, version="v3"),
    rec(55, "set-percent", 0, 10, version="v4"),
]


def test_releases_have_stages_holds_checkpoint_and_outcome():
    releases = build_releases(RAMP_AND_ROLLBACK)
    assert [(r.canary_version, r.outcome) for r in releases] == [("v2", Outcome.ROLLED_BACK), ("v3", Outcome.COMPLETED), ("v4", Outcome.IN_PROGRESS)]
    v2 = releases[0]
    assert v2.checkpoint_id == "ckpt-7" and v2.peak_percent == 50 and v2.started == "2026-12-07T10:00:00Z" and v2.ended == "2026-12-07T10:15:00Z"
    assert [(s.percent, s.trigger, s.override, s.baked_s) for s in v2.stages] == [(10, "CLI", False, 600.0), (50, "auto", True, 240.0)]
    assert [e.kind for e in v2.events] == ["checkpoint", "stage", "pause", "resume", "stage", "rollback"]
    assert v2.rollback is not None and v2.rollback.at_trigger == {"window_canary_errors": 40} and v2.rollback.trigger == "auto"
    assert find_release(releases, "v3") is releases[1] and find_release(releases, None) is releases[2] and find_release(releases, "v9") is None


def test_a_ramp_to_the_percent_in_force_is_no_new_stage():
    """`ramp staging 10` re-run at 10% (to check the stage) keeps one stage at 10%, baking since it was entered."""
    records = [rec(1, "set-percent", 0, 10), rec(3, "set-percent", 10, 10), rec(4, "set-percent", 10, 10), rec(9, "advance", 10, 50)]
    (only,) = build_releases(records)
    assert [(s.percent, s.entered, s.baked_s) for s in only.stages] == [(10, "2026-12-07T10:01:00Z", 480.0), (50, "2026-12-07T10:09:00Z", None)]


def test_records_without_versions_belong_to_the_open_release():
    records = [rec(1, "set-percent", 0, 10, version=None), rec(2, "advance", 10, 50, version=None), rec(3, "rollback", 50, 0, version=None)]
    (only,) = build_releases(records)
    assert only.canary_version == "unknown" and only.outcome == Outcome.ROLLED_BACK and only.peak_percent == 50


def test_success_rate_is_completed_over_ended_releases():
    releases = build_releases(RAMP_AND_ROLLBACK)
    assert success_rate(releases, 10) == (0.5, 1, 1)
    assert success_rate(releases, 1) == (1.0, 1, 0)
    assert success_rate(releases[2:], 10) == (None, 0, 0)


@dataclass
class FakeBeat:
    observed_s: float
    canary_percent: int
    requests: int
    errors: int
    canary_requests: int | None = None
    canary_errors: int | None = None
    p50_ms: float | None = 20.0
    p95_ms: float | None = 100.0
    p99_ms: float | None = 300.0
    canary_p50_ms: float | None = 20.0
    canary_p95_ms: float | None = 900.0
    canary_p99_ms: float | None = 2000.0


def test_figures_judge_rates_on_counts_and_latency_on_the_polls_interval():
    beats = [FakeBeat(float(i), 10, 1000 * i, 2 * i, canary_requests=100 * i, canary_errors=30 * i) for i in range(1, 11)]
    canary = column_figures(beats, "canary", ThresholdTable.seed())
    assert canary["error_rate"]["count"] == 900 and canary["error_rate"]["level"] == "critical"
    assert canary["success_rate"]["level"] == "critical" and abs(canary["success_rate"]["value"] - 0.7) < 1e-9
    assert canary["p95_ms"]["value"] == 900.0 and canary["p95_ms"]["level"] == "critical" and canary["p95_ms"]["low"] == 900.0
    stable = column_figures(beats, "service", ThresholdTable.seed())
    assert stable["error_rate"]["count"] == 9000 and stable["p95_ms"]["level"] == "healthy"
    few = column_figures(beats[: MEDIAN_MIN_POLLS - 1], "service", ThresholdTable.seed())
    assert few["p95_ms"]["low_data"] and few["p95_ms"]["level"] == "unknown" and few["p95_ms"]["value"] == 100.0


def test_counter_restart_counts_from_zero():
    beats = [FakeBeat(0, 0, 1000, 10), FakeBeat(1, 0, 1100, 11), FakeBeat(2, 0, 50, 1)]  # restart after the second
    assert column_figures(beats, "service", ThresholdTable.seed())["error_rate"]["count"] == 150


def test_markdown_of_a_completed_release_has_no_incident():
    from canary_tui.core.report import build_report

    releases = build_releases(RAMP_AND_ROLLBACK)
    report = build_report(releases[1], releases=releases, records=RAMP_AND_ROLLBACK, beats=[], table=ThresholdTable.seed(),
                          now_s=0.0, generated_at="2026-12-07T11:00:00Z")
    text = render_markdown(report)
    assert text.startswith("# Release v3 on staging: completed") and "## Incident" not in text and report["incident"] is None
    assert "| P95 | n/a ? low data |" in text


def test_metrics_at_trigger_says_a_shared_trip_once_with_its_reason_and_the_failing_gates():
    from canary_tui.core.releases import metrics_at_trigger
    from canary_tui.core.rules import RuleVerdict
    from canary_tui.core.trips import Trip, TripKind
    from canary_tui.core.verdicts import GateKind, GateResult, GateStatus

    trip = Trip(TripKind.SEED_ERRORS, value=12.8, limit=12.0, bound=0.05, count=158, of=1947)
    verdicts = [RuleVerdict("seed", True, "r", trips=(trip,)), RuleVerdict("evidence", True, "r", trips=(trip,)), RuleVerdict("quiet", False, "")]
    gates = [GateResult("canary errors", GateStatus.FAIL, 0.025, 0.01, "%", "canary errors 75/3025", kind=GateKind.CANARY_ERRORS),
             GateResult("bake", GateStatus.HOLD, 60.0, 120.0, "s", "2m to go", kind=GateKind.BAKE)]
    at = metrics_at_trigger(verdicts, None, None, gates)
    assert at["trips"] == [{"kind": "seed-errors", "value": 12.8, "limit": 12.0, "bound": 0.05, "count": 158, "of": 1947, "windows": None,
                            "reason": "error rate > 5% on evidence: 158/1947 canary requests failed, CUSUM 12.8 ≥ 12"}]
    assert at["failing_gates"] == [{"name": "canary errors", "reason": "canary errors 75/3025"}]

