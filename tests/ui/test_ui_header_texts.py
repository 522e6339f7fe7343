"""Header and gate texts say no more than the data supports (issue 12): ETA, pause, 100%, bake, rollback, environment."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from ui_builders import NOW, heartbeat, snapshot

from canary_tui.controller.model import ConnectionState, RampState
from canary_tui.core.samples import Deployment
from canary_tui.core.verdicts import Decision, DecisionKind, GateKind, GateResult, GateStatus, TriggerState
from canary_tui.ui import presenter
from canary_tui.ui.widgets.error_rate_pane import ErrorRatePane
from canary_tui.ui.widgets.header_bar import HeaderBar


def _with_eta(seconds: float):
    snap = snapshot("healthy")
    return replace(snap, stage=replace(snap.stage, next_eta=NOW + timedelta(seconds=seconds)))


def test_eta_shows_the_time_today_and_the_date_on_another_day() -> None:
    assert presenter.header_view(_with_eta(600)).eta_text == "next 50% ≈ 12:10:00Z"
    assert presenter.header_view(_with_eta(63720)).eta_text == "next 50% ≈ Nov 19 05:42:00Z"


def test_a_baked_stage_waits_on_an_advance_not_on_a_time() -> None:
    """Once the bake is done the next stage comes with an advance: no 'ETA now' that ticks along with the clock."""
    snap = _with_eta(0)
    baked = replace(snap, stage=replace(snap.stage, bake_remaining_s=0.0))
    view = presenter.header_view(baked)
    assert (view.bake_text, view.eta_text) == ("bake done", "next 50% on advance")
    assert presenter.header_view(replace(baked, ramp=RampState.BAKING)).ramp_word == "bake done, gates hold"  # not "baking"


def test_paused_shows_no_eta_but_says_paused() -> None:
    view = presenter.header_view(snapshot("paused"))
    assert view.eta_text == "next 50%: paused" and "≈" not in view.eta_text


def test_at_100_percent_the_ramp_is_complete_without_bake_or_promote() -> None:
    snap = snapshot("eligible")
    hb = heartbeat(percent=100)
    snap = replace(snap, heartbeat=hb, deployment=hb.deployment, ramp=RampState.COMPLETE,
                   stage=replace(snap.stage, index=len(snap.plan.stages) - 1, percent=100, next_percent=None, next_eta=None))
    view = presenter.header_view(snap)
    assert view.ramp_word == "complete" and view.bake_text == "" and view.eta_text == ""
    decision = presenter.gates_view(snap).decision or ""
    assert "promote" not in decision and decision.startswith("complete")


def test_a_bake_in_hours_is_not_restated_as_fractions_of_an_hour() -> None:
    line = presenter.gate_line(GateResult("bake", GateStatus.HOLD, 0.0, 0.0125, "h", "0.0 h of 0.0125 h"))
    assert line.figure_text == "0s / 45s" and not line.reason_adds and line.detail == ""


def test_after_the_rollback_the_header_follows_the_seen_deployment_and_the_count_is_gone() -> None:
    # the last trusted heartbeat still says 10%, the deployment as seen since says 0%
    snap = snapshot("critical")
    seen = replace(snap.heartbeat.deployment, canary_percent=0, updated_by="oncall-2")
    snap = replace(snap, deployment=seen, ramp=RampState.ROLLED_BACK, stage=replace(snap.stage, index=None, percent=0),
                   auto_rollback=TriggerState(enabled=True, armed=True, count=3, needed=3))
    view = presenter.header_view(snap)
    assert (view.stage_text, view.canary_percent, view.bake_text, view.eta_text) == (f"stage 0/{len(snap.plan.stages)}", 0, "", "")
    assert presenter.gates_view(snap).auto_rollback == "armed"


def test_the_server_environment_name_is_shown() -> None:
    snap = snapshot("healthy")
    dep: Deployment = replace(snap.heartbeat.deployment, environment="prod-eu")
    assert presenter.header_view(replace(snap, environment="mc.example.com", deployment=dep)).environment == "prod-eu"


def test_a_region_target_keeps_its_region_in_the_header() -> None:
    snap = snapshot("healthy")
    dep: Deployment = replace(snap.heartbeat.deployment, environment="production")
    assert presenter.header_view(replace(snap, environment="production/us-east-1", deployment=dep)).environment == "production/us-east-1"


def test_no_token_is_in_the_header_with_its_reason() -> None:
    snap = replace(snapshot("healthy"), blocked_reason="no bearer token configured (set OPS_TOKEN or the environment's token source)")
    markup = HeaderBar.markup_for(presenter.header_view(snap), 80)
    assert "VIEW ONLY" in markup and "no bearer token configured" in markup and "OPS_TOKEN" not in markup
    assert "data age" in markup


def test_the_error_headline_is_marked_stale_with_the_data() -> None:
    stale = ErrorRatePane.markup_for(presenter.error_rate_view(snapshot("stale")), 100).splitlines()[0]
    live = ErrorRatePane.markup_for(presenter.error_rate_view(snapshot("healthy")), 100).splitlines()[0]
    assert "stale" in stale and "stale" not in live


def test_frozen_data_ages_on_the_latest_clock_and_turns_stale() -> None:
    frozen = snapshot("healthy")
    later = replace(frozen, now=NOW + timedelta(seconds=6))
    shown = presenter.frozen_snapshot(frozen, later)
    assert shown.data_age_s == frozen.data_age_s + 6 and shown.connection is ConnectionState.STALE


def test_preflight_needs_an_override_only_for_a_failing_gate() -> None:
    snap = snapshot("rolled-back")
    hold = GateResult("stable health", GateStatus.HOLD, None, None, "%", "no stable traffic measured yet", kind=GateKind.STABLE_HEALTH)
    kinds = {"heartbeat": GateKind.HEARTBEAT, "not paused": GateKind.NOT_PAUSED, "checkpoint": GateKind.CHECKPOINT}
    passing = tuple(GateResult(n, GateStatus.PASS, None, None, "", "ok", kind=k) for n, k in kinds.items())
    view = presenter.advance_view(replace(snap, gates=(*passing, hold), decision=Decision(DecisionKind.INCONCLUSIVE, "gathering data")))
    assert view is not None and view.preflight and not view.needs_override
    missing = GateResult("checkpoint", GateStatus.FAIL, None, None, "", "no rollback checkpoint for v0.5.0", kind=GateKind.CHECKPOINT)
    view = presenter.advance_view(replace(snap, gates=(*passing[:2], missing)))
    assert view is not None and view.needs_override and view.missing_checkpoint_for == "v0.5.0"


async def test_the_advance_dialog_names_the_deployment_as_the_header_does() -> None:
    from screen_text import app_on, screen_lines, settled
    from ui_builders import FakeController

    snap = snapshot("rolled-back")  # at 0%: the pre-flight checklist, whose gates carry no figures
    dep: Deployment = replace(snap.heartbeat.deployment, environment="prod-eu")
    preflight = (GateResult("heartbeat", GateStatus.PASS, None, None, "", "reachable; signature verified", kind=GateKind.HEARTBEAT),)
    app = app_on(FakeController(replace(snap, deployment=dep, gates=preflight)), environment_label="127.0.0.1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("A")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "Start the ramp prod-eu: canary 0% → 10%?" in text, text
        assert "heartbeat: reachable; signature verified" in text, text  # no empty figures before the reason


def test_without_a_secret_the_signature_is_not_shown_as_checked() -> None:
    """The server's own `verified` is all there is without a secret: no green tick for a signature nobody checked."""
    signed = replace(snapshot("healthy"), heartbeat=replace(heartbeat(), signature_valid=True))
    unsigned = replace(snapshot("healthy"), heartbeat=replace(heartbeat(), signature_valid=None))
    assert (presenter.heartbeat_view(signed).signature.level, presenter.heartbeat_view(signed).signature.word) == ("healthy", "verified")
    badge = presenter.heartbeat_view(unsigned).signature
    assert badge.level != "healthy" and badge.glyph != "✔" and badge.word.startswith("unchecked")


def test_the_watching_line_names_a_url_target_once() -> None:
    assert presenter.watching_text("127.0.0.1:8787", url="127.0.0.1:8787", poll_interval_s=1.0) == "watching 127.0.0.1:8787 · polling every 1 s"
    assert presenter.watching_text("staging", url="mc.staging.example") == "watching staging at mc.staging.example"


def test_a_rollback_of_a_paused_ramp_says_rolled_back_beside_paused() -> None:
    """The server keeps the hold flag through a rollback: the header must not say only PAUSED at 0%."""
    zero = snapshot("rolled-back")
    hb = zero.heartbeat
    held = replace(hb, deployment=replace(hb.deployment, paused=True))
    line1 = HeaderBar.markup_for(presenter.header_view(replace(zero, heartbeat=held, deployment=held.deployment))).splitlines()[0]
    assert "PAUSED" in line1 and line1.endswith("rolled back")
    running = HeaderBar.markup_for(presenter.header_view(snapshot("paused"))).splitlines()[0]
    assert running.endswith("⏸ PAUSED [/]")  # above 0% the badge alone says it
