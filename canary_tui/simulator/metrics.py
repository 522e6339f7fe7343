"""The simulator's `/metrics` in Prometheus's text format, read from the same counters as its heartbeat.

A collector on a per-simulator CollectorRegistry (never the global one, so several simulators in one
process stay apart) exposes `http_requests_total{variant,code}` and the histogram
`http_request_duration_seconds{variant}` with the heartbeat's bucket edges, so a scrape and a heartbeat
taken at the same instant report the same counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from canary_tui.simulator.options import LATENCY_LE_MS
from canary_tui.simulator.traffic import VARIANTS, Tally

#: the content type Prometheus expects for the text format
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ERROR_CODE = "500"
OK_CODE = "200"


class TrafficCollector(Collector):
    """Counters and histograms of each variant, taken from `tallies()` at scrape time."""

    def __init__(self, tallies: Callable[[], dict[str, Tally]]) -> None:
        self._tallies = tallies

    def collect(self) -> Iterator[Metric]:
        tallies = self._tallies()
        requests = CounterMetricFamily("http_requests", "Requests served, by variant and status code.",
                                       labels=["variant", "code"])
        latency = HistogramMetricFamily("http_request_duration_seconds", "Request latency, by variant.",
                                        labels=["variant"])
        for variant in VARIANTS:
            tally = tallies[variant]
            requests.add_metric([variant, OK_CODE], tally.requests - tally.errors)
            requests.add_metric([variant, ERROR_CODE], tally.errors)
            buckets = [(_seconds(le_ms), count) for le_ms, count in zip(LATENCY_LE_MS, tally.buckets, strict=True)]
            latency.add_metric([variant], buckets + [("+Inf", tally.requests)], sum_value=None)
        yield requests
        yield latency


def _seconds(le_ms: float) -> str:
    """A bucket edge in seconds as Prometheus writes it (0.05, 1.0, 2.5)."""
    return repr(le_ms / 1000.0)


def metrics_registry(tallies: Callable[[], dict[str, Tally]]) -> CollectorRegistry:
    """A registry of its own holding the traffic collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TrafficCollector(tallies))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The text exposition of `registry`."""
    return generate_latest(registry)
