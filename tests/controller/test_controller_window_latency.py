"""Snapshot.window_latency: latency histograms over the same polls as Snapshot.window (what latency levels judge)."""

from __future__ import annotations

from datetime import UTC, datetime

from controller_harness import make_client, make_controller, poll

from canary_tui.controller import derive
from canary_tui.controller.model import Trigger
from canary_tui.core.clock import ManualClock
from canary_tui.core.samples import Deployment, Heartbeat, HeartbeatStatus, LatencyBuckets, Metrics, VariantMetrics


async def test_the_window_latency_counts_the_same_requests_as_the_window(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock, requests_per_s=200.0)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, auto_rollback=False)
        await ctl.refresh()
        assert (await ctl.advance(Trigger.KEY)).ok
        await poll(ctl, clock, 1.0, 5)
        snap = ctl.snapshot
        assert snap.window is not None and snap.window_latency is not None
        for variant in ("canary", "stable"):
            buckets = getattr(snap.window_latency, variant)
            requests = getattr(snap.window, f"{variant}_requests")
            assert buckets is not None and requests
            assert list(buckets.counts) == sorted(buckets.counts) and buckets.counts[-1] <= requests  # a histogram of this window only
        first_total = snap.window_latency.canary.counts[-1]
        await poll(ctl, clock, 1.0, 3)
        assert ctl.snapshot.window_latency.canary.counts[-1] > first_total  # it moves with the window


def _hb(requests: int, counts: tuple[int, ...]) -> Heartbeat:
    """A heartbeat whose canary has served `requests`, with cumulative bucket `counts`."""
    canary = VariantMetrics(requests=requests, errors=0, latency_buckets=LatencyBuckets((100.0, 500.0), counts))
    deployment = Deployment("dep", "staging", "v1", "v2", 10)
    metrics = Metrics(requests=requests * 10, errors=0, window_s=60.0, canary=canary)
    return Heartbeat(datetime(2026, 1, 1, tzinfo=UTC), HeartbeatStatus.OK, deployment, metrics, verified=True)


def test_window_latency_is_the_increase_and_unknown_across_a_restart() -> None:
    first, last = _hb(100, (80, 99)), _hb(150, (120, 148))
    window = derive.window_latency(first, last)
    assert window is not None and window.canary == LatencyBuckets((100.0, 500.0), (40, 49))
    assert window.canary.slower_than(500.0, 50) == 1
    assert window.stable is None and window.service is None  # nothing sent: unknown, not zero
    assert derive.window_latency(last, first) is None  # counters went down: a restart inside the window
    assert derive.window_latency(None, last) is None
