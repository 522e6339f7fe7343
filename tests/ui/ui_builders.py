"""Deterministic snapshots, chart data and a fake controller for dashboard tests (no live times)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

from canary_tui.controller.chart import ChartData, ChartSeries
from canary_tui.controller.model import (
    ActionResult,
    ConnectionState,
    Event,
    EventLevel,
    RampState,
    Snapshot,
    StageView,
    WindowLatency,
)
from canary_tui.core.clock import ManualClock
from canary_tui.core.plans import STANDARD, RampPlan, Stage
from canary_tui.core.rates import Rates
from canary_tui.core.samples import Deployment, Heartbeat, HeartbeatStatus, LatencyBuckets, Metrics, VariantMetrics
from canary_tui.core.verdicts import Decision, DecisionKind, GateResult, GateStatus, TriggerState

NOW = datetime(2026, 11, 18, 12, 0, 0, tzinfo=timezone.utc)
NOW_S = NOW.timestamp()
DEMO_PLAN = RampPlan("demo", (Stage(10, 45.0), Stage(50, 45.0), Stage(100, 45.0)))


def chart_data(columns: int, *, span_s: float = 3600.0, canary_p95_ms: float = 280.0, spike: bool = False, end_s: float = NOW_S) -> ChartData:
    """Smooth, deterministic latency curves over `span_s`, one point per column."""
    columns = max(2, columns)
    start_s = end_s - span_s
    times = tuple(start_s + span_s * i / (columns - 1) for i in range(columns))

    def curve(base: float, wobble: float, phase: float) -> tuple[float, ...]:
        values = []
        for i in range(columns):
            x = i / (columns - 1)
            value = base + wobble * math.sin(6 * x + phase)
            if spike and x > 0.7:
                value *= 1 + 2.5 * (x - 0.7) / 0.3
            values.append(round(value, 1))
        return tuple(values)

    series = []
    for name, base, wobble, phase in (
        ("canary_p50_ms", canary_p95_ms * 0.2, 4, 0.0),
        ("canary_p95_ms", canary_p95_ms, 25, 0.3),
        ("canary_p99_ms", canary_p95_ms * 1.45, 40, 0.6),
        ("stable_p50_ms", 48, 3, 1.0),
        ("stable_p95_ms", 270, 15, 1.3),
        ("stable_p99_ms", 390, 25, 1.6),
    ):
        values = curve(base, wobble, phase) if (spike or not name.startswith("stable")) else curve(base, wobble, phase)
        if name.startswith("stable"):
            values = curve(base, wobble, phase) if not spike else tuple(round(base + wobble * math.sin(6 * i / (columns - 1) + phase), 1) for i in range(columns))
        series.append(ChartSeries(name, times, values, values, values))
    marks = ((start_s + span_s * 0.35, "10%"),)
    return ChartData(columns=columns, start_s=start_s, end_s=end_s, series=tuple(series), marks=marks)


def heartbeat(*, percent: int = 10, paused: bool = False, errors: int = 5, requests: int = 1000, p95_ms: float = 287.4, status: HeartbeatStatus = HeartbeatStatus.OK, verified: bool = True) -> Heartbeat:
    """One heartbeat at NOW."""
    return Heartbeat(
        timestamp=NOW,
        status=status,
        deployment=Deployment(
            id="dep-7f3a",
            environment="staging",
            stable_version="v0.4.1",
            canary_version="v0.5.0",
            canary_percent=percent,
            paused=paused,
            updated_at=NOW - timedelta(hours=6),
            updated_by="alice@laptop",
        ),
        metrics=Metrics(
            requests=requests,
            errors=errors,
            window_s=60,
            p50_ms=25.0,
            p95_ms=p95_ms,
            p99_ms=410.0,
            canary=VariantMetrics(requests=requests // 10, errors=errors // 2, p50_ms=31.0, p95_ms=p95_ms + 12, p99_ms=420.0),
            stable=VariantMetrics(requests=requests - requests // 10, errors=errors - errors // 2, p50_ms=24.0, p95_ms=280.2, p99_ms=390.5),
        ),
        verified=verified,
        signature_valid=True,
        fetched_at_s=NOW_S,
        response_ms=125.0,
    )


def rates(*, requests: int = 1000, errors: int = 5) -> Rates:
    """Rates over a 1 s interval."""
    return Rates(
        interval_s=1.0,
        requests=requests,
        errors=errors,
        requests_per_s=float(requests),
        errors_per_s=float(errors),
        error_rate=errors / requests if requests else None,
        canary_requests=requests // 10,
        canary_errors=errors // 2,
        stable_requests=requests - requests // 10,
        stable_errors=errors - errors // 2,
    )


#: the contract's histogram edges (ms)
LATENCY_LE_MS = (50.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 1500.0, 2500.0, 5000.0)
#: per state: (canary requests, canary errors, stable requests, stable errors) over the window, and each variant's
#: share of requests within each edge of LATENCY_LE_MS (as the counts the levels are judged on)
_WINDOWS: dict[str, tuple[tuple[int, int, int, int], tuple[float, ...], tuple[float, ...]]] = {
    "healthy": ((9800, 2, 88200, 45), (0.76, 0.95, 0.97, 0.999, 1, 1, 1, 1, 1), (0.78, 0.96, 0.975, 0.9995, 1, 1, 1, 1, 1)),
    "warning": ((9800, 30, 88200, 40), (0.76, 0.95, 0.97, 0.999, 1, 1, 1, 1, 1), (0.78, 0.96, 0.975, 0.9995, 1, 1, 1, 1, 1)),
    "critical": ((1000, 40, 9000, 40), (0.6, 0.7, 0.75, 0.85, 0.9, 0.96, 0.995, 1, 1), (0.78, 0.96, 0.975, 0.9995, 1, 1, 1, 1, 1)),
    "low-data": ((40, 0, 360, 2), (0.76, 0.95, 0.97, 0.999, 1, 1, 1, 1, 1), (0.78, 0.96, 0.975, 0.9995, 1, 1, 1, 1, 1)),
    "rolled-back": ((0, 0, 98000, 45), (0, 0, 0, 0, 0, 0, 0, 0, 0), (0.78, 0.96, 0.975, 0.9995, 1, 1, 1, 1, 1)),
}


def window(kind: str = "healthy", window_s: float = 60.0) -> tuple[Rates, WindowLatency]:
    """Counts and latency histograms over the controller's window for a named state (as Snapshot.window carries them)."""
    (c_req, c_err, s_req, s_err), c_share, s_share = _WINDOWS.get(kind, _WINDOWS["healthy"])
    rates_window = Rates.from_counts(
        window_s, c_req + s_req, c_err + s_err,
        canary_requests=c_req, canary_errors=c_err, stable_requests=s_req, stable_errors=s_err,
    )

    def buckets(requests: int, shares: tuple[float, ...]) -> LatencyBuckets:
        return LatencyBuckets(LATENCY_LE_MS, tuple(round(requests * share) for share in shares))

    latency = WindowLatency(
        service=buckets(c_req + s_req, tuple((c_req * a + s_req * b) / max(c_req + s_req, 1) for a, b in zip(c_share, s_share, strict=True))),
        canary=buckets(c_req, c_share),
        stable=buckets(s_req, s_share),
    )
    return rates_window, latency


def gates(*, p95_ms: float = 287.0, error_rate: float = 0.005, bake_done: bool = False, regression: bool = False, low_data: bool = False) -> tuple[GateResult, ...]:
    """A stage's gates as the controller sends them: the seed's three, then the evidence gates (intervals, SPRT bars)."""
    p95_status = GateStatus.PASS if p95_ms < 500 else GateStatus.FAIL
    err_status = GateStatus.PASS if error_rate < 0.01 else GateStatus.FAIL
    sign = "<" if p95_status == GateStatus.PASS else "≥"
    err_sign = "<" if err_status == GateStatus.PASS else "≥"
    bake_s = 86400.0 if bake_done else 22680.0
    seed = (
        GateResult("P95 < 500 ms", p95_status, p95_ms, 500.0, "ms", f"P95 {p95_ms:.0f} ms {sign} 500 ms", interval=(p95_ms * 0.913, p95_ms * 1.084)),
        GateResult("errors < 1%", err_status, error_rate, 0.01, "fraction", f"errors {error_rate * 100:.2f}% {err_sign} 1%"),
        GateResult("bake", GateStatus.PASS if bake_done else GateStatus.HOLD, bake_s, 86400.0, "s", "bake 24h / 24h done" if bake_done else "bake 6h18m / 24h"),
    )
    if regression:
        evidence = (
            GateResult("canary errors", GateStatus.FAIL, 4.0, 1.0, "%", "canary 40/1000 errors, 95% interval 2.95–5.40% vs 1%", interval=(2.95, 5.40), evidence=1.0),
            GateResult("errors vs stable", GateStatus.FAIL, 8.9, 1.5, "×", "regression: e-value 2.1e+03 ≥ 100; canary 40/1000 vs stable 40/9000", evidence=1.0),
        )
    elif low_data:
        evidence = (
            GateResult("canary errors", GateStatus.HOLD, 0.0, 1.0, "%", "canary 0/40 errors, 95% interval 0.00–8.76% vs 1%", interval=(0.0, 8.76), evidence=0.45, low_data=True),
            GateResult("errors vs stable", GateStatus.HOLD, 0.0, 1.5, "×", "evidence still accumulating; canary 0/40 vs stable 2/360", evidence=0.45, low_data=True),
        )
    else:
        evidence = (
            GateResult("canary errors", GateStatus.PASS, 0.02, 1.0, "%", "canary 2/9800 errors, 95% interval 0.01–0.07% vs 1%", interval=(0.0056, 0.074), evidence=0.0 if bake_done else 0.3),
            GateResult("errors vs stable", GateStatus.PASS if bake_done else GateStatus.HOLD, 0.4, 1.5, "×",
                       ("no ≥1.5× regression (SPRT accepted)" if bake_done else "evidence still accumulating") + "; canary 2/9800 vs stable 45/88200",
                       evidence=0.0 if bake_done else 0.3),
        )
    return seed + evidence


def snapshot(kind: str = "healthy") -> Snapshot:
    """A named dashboard state: healthy, warning, critical, stale, unreachable, paused, rolled-back, eligible, low-data."""
    percent = 10
    hb_kwargs: dict[str, Any] = {}
    rate_kwargs: dict[str, Any] = {"requests": 1000, "errors": 0}
    gate_kwargs: dict[str, Any] = {"error_rate": 0.0}
    connection = ConnectionState.LIVE
    error: str | None = None
    age_s = 0.8
    ramp = RampState.BAKING
    decision: Decision | None = Decision(DecisionKind.HOLD, "bake not done")
    trigger = TriggerState(enabled=True, armed=True, count=0, needed=3)
    if kind == "warning":
        rate_kwargs = {"requests": 1000, "errors": 5}
        gate_kwargs = {"error_rate": 0.005}
        hb_kwargs = {"errors": 5}
    elif kind == "critical":
        rate_kwargs = {"requests": 1000, "errors": 40}
        gate_kwargs = {"error_rate": 0.04, "p95_ms": 812.0, "regression": True}
        hb_kwargs = {"errors": 40, "p95_ms": 812.0, "status": HeartbeatStatus.DEGRADED}
        ramp = RampState.GATE_FAILING
        decision = Decision(DecisionKind.ROLLBACK, "error rate 4.0% above 1% for 3 windows")
        trigger = TriggerState(enabled=True, armed=True, count=2, needed=3)
    elif kind in ("stale", "unreachable"):
        connection = ConnectionState.STALE if kind == "stale" else ConnectionState.UNREACHABLE
        error = "ReadTimeout: no answer within 5.0 s" if kind == "stale" else "ConnectError: connection refused"
        age_s = 12.4 if kind == "stale" else 95.0
        trigger = TriggerState(enabled=True, armed=False, count=0, needed=3, reason="stale data")
        decision = Decision(DecisionKind.HOLD, "data stale")
    elif kind == "paused":
        hb_kwargs = {"paused": True}
        ramp = RampState.PAUSED
    elif kind == "rolled-back":
        percent = 0
        hb_kwargs = {}
        ramp = RampState.ROLLED_BACK
        decision = None
    elif kind == "low-data":
        rate_kwargs = {"requests": 400, "errors": 2}
        gate_kwargs = {"error_rate": 0.005, "low_data": True}
        decision = Decision(DecisionKind.INCONCLUSIVE, "not enough canary requests yet (40 < 59)")
    elif kind == "eligible":
        gate_kwargs = {"error_rate": 0.0, "bake_done": True}
        ramp = RampState.ELIGIBLE
        decision = Decision(DecisionKind.PROMOTE_ELIGIBLE, "all gates green for the whole bake")
    hb = heartbeat(percent=percent, **hb_kwargs)
    plan = STANDARD
    if percent:
        index = plan.index_of(percent)
        stage = StageView(index=index, count=len(plan.stages), percent=percent, bake_s=86400.0, bake_elapsed_s=22680.0, bake_remaining_s=63720.0, next_percent=50, next_eta=NOW + timedelta(seconds=63720))
        stage_gates = gates(**gate_kwargs)
    else:
        stage = StageView(index=None, count=len(plan.stages), percent=0, bake_s=None, bake_elapsed_s=None, bake_remaining_s=None, next_percent=10, next_eta=None)
        stage_gates = ()
    rates_window, latency = window(kind)
    return Snapshot(
        environment="staging",
        plan=plan,
        connection=connection,
        connection_error=error,
        heartbeat=hb,
        data_age_s=age_s,
        rates=rates(**rate_kwargs),
        ramp=ramp,
        stage=stage,
        gates=stage_gates,
        auto_rollback=trigger,
        decision=decision,
        action_in_flight=None,
        now=NOW,
        window=rates_window,
        window_latency=latency,
    )


EVENTS = (
    Event(NOW - timedelta(hours=6), "alice@laptop", "advance", "advanced 0→10%"),
    Event(NOW - timedelta(minutes=20), "alice@laptop", "checkpoint", "checkpoint ckpt-0007 pre-v0.5.0"),
    Event(NOW - timedelta(minutes=2), "canary-tui", "poll-error", "ReadTimeout after 5.0 s", EventLevel.WARNING),
)


@dataclass(frozen=True, slots=True)
class FakeClient:
    """What the dashboard may read of a client: its base URL (user info must never reach the screen)."""

    base_url: str = "https://mc.staging.example/"


@dataclass
class FakeController:
    """Records actions; refresh returns the current snapshot (optionally hanging until released)."""

    current: Snapshot
    chart_span_s: float = 3600.0
    events: list[Event] = field(default_factory=lambda: list(EVENTS))
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refreshes: int = 0
    hang_refresh: asyncio.Event | None = None
    hang_actions: asyncio.Event | None = None
    chart_calls: list[int] = field(default_factory=list)
    chart_fields: list[tuple[str, ...] | None] = field(default_factory=list)
    _subscribers: list[tuple[Callable[..., None] | None, Callable[..., None] | None]] = field(default_factory=list)
    environment: str = "staging"
    actor: str = "alice@laptop"
    clock: ManualClock = field(default_factory=lambda: ManualClock(NOW_S))
    client: FakeClient = field(default_factory=lambda: FakeClient())

    @property
    def snapshot(self) -> Snapshot:
        return self.current

    def subscribe(self, on_snapshot: Callable[..., None] | None = None, on_event: Callable[..., None] | None = None) -> Callable[[], None]:
        entry = (on_snapshot, on_event)
        self._subscribers.append(entry)
        return lambda: self._subscribers.remove(entry)

    def publish(self, snapshot: Snapshot) -> None:
        """Replace the snapshot and tell the subscribers."""
        self.current = snapshot
        for on_snapshot, _ in self._subscribers:
            if on_snapshot:
                on_snapshot(snapshot)

    def emit(self, event: Event) -> None:
        self.events.append(event)
        for _, on_event in self._subscribers:
            if on_event:
                on_event(event)

    async def refresh(self) -> Snapshot:
        self.refreshes += 1
        if self.hang_refresh is not None:
            await self.hang_refresh.wait()
        return self.current

    def chart_steps(self, columns: int, fields: Sequence[str] | None = None) -> Iterator[ChartData | None]:
        yield None
        yield self.chart(columns, fields)

    async def until_rollback_sent(self) -> None:
        return None

    def chart(self, columns: int, fields: Sequence[str] | None = None) -> ChartData:
        self.chart_calls.append(columns)
        self.chart_fields.append(None if fields is None else tuple(fields))
        data = chart_data(columns, span_s=self.chart_span_s, spike=self.current.ramp == RampState.GATE_FAILING)
        return data if fields is None else replace(data, series=tuple(s for s in data.series if s.name in fields))

    async def _act(self, name: str, **kwargs: Any) -> ActionResult:
        self.calls.append((name, kwargs))
        if self.hang_actions is not None and name != "rollback":
            await self.hang_actions.wait()
        return ActionResult(name, True, f"{name} done")

    async def advance(self, trigger: Any, note: str | None = None, override: bool = False, *,
                      from_percent: int | None = None, to_percent: int | None = None, override_pipeline: bool = False) -> ActionResult:
        return await self._act("advance", trigger=trigger, note=note, override=override, from_percent=from_percent, to_percent=to_percent,
                               **({"override_pipeline": True} if override_pipeline else {}))

    async def pause(self, trigger: Any, note: str | None = None, *, expected_percent: int | None = None, seen_paused: bool | None = None) -> ActionResult:
        return await self._act("pause", trigger=trigger, expected_percent=expected_percent, seen_paused=seen_paused)

    async def resume(self, trigger: Any, note: str | None = None, *, expected_percent: int | None = None, seen_paused: bool | None = None) -> ActionResult:
        return await self._act("resume", trigger=trigger, expected_percent=expected_percent, seen_paused=seen_paused)

    async def toggle_pause(self, trigger: Any) -> ActionResult:
        return await self._act("toggle_pause", trigger=trigger)

    async def rollback(self, trigger: Any, note: str | None = None) -> ActionResult:
        return await self._act("rollback", trigger=trigger, note=note)

    def start_rollback(self, trigger: Any, note: str | None = None) -> Awaitable[ActionResult]:
        """Like the controller: the rollback is recorded at once, its result awaited later."""
        return asyncio.ensure_future(self.rollback(trigger, note))

    async def checkpoint(self, note: str, trigger: Any) -> ActionResult:
        return await self._act("checkpoint", note=note, trigger=trigger)


def in_flight(snap: Snapshot, action: str) -> Snapshot:
    """The snapshot with an action in flight."""
    return replace(snap, action_in_flight=action)


async def until(pilot: Any, condition: Callable[[], bool], timeout_s: float = 8.0) -> None:
    """Wait for `condition` while the app runs; fail after `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.01)


class SentWatcher:
    """A controller's actuator, noting `look()` each time a request it sends is on its way (what the screen showed then)."""

    def __init__(self, inner: Any, look: Callable[[], object]) -> None:
        self.inner = inner
        self.look = look
        self.seen_at_sent: list[object] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def set_percent(self, percent: int, expected: int | None, note: str, actor: str, *, on_sent: Callable[[], None], **kwargs: Any) -> Any:
        def sent() -> None:
            self.seen_at_sent.append(self.look())
            on_sent()

        return await self.inner.set_percent(percent, expected, note, actor, on_sent=sent, **kwargs)
