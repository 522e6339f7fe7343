"""Request figures from Prometheus: the environment's PromQL run through its HTTP API, filling the heartbeat's Metrics.

Mission Control's heartbeat still says what is deployed (percent, pause, versions, updated_at, signature);
with `metrics = "prometheus"` its request counts, error counts and latency histograms are replaced by what
Prometheus answers for the same poll, evaluated at one instant so the figures agree with each other.
Counters and cumulative buckets stay monotonic (the controller takes increases between polls, resets
included); the window histogram's increase gives the displayed quantiles. Every failure is a typed
PrometheusError (mission/errors.py), so a poll goes STALE with the reason and never judges on a guess.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from canary_tui.core.clock import Clock, SystemClock
from canary_tui.core.samples import Heartbeat, LatencyBuckets, Metrics, VariantMetrics
from canary_tui.mission.client import MissionClient
from canary_tui.mission.credentials import Secret
from canary_tui.mission.errors import (
    InvalidTargetError,
    PrometheusBadQuery,
    PrometheusError,
    PrometheusNaN,
    PrometheusNoSeries,
    PrometheusSeveralSeries,
    PrometheusTimeout,
    PrometheusUnavailable,
)
from canary_tui.mission.http_stack import KEEPALIVE_S, async_client

QUERY_PATH = "/api/v1/query"
VARIANTS = ("canary", "stable")
MAX_BODY_BYTES = 1024 * 1024
QUERIES_PER_POLL = 4 * len(VARIANTS)
QUANTILES = (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99))
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
Sample = tuple[Mapping[str, str], float]


def label_matchers(labels: Sequence[tuple[str, str]]) -> str:
    """The `{labels}` placeholder: `,name="value"` for each configured label (empty without labels)."""
    return "".join(f',{name}="{_escape(value)}"' for name, value in labels)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_query(template: str, values: Mapping[str, str]) -> str:
    """Fill `{name}` placeholders; PromQL's own braces (`{variant="x"}`) are left alone."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def promql_duration(seconds: float) -> str:
    """A window in seconds as a PromQL range ('60s')."""
    return f"{int(seconds)}s"


@dataclass(frozen=True, slots=True)
class PromQL:
    """The four templates of one environment and the values their placeholders take (variant aside)."""

    queries: Mapping[str, str]
    window_s: float = 60.0
    labels: Sequence[tuple[str, str]] = ()
    environment: str = ""
    region: str = ""

    def render(self, name: str, variant: str) -> str:
        """The PromQL of query `name` for `variant`."""
        values = {"variant": variant, "window": promql_duration(self.window_s), "labels": label_matchers(self.labels),
                  "environment": self.environment, "region": self.region}
        return render_query(self.queries[name], values)


class PrometheusSource:
    """Runs an environment's PromQL against one Prometheus server and builds the Metrics of a poll."""

    def __init__(
        self,
        url: str,
        promql: PromQL,
        *,
        token: Secret | None = None,
        verify: bool | str = True,
        timeout_s: float = 5.0,
        clock: Clock = SystemClock(),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if token is not None and not all(33 <= ord(ch) < 127 for ch in token.reveal()):
            raise InvalidTargetError("the Prometheus bearer token has characters an HTTP header cannot carry")
        self.url = url.rstrip("/")
        self.promql = promql
        self._token = token
        self._timeout_s = timeout_s
        self._clock = clock
        # every query of a poll in flight at once, each on a connection kept warm for the next poll
        limits = httpx.Limits(max_connections=QUERIES_PER_POLL, max_keepalive_connections=QUERIES_PER_POLL, keepalive_expiry=KEEPALIVE_S)
        self._http = async_client(verify=verify, timeout=httpx.Timeout(timeout_s), base_url=self.url, transport=transport, limits=limits)

    def __repr__(self) -> str:
        return f"PrometheusSource({self.url!r}, token={'set' if self._token else 'none'})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def metrics(self) -> Metrics:
        """Every query of one poll at one evaluation instant (in parallel), as Metrics marked source="prometheus"."""
        at_s = self._clock.now()
        calls: list[Awaitable[Any]] = []
        for variant in VARIANTS:
            calls += [self._scalar("requests", variant, at_s), self._scalar("errors", variant, at_s),
                      self._buckets("latency_buckets", variant, at_s), self._buckets("window_latency_buckets", variant, at_s)]
        try:
            async with asyncio.timeout(self._timeout_s):
                results = await asyncio.gather(*calls, return_exceptions=True)
        except TimeoutError:
            raise PrometheusTimeout(f"no answer to every query within {self._timeout_s:g} s") from None
        for result in results:
            if isinstance(result, BaseException):
                raise result
        values: list[Any] = list(results)
        canary, stable = (values[i * 4:(i + 1) * 4] for i in range(len(VARIANTS)))
        return _service(_variant(*canary), _variant(*stable), _add_window(canary[3], stable[3]), self.promql.window_s)

    async def _scalar(self, name: str, variant: str, at_s: float) -> int:
        samples = await self._query(name, variant, at_s)
        if not samples:
            raise PrometheusNoSeries("no series", query=name, variant=variant)
        if len(samples) > 1:
            raise PrometheusSeveralSeries(f"{len(samples)} series where one was expected (aggregate with sum)", query=name, variant=variant)
        return _count(samples[0][1], name, variant)

    async def _buckets(self, name: str, variant: str, at_s: float) -> tuple[LatencyBuckets, int]:
        """(cumulative buckets in ms without +Inf, the +Inf count) from one series per `le`."""
        samples = await self._query(name, variant, at_s)
        if not samples:
            raise PrometheusNoSeries("no series", query=name, variant=variant)
        by_le: dict[float, int] = {}
        for labels, value in samples:
            le = labels.get("le")
            try:
                edge_s = float(le) if le is not None else math.nan
            except ValueError:
                edge_s = math.nan
            if math.isnan(edge_s):
                raise PrometheusSeveralSeries("series without a numeric le label (aggregate with sum by (le))", query=name, variant=variant)
            if edge_s in by_le:
                raise PrometheusSeveralSeries(f"several series for le={le} (aggregate with sum by (le))", query=name, variant=variant)
            by_le[edge_s] = _count(value, name, variant)
        edges = sorted(by_le)
        total = by_le.get(math.inf, by_le[edges[-1]])
        counts: list[int] = []
        for edge in edges:  # cumulative: never less than the bucket below (increase() may extrapolate unevenly)
            counts.append(max(by_le[edge], counts[-1] if counts else 0))
        finite = [(round(e * 1000.0, 6), c) for e, c in zip(edges, counts, strict=True) if math.isfinite(e)]
        total = max(total, counts[-1])
        return LatencyBuckets(tuple(e for e, _ in finite), tuple(min(c, total) for _, c in finite)), total

    async def _query(self, name: str, variant: str, at_s: float) -> list[Sample]:
        """One instant query: its samples, or a typed error naming the query."""
        promql = self.promql.render(name, variant)
        headers = {"Authorization": f"Bearer {self._token.reveal()}"} if self._token else {}
        try:
            response = await self._http.get(QUERY_PATH, params={"query": promql, "time": f"{at_s:.3f}"}, headers=headers)
        except httpx.TimeoutException:
            raise PrometheusTimeout(f"timed out at {self.url}", query=name, variant=variant) from None
        except httpx.HTTPError as exc:
            raise PrometheusUnavailable(f"cannot reach {self.url} ({type(exc).__name__})", query=name, variant=variant) from None
        return _parse(response, name, variant)


def _parse(response: httpx.Response, name: str, variant: str) -> list[Sample]:
    """The samples of an instant query's answer; Prometheus's own error message on a refused query."""
    if len(response.content) > MAX_BODY_BYTES:
        raise PrometheusUnavailable(f"answer over {MAX_BODY_BYTES} bytes", query=name, variant=variant)
    try:
        doc = json.loads(response.content)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise PrometheusUnavailable(f"HTTP {response.status_code}, not Prometheus's API answer", query=name, variant=variant)
    if doc.get("status") != "success":
        message = str(doc.get("error") or f"HTTP {response.status_code}")[:300]
        if doc.get("errorType") == "bad_data" or response.status_code == 400:
            raise PrometheusBadQuery(message, query=name, variant=variant)
        raise PrometheusUnavailable(f"{doc.get('errorType', 'error')}: {message}", query=name, variant=variant)
    data = doc.get("data")
    if not isinstance(data, dict):
        raise PrometheusUnavailable("answer without data", query=name, variant=variant)
    kind, result = data.get("resultType"), data.get("result")
    try:
        if kind == "scalar" and isinstance(result, list):
            return [({}, float(result[1]))]
        if kind == "vector" and isinstance(result, list):
            return [(dict(item.get("metric") or {}), float(item["value"][1])) for item in result]
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        pass
    raise PrometheusBadQuery(f"expected an instant vector or scalar, got {kind}", query=name, variant=variant)


def _count(value: float, name: str, variant: str) -> int:
    """A count from a sample: NaN, infinities and negatives are refused, increase()'s fractions rounded."""
    if math.isnan(value):
        raise PrometheusNaN("NaN (no data over the window, or a division by zero)", query=name, variant=variant)
    if not math.isfinite(value) or value < 0:
        raise PrometheusNaN(f"{value} is not a count", query=name, variant=variant)
    return round(value)


def _quantiles(buckets: LatencyBuckets, total: int) -> dict[str, float | None]:
    return {key: buckets.quantile_ms(q, total) for key, q in QUANTILES}


def _variant(requests: int, errors: int, cumulative: tuple[LatencyBuckets, int], window: tuple[LatencyBuckets, int]) -> VariantMetrics:
    """One variant's figures: counters and cumulative buckets as counted, quantiles from the window's buckets."""
    buckets, _ = cumulative
    buckets = LatencyBuckets(buckets.le_ms, tuple(min(c, requests) for c in buckets.counts))
    return VariantMetrics(requests=requests, errors=min(errors, requests), latency_buckets=buckets,
                          **_quantiles(*window))  # window histogram: the last `window` of requests


def _sum_buckets(a: LatencyBuckets | None, b: LatencyBuckets | None) -> LatencyBuckets | None:
    if a is None or b is None or a.le_ms != b.le_ms:
        return None
    return LatencyBuckets(a.le_ms, tuple(x + y for x, y in zip(a.counts, b.counts, strict=True)))


def _add_window(canary: tuple[LatencyBuckets, int], stable: tuple[LatencyBuckets, int]) -> tuple[LatencyBuckets, int] | None:
    """Both variants' window histograms added up (None when their edges differ)."""
    added = _sum_buckets(canary[0], stable[0])
    return None if added is None else (added, canary[1] + stable[1])


def _service(canary: VariantMetrics, stable: VariantMetrics, window: tuple[LatencyBuckets, int] | None, window_s: float) -> Metrics:
    """Whole-service figures: the two variants added up, service quantiles from the summed window histograms."""
    quantiles = _quantiles(*window) if window is not None else {}
    return Metrics(requests=canary.requests + stable.requests, errors=canary.errors + stable.errors, window_s=window_s,
                   canary=canary, stable=stable, latency_buckets=_sum_buckets(canary.latency_buckets, stable.latency_buckets),
                   source="prometheus", **quantiles)


class PrometheusBackedClient(MissionClient):
    """A MissionClient whose heartbeats carry Prometheus's request figures (the deployment state stays Mission Control's)."""

    def __init__(self, base_url: str, *, prometheus: PrometheusSource, **options: Any) -> None:
        super().__init__(base_url, **options)
        self.prometheus = prometheus

    def __repr__(self) -> str:
        return f"{super().__repr__()} + {self.prometheus!r}"

    async def heartbeat(self) -> Heartbeat:
        """Mission Control's heartbeat with Prometheus's Metrics; one that fails its signature is returned as it is."""
        heartbeat = await super().heartbeat()
        if not heartbeat.signature_ok:
            return heartbeat  # the signature rule judges it; no figure from elsewhere can vouch for it
        try:
            metrics = await self.prometheus.metrics()
        except PrometheusError as error:
            error.heartbeat = heartbeat
            raise
        return replace(heartbeat, metrics=metrics)

    async def aclose(self) -> None:
        """Close both connection pools."""
        try:
            await super().aclose()
        finally:
            await self.prometheus.aclose()
