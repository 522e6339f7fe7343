"""The figures a health check reports (`status`, `ramp`), each with its level from core/levels over the controller's window.

No rule lives here: the counts come from the controller's snapshot (its window of polls), the
levels from core/levels (Wilson intervals on rates and slow counts, "low data" when they cannot
tell), the bounds from the threshold table in force. The canary is reported on its own figures
whenever the heartbeat splits traffic.
"""

from __future__ import annotations

from dataclasses import dataclass

from canary_tui.controller.model import Snapshot
from canary_tui.core.levels import LevelCall, quantile_level, rate_level
from canary_tui.core.rates import Rates
from canary_tui.core.samples import LatencyBuckets
from canary_tui.core.thresholds import Level, Metric, ThresholdTable

#: (label, quantile, metric) of the latency figures
PERCENTILES: tuple[tuple[str, float, Metric], ...] = (
    ("P50", 0.50, Metric.P50_MS), ("P95", 0.95, Metric.P95_MS), ("P99", 0.99, Metric.P99_MS),
)


@dataclass(frozen=True, slots=True)
class Figure:
    """One reported figure: its key for --json, its label, a readable value and the level call behind it."""

    key: str
    label: str
    text: str
    call: LevelCall

    @property
    def level(self) -> Level:
        """The figure's level (UNKNOWN when its interval cannot tell)."""
        return self.call.level

    @property
    def word(self) -> str:
        """The level in a word after the figure: 'low data' when its interval cannot tell."""
        return "low data" if self.call.low_data else self.level.value


def _rate_text(errors: int, requests: int, call: LevelCall) -> str:
    """'12/3000 (0.40%, 95% CI 0.23%..0.70%)' or a no-traffic note."""
    if requests <= 0:
        return "0/0 (no traffic in the window)"
    interval = f", 95% CI {call.interval[0]:.2%}..{call.interval[1]:.2%}" if call.interval else ""
    return f"{errors}/{requests} ({errors / requests:.2%}{interval})"


def _latency_text(point_ms: float | None, requests: int) -> str:
    """'104.0 ms (window of 3000 requests)' (the figure's word says when that is low data)."""
    value = "n/a" if point_ms is None else f"{point_ms:.1f} ms"
    return f"{value} (window of {requests} requests)"


def _error_figure(key: str, label: str, errors: int | None, requests: int | None, table: ThresholdTable) -> Figure | None:
    """An error-rate figure on its Wilson interval, None when the counts are not reported."""
    if errors is None or requests is None:
        return None
    call = rate_level(errors, requests, table.threshold(Metric.ERROR_RATE))
    return Figure(key, label, _rate_text(errors, requests, call), call)


def _latency_figures(prefix: str, label: str, metrics: object, requests: int, buckets: LatencyBuckets | None,
                     table: ThresholdTable) -> list[Figure]:
    """P50/P95/P99 of one variant, each judged on the window's slow counts (never the point alone)."""
    figures = []
    for name, quantile, metric in PERCENTILES:
        point_ms = getattr(metrics, f"{name.lower()}_ms", None)

        def slower_than(ms: float, _b: LatencyBuckets | None = buckets) -> int | None:
            return None if _b is None else _b.slower_than(ms, requests)

        call = quantile_level(quantile, requests, slower_than, table.threshold(metric), point_ms)
        figures.append(Figure(f"{prefix}{name.lower()}", f"{label}{name}", _latency_text(point_ms, requests), call))
    return figures


def figures(snapshot: Snapshot) -> list[Figure]:
    """Errors and latency over the snapshot's window: the whole service, and the canary and stable when split."""
    window: Rates | None = snapshot.window
    hb = snapshot.heartbeat
    if window is None or hb is None:
        return []
    table = snapshot.thresholds
    latency = snapshot.window_latency
    metrics = hb.metrics
    service_buckets = latency.service if latency is not None else None
    if service_buckets is None and window.reset:  # a restart inside the window: the server's histogram since it
        service_buckets = metrics.latency_buckets
        requests_for_latency = metrics.requests
    else:
        requests_for_latency = window.requests
    out = [f for f in (_error_figure("errors", "Errors", window.errors, window.requests, table),) if f is not None]
    out += _latency_figures("", "", metrics, requests_for_latency, service_buckets, table)
    if window.has_split and metrics.canary is not None:
        canary_idle = snapshot.deployment is not None and snapshot.deployment.canary_percent == 0
        if not canary_idle:
            canary = _error_figure("canary_errors", "Canary errors", window.canary_errors, window.canary_requests, table)
            out += [canary] if canary is not None else []
            buckets = latency.canary if latency is not None else None
            out += [f for f in _latency_figures("canary_", "Canary ", metrics.canary, int(window.canary_requests or 0), buckets, table)
                    if f.key == "canary_p95"]
        stable = _error_figure("stable_errors", "Stable errors", window.stable_errors, window.stable_requests, table)
        out += [stable] if stable is not None else []
    return out
