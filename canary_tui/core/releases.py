"""Releases from audit records: one canary version's life on a target, its stages, holds, checkpoints and outcome.

Pure: records (the audit log's JSON objects, oldest first) in, `Release` values out. The audit log is
the source of truth for actions; a release starts when a canary version is first raised above 0% (or
checkpointed ahead of its ramp) and ends when it is rolled back or reaches 100%.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from canary_tui.core.rates import Rates
from canary_tui.core.rules import RuleVerdict
from canary_tui.core.samples import Heartbeat
from canary_tui.core.trips import describe_trip
from canary_tui.core.verdicts import GateResult, GateStatus


class Outcome:
    """How a release ended (plain strings: they go into JSON as they are)."""

    COMPLETED = "completed"
    ROLLED_BACK = "rolled back"
    IN_PROGRESS = "in progress"


#: the audit log's trigger values and who they mean
TRIGGER_WORDS: dict[str, str] = {"key": "operator", "cli": "CLI", "auto": "auto"}
#: the actions a release is made of (only their successful results count)
_ACTIONS = frozenset({"advance", "set-percent", "rollback", "pause", "resume", "checkpoint"})


@dataclass(frozen=True, slots=True)
class ReleaseEvent:
    """One audited action of a release: what, when, by whom, from which percent to which."""

    time: str
    action: str
    actor: str
    trigger: str  # operator / CLI / auto
    from_percent: int | None
    to_percent: int | None
    note: str | None = None
    override: bool = False
    checkpoint_id: str | None = None
    at_trigger: dict[str, object] | None = None  # an automatic rollback's trips and figures when it fired

    @property
    def kind(self) -> str:
        """'stage' for a raise of the canary, else the action ('rollback', 'pause', ...)."""
        if self.action in ("advance", "set-percent") and (self.to_percent or 0) > (self.from_percent or 0):
            return "stage"
        return self.action


@dataclass(frozen=True, slots=True)
class Stage:
    """A stage entered: its percent, when and by whom, and how long it baked until the next change (None while running)."""

    percent: int
    entered: str
    actor: str
    trigger: str
    override: bool
    baked_s: float | None
    left: str | None = None


@dataclass(frozen=True, slots=True)
class Release:
    """One canary version's life on a target."""

    target: str
    canary_version: str
    stable_version: str | None
    started: str
    ended: str | None
    outcome: str
    events: tuple[ReleaseEvent, ...]
    stages: tuple[Stage, ...] = field(default=())

    @property
    def checkpoint_id(self) -> str | None:
        """The last checkpoint created for this release, if any."""
        return next((e.checkpoint_id for e in reversed(self.events) if e.checkpoint_id), None)

    @property
    def rollback(self) -> ReleaseEvent | None:
        """The rollback that ended it, if it was rolled back."""
        return next((e for e in reversed(self.events) if e.action == "rollback"), None)

    @property
    def peak_percent(self) -> int:
        """The highest percent the canary reached."""
        return max((s.percent for s in self.stages), default=0)

    def to_dict(self) -> dict[str, object]:
        """Plain values for --json (the report schema's `release`)."""
        out = asdict(self)
        out["checkpoint_id"] = self.checkpoint_id
        out["peak_percent"] = self.peak_percent
        for event, raw in zip(self.events, out["events"], strict=True):
            raw["kind"] = event.kind
        return out


def parse_time(text: str) -> datetime | None:
    """An audit record's ISO time ('…Z'), None when unreadable."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def seconds_between(start: str, end: str) -> float | None:
    """Seconds from one record time to another (None when either is unreadable)."""
    a, b = parse_time(start), parse_time(end)
    return None if a is None or b is None else (b - a).total_seconds()


def _event(record: Mapping[str, object]) -> ReleaseEvent:
    """The release event of one successful audit record."""
    trigger = str(record.get("trigger", "?"))
    at = record.get("at_trigger")
    ckpt = record.get("checkpoint_id")
    return ReleaseEvent(
        time=str(record.get("time", "")), action=str(record.get("action")), actor=str(record.get("actor", "?")),
        trigger=TRIGGER_WORDS.get(trigger, trigger), from_percent=_int(record.get("from")), to_percent=_int(record.get("to")),
        note=str(record["note"]) if record.get("note") else None, override=bool(record.get("override")),
        checkpoint_id=ckpt if isinstance(ckpt, str) else None, at_trigger=dict(at) if isinstance(at, Mapping) else None,
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Open:
    """A release being assembled."""

    def __init__(self, target: str, version: str, stable: str | None, started: str) -> None:
        self.target, self.version, self.stable, self.started = target, version, stable, started
        self.events: list[ReleaseEvent] = []

    def close(self, outcome: str, ended: str | None) -> Release:
        stages: list[Stage] = []
        for event in self.events:
            if event.action not in ("advance", "set-percent", "rollback") or event.to_percent is None:
                continue
            if stages and stages[-1].left is None and event.from_percent == event.to_percent == stages[-1].percent:
                continue  # set to the percent already in force (a ramp re-run to check the stage): no new stage
            if stages and stages[-1].left is None:
                last = stages[-1]
                stages[-1] = Stage(last.percent, last.entered, last.actor, last.trigger, last.override,
                                   seconds_between(last.entered, event.time), event.time)
            if event.kind == "stage" or (event.action != "rollback" and event.to_percent > 0):
                stages.append(Stage(event.to_percent, event.time, event.actor, event.trigger, event.override, None))
        return Release(self.target, self.version, self.stable, self.started, ended, outcome, tuple(self.events), tuple(stages))


def build_releases(records: Iterable[Mapping[str, object]]) -> list[Release]:
    """Every release in the records (one target's, oldest first), oldest first; the last may be in progress.

    Records written before versions were audited belong to the release open at the time.
    """
    out: list[Release] = []
    open_: dict[str, _Open] = {}  # per target
    for record in records:
        if record.get("outcome") != "ok" or record.get("action") not in _ACTIONS:
            continue
        target = str(record.get("target", record.get("environment", "?")))
        event = _event(record)
        version = record.get("canary_version")
        version = version if isinstance(version, str) else None
        current = open_.get(target)
        if current is not None and version is not None and version != current.version:
            out.append(current.close(Outcome.IN_PROGRESS if current.events[-1].to_percent else Outcome.ROLLED_BACK, None))
            current = None
        if current is None:
            starts = event.kind == "stage" or event.action == "checkpoint"
            if not starts:
                continue  # a pause or a rollback with no release open: nothing of a release
            stable = record.get("stable_version")
            current = open_[target] = _Open(target, version or "unknown", stable if isinstance(stable, str) else None, event.time)
        current.events.append(event)
        if event.action == "rollback":
            out.append(current.close(Outcome.ROLLED_BACK, event.time))
            del open_[target]
        elif event.to_percent == 100 and event.kind == "stage":
            out.append(current.close(Outcome.COMPLETED, event.time))
            del open_[target]
    out += [o.close(Outcome.IN_PROGRESS, None) for o in open_.values()]
    out.sort(key=lambda r: r.started)
    return out


def success_rate(releases: Sequence[Release], last: int) -> tuple[float | None, int, int]:
    """The seed's deployment success rate over the last `last` ended releases: completed / (completed + rolled back)."""
    ended = [r for r in releases if r.outcome != Outcome.IN_PROGRESS][-last:] if last > 0 else []
    completed = sum(r.outcome == Outcome.COMPLETED for r in ended)
    rolled_back = sum(r.outcome == Outcome.ROLLED_BACK for r in ended)
    total = completed + rolled_back
    return (completed / total if total else None), completed, rolled_back


def find_release(releases: Sequence[Release], version: str | None) -> Release | None:
    """The latest release of `version` (the latest of all when None)."""
    matching = [r for r in releases if version is None or r.canary_version == version]
    return matching[-1] if matching else None


def metrics_at_trigger(verdicts: Sequence[RuleVerdict], heartbeat: Heartbeat | None, window: Rates | None,
                       gates: Sequence[GateResult] = ()) -> dict[str, object]:
    """What a rollback records of the moment it was asked for: the trips, failing gates, the evidence and the figures then."""
    out: dict[str, object] = {}
    trips: list[dict[str, object]] = []
    for trip in dict.fromkeys(t for v in verdicts if v.trip for t in v.trips):  # two rules on the same evidence: once
        trips.append({**asdict(trip), "reason": describe_trip(trip)})
    if trips:
        out["trips"] = trips
    failing = [{"name": g.name, "reason": g.reason} for g in gates if g.status is GateStatus.FAIL]
    if failing:
        out["failing_gates"] = failing
    decision = next((v.decision for v in verdicts if v.decision is not None), None)
    if decision is not None:
        out["evidence"] = dict(decision.evidence)
    if heartbeat is not None:
        d, m = heartbeat.deployment, heartbeat.metrics
        out.update(canary_percent=d.canary_percent, canary_version=d.canary_version, stable_version=d.stable_version)
        for prefix, variant in (("canary_", m.canary), ("stable_", m.stable)):
            if variant is not None:
                out.update({f"{prefix}p50_ms": variant.p50_ms, f"{prefix}p95_ms": variant.p95_ms, f"{prefix}p99_ms": variant.p99_ms})
        out.update(p50_ms=m.p50_ms, p95_ms=m.p95_ms, p99_ms=m.p99_ms)
    if window is not None:
        out.update(window_requests=window.requests, window_errors=window.errors, window_error_rate=window.error_rate,
                   window_canary_requests=window.canary_requests, window_canary_errors=window.canary_errors,
                   window_canary_error_rate=window.canary_error_rate, window_stable_error_rate=window.stable_error_rate)
    return out
