"""The open-loop probe against the simulator over loopback, and the coordinated omission it avoids."""

from __future__ import annotations

import math
from collections.abc import Callable

import httpx
import numpy as np
import pytest

from canary_tui.mission.probe import ProbeSample, run_probe, run_sequential, schedule_offsets_s, summarize
from canary_tui.simulator import SimulatorServer

STALL_EVERY_S, STALL_S = 10.0, 1.0
LATENCY_SCALE = 0.1  # health latency: log-normal, median 12 ms, sigma 0.5 (the simulator's baseline × 0.1)
MEDIAN_MS, SIGMA = 120.0 * LATENCY_SCALE, 0.5


def _true_p95_ms(phases_s: np.ndarray, rng: np.random.Generator, draws: int = 50) -> float:
    """P95 of stall wait + service latency for requests arriving at these stall phases."""
    wait_ms = np.maximum(0.0, STALL_S - phases_s) * 1000.0
    service = rng.lognormal(math.log(MEDIAN_MS), SIGMA, size=(len(phases_s), draws))
    return float(np.quantile(wait_ms[:, None] + service, 0.95))


def test_open_loop_probe_sees_the_stalls_the_sequential_loop_hides(
    simulator_factory: Callable[..., SimulatorServer],
) -> None:
    """500 requests at 25/s (20 s, two stall cycles): P95 at least the truth −15%; the curl loop < half.

    The truth is computed from the server's own stall cycle for the schedule actually sent
    (each scheduled time's phase in the cycle, plus the log-normal service time): the figure
    an ideal zero-overhead open-loop client measures. A real client can only add to it (its own
    scheduling, and the in-process simulator serving the burst released after each stall), and
    on a loaded 2-core machine that has added a third, so the bound above is loose (+60%) while
    the bound below — the one coordinated omission would break — is tight.
    """
    import asyncio

    server = simulator_factory(scenario="healthy", seed=3, initial_percent=10, stall_every_s=STALL_EVERY_S,
                               stall_s=STALL_S, health_latency_scale=LATENCY_SCALE)
    probe = asyncio.run(run_probe(server.url, n=500, rate_per_s=25.0, timeout_s=5.0, seed=6,
                                  expected_percent=10))
    sequential = asyncio.run(run_sequential(server.url, n=100, timeout_s=5.0))

    rng = np.random.default_rng(0)
    # The truth for the traffic actually sent: each scheduled time's phase in the server's stall cycle.
    offsets = np.array([s.scheduled_s for s in probe.samples])
    phases = (probe.started_at_s + offsets - server.state.start_s) % STALL_EVERY_S
    true_sent = _true_p95_ms(phases, rng)
    # The truth for users arriving uniformly in time (the stationary distribution).
    true_uniform = _true_p95_ms(rng.uniform(0.0, STALL_EVERY_S, 200_000), rng, draws=5)

    assert probe.p95_ms is not None and sequential.p95_ms is not None and probe.p95_ci_ms is not None
    print(f"\nprobe P95 {probe.p95_ms:.0f} ms CI {probe.p95_ci_ms[0]:.0f}–{probe.p95_ci_ms[1]:.0f} ms; "
          f"true P95 {true_sent:.0f} ms for the sent schedule, {true_uniform:.0f} ms stationary; "
          f"sequential loop P95 {sequential.p95_ms:.0f} ms over {sequential.duration_s:.1f} s; "
          f"canary share {probe.canary_share:.3f}")
    assert probe.n == 500 and probe.errors == 0
    assert 0.85 * true_sent <= probe.p95_ms <= 1.6 * true_sent
    assert probe.p95_ms >= 0.6 * true_uniform  # two stall cycles sample the stationary P95 with ~20% error
    assert probe.p95_ci_ms[0] <= probe.p95_ms <= probe.p95_ci_ms[1]
    assert sequential.p95_ms < 0.5 * true_uniform  # coordinated omission: the loop hides the stalls
    assert probe.share_consistent is True and probe.canary_share_ci is not None  # 10% inside the 99% interval


async def test_timeouts_count_as_errors_at_the_timeout_value(
    simulator_factory: Callable[..., SimulatorServer],
) -> None:
    """The server stalls 0.9 s of every 1 s: with a 0.2 s timeout most requests time out, each at 200 ms."""
    server = simulator_factory(scenario="healthy", seed=4, stall_every_s=1.0, stall_s=0.9, health_latency_scale=0.01)
    result = await run_probe(server.url, n=40, rate_per_s=100.0, timeout_s=0.2, seed=1)
    assert result.timeouts > 0 and result.errors >= result.timeouts
    timed_out = [s for s in result.samples if s.timeout]
    assert all(s.latency_ms == pytest.approx(200.0, abs=50.0) and s.error for s in timed_out)
    assert result.p99_ms is not None and result.p99_ms >= 190.0


async def test_probe_on_an_injected_pool_and_a_refused_port() -> None:
    """A caller's client is used and left open; a refused connection is an error, not a crash."""
    async with httpx.AsyncClient() as client:
        result = await run_probe("http://127.0.0.1:9", n=5, rate_per_s=200.0, timeout_s=1.0, seed=2, client=client)
        assert not client.is_closed
    assert result.n == 5 and result.errors == 5 and result.canary_share is None and result.low_data


def test_schedule_is_poisson_at_the_rate_and_seeded() -> None:
    offsets = schedule_offsets_s(20_000, 50.0, seed=9)
    assert offsets == schedule_offsets_s(20_000, 50.0, seed=9)
    gaps = np.diff(offsets)
    assert gaps.mean() == pytest.approx(1 / 50.0, rel=0.03)
    assert gaps.std() == pytest.approx(1 / 50.0, rel=0.05)  # exponential: sd == mean
    with pytest.raises(ValueError):
        schedule_offsets_s(1, 0.0, seed=1)


def test_summary_json_has_the_contracted_fields() -> None:
    samples = [ProbeSample(i / 100, 10.0 + i, canary=(i % 10 == 0), error=(i == 5)) for i in range(100)]
    result = summarize(samples, expected_percent=10, rate_per_s=100.0, duration_s=1.0, open_loop=True,
                       started_at_s=0.0)
    data = result.to_json()
    for key in ("n", "errors", "p50_ms", "p95_ms", "p99_ms", "p95_ci_ms", "canary_share"):
        assert key in data
    assert data["n"] == 100 and data["errors"] == 1 and data["canary_share"] == pytest.approx(0.1)
    low, high = data["p95_ci_ms"]
    # ranks (90, 100) of 10..109 ms, within the sketch's 1%
    assert low == pytest.approx(99.0, rel=0.01) and high == pytest.approx(109.0, rel=0.01)
    assert data["p95_ms"] == pytest.approx(104.0, rel=0.015)
    assert result.share_consistent is True


async def test_probe_through_the_mission_client_health(simulator_factory: Callable[..., SimulatorServer]) -> None:
    """run_probe_with(MissionClient.health): the ramp command's P95 test, open loop on the client's pool."""
    from canary_tui.mission.client import MissionClient
    from canary_tui.mission.probe import run_probe_with

    server = simulator_factory(scenario="healthy", seed=8, initial_percent=50, health_latency_scale=0.05)
    async with MissionClient(server.url) as client:
        result = await run_probe_with(client.health, n=60, rate_per_s=200.0, timeout_s=2.0, seed=3, expected_percent=50)
    assert result.n == 60 and result.errors == 0 and result.open_loop
    assert result.canary_share is not None and result.share_consistent is True
    assert result.p95_ci_ms is not None and result.p95_ci_ms[0] <= result.p95_ms <= result.p95_ci_ms[1]

    async def broken() -> object:
        raise RuntimeError("boom")

    failed = await run_probe_with(broken, n=3, rate_per_s=500.0, timeout_s=1.0, seed=1)
    assert failed.errors == 3 and failed.canary_share is None
