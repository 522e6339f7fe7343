"""Fleet overview texts: each target's snapshot as one plain row, worst first, and the summary line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from canary_tui.controller.model import Snapshot
from canary_tui.controller.target_verdict import Standing, TargetVerdict, canary_percent, standing
from canary_tui.core.trips import count_text
from canary_tui.ui.widgets.fmt import age_text, duration_text, ms_text, percent_text
from canary_tui.ui.widgets.view_models import FleetRow

#: eight heights of a one-line sparkline
_BARS = "▁▂▃▄▅▆▇█"
#: cells of a bake progress bar
BAKE_BAR_CELLS = 8


@dataclass(frozen=True, slots=True)
class TargetTrend:
    """Recent canary P95 (ms) and error rates (fractions) of one target, oldest first."""

    p95_ms: tuple[float, ...] = ()
    error_rate: tuple[float, ...] = ()


def sparkline(values: Sequence[float], width: int = 8) -> str:
    """The last `width` values as bar heights between their own min and max (flat data is a low line)."""
    tail = [v for v in values if v is not None][-width:]
    if not tail:
        return ""
    low, high = min(tail), max(tail)
    if high - low <= 1e-12:
        return _BARS[0] * len(tail)
    scale = (len(_BARS) - 1) / (high - low)
    return "".join(_BARS[int(round((v - low) * scale))] for v in tail)


def bake_bar(fraction: float | None, cells: int = BAKE_BAR_CELLS) -> str:
    """A progress bar of `cells` with eighth blocks; empty when unknown."""
    if fraction is None:
        return ""
    eighths = int(round(max(0.0, min(1.0, fraction)) * cells * 8))
    full, part = divmod(eighths, 8)
    return ("█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")).ljust(cells)


def _release(snapshot: Snapshot) -> str:
    """'stable → canary' as the server shows it now."""
    deployment = snapshot.deployment or (snapshot.heartbeat.deployment if snapshot.heartbeat else None)
    if deployment is None:
        return "—"
    return f"{deployment.stable_version} → {deployment.canary_version}"


def target_row(name: str, snapshot: Snapshot | None, trend: TargetTrend = TargetTrend(), note: str = "") -> FleetRow:
    """One row from a target's latest snapshot (a target not heard from yet is a 'connecting' hold)."""
    if snapshot is None:
        hold = TargetVerdict.HOLD
        return FleetRow(name, hold, hold.glyph, hold.level.value, hold.severity, "connecting", "—", "—", "—", "", "", "—", "—", "—", "no data", "", "", note, True)
    stand: Standing = standing(snapshot)
    percent = canary_percent(snapshot)
    stage = snapshot.stage
    stage_text = "—"
    bar = ""
    eta = ""
    if stage is not None and stage.index is not None:
        stage_text = f"{stage.index + 1}/{stage.count}"
        if stage.bake_s and stage.bake_elapsed_s is not None:
            bar = bake_bar(stage.bake_elapsed_s / stage.bake_s)
        if stage.next_percent is not None and stage.bake_remaining_s is not None:
            eta = duration_text(stage.bake_remaining_s)
    elif stage is not None and percent:
        stage_text = "off-plan"
    window = snapshot.window
    hb = snapshot.heartbeat
    canary_p95 = hb.metrics.canary.p95_ms if hb is not None and hb.metrics.canary is not None else None
    return FleetRow(
        name=name,
        verdict=stand.verdict,
        glyph=stand.verdict.glyph,
        level=stand.verdict.level.value,
        severity=stand.verdict.severity,
        reason=stand.reason,
        release=_release(snapshot),
        percent="—" if percent is None else f"{percent}%",
        stage=stage_text,
        bake_bar=bar,
        eta=eta,
        canary_errors=percent_text(window.canary_error_rate if window and percent else None),  # at 0% its rate is history too
        stable_errors=percent_text(window.stable_error_rate if window else None),
        p95=ms_text(canary_p95 if percent else None),  # no canary traffic at 0%: its last P95 is history
        age=age_text(snapshot.data_age_s, tenths=False),  # a row repaints when its data changes, not at every redraw
        p95_trend=sparkline(trend.p95_ms),
        error_trend=sparkline(trend.error_rate),
        note=note,
        above_zero=percent is None or percent > 0,
    )


def worst_first(rows: Iterable[FleetRow]) -> list[FleetRow]:
    """Most severe verdict first; equal verdicts keep the order they were given in (the config's)."""
    return sorted(rows, key=lambda row: -row.severity)


def summary_line(rows: Sequence[FleetRow]) -> str:
    """'5 targets: 1 critical, 1 stale, 3 healthy' (worst first; every verdict present, none absent)."""
    counts: dict[str, int] = {}
    severity: dict[str, int] = {}
    for row in rows:
        counts[row.verdict] = counts.get(row.verdict, 0) + 1
        severity[row.verdict] = row.severity
    parts = [f"{count} {verdict}" for verdict, count in sorted(counts.items(), key=lambda item: -severity[item[0]])]
    noun = "target" if len(rows) == 1 else "targets"
    return f"{len(rows)} {noun}: " + ", ".join(parts) if parts else f"0 {noun}"


def actions_line(states: Iterable[tuple[str, set[str], str]]) -> str:
    """Actions under way across the fleet, for the summary: '↺ rolling back 2 · ✔ 1 action confirmed' (empty when none)."""
    items = list(states)
    rolling = sum(1 for _, in_flight, _ in items if "rollback" in in_flight)
    other = sum(1 for _, in_flight, _ in items if in_flight - {"rollback"})
    done = sum(1 for _, in_flight, note in items if not in_flight and note.startswith("✔"))
    failed = sum(1 for _, in_flight, note in items if not in_flight and note.startswith("✖"))
    parts = [f"↺ rolling back {rolling}" if rolling else "", f"{other} action{'s' if other != 1 else ''} in flight" if other else "",
             f"✔ {count_text(done, 'action')} confirmed" if done else "", f"✖ {count_text(failed, 'action')} failed" if failed else ""]
    return " · ".join(part for part in parts if part)


def rollback_all_lines(rows: Sequence[FleetRow]) -> list[str]:
    """What rollback-all would take, one line per target above 0% (or of unknown percent): name, percent, release."""
    return [f"{row.name}: {row.percent} ({row.release})" for row in rows if row.above_zero]
