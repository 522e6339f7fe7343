"""Each scenario's signature behaviour, driven by the operator's ramp and a manual clock."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
import pytest

from canary_tui.core.clock import ManualClock


class Driver:
    """A manual clock plus a client: ramp, advance, read heartbeats."""

    def __init__(self, simulator_factory, **options) -> None:
        self.clock = ManualClock()
        self.sim = simulator_factory(clock=self.clock, **options)
        self.client = httpx.Client(base_url=self.sim.url)

    def ramp(self, percent: int) -> None:
        assert self.client.post("/api/ghost/canary", json={"percent": percent}).status_code == 200

    def heartbeat(self, advance_s: float = 0.0) -> dict:
        self.clock.advance(advance_s)
        response = self.client.get("/api/ghost/heartbeat")
        assert response.status_code == 200
        return response.json()

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def drive(simulator_factory):
    drivers: list[Driver] = []

    def make(**options) -> Driver:
        driver = Driver(simulator_factory, **options)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


def _rate(before: dict, after: dict, variant: str) -> float:
    b, a = before["heartbeat"]["metrics"][variant], after["heartbeat"]["metrics"][variant]
    return (a["errors"] - b["errors"]) / (a["requests"] - b["requests"])


def test_healthy_canary_matches_stable(drive) -> None:
    d = drive(scenario="healthy", seed=1)
    d.ramp(50)
    start = d.heartbeat(1)
    end = d.heartbeat(1800)
    m = end["heartbeat"]["metrics"]
    assert abs(m["canary"]["p95"] - m["stable"]["p95"]) < 40
    assert abs(_rate(start, end, "canary") - _rate(start, end, "stable")) < 0.002
    assert end["heartbeat"]["status"] == "ok" and end["verified"] is True


def test_latency_regression_canary_p95_passes_750_once_at_50_percent(drive) -> None:
    d = drive(scenario="latency-regression", seed=2)
    d.ramp(10)
    at_10 = d.heartbeat(600)["heartbeat"]["metrics"]
    assert at_10["canary"]["p95"] < 500 and at_10["stable"]["p95"] < 500
    d.ramp(50)
    early = d.heartbeat(10)["heartbeat"]["metrics"]
    assert early["canary"]["p95"] < 750
    later = d.heartbeat(120)["heartbeat"]["metrics"]
    assert later["canary"]["p95"] > 750 and later["stable"]["p95"] < 500
    assert later["p95"] > at_10["p95"]


def test_error_spike_jumps_canary_errors_to_8_percent_after_a_while(drive) -> None:
    d = drive(scenario="error-spike", seed=3)
    base = d.heartbeat(30)
    d.ramp(20)
    live = d.heartbeat(1)
    before = d.heartbeat(115)
    assert _rate(live, before, "canary") < 0.02 and before["heartbeat"]["status"] == "ok"
    start = d.heartbeat(10)
    end = d.heartbeat(600)
    assert 0.065 < _rate(start, end, "canary") < 0.095
    assert _rate(start, end, "stable") < 0.01
    assert end["heartbeat"]["status"] == "degraded"
    assert base["heartbeat"]["metrics"]["canary"]["requests"] == 0


def test_flapping_wanders_around_one_percent_without_a_trend(drive) -> None:
    d = drive(scenario="flapping", seed=4)
    d.ramp(50)
    beats = [d.heartbeat(1)] + [d.heartbeat(120) for _ in range(30)]
    rates = [_rate(a, b, "canary") for a, b in zip(beats, beats[1:], strict=False)]
    assert min(rates) < 0.007 and max(rates) > 0.013  # it wanders
    assert max(rates) < 0.03  # never a spike
    overall = _rate(beats[0], beats[-1], "canary")
    assert 0.008 < overall < 0.012 and abs(overall - _rate(beats[0], beats[-1], "stable")) < 0.002


def _wait_for(condition, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _refused(url: str) -> bool:
    """True when a fresh request gets no answer: refused, or (a connection accepted just before the
    listener closed) reset or closed without a response — every httpx.TransportError means that."""
    try:
        httpx.get(f"{url}/api/ghost/heartbeat")
    except httpx.TransportError:
        return True
    return False


def test_outage_refuses_connections_for_a_while_then_recovers(drive) -> None:
    d = drive(scenario="outage", seed=5)
    d.ramp(10)
    before = d.heartbeat(50)
    d.clock.advance(20)  # 70 s after going live: inside [60, 90)
    assert _wait_for(lambda: _refused(d.sim.url))
    with pytest.raises(httpx.TransportError):  # the open keep-alive connection is dropped too
        d.client.get("/api/ghost/heartbeat")
    d.clock.advance(25)
    assert _wait_for(lambda: not _refused(d.sim.url))
    after = d.heartbeat()
    assert after["heartbeat"]["metrics"]["requests"] > before["heartbeat"]["metrics"]["requests"]


def test_outage_in_drop_mode_closes_api_connections_but_keeps_control(drive) -> None:
    d = drive(scenario="outage", seed=5, faults=True, outage_mode="drop")
    d.ramp(10)
    before = d.heartbeat(50)
    d.clock.advance(20)
    for path in ("/api/ghost/heartbeat", "/api/health"):
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{d.sim.url}{path}")
    assert d.client.get("/_control/state").status_code == 200  # the control API stays up
    after = d.heartbeat(25)
    assert after["heartbeat"]["metrics"]["requests"] > before["heartbeat"]["metrics"]["requests"]
    assert d.sim.state.counters["dropped"] == 2


def test_bad_signature_after_a_minute_live(drive) -> None:
    d = drive(scenario="bad-signature", seed=6, secret="k")

    def fetch(advance_s: float) -> tuple[bool, bool]:
        d.clock.advance(advance_s)
        response = d.client.get("/api/ghost/heartbeat")
        good = "sha256=" + hmac.new(b"k", response.content, hashlib.sha256).hexdigest()
        return response.json()["verified"], response.headers["x-signature"] == good

    d.ramp(10)
    assert fetch(30) == (True, True)
    assert fetch(35) == (False, False)
    assert fetch(600) == (False, False)


def test_counter_reset_drops_counters_to_zero_mid_ramp(drive) -> None:
    d = drive(scenario="counter-reset", seed=7)
    d.ramp(10)
    before = d.heartbeat(119.5)["heartbeat"]["metrics"]
    assert before["requests"] > 10_000
    after = d.heartbeat(2.0)["heartbeat"]["metrics"]  # live from second 1 (next second), restart at 121
    assert 0 < after["requests"] < 200 and after["requests"] < before["requests"]
    assert after["canary"]["requests"] < before["canary"]["requests"]
    assert after["latency_buckets"]["counts"][-1] <= after["requests"]
    later = d.heartbeat(30.0)["heartbeat"]["metrics"]
    assert 2_500 < later["requests"] < 3_800  # counting again from the restart only
    assert len(d.sim.state.window_samples(d.clock.now())) == later["requests"]


def test_unknown_scenario_is_refused(simulator_factory) -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        simulator_factory(scenario="nope")


def test_speed_compresses_the_timeline(drive) -> None:
    d = drive(scenario="error-spike", seed=8, speed=60.0)
    d.ramp(50)
    start = d.heartbeat(2.2)  # 132 simulated seconds: the spike (at 120 s) has begun
    end = d.heartbeat(10)  # 600 more simulated seconds
    assert 0.065 < _rate(start, end, "canary") < 0.095
    assert end["heartbeat"]["metrics"]["requests"] > 70_000  # 100 req per simulated second
