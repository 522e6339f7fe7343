"""How a target stands as a health check reads it: one level from the controller's snapshot, with its figures.

The rule `status` exits by and `ramp` reports with (commands/ only format it): the worst level known
on evidence among the window's figures (controller/figures.py), the heartbeat's own status word, the
signature, and CRITICAL when the controller decided to roll back. UNKNOWN when the last poll failed
or no figure can be judged (low data), never a guess from one poll. The fleet's verdict reads the
heartbeat's word through `heartbeat_level` too, so a row and `status` call it the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from canary_tui.controller.figures import Figure, figures
from canary_tui.controller.model import ConnectionState, Snapshot
from canary_tui.core.samples import Heartbeat, HeartbeatStatus
from canary_tui.core.thresholds import Level
from canary_tui.core.verdicts import Decision, DecisionKind

LOW_DATA = "low data: no figure can be judged over the window (too few requests; try a longer --window)"


@dataclass(frozen=True, slots=True)
class Health:
    """One target's level, the figures and other levels behind it, and why it is UNKNOWN when it is."""

    level: Level
    figures: list[Figure] = field(default_factory=list)
    extra_levels: dict[str, Level] = field(default_factory=dict)  # "signature", "heartbeat", "decision"
    reason: str | None = None
    decision: Decision | None = None  # the controller's decision (none when no trusted heartbeat ever came)
    last_poll_failed: bool = False  # the last heartbeat did not arrive (or was unusable)


def heartbeat_level(heartbeat: Heartbeat) -> Level:
    """The heartbeat's own status word as a level: ok healthy, degraded warning, anything else critical."""
    return {HeartbeatStatus.OK: Level.HEALTHY, HeartbeatStatus.DEGRADED: Level.WARNING}.get(heartbeat.status, Level.CRITICAL)


def _extra_levels(snapshot: Snapshot) -> dict[str, Level]:
    """The signature, the heartbeat's status word and a rollback decision, as levels."""
    hb = snapshot.heartbeat
    untrusted = snapshot.connection is ConnectionState.UNTRUSTED
    levels = {"signature": Level.CRITICAL if untrusted or (hb is not None and not hb.signature_ok) else Level.HEALTHY}
    if hb is not None:
        levels["heartbeat"] = heartbeat_level(hb)
    if snapshot.decision is not None and snapshot.decision.kind is DecisionKind.ROLLBACK:
        levels["decision"] = Level.CRITICAL
    return levels


def health(snapshot: Snapshot) -> Health:
    """The worst level known on evidence; UNKNOWN when the last poll failed or nothing can be judged."""
    decision = snapshot.decision
    untrusted = snapshot.connection is ConnectionState.UNTRUSTED
    last_failed = snapshot.connection_error is not None and not untrusted
    if last_failed or (snapshot.heartbeat is None and not untrusted):
        why = snapshot.connection_error or "no heartbeat"
        judged = decision if snapshot.heartbeat is not None else None  # no trusted data ever: no decision to report
        return Health(Level.UNKNOWN, decision=judged, last_poll_failed=True,
                      reason=why if why.startswith("prometheus") else f"heartbeat {why}")
    figs = figures(snapshot)
    extra = _extra_levels(snapshot)
    known = [f.level for f in figs if f.level is not Level.UNKNOWN]
    if not known and "decision" not in extra and not untrusted:
        return Health(Level.UNKNOWN, figs, extra, LOW_DATA, decision)
    level = max(known + list(extra.values()), key=lambda lv: lv.severity)
    return Health(level, figs, extra, None, decision)
