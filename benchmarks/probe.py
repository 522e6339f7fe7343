"""Figure 6: the open-loop probe against the seed's sequential loop on the same stalled simulator.

The simulator runs in its own process; /api/health stalls 1 s of every 10 s (requests
arriving in a stall wait for its end), then answers after a log-normal service time
(the healthy baseline: median 28 ms, sigma 0.8, scaled by LATENCY_SCALE). The true P95
is computed from that model: for the probe, over the phases of its scheduled send times
in the server's stall cycle; for the sequential loop, over users arriving uniformly while
it ran. Both send the same number of requests; the figures are each P95 over its truth,
and the probe's wall time over the loop's.
"""

from __future__ import annotations

import asyncio
import math

import numpy as np

from benchmarks import Figure, reported
from benchmarks._procs import SimulatorProcess

STALL_EVERY_S, STALL_S = 10.0, 1.0
LATENCY_SCALE = 0.5
RATE_PER_S = 50.0
TIMEOUT_S = 5.0


def _true_p95_ms(phases_s: np.ndarray, rng: np.random.Generator, draws: int) -> float:
    """P95 of stall wait + service time for requests arriving at these phases of the stall cycle."""
    from canary_tui.simulator.scenarios import BASELINE

    wait_ms = np.maximum(0.0, STALL_S - phases_s) * 1000.0
    service = rng.lognormal(math.log(BASELINE.median_ms), BASELINE.sigma, size=(len(phases_s), draws)) * LATENCY_SCALE
    return float(np.quantile(wait_ms[:, None] + service, 0.95))


async def _measure(n: int) -> tuple[object, object, float]:
    from canary_tui.mission.probe import run_probe, run_sequential

    with SimulatorProcess(scenario="healthy", seed=3, initial_percent=10, stall_every_s=STALL_EVERY_S,
                          stall_s=STALL_S, health_latency_scale=LATENCY_SCALE) as sim:
        probe = await run_probe(sim.url, n=n, rate_per_s=RATE_PER_S, timeout_s=TIMEOUT_S, seed=6, expected_percent=10)
        sequential = await run_sequential(sim.url, n=n, timeout_s=TIMEOUT_S, expected_percent=10)
        return probe, sequential, sim.start_s


def run(quick: bool) -> list[Figure]:
    n = 150 if quick else 1500
    probe, sequential, start_s = asyncio.run(_measure(n))
    rng = np.random.default_rng(0)
    offsets = np.array([s.scheduled_s for s in probe.samples])  # type: ignore[attr-defined]
    probe_truth = _true_p95_ms((probe.started_at_s + offsets - start_s) % STALL_EVERY_S, rng, 50)  # type: ignore[attr-defined]
    seq_start = sequential.started_at_s - start_s  # type: ignore[attr-defined]
    uniform = rng.uniform(seq_start, seq_start + sequential.duration_s, 100_000) % STALL_EVERY_S  # type: ignore[attr-defined]
    seq_truth = _true_p95_ms(uniform, rng, 5)
    p_probe, p_seq = probe.p95_ms, sequential.p95_ms  # type: ignore[attr-defined]
    probe_ratio = p_probe / probe_truth
    detail = (f"{n} requests each, 1 s stall every 10 s: probe ({RATE_PER_S:g}/s open loop) P95 {p_probe:.0f} ms vs "
              f"true {probe_truth:.0f} ms; sequential loop P95 {p_seq:.0f} ms vs true {seq_truth:.0f} ms")
    return [
        Figure("probe: P95 / true P95", probe_ratio, "x", "0.85 .. 1.15", bool(0.85 <= probe_ratio <= 1.15), detail),
        reported("sequential loop: P95 / true P95", p_seq / seq_truth, "x",
                 "the seed's curl-style loop stops sending while the server stalls (coordinated omission)"),
        reported("probe wall time / sequential loop wall time", probe.duration_s / sequential.duration_s, "x",  # type: ignore[attr-defined]
                 f"probe {probe.duration_s:.1f} s at {RATE_PER_S:g}/s, loop {sequential.duration_s:.1f} s"),  # type: ignore[attr-defined]
    ]
