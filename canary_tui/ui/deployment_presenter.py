"""Snapshot → the deployment as seen: the header line, its stage/bake/ETA texts, and frozen data that keeps ageing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from canary_tui.controller.model import ConnectionState, RampState, Snapshot
from canary_tui.ui.widgets.fmt import duration_text
from canary_tui.ui.widgets.view_models import HeaderView, SeenState

_RAMP_WORDS = {
    RampState.UNKNOWN: "waiting",
    RampState.IDLE: "idle at 0%",
    RampState.BAKING: "baking",
    RampState.PAUSED: "paused",
    RampState.ELIGIBLE: "eligible to advance",
    RampState.GATE_FAILING: "gate failing",
    RampState.ROLLING_BACK: "rolling back",
    RampState.ROLLED_BACK: "rolled back",
    RampState.COMPLETE: "complete",
}


def clock_text(moment: datetime | None) -> str:
    """HH:MM:SS in UTC (the dashboard shows UTC everywhere, marked with Z)."""
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%H:%M:%SZ")


def eta_text(moment: datetime, now: datetime | None) -> str:
    """An ETA in UTC: the time alone when it is today, with the date when it is not ('Nov 19 07:41:24Z')."""
    moment = moment.astimezone(UTC)
    if now is not None and moment.date() != now.astimezone(UTC).date():
        return moment.strftime("%b %d %H:%M:%SZ")
    return clock_text(moment)


def seen_state(snapshot: Snapshot) -> SeenState | None:
    """The deployment as last seen (any parsed heartbeat), or None before the first one."""
    deployment = snapshot.deployment or (snapshot.heartbeat.deployment if snapshot.heartbeat else None)
    if deployment is None:
        return None
    return SeenState(deployment.canary_percent, bool(deployment.paused), deployment.stable_version, deployment.canary_version, deployment.updated_by)


def _stage_texts(snapshot: Snapshot, percent: int | None, paused: bool) -> tuple[str, str, str]:
    """(stage, bake, ETA) texts: no bake clock or ETA at 0% or 100%, 'paused' instead of an ETA on hold."""
    stage = snapshot.stage
    count = len(snapshot.plan.stages)
    if percent is None:
        return f"stage ?/{count}", "", ""
    if percent == 0:
        return f"stage 0/{count}", "", ""
    if stage is None or stage.index is None or stage.percent != percent:
        return "off-plan", "", ""
    stage_text = f"stage {stage.index + 1}/{stage.count or count}"
    if percent >= 100:
        return stage_text, "", ""
    bake = ""
    if stage.bake_remaining_s is not None and stage.bake_s:
        bake = f"bake {duration_text(stage.bake_remaining_s)} left" if stage.bake_remaining_s > 0 else "bake done"
    eta = ""
    if stage.next_percent is not None:
        if paused:
            eta = f"next {stage.next_percent}%: paused"
        elif stage.bake_remaining_s is not None and stage.bake_remaining_s <= 0:
            eta = f"next {stage.next_percent}% on advance"  # baked: it waits on an advance, not on a time (an ETA of now kept ticking)
        elif stage.next_eta is not None:
            eta = f"next {stage.next_percent}% ≈ {eta_text(stage.next_eta, snapshot.now)}"
    return stage_text, bake, eta


def frozen_snapshot(frozen: Snapshot, latest: Snapshot) -> Snapshot:
    """The frozen data as of `latest`'s clock: its age keeps ticking, and LIVE turns STALE on the configured age."""
    if frozen.now is None or latest.now is None or frozen.data_age_s is None:
        return frozen
    age_s = frozen.data_age_s + max(0.0, (latest.now - frozen.now).total_seconds())
    connection = frozen.connection
    if connection is ConnectionState.LIVE and age_s > frozen.stale_after_s:
        connection = ConnectionState.STALE
    return replace(frozen, data_age_s=age_s, connection=connection, now=latest.now)


def _ramp_word(snapshot: Snapshot) -> str:
    """What the ramp is doing, in words; a stage whose bake is done but not yet eligible waits on its gates, not on baking."""
    stage = snapshot.stage
    if snapshot.ramp is RampState.BAKING and stage is not None and stage.bake_remaining_s is not None and stage.bake_remaining_s <= 0:
        return "bake done, gates hold"
    return _RAMP_WORDS.get(snapshot.ramp, str(snapshot.ramp))


def environment_name(snapshot: Snapshot) -> str:
    """The deployment's name as the server reports it (`environment`), else the one the command gave (or its region)."""
    hb = snapshot.heartbeat
    server_environment = (snapshot.deployment.environment if snapshot.deployment else None) or (hb.deployment.environment if hb else None)
    if server_environment and snapshot.environment.startswith(f"{server_environment}/"):
        return snapshot.environment  # a region of it (production/us-east-1): the more precise name
    return server_environment or snapshot.environment


def header_view(snapshot: Snapshot, *, frozen: bool = False) -> HeaderView:
    """The header line from a snapshot: the deployment as last seen, the data's age and what can be done from here."""
    seen = seen_state(snapshot)
    paused = seen.paused if seen is not None else snapshot.ramp == RampState.PAUSED
    percent = seen.percent if seen is not None else None
    stage_text, bake_text, eta = _stage_texts(snapshot, percent, paused)
    return HeaderView(
        environment=environment_name(snapshot),
        stable_version=seen.stable_version if seen else "?",
        canary_version=seen.canary_version if seen else "?",
        stage_text=stage_text,
        canary_percent=percent,
        ramp_word=_ramp_word(snapshot),
        paused=paused,
        bake_text=bake_text,
        eta_text=eta,
        data_age_s=snapshot.data_age_s,
        connection=str(snapshot.connection),
        connection_error=snapshot.connection_error,
        read_only=snapshot.read_only,
        frozen=frozen,
        action_in_flight=snapshot.action_in_flight,
        blocked_reason=snapshot.blocked_reason,
        stale_headline=snapshot.connection.degraded,
    )
