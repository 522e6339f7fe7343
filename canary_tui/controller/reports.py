"""Releases and reports from the disk: the audit log (the source of truth for actions) and the history store.

The `releases` and `report` commands and the dashboard's releases screen all read through here;
the rules are core/releases.py and core/report.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from canary_tui.controller.audit import audit_files, audit_path, read_audit
from canary_tui.core.clock import Clock, SystemClock, to_datetime
from canary_tui.core.releases import Release, build_releases, find_release, parse_time
from canary_tui.core.report import BEFORE_S, build_report
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.store import HistoryStore, MinuteSummary, StoredBeat, StoreUnavailable

#: how many ended releases the deployment success rate covers by default
SUCCESS_LAST = 10


def target_records(target: str, directory: Path | None = None) -> list[dict[str, Any]]:
    """The audit records of one target (its own file), oldest first; torn lines skipped."""
    records = [r for r in read_audit(audit_path(target, directory)).records if r.get("target", r.get("environment")) == target]
    records.sort(key=lambda r: str(r.get("time", "")))
    return records


def releases_of(target: str, directory: Path | None = None) -> list[Release]:
    """Every release of one target, oldest first."""
    return build_releases(target_records(target, directory))


def releases_loader(controller: object) -> tuple[str, Callable[[], list[Release]]]:
    """The target a dashboard's controller audits, and a loader of its releases (none without an audit log: the demo)."""
    audit = getattr(controller, "audit", None)
    path, target = getattr(audit, "path", None), getattr(audit, "target", None)
    if not isinstance(path, Path) or not isinstance(target, str):
        return str(getattr(controller, "environment", "?")), list

    def load() -> list[Release]:
        return build_releases(sorted((r for r in read_audit(path).records if r.get("target", r.get("environment")) == target),
                                     key=lambda r: str(r.get("time", ""))))

    return target, load


def all_releases(directory: Path | None = None, name: str | None = None) -> list[Release]:
    """Every release of every target with an audit file (or of `name`: a target, or an environment with all its regions), oldest first."""
    out: list[Release] = []
    for path in audit_files(directory):
        records = [r for r in read_audit(path).records
                   if name is None or r.get("target", r.get("environment")) == name or r.get("environment") == name]
        out += build_releases(sorted(records, key=lambda r: str(r.get("time", ""))))
    out.sort(key=lambda r: r.started)
    return out


@dataclass(frozen=True, slots=True)
class MinuteBeat:
    """A stored minute read as one heartbeat (past the full resolution): its last counters, its highest percent, mean percentiles."""

    observed_s: float
    canary_percent: int
    requests: int
    errors: int
    canary_requests: int | None
    canary_errors: int | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    canary_p50_ms: float | None
    canary_p95_ms: float | None
    canary_p99_ms: float | None


def minute_beat(minute: MinuteSummary) -> MinuteBeat | None:
    """One minute summary as a report sample, None without the service's counters."""
    counters, values = minute.counters, minute.values
    requests, errors = counters.get("requests"), counters.get("errors")
    if requests is None or errors is None or minute.canary_percent_max is None:
        return None

    def mean(name: str) -> float | None:
        return values.get(name, (None, None, None))[2]

    return MinuteBeat(float(minute.minute_s), minute.canary_percent_max, requests, errors, counters.get("canary_requests"),
                      counters.get("canary_errors"), mean("p50_ms"), mean("p95_ms"), mean("p99_ms"),
                      mean("canary_p50_ms"), mean("canary_p95_ms"), mean("canary_p99_ms"))


def stored_beats(store_path: Path | None, target: str, since_s: float) -> tuple[list[StoredBeat | MinuteBeat], str | None]:
    """The target's stored heartbeats since `since_s` (minute summaries where the full-resolution rows are pruned),
    and a note when the store could not say (never raises)."""
    if store_path is None or not store_path.exists():
        return [], "no history store yet: the before/after table has no samples"
    try:
        store = HistoryStore.open(store_path, mode="ro")
    except StoreUnavailable as exc:
        return [], f"history store unavailable ({exc}): the before/after table has no samples"
    try:
        beats: list[StoredBeat | MinuteBeat] = list(store.beats(target, since_s))
        first_s = beats[0].observed_s if beats else math.inf
        older = [b for m in store.minutes(target, int(since_s)) if (b := minute_beat(m)) is not None and b.observed_s + 60.0 <= first_s]
        return [*older, *beats], None
    except StoreUnavailable as exc:
        return [], f"history store unreadable ({exc}): the before/after table has no samples"
    finally:
        store.close()


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What a report is about: the target, which release (latest when None), and where the history is."""

    target: str
    version: str | None = None
    store_path: Path | None = None
    thresholds: ThresholdTable = ThresholdTable.seed()
    success_last: int = SUCCESS_LAST
    audit_dir: Path | None = None


class NoRelease(LookupError):
    """No release of the target (or of that version) in its audit log."""


def make_report(request: ReportRequest, clock: Clock | None = None) -> dict[str, object]:
    """The report of one release as plain values (docs/report-schema.json); NoRelease when there is none."""
    clock = clock or SystemClock()
    records = target_records(request.target, request.audit_dir)
    releases = build_releases(records)
    release = find_release(releases, request.version)
    if release is None:
        which = f"release {request.version}" if request.version else "release"
        regions = sorted({r.target for r in all_releases(request.audit_dir, request.target)} - {request.target})
        hint = f" (a report is of one target: {', '.join(regions)})" if regions else ""
        raise NoRelease(f"no {which} of {request.target} in its audit log{hint}")
    now_s = clock.now()
    start = _start_s(release, now_s)
    beats, note = stored_beats(request.store_path, request.target, start - BEFORE_S)
    generated = to_datetime(now_s).isoformat().replace("+00:00", "Z")
    return build_report(release, releases=releases, records=records, beats=beats, table=request.thresholds,
                        now_s=now_s, generated_at=generated, success_last=request.success_last, store_note=note)


def _start_s(release: Release, now_s: float) -> float:
    start = parse_time(release.started)
    return start.timestamp() if start else now_s


def release_rows(releases: Sequence[Release]) -> list[dict[str, object]]:
    """One summary per release (newest first) for `releases --json` and the releases screen."""
    return [{"target": r.target, "canary_version": r.canary_version, "stable_version": r.stable_version, "started": r.started,
             "ended": r.ended, "outcome": r.outcome, "peak_percent": r.peak_percent, "stages": [s.percent for s in r.stages],
             "checkpoint_id": r.checkpoint_id, "rollback_trigger": r.rollback.trigger if r.rollback else None}
            for r in reversed(releases)]
