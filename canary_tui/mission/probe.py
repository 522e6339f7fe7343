"""Open-loop latency probe of GET /api/health (judgment.md, "Measuring latency honestly").

Requests go out at Poisson-jittered scheduled times on one pooled client, whether or not
earlier ones have answered; each latency counts from its SCHEDULED send time, so a stalled
server is measured as users feel it (no coordinated omission). Timeouts are errors at
the timeout value. `run_sequential` is the seed's curl loop, kept only for comparison.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from canary_tui.core.sketch import LatencySketch
from canary_tui.core.stats import Z_95, Z_99, quantile_low_data, quantile_rank_interval, wilson_interval
from canary_tui.mission.http_stack import async_client

HEALTH_PATH = "/api/health"


@dataclass(frozen=True, slots=True)
class ProbeSample:
    """One request: when it was scheduled (s after the start), its latency, who served it, and whether it failed."""

    scheduled_s: float
    latency_ms: float
    canary: bool | None
    error: bool
    timeout: bool = False
    why: str = ""  # a failure in words: "ConnectError: [Errno 111] Connection refused", "HTTP 503", "timeout"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """Quantiles with order-statistic intervals, errors, and the canary share with its Wilson interval."""

    n: int
    errors: int
    timeouts: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    p50_ci_ms: tuple[float, float] | None
    p95_ci_ms: tuple[float, float] | None
    p99_ci_ms: tuple[float, float] | None
    low_data: bool
    canary_count: int
    canary_share: float | None
    canary_share_ci: tuple[float, float] | None
    expected_percent: int | None
    share_consistent: bool | None  # the configured percent lies inside the 99% Wilson interval
    rate_per_s: float | None
    duration_s: float
    open_loop: bool
    started_at_s: float  # wall clock (epoch s) of scheduled offset 0
    sketch: LatencySketch = field(repr=False, compare=False)
    samples: tuple[ProbeSample, ...] = field(repr=False, compare=False, default=())

    @property
    def first_error(self) -> str:
        """The first failed request's failure in words ("" when none failed or none was said)."""
        return next((sample.why for sample in self.samples if sample.error and sample.why), "")

    def to_json(self) -> dict[str, Any]:
        """The --json object: n, errors, p50/p95/p99_ms, p95_ci_ms [low, high], canary_share, …"""

        def pair(value: tuple[float, float] | None) -> list[float] | None:
            return None if value is None else [round(value[0], 3), round(value[1], 3)]

        def ms(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "n": self.n,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "p50_ms": ms(self.p50_ms),
            "p95_ms": ms(self.p95_ms),
            "p99_ms": ms(self.p99_ms),
            "p50_ci_ms": pair(self.p50_ci_ms),
            "p95_ci_ms": pair(self.p95_ci_ms),
            "p99_ci_ms": pair(self.p99_ci_ms),
            "low_data": self.low_data,
            "canary_count": self.canary_count,
            "canary_share": None if self.canary_share is None else round(self.canary_share, 6),
            "canary_share_ci": pair(self.canary_share_ci),
            "expected_percent": self.expected_percent,
            "share_consistent": self.share_consistent,
            "rate_per_s": self.rate_per_s,
            "duration_s": round(self.duration_s, 3),
            "open_loop": self.open_loop,
        }


def summarize(
    samples: list[ProbeSample],
    *,
    expected_percent: int | None,
    rate_per_s: float | None,
    duration_s: float,
    open_loop: bool,
    started_at_s: float,
) -> ProbeResult:
    """Build a ProbeResult from raw samples: sketch, quantiles with rank intervals, share interval."""
    sketch = LatencySketch()
    for sample in samples:
        sketch.add(sample.latency_ms)
    n = len(samples)
    quantiles: dict[float, tuple[float | None, tuple[float, float] | None]] = {}
    for q in (0.5, 0.95, 0.99):
        value = sketch.quantile_ms(q)
        interval = None
        if n:
            low_rank, high_rank = quantile_rank_interval(n, q, 0.95)
            low, high = sketch.value_at_rank_ms(low_rank), sketch.value_at_rank_ms(high_rank)
            if low is not None and high is not None:
                interval = (low, high)
        quantiles[q] = (value, interval)
    p95, p95_ci = quantiles[0.95]
    low_data = n < 59 or p95 is None or p95_ci is None or quantile_low_data(n, p95_ci, p95)
    served = [s for s in samples if s.canary is not None]
    canary_count = sum(1 for s in served if s.canary)
    share = canary_count / len(served) if served else None
    share_ci = wilson_interval(canary_count, len(served), Z_95) if served else None
    consistent = None
    if served and expected_percent is not None:
        low99, high99 = wilson_interval(canary_count, len(served), Z_99)
        consistent = low99 <= expected_percent / 100.0 <= high99
    return ProbeResult(
        n=n,
        errors=sum(1 for s in samples if s.error),
        timeouts=sum(1 for s in samples if s.timeout),
        p50_ms=quantiles[0.5][0],
        p95_ms=p95,
        p99_ms=quantiles[0.99][0],
        p50_ci_ms=quantiles[0.5][1],
        p95_ci_ms=p95_ci,
        p99_ci_ms=quantiles[0.99][1],
        low_data=low_data,
        canary_count=canary_count,
        canary_share=share,
        canary_share_ci=share_ci,
        expected_percent=expected_percent,
        share_consistent=consistent,
        rate_per_s=rate_per_s,
        duration_s=duration_s,
        open_loop=open_loop,
        started_at_s=started_at_s,
        sketch=sketch,
        samples=tuple(samples),
    )


def _canary_header(response: httpx.Response) -> bool | None:
    """X-Canary: true / false, None when absent or unreadable."""
    value = response.headers.get("x-canary", "").strip().lower()
    return True if value == "true" else False if value == "false" else None


def schedule_offsets_s(n: int, rate_per_s: float, seed: int) -> list[float]:
    """Poisson send times: cumulative exponential gaps at `rate_per_s`, from a fixed seed."""
    if rate_per_s <= 0:
        raise ValueError("rate_per_s must be positive")
    rng = random.Random(seed)
    offsets, t = [], 0.0
    for _ in range(n):
        offsets.append(t)
        t += rng.expovariate(rate_per_s)
    return offsets


#: httpcore's pool costs O(connections × queued requests) per event, so one pool of hundreds of
#: connections starves the event loop after a stall; several small pools on one loop do not.
_CONNECTIONS_PER_POOL = 16
_MAX_CONNECTIONS = 256


class _Pools:
    """One logical pool made of small httpx pools, used round-robin (closed together)."""

    def __init__(self, clients: list[httpx.AsyncClient], owned: bool) -> None:
        self._clients, self._owned, self._next = clients, owned, 0

    @classmethod
    def open(cls, rate_per_s: float, timeout_s: float, verify: bool | str) -> _Pools:
        """Enough connections for what may be in flight at once (rate × timeout), bounded."""
        in_flight = min(max(int(math.ceil(rate_per_s * timeout_s)), 1), _MAX_CONNECTIONS)
        count = max(1, math.ceil(in_flight / _CONNECTIONS_PER_POOL))
        limits = httpx.Limits(max_connections=_CONNECTIONS_PER_POOL, max_keepalive_connections=_CONNECTIONS_PER_POOL)
        clients = [async_client(verify=verify, timeout=httpx.Timeout(timeout_s), limits=limits) for _ in range(count)]
        return cls(clients, owned=True)

    def take(self) -> httpx.AsyncClient:
        """The next pool, round-robin."""
        client = self._clients[self._next % len(self._clients)]
        self._next += 1
        return client

    async def aclose(self) -> None:
        """Close the pools this object opened (a caller's client stays open)."""
        if self._owned:
            for client in self._clients:
                await client.aclose()


async def _one(
    client: httpx.AsyncClient, url: str, scheduled_loop_s: float, offset_s: float, timeout_s: float
) -> ProbeSample:
    """One request, timed from its scheduled send time; a deadline of scheduled + timeout."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout_at(scheduled_loop_s + timeout_s):
            response = await client.get(url)
            await response.aread()
    except TimeoutError:
        return ProbeSample(offset_s, timeout_s * 1000.0, None, True, True, "timeout")
    except httpx.TimeoutException:
        latency_ms = max((loop.time() - scheduled_loop_s) * 1000.0, timeout_s * 1000.0)
        return ProbeSample(offset_s, latency_ms, None, True, True, "timeout")
    except httpx.HTTPError as exc:
        return ProbeSample(offset_s, (loop.time() - scheduled_loop_s) * 1000.0, None, True, why=f"{type(exc).__name__}: {exc}")
    latency_ms = (loop.time() - scheduled_loop_s) * 1000.0
    error = not 200 <= response.status_code < 300
    return ProbeSample(offset_s, latency_ms, _canary_header(response), error, why=f"HTTP {response.status_code}" if error else "")


async def _timed(
    send: Callable[[], Awaitable[tuple[bool, bool | None]]], scheduled_loop_s: float, offset_s: float, timeout_s: float
) -> ProbeSample:
    """One call of `send() -> (ok, canary)`, timed from its scheduled time; any exception is an error."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout_at(scheduled_loop_s + timeout_s):
            ok, canary = await send()
    except TimeoutError:
        return ProbeSample(offset_s, timeout_s * 1000.0, None, True, True, "timeout")
    except Exception as exc:  # noqa: BLE001 - a failed request is a probe result, never a crash
        return ProbeSample(offset_s, (loop.time() - scheduled_loop_s) * 1000.0, None, True, why=f"{type(exc).__name__}: {exc}")
    return ProbeSample(offset_s, (loop.time() - scheduled_loop_s) * 1000.0, canary, not ok, why="" if ok else "not ok")


async def run_probe_with(
    health: Callable[[], Awaitable[Any]],
    *,
    n: int,
    rate_per_s: float,
    timeout_s: float,
    seed: int,
    expected_percent: int | None = None,
) -> ProbeResult:
    """Open-loop probe through a caller's `health()` (e.g. MissionClient.health: `.ok`, `.canary`)."""
    if n < 1:
        raise ValueError("n must be at least 1")

    async def send() -> tuple[bool, bool | None]:
        result = await health()
        return bool(result.ok), result.canary

    offsets = schedule_offsets_s(n, rate_per_s, seed)
    samples, duration_s, started_at_s = await _open_loop(offsets, lambda scheduled, offset: _timed(send, scheduled, offset, timeout_s))
    return summarize(samples, expected_percent=expected_percent, rate_per_s=rate_per_s,
                     duration_s=duration_s, open_loop=True, started_at_s=started_at_s)


async def _open_loop(
    offsets: Sequence[float], start_one: Callable[[float, float], Coroutine[Any, Any, ProbeSample]]
) -> tuple[list[ProbeSample], float, float]:
    """Start `start_one(scheduled_loop_s, offset_s)` at each scheduled time without waiting for answers.

    Returns the samples, the loop seconds from the first scheduled send to the last answer,
    and the epoch time of the first scheduled send.
    """
    loop = asyncio.get_running_loop()
    start_loop_s = loop.time() + 0.01
    started_at_s = time.time() + (start_loop_s - loop.time())
    tasks = []
    for offset in offsets:
        scheduled = start_loop_s + offset
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(start_one(scheduled, offset)))
    samples = list(await asyncio.gather(*tasks))
    return samples, loop.time() - start_loop_s, started_at_s


async def run_probe(
    base_url: str,
    *,
    n: int,
    rate_per_s: float,
    timeout_s: float,
    seed: int,
    verify: bool | str = True,
    client: httpx.AsyncClient | None = None,
    expected_percent: int | None = None,
) -> ProbeResult:
    """Open-loop probe: n GETs of /api/health at Poisson times at `rate_per_s`, overlapping on one pool."""
    if n < 1:
        raise ValueError("n must be at least 1")
    url = base_url.rstrip("/") + HEALTH_PATH
    offsets = schedule_offsets_s(n, rate_per_s, seed)
    pools = _Pools([client], owned=False) if client is not None else _Pools.open(rate_per_s, timeout_s, verify)
    try:
        samples, duration_s, started_at_s = await _open_loop(
            offsets, lambda scheduled, offset: _one(pools.take(), url, scheduled, offset, timeout_s)
        )
    finally:
        await pools.aclose()
    return summarize(samples, expected_percent=expected_percent, rate_per_s=rate_per_s,
                     duration_s=duration_s, open_loop=True, started_at_s=started_at_s)


async def run_sequential(
    base_url: str,
    *,
    n: int,
    timeout_s: float,
    verify: bool | str = True,
    client: httpx.AsyncClient | None = None,
    expected_percent: int | None = None,
) -> ProbeResult:
    """The seed's `for i in {1..N}; curl ...` loop: one request after another (coordinated omission).

    For comparison only: while the server stalls, this loop stops sending, so a stall costs it
    one slow sample instead of every request that would have arrived meanwhile.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    url = base_url.rstrip("/") + HEALTH_PATH
    own = client is None
    if client is None:
        client = async_client(verify=verify, timeout=httpx.Timeout(timeout_s))
    loop = asyncio.get_running_loop()
    samples = []
    try:
        start_loop_s = loop.time()
        started_at_s = time.time()
        for _ in range(n):
            sent = loop.time()
            samples.append(await _one(client, url, sent, sent - start_loop_s, timeout_s))
        duration_s = loop.time() - start_loop_s
    finally:
        if own:
            await client.aclose()
    return summarize(samples, expected_percent=expected_percent, rate_per_s=None,
                     duration_s=duration_s, open_loop=False, started_at_s=started_at_s)
