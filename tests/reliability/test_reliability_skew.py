"""Clock skew: the server's timestamps are hours off the client's clock.

Ages and rates must come from the client's own clock (fetch times), and a stage
change seen from another operator must not look hours old (a bake clock that
starts hours early would make an untested stage "eligible" at once).
"""

from __future__ import annotations

import pytest

from canary_tui.controller.model import ConnectionState, RampState
from canary_tui.core.clock import ManualClock
from canary_tui.core.plans import FAST_TRACK
from reliability_support import SECRET, TOKEN
from controller_harness import make_controller
from reliability_links import client

HOUR_S = 3600.0


async def _observe_external_change(simulator_factory, tmp_path, skew_s: float):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", seed=4, clock=lambda: clock.now() + skew_s, token=TOKEN, secret=SECRET)
    async with client(sim.url, clock) as c:
        ctl = make_controller(c, clock, tmp_path, actor="alice@reliability", plan=FAST_TRACK)
        await ctl.refresh()
        clock.advance(30)
        sim.state.set_canary(10, None, None, "stage 1", "bob@elsewhere")  # stamped with the server's (skewed) clock
        clock.advance(30)
        await ctl.refresh()
        clock.advance(30)
        snap = await ctl.refresh()
    return snap, sim


@pytest.mark.parametrize("skew_h", [-5.0, 5.0, 30.0])
async def test_ages_and_rates_use_the_client_clock(simulator_factory, tmp_path, skew_h):
    snap, _ = await _observe_external_change(simulator_factory, tmp_path, skew_h * HOUR_S)
    assert snap.connection is ConnectionState.LIVE and snap.data_age_s == 0.0
    assert snap.rates is not None and snap.rates.interval_s == pytest.approx(30.0)
    assert snap.rates.error_rate is None or 0 <= snap.rates.error_rate <= 1


async def test_server_clock_ahead_does_not_shorten_or_lengthen_the_bake(simulator_factory, tmp_path):
    snap, _ = await _observe_external_change(simulator_factory, tmp_path, 5 * HOUR_S)
    assert snap.stage is not None and 0 <= snap.stage.bake_elapsed_s <= 60.0
    assert snap.ramp is RampState.BAKING


async def test_server_clock_behind_does_not_make_a_fresh_stage_look_baked(simulator_factory, tmp_path):
    snap, _ = await _observe_external_change(simulator_factory, tmp_path, -5 * HOUR_S)
    assert snap.stage is not None and snap.stage.bake_elapsed_s <= 120.0, snap.stage
    assert snap.ramp is not RampState.ELIGIBLE
