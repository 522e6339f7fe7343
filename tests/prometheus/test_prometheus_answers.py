"""PrometheusSource on canned answers (httpx.MockTransport): every failure a typed error naming its query."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from canary_tui.config_model import DEFAULT_PROMQL
from canary_tui.mission.credentials import Secret
from canary_tui.mission.errors import (
    PrometheusBadQuery,
    PrometheusNaN,
    PrometheusNoSeries,
    PrometheusSeveralSeries,
    PrometheusTimeout,
    PrometheusUnavailable,
)
from canary_tui.mission.prometheus import PrometheusSource, PromQL

EDGES = ("0.1", "0.5", "1.0", "+Inf")


def vector(*samples: tuple[dict[str, str], str]) -> dict[str, object]:
    return {"status": "success", "data": {"resultType": "vector",
                                          "result": [{"metric": m, "value": [1.0, v]} for m, v in samples]}}


def healthy(query: str) -> dict[str, object]:
    """Canary: 100 requests, 2 errors, 60/90/99 within 0.1/0.5/1 s; stable the same times ten."""
    scale = 1 if 'variant="canary"' in query else 10
    if "bucket" in query:
        return vector(*(({"le": le}, str(c * scale)) for le, c in zip(EDGES, (60, 90, 99, 100), strict=True)))
    return vector(({}, str((2 if "code" in query else 100) * scale)))


def source(answer: Callable[[httpx.Request], httpx.Response], **options) -> PrometheusSource:
    return PrometheusSource("http://prom.test", PromQL(DEFAULT_PROMQL, 60.0), transport=httpx.MockTransport(answer), **options)


def json_answer(make: Callable[[str], dict[str, object]], status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, json=make(request.url.params["query"]))


async def test_a_healthy_answer_fills_every_figure_and_sends_the_token() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_answer(healthy)(request)

    prom = source(answer, token=Secret("prom-token"))
    metrics = await prom.metrics()
    await prom.aclose()
    assert metrics.source == "prometheus" and metrics.requests == 1100 and metrics.errors == 22
    assert metrics.canary.latency_buckets.le_ms == (100.0, 500.0, 1000.0) and metrics.canary.latency_buckets.counts == (60, 90, 99)
    assert metrics.canary.p50_ms == pytest.approx(100 * 50 / 60)
    assert len(seen) == 8 and {r.headers["authorization"] for r in seen} == {"Bearer prom-token"}
    assert len({r.url.params["time"] for r in seen}) == 1  # one evaluation instant for the whole poll


@pytest.mark.parametrize(("make", "status", "error", "words"), [
    (lambda q: {"status": "error", "errorType": "bad_data", "error": "1:5: parse error: unexpected end"}, 400,
     PrometheusBadQuery, "parse error: unexpected end"),
    (lambda q: vector(), 200, PrometheusNoSeries, "no series"),
    (lambda q: vector(({"code": "200"}, "1"), ({"code": "500"}, "1")) if "bucket" not in q else healthy(q), 200,
     PrometheusSeveralSeries, "2 series"),
    (lambda q: vector(({}, "NaN")) if "bucket" not in q else healthy(q), 200, PrometheusNaN, "NaN"),
    (lambda q: vector(({"le": "0.1"}, "1"), ({"le": "0.1"}, "2")) if "bucket" in q else healthy(q), 200,
     PrometheusSeveralSeries, "le=0.1"),
    (lambda q: {"status": "error", "errorType": "execution", "error": "overloaded"}, 503, PrometheusUnavailable, "overloaded"),
])
async def test_failures_are_typed_and_name_the_query(make, status: int, error: type, words: str) -> None:
    prom = source(json_answer(make, status))
    with pytest.raises(error) as caught:
        await prom.metrics()
    await prom.aclose()
    assert words in str(caught.value) and str(caught.value).startswith("Prometheus ") and "query (" in str(caught.value)


async def test_a_body_that_is_not_the_api_and_a_refused_connection_are_failures() -> None:
    html = source(lambda request: httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(PrometheusUnavailable, match="HTTP 502"):
        await html.metrics()
    await html.aclose()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    refused = source(refuse)
    with pytest.raises(PrometheusUnavailable, match="cannot reach"):
        await refused.metrics()
    await refused.aclose()


async def test_a_slow_prometheus_times_out() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5.0)
        return httpx.Response(200, content=json.dumps(healthy(request.url.params["query"])))

    class Slow(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return await slow(request)

    prom = PrometheusSource("http://prom.test", PromQL(DEFAULT_PROMQL, 60.0), transport=Slow(), timeout_s=0.2)
    with pytest.raises(PrometheusTimeout):
        await prom.metrics()
    await prom.aclose()
