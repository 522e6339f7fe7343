"""The controller's memory: record every trusted heartbeat into the history store, and on start draw the stored past.

`attach_store` is the one hook (controller/factory.py calls it): it preloads the stored rows of the
chart's time span into the controller's History — gaps where nothing was watching stay empty and get
a mark — then subscribes to snapshots and queues each new heartbeat to a writer thread, so the poll
never waits on the disk. A store that cannot be used is reported once in the event log and the
controller runs on without it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from canary_tui.controller.model import EventLevel, Snapshot
from canary_tui.core.evidence import JudgmentConfig
from canary_tui.core.evidence_rule import EvidenceRule
from canary_tui.core.history import History
from canary_tui.core.rates import Rates
from canary_tui.core.samples import Heartbeat, VariantMetrics
from canary_tui.store import DEFAULT_RETENTION, Bucket, HistoryStore, Retention, StoredBeat, StoredDecision, StoreUnavailable, StoreWriter
from canary_tui.store.queries import last_stage

if TYPE_CHECKING:
    from canary_tui.controller.controller import RampController

#: a pause between two stored heartbeats longer than this is drawn as "nothing was watching"
GAP_S = 30.0
GAP_LABEL = "not watched"
EVENT_KIND = "store"


def _slower(variant: VariantMetrics | None, threshold_ms: float) -> int | None:
    """A variant's requests so far slower than `threshold_ms`, from its latency buckets (None without them)."""
    if variant is None or variant.latency_buckets is None:
        return None
    return variant.latency_buckets.slower_than(threshold_ms, variant.requests)


def beat_from(target: str, heartbeat: Heartbeat, rates: Rates | None, judgment: JudgmentConfig | None = None) -> StoredBeat:
    """What is kept of one trusted heartbeat: its counters and percentiles as sent, the rates as the controller derived them,
    and the slow counts at the judgment's bounds (so a restart resumes the slow evidence)."""
    m, d = heartbeat.metrics, heartbeat.deployment
    gate_ms = judgment.gate_slow_ms if judgment is not None else None
    trip_ms = judgment.trip_slow_ms if judgment is not None else None
    canary, stable = m.canary, m.stable
    server_s = heartbeat.timestamp.timestamp()
    return StoredBeat(
        target=target, server_s=math.floor(server_s), observed_s=heartbeat.fetched_at_s,
        canary_version=d.canary_version, stable_version=d.stable_version, canary_percent=d.canary_percent,
        paused=d.paused, verified=heartbeat.verified, requests=m.requests, errors=m.errors,
        canary_requests=canary.requests if canary else None, canary_errors=canary.errors if canary else None,
        stable_requests=stable.requests if stable else None, stable_errors=stable.errors if stable else None,
        p50_ms=m.p50_ms, p95_ms=m.p95_ms, p99_ms=m.p99_ms,
        canary_p50_ms=canary.p50_ms if canary else None, canary_p95_ms=canary.p95_ms if canary else None,
        canary_p99_ms=canary.p99_ms if canary else None,
        stable_p50_ms=stable.p50_ms if stable else None, stable_p95_ms=stable.p95_ms if stable else None,
        stable_p99_ms=stable.p99_ms if stable else None,
        error_rate=rates.error_rate if rates else None,
        canary_error_rate=rates.canary_error_rate if rates else None,
        stable_error_rate=rates.stable_error_rate if rates else None,
        requests_per_s=rates.requests_per_s if rates else None,
        data_age_s=max(0.0, heartbeat.fetched_at_s - server_s),
        slow_gate_ms=gate_ms if gate_ms is not None and m.canary is not None and m.canary.latency_buckets is not None else None,
        canary_slow_gate=_slower(canary, gate_ms) if gate_ms is not None else None,
        stable_slow_gate=_slower(stable, gate_ms) if gate_ms is not None else None,
        canary_slow_trip=_slower(canary, trip_ms) if trip_ms is not None else None,
        stable_slow_trip=_slower(stable, trip_ms) if trip_ms is not None else None,
    )


def decision_key(snapshot: Snapshot) -> str:
    """What counts as a change of the verdict: state, version, percent, the judgment's kind and each gate's status (not their numbers)."""
    d = snapshot.deployment
    parts = [snapshot.ramp.value, d.canary_version if d else "", str(d.canary_percent) if d else "",
             snapshot.decision.kind.value if snapshot.decision else ""]
    return "|".join(parts + [f"{g.name}={g.status.value}" for g in snapshot.gates])


def _finite(value: float | None) -> float | None:
    """A gate's number as JSON can hold it (no NaN or infinity)."""
    return value if value is None or math.isfinite(value) else None


def decision_from(target: str, snapshot: Snapshot, heartbeat: Heartbeat, change: str) -> StoredDecision:
    """The verdict of one snapshot as kept: state, the judgment and every gate with its value, threshold and reason."""
    d, decision = snapshot.deployment, snapshot.decision
    gates = [{"name": g.name, "status": g.status.value, "value": _finite(g.value), "threshold": _finite(g.threshold), "reason": g.reason}
             for g in snapshot.gates]
    return StoredDecision(
        target=target, server_s=math.floor(heartbeat.timestamp.timestamp()), observed_s=heartbeat.fetched_at_s,
        canary_version=d.canary_version if d else None, canary_percent=d.canary_percent if d else None,
        state=snapshot.ramp.value, decision=decision.kind.value if decision else None,
        reason=decision.reason if decision else "", gates=json.dumps(gates, default=str), change=change,
    )


def judgment_config(controller: RampController) -> JudgmentConfig:
    """The evidence judgment's knobs as the controller's rules run them (window, slow bounds from the thresholds in force)."""
    config = next((r.evidence.config for r in controller.rules if isinstance(r, EvidenceRule)), JudgmentConfig())
    return config.with_thresholds(controller.thresholds)


#: chart series read from a stored beat's column of the same name
_PLAIN_FIELDS = ("p50_ms", "p95_ms", "p99_ms", "stable_p50_ms", "stable_p95_ms", "stable_p99_ms",
                 "error_rate", "stable_error_rate", "requests_per_s", "canary_percent")
#: chart series that are left out where the canary served no requests (observing.py `_record_history`; a test holds them equal)
_CANARY_FIELDS = ("canary_p50_ms", "canary_p95_ms", "canary_p99_ms", "canary_error_rate")
#: each chart series as an SQL expression over a stored beat
CHART_SQL = {**{f: f for f in _PLAIN_FIELDS}, **{f: f"CASE WHEN canary_percent != 0 THEN {f} END" for f in _CANARY_FIELDS}}
#: each chart series as (column, condition) over a stored minute
CHART_MINUTE_SQL: dict[str, tuple[str, str | None]] = {**{f: (f, None) for f in _PLAIN_FIELDS},
                                                       **{f: (f, "canary_percent_max != 0") for f in _CANARY_FIELDS}}
#: at most this many time buckets are read on start (a bucket stays narrower than a quarter of a chart column up to ~1000 columns)
PRELOAD_BUCKETS = 4096
#: a past longer than this loads from the per-minute summaries (a column of a chart this long spans minutes anyway);
#: a shorter one from the heartbeats themselves, at the chart's own resolution where it fits
MINUTES_AFTER_S = 48 * 3600.0
_PERCENT = "_percent"  # the bucket's canary percent, read for the stage marks


def preload(history: History, store: HistoryStore, target: str, now_s: float) -> int:
    """Draw the target's stored past into an empty History: per bucket its min, max and last (mean, from minutes);
    percent changes (exact, from the rows) and unwatched gaps as marks. Returns the buckets taken."""
    since_s = store.first_observed(target, now_s - min(store.retention.full_s, history.max_age_s))
    if since_s is None:
        return 0
    res = history.resolution_s
    span_s = now_s - since_s
    fields = [f for f in history.fields if f in CHART_SQL]
    if span_s > MINUTES_AFTER_S:
        bucket_s = res * math.ceil(max(60.0, span_s / PRELOAD_BUCKETS) / res)
        columns = {_PERCENT: ("canary_percent", None), **{f: CHART_MINUTE_SQL[f] for f in fields}}
        buckets = store.minute_buckets(target, since_s, bucket_s, columns)
    else:
        bucket_s = res * max(1, math.ceil(span_s / PRELOAD_BUCKETS / res))
        buckets = store.buckets(target, since_s, bucket_s, {_PERCENT: "canary_percent", **{f: CHART_SQL[f] for f in fields}})
    previous: Bucket | None = None
    for bucket in buckets:
        if previous is not None and bucket.first_s - previous.last_s > GAP_S:
            history.add_mark(previous.last_s, GAP_LABEL)
        start_s = previous.last_s if previous is not None else bucket.first_s
        moved = bucket.low[_PERCENT] != bucket.high[_PERCENT]
        if previous is not None and not moved:
            moved = previous.low[_PERCENT] != bucket.low[_PERCENT] or previous.high[_PERCENT] != bucket.high[_PERCENT]
        if moved:
            for t_s, old, new in store.changes(target, start_s, bucket.last_s):  # exact times, read only where the percent moved
                history.add_mark(t_s, f"{old}%→{new}%")
        history.append_summary(bucket.last_s, bucket.low, bucket.high, {f: bucket.last[f] for f in fields})  # one slot per bucket
        previous = bucket
    previous_s = previous.last_s if previous is not None else None
    if previous_s is not None and now_s - previous_s > GAP_S:
        history.add_mark(previous_s, GAP_LABEL)
    return len(buckets)


class Recorder:
    """Queues each new trusted heartbeat of one target to the writer; relays the writer's problems to the event log."""

    def __init__(self, controller: RampController, target: str, writer: StoreWriter) -> None:
        self.controller = controller
        self.target = target
        self.writer = writer
        self.judgment = judgment_config(controller)
        self._last: Heartbeat | None = None
        self._last_change: str | None = None

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """A snapshot with a heartbeat not yet queued queues it (ticks re-publish the same one), and the verdict where it changed."""
        heartbeat = snapshot.heartbeat
        if heartbeat is not None and heartbeat is not self._last:
            self._last = heartbeat
            self.writer.put(beat_from(self.target, heartbeat, snapshot.rates, self.judgment))
        if heartbeat is not None:
            change = decision_key(snapshot)
            if change != self._last_change:
                self._last_change = change
                self.writer.put(decision_from(self.target, snapshot, heartbeat, change))
        self.relay_problems()

    def relay_problems(self) -> None:
        """The writer thread's messages, emitted on the controller's own thread."""
        while not self.writer.problems.empty():
            message = self.writer.problems.get_nowait()
            level = EventLevel.INFO if "free again" in message else EventLevel.WARNING
            self.controller.emit(EVENT_KIND, message, level)

    def close(self) -> None:
        """Commit what is queued and stop the writer."""
        self.writer.close()
        self.relay_problems()


def attach_store(controller: RampController, target: str, path: Path, retention: Retention = DEFAULT_RETENTION) -> Recorder | None:
    """Preload the stored past of `target` into the controller's History, offer its last stored stage to the judgment
    (it resumes from those counts when the first heartbeat shows the same stage), then record what it observes.

    Returns the Recorder, or None when the store cannot be used (reported once in the event log).
    """
    busy = False
    try:
        store = HistoryStore.open(path, retention)
        try:
            preload(controller.history, store, target, controller.clock.now())
            judgment = judgment_config(controller)
            controller.observer.stored_stage = last_stage(store, target, window_s=judgment.window_s, slow_gate_ms=judgment.gate_slow_ms)
        finally:
            store.close()
    except StoreUnavailable as exc:
        busy = exc.busy
        suffix = "; trying again as heartbeats arrive" if busy else "; the dashboard runs on without stored history"
        controller.emit(EVENT_KIND, f"{exc}{suffix}", EventLevel.WARNING)
        if not busy:
            return None
    audit_paths = (controller.audit.path,) if controller.audit is not None else ()  # indexed by the store, caught up at once
    recorder = Recorder(controller, target, StoreWriter(path, retention, audit_paths=audit_paths))
    controller.subscribe(on_snapshot=recorder.on_snapshot)
    controller.closers.append(recorder.close)
    return recorder
