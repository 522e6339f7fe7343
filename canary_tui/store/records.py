"""The stored shape of one observed heartbeat of a target: plain values, one row of the `beat` table."""

from __future__ import annotations

from dataclasses import dataclass, fields

#: value columns with a minute summary (min, max, sum, count) once downsampled: percentiles in ms, rates as fractions or per second
VALUE_COLUMNS: tuple[str, ...] = (
    "p50_ms", "p95_ms", "p99_ms",
    "canary_p50_ms", "canary_p95_ms", "canary_p99_ms",
    "stable_p50_ms", "stable_p95_ms", "stable_p99_ms",
    "error_rate", "canary_error_rate", "stable_error_rate", "requests_per_s", "data_age_s",
)
#: monotonic counters as the server reported them (the minute keeps the last, i.e. the largest)
COUNTER_COLUMNS: tuple[str, ...] = ("requests", "errors", "canary_requests", "canary_errors", "stable_requests", "stable_errors")


@dataclass(frozen=True, slots=True)
class StoredBeat:
    """One heartbeat as kept: keyed by (target, server second); `observed_s` is the watcher's clock when it arrived."""

    target: str
    server_s: int
    observed_s: float
    canary_version: str
    stable_version: str
    canary_percent: int
    paused: bool
    verified: bool
    requests: int
    errors: int
    canary_requests: int | None = None
    canary_errors: int | None = None
    stable_requests: int | None = None
    stable_errors: int | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    canary_p50_ms: float | None = None
    canary_p95_ms: float | None = None
    canary_p99_ms: float | None = None
    stable_p50_ms: float | None = None
    stable_p95_ms: float | None = None
    stable_p99_ms: float | None = None
    error_rate: float | None = None
    canary_error_rate: float | None = None
    stable_error_rate: float | None = None
    requests_per_s: float | None = None
    data_age_s: float | None = None
    slow_gate_ms: float | None = None  # the P95 bound the cumulative slow counts below were taken at (None: no buckets)
    canary_slow_gate: int | None = None  # requests so far slower than slow_gate_ms, from the latency buckets
    stable_slow_gate: int | None = None
    canary_slow_trip: int | None = None  # requests so far slower than the seed's trip latency (1000 ms)
    stable_slow_trip: int | None = None


#: cumulative slow counts (schema version 3), read back to resume the judgment's slow evidence
SLOW_COLUMNS: tuple[str, ...] = ("canary_slow_gate", "stable_slow_gate", "canary_slow_trip", "stable_slow_trip")

#: every column of the `beat` table, in StoredBeat's field order
BEAT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(StoredBeat))


@dataclass(frozen=True, slots=True)
class MinuteSummary:
    """One downsampled minute of a target: sample count, last counters and percent, and per value (min, max, mean)."""

    target: str
    minute_s: int
    samples: int
    canary_version: str | None
    canary_percent_max: int | None
    counters: dict[str, int | None]
    values: dict[str, tuple[float | None, float | None, float | None]]


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """The controller's verdict on a target where it changed: keyed by (target, server second of the heartbeat judged, change),
    so two dashboards judging one heartbeat alike record it once.

    `gates` is a JSON list of {name, status, value, threshold, reason}; `decision` the judgment's kind (None: no judgment);
    `change` what changed as one comparable string (state, version, percent, decision, each gate's status).
    """

    target: str
    server_s: int
    observed_s: float
    canary_version: str | None
    canary_percent: int | None
    state: str
    decision: str | None
    reason: str
    gates: str
    change: str


#: every column of the `decision` table, in StoredDecision's field order
DECISION_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(StoredDecision))
