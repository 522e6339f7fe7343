"""The traffic model: reproducible from the seed, percentiles are true order statistics, buckets exact."""

from __future__ import annotations

import math

import httpx
import numpy as np

from canary_tui.core.clock import ManualClock
from canary_tui.simulator.scenarios import BASELINE

LE = np.array([50, 100, 250, 500, 750, 1000, 1500, 2500, 5000])
STEPS_S = (0.4, 1.0, 2.5, 30.0, 61.0, 0.2, 3600.0, 5.0)


def _heartbeat_bodies(simulator_factory, seed: int, scenario: str = "healthy") -> list[bytes]:
    """Raw heartbeat bodies for a fixed sequence of clock readings and one ramp move."""
    clock = ManualClock()
    sim = simulator_factory(seed=seed, scenario=scenario, clock=clock, secret="k")
    bodies = []
    with httpx.Client(base_url=sim.url) as client:
        for i, step_s in enumerate(STEPS_S):
            clock.advance(step_s)
            if i == 2:
                client.post("/api/ghost/canary", json={"percent": 10, "actor": "alice"})
            bodies.append(client.get("/api/ghost/heartbeat").content)
    return bodies


def test_same_seed_same_clock_readings_give_identical_heartbeats(simulator_factory) -> None:
    first = _heartbeat_bodies(simulator_factory, seed=11)
    second = _heartbeat_bodies(simulator_factory, seed=11)
    assert first == second
    assert len(set(first)) == len(first)  # traffic moved between readings


def test_a_different_seed_gives_different_traffic(simulator_factory) -> None:
    assert _heartbeat_bodies(simulator_factory, seed=11) != _heartbeat_bodies(simulator_factory, seed=12)


def test_flapping_is_reproducible_too(simulator_factory) -> None:
    assert (_heartbeat_bodies(simulator_factory, seed=5, scenario="flapping")
            == _heartbeat_bodies(simulator_factory, seed=5, scenario="flapping"))


def _oracle(latencies: list[float]) -> dict[str, float | None]:
    """Nearest-rank percentiles computed by numpy (method inverted_cdf is the ceil(q·n)-th order statistic)."""
    if not latencies:
        return {"p50": None, "p95": None, "p99": None}
    values = np.array(latencies)
    return {f"p{q}": float(np.percentile(values, q, method="inverted_cdf")) for q in (50, 95, 99)}


def test_window_percentiles_are_order_statistics_of_the_simulated_requests(simulator_factory) -> None:
    clock = ManualClock()
    sim = simulator_factory(seed=4, clock=clock, initial_percent=30)
    with httpx.Client(base_url=sim.url) as client:
        for step_s in (12.25, 60.0, 47.5, 600.75):
            clock.advance(step_s)
            metrics = client.get("/api/ghost/heartbeat").json()["heartbeat"]["metrics"]
            window = sim.state.window_samples(clock.now())
            assert 5400 < len(window) < 6600 or step_s == 12.25
            assert all(s.arrival_s > 0 for s in window)
            for part, chosen in ((metrics, window),
                                 (metrics["canary"], [s for s in window if s.canary]),
                                 (metrics["stable"], [s for s in window if not s.canary])):
                expected = _oracle([s.latency_ms for s in chosen])
                assert {q: part[q] for q in expected} == expected


def test_counters_and_buckets_count_exactly_the_simulated_requests(simulator_factory) -> None:
    clock = ManualClock()
    sim = simulator_factory(seed=9, clock=clock, initial_percent=50, window_s=120)
    clock.advance(100.6)  # inside the first window: every request so far is in it
    metrics = httpx.get(f"{sim.url}/api/ghost/heartbeat").json()["heartbeat"]["metrics"]
    window = sim.state.window_samples(clock.now())
    for part, chosen in ((metrics, window), (metrics["canary"], [s for s in window if s.canary]),
                         (metrics["stable"], [s for s in window if not s.canary])):
        latencies = np.array([s.latency_ms for s in chosen])
        assert part["requests"] == len(chosen)
        assert part["errors"] == sum(s.error for s in chosen)
        assert part["latency_buckets"]["counts"] == [int((latencies <= edge).sum()) for edge in LE]


def test_latency_model_matches_the_configured_log_normal(simulator_factory) -> None:
    clock = ManualClock()
    sim = simulator_factory(seed=2, clock=clock)
    clock.advance(59.9)
    metrics = httpx.get(f"{sim.url}/api/ghost/heartbeat").json()["heartbeat"]["metrics"]
    median_ms, sigma = BASELINE.median_ms, BASELINE.sigma
    assert abs(metrics["p50"] - median_ms) < 0.08 * median_ms
    assert abs(metrics["p95"] - median_ms * math.exp(1.6449 * sigma)) < 0.12 * median_ms * math.exp(1.6449 * sigma)
    assert abs(metrics["p99"] - median_ms * math.exp(2.3263 * sigma)) < 0.2 * median_ms * math.exp(2.3263 * sigma)
    # healthy on the seed's table: P50 < 50 ms, P95 < 500 ms, P99 < 1000 ms, errors < 0.1%
    assert metrics["p50"] < 50 and metrics["p95"] < 500 and metrics["p99"] < 1000
    assert metrics["errors"] / metrics["requests"] < 0.001 + 3 * math.sqrt(BASELINE.error_rate / metrics["requests"])


def test_a_long_clock_jump_keeps_counters_plausible_and_consistent(simulator_factory) -> None:
    clock = ManualClock()
    sim = simulator_factory(seed=3, clock=clock, initial_percent=10)
    clock.advance(24 * 3600)
    metrics = httpx.get(f"{sim.url}/api/ghost/heartbeat", timeout=30).json()["heartbeat"]["metrics"]
    assert abs(metrics["requests"] - 8_640_000) < 20_000
    assert abs(metrics["canary"]["requests"] / metrics["requests"] - 0.10) < 0.005
    assert abs(metrics["errors"] / metrics["requests"] - BASELINE.error_rate) < 0.2 * BASELINE.error_rate
    counts = metrics["latency_buckets"]["counts"]
    assert counts == sorted(counts) and counts[-1] <= metrics["requests"]
    share_under_500 = counts[LE.tolist().index(500)] / metrics["requests"]
    assert abs(share_under_500 - 0.9994) < 0.002  # P(lognormal(ln 120, 0.5) <= 500 ms)
    assert metrics["p95"] is not None  # the window is still per-request after the jump


def test_a_ramp_move_shapes_traffic_from_the_next_simulated_second(simulator_factory) -> None:
    clock = ManualClock()
    sim = simulator_factory(seed=1, clock=clock, token="t")
    clock.advance(10.5)
    httpx.post(f"{sim.url}/api/ghost/canary", json={"percent": 100}, headers={"Authorization": "Bearer t"})
    clock.advance(30)
    window = sim.state.window_samples(clock.now())
    assert not any(s.canary for s in window if s.arrival_s < 11)
    assert all(s.canary for s in window if s.arrival_s >= 11)


def test_a_clock_that_steps_back_never_makes_counters_go_down(simulator_factory) -> None:
    clock = ManualClock()
    sim = simulator_factory(seed=5, clock=clock, initial_percent=10)
    with httpx.Client(base_url=sim.url) as client:
        clock.advance(100.5)
        ahead = client.get("/api/ghost/heartbeat").json()["heartbeat"]["metrics"]
        clock.advance(-40.0)  # NTP steps the wall clock back
        behind = client.get("/api/ghost/heartbeat").json()["heartbeat"]["metrics"]
    assert behind["requests"] == ahead["requests"] and behind["p95"] == ahead["p95"]
