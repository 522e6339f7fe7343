"""Soak: a 72 h ramp on an accelerated clock against the simulator's `flapping` and `outage` scenarios.

One ManualClock drives both the simulator and the controller; every look is a
real heartbeat fetched over loopback and observed by a controller wired with
the production rules (`build_rules`: the seed's triggers and the evidence rule).

What is shrunk to stay in time, and why it still proves the point:
- a look every 60 simulated seconds (4 485 looks per 72 h; the outage run every
  120 s after its first 15 minutes, 2 340 looks) instead of every second; the
  first 15 minutes look every 5 s so the outage (60..90 s after the canary goes
  live) is seen by several consecutive looks;
- the simulator serves 50 requests/s (not 100) with a 10 s percentile window,
  so each look generates 500 requests instead of 6 000; counters still cover
  every simulated request (3 000 per look, ~13 M over 72 h);
- the operator advances at 24 h and 48 h (auto-advance is on too); the
  latency regression uses the fast-track plan (1 h stages) to reach 50% sooner.

Checked: no exception (nothing logged at ERROR, no rule error), history and
events stay within their caps, RSS at 72 h within 10% of RSS at 1 h (the
DESIGN budget), and over the last 2 simulated hours tracemalloc sees no growth
(traced only then: tracing every allocation of both threads costs 6-8x), no
auto-rollback of the healthy flapping or outage canaries, and an auto-rollback
on a real regression (error-spike by default, latency-regression slow).
"""

from __future__ import annotations

import logging
import os
import tracemalloc

import pytest

from canary_tui.config import EnvironmentConfig
from canary_tui.controller.factory import build_rules
from canary_tui.controller.model import ConnectionState, Trigger
from canary_tui.core.clock import ManualClock
from canary_tui.core.plans import FAST_TRACK, STANDARD, RampPlan
from reliability_support import SECRET, TOKEN
from controller_harness import make_controller
from reliability_links import client

HOUR_S = 3600.0
SOAK_S = 72 * HOUR_S
STRIDE_S = 60.0
FINE_STRIDE_S = 5.0
FINE_UNTIL_S = 900.0
TRACE_LAST_S = 2 * HOUR_S


def _rss_bytes() -> int:
    """Resident set size of this process (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _env(plan: RampPlan = STANDARD) -> EnvironmentConfig:
    return EnvironmentConfig(name="soak", url="http://127.0.0.1:1", plan=plan, auto_advance=True)


async def _soak(simulator_factory, tmp_path, scenario: str, seconds: float, caplog, *, stride_s: float = STRIDE_S, plan: RampPlan = STANDARD) -> dict:
    caplog.set_level(logging.ERROR, logger="canary_tui")
    clock = ManualClock()
    sim = simulator_factory(scenario=scenario, seed=42, clock=clock, token=TOKEN, secret=SECRET, window_s=10,
                            requests_per_s=50, outage_mode="drop", initial_percent=0)
    stats = {"looks": 0, "states": {}, "advances": [], "peak_history": 0}
    async with client(sim.url, clock) as c:
        ctl = make_controller(c, clock, tmp_path, actor="soak@reliability", plan=plan, auto_advance=True,
                              rules=build_rules(_env(plan)), stale_after_s=3 * stride_s)
        await ctl.refresh()
        assert (await ctl.advance(Trigger.KEY, note="soak start")).ok  # 0 → 10%
        baseline = None
        traced_from = None
        elapsed = 0.0
        operator_advanced: set[int] = set()
        while elapsed < seconds:
            step = FINE_STRIDE_S if elapsed < FINE_UNTIL_S else stride_s
            clock.advance(step)
            elapsed += step
            snap = await ctl.refresh()
            await ctl.wait_idle()
            stats["looks"] += 1
            stats["states"][snap.connection.value] = stats["states"].get(snap.connection.value, 0) + 1
            day = int(elapsed // plan.stages[0].bake_s)  # the operator looks once per stage bake
            if day in (1, 2) and day not in operator_advanced and sim.state.canary_percent not in (0, 100):
                operator_advanced.add(day)
                if sim.state.canary_percent == plan.stages[day - 1].percent:
                    result = await ctl.advance(Trigger.KEY, note=f"operator, day {day}", override=True)
                    stats["advances"].append((elapsed, result.ok, result.message))
            stats["peak_history"] = max(stats["peak_history"], ctl.history.memory_bytes())
            if baseline is None and elapsed >= HOUR_S:
                baseline = _rss_bytes()
            if traced_from is None and seconds >= 4 * HOUR_S and elapsed >= seconds - TRACE_LAST_S:
                tracemalloc.start()
                traced_from = tracemalloc.get_traced_memory()[0]
        rss = _rss_bytes()
        if traced_from is not None:
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            stats.update(traced_growth=current - traced_from, traced_peak=peak)
        stats.update(baseline=baseline, rss=rss, ctl=ctl, sim=sim)
        stats["events"] = len(ctl.events)
        stats["verdict_errors"] = [v for v in ctl.snapshot.extra.get("verdicts", ()) if "rule error" in v.reason]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    return stats


def _bounded(stats: dict) -> None:
    ctl = stats["ctl"]
    assert len(ctl.events) <= ctl.events.maxlen
    assert stats["peak_history"] <= ctl.history.memory_bytes() * 1.01 + 1  # preallocated: it never grows
    assert stats["baseline"] is not None
    assert stats["rss"] <= stats["baseline"] * 1.10, (stats["baseline"], stats["rss"])
    assert stats["traced_growth"] < 512 * 1024, stats["traced_growth"]  # steady state: nothing accumulates
    assert stats["traced_peak"] < 64 * 1024 * 1024
    assert not stats["verdict_errors"]


def _rollbacks(sim) -> list:
    return [c for c in sim.state.history if c.percent == 0]


@pytest.mark.slow
async def test_soak_72h_flapping_healthy_canary_is_never_rolled_back(simulator_factory, tmp_path, caplog):
    stats = await _soak(simulator_factory, tmp_path, "flapping", SOAK_S, caplog)
    print("soak flapping", {k: v for k, v in stats.items() if k not in ("ctl", "sim")})
    _bounded(stats)
    sim = stats["sim"]
    assert stats["looks"] == int(FINE_UNTIL_S / FINE_STRIDE_S) + int((SOAK_S - FINE_UNTIL_S) / STRIDE_S)
    assert _rollbacks(sim) == [], [(c.actor, c.note) for c in sim.state.history]
    assert sim.state.canary_percent == 100  # the ramp ran its course: 10 → 50 → 100
    assert stats["states"].get("live", 0) >= stats["looks"] - 5


@pytest.mark.slow
async def test_soak_72h_outage_goes_unreachable_recovers_and_never_rolls_back(simulator_factory, tmp_path, caplog):
    stats = await _soak(simulator_factory, tmp_path, "outage", SOAK_S, caplog, stride_s=2 * STRIDE_S)
    print("soak outage", {k: v for k, v in stats.items() if k not in ("ctl", "sim")})
    _bounded(stats)
    sim = stats["sim"]
    assert stats["states"].get("unreachable", 0) >= 2 and stats["states"].get("stale", 0) >= 1
    assert stats["ctl"].snapshot.connection is ConnectionState.LIVE
    assert _rollbacks(sim) == [], [(c.actor, c.note) for c in sim.state.history]
    assert sim.state.canary_percent == 100


async def test_real_regression_is_rolled_back_automatically(simulator_factory, tmp_path, caplog):
    """error-spike: canary errors jump to 8% two minutes in; the controller rolls back by itself."""
    stats = await _soak(simulator_factory, tmp_path, "error-spike", 1800.0, caplog)
    sim = stats["sim"]
    rollbacks = _rollbacks(sim)
    assert len(rollbacks) == 1 and rollbacks[0].actor == "soak@reliability", [(c.actor, c.note) for c in sim.state.history]
    assert rollbacks[0].note.startswith("auto-rollback")
    assert 120 <= rollbacks[0].at_s - sim.state.start_s <= 900  # caught within minutes of the spike
    assert sim.state.canary_percent == 0


@pytest.mark.slow
async def test_soak_latency_regression_at_half_is_rolled_back(simulator_factory, tmp_path, caplog):
    """latency-regression: once at 50% the canary's P95 drifts past 750 ms; rolled back automatically."""
    stats = await _soak(simulator_factory, tmp_path, "latency-regression", 2 * HOUR_S, caplog, plan=FAST_TRACK)
    sim = stats["sim"]
    rollbacks = _rollbacks(sim)
    assert len(rollbacks) == 1 and rollbacks[0].note.startswith("auto-rollback"), [(c.actor, c.note) for c in sim.state.history]
    assert rollbacks[0].previous_percent == 50
