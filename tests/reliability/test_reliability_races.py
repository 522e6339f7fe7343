"""Races: two controllers (two dashboards) and a CLI process act on one simulator at once, round after round.

Invariants per round, checked against the simulator's change history:
- no re-ramp after a rollback: once 0% is set, nothing sets the canary above 0 again;
- no lost update: an action reported done is in the history; one that did not land
  was told so — a conflict naming who changed it ("changed by ...") for the loser;
- every rollback is confirmed (exit 0 / ok) and the round ends at 0% when one was issued.
"""

from __future__ import annotations

import asyncio
import random

from canary_tui.controller.model import Trigger
from canary_tui.core.clock import SystemClock
from reliability_support import SECRET, TOKEN, CliHome, need_command, start
from controller_harness import make_controller
from reliability_links import client

ROUNDS = 30
ACTIONS = ("advance", "rollback", "pause")
CLI_ACTIONS = ("rollback", "pause", "resume")
CLI_ACTOR = "cli@reliability"


async def _act(ctl, action: str, delay_s: float):
    await asyncio.sleep(delay_s)
    if action == "advance":
        return await ctl.advance(Trigger.KEY, override=True)
    if action == "rollback":
        return await ctl.rollback(Trigger.KEY, note="race")
    return await ctl.pause(Trigger.KEY, note="race")


async def _cli(proc, action: str, delay_s: float):
    await asyncio.sleep(delay_s)
    args = [action, "sim", "--note", "race"] + (["--timeout", "20"] if action == "rollback" else [])
    start(proc, *args)
    out, err = await asyncio.to_thread(proc.communicate, timeout=60)
    return proc.returncode, out, err


async def _rounds(n: int, simulator_factory, cli_home: CliHome, tmp_path, seed: int) -> dict[str, int]:
    for command in CLI_ACTIONS:
        need_command(command)
    rng = random.Random(seed)
    sim = simulator_factory(scenario="healthy", faults=True, token=TOKEN, secret=SECRET, seed=3, speed=10, initial_percent=10)
    cli_home.url = sim.url
    clock = SystemClock()
    tally = {"conflicts": 0, "cli_conflicts": 0, "rollbacks": 0, "done": 0, "unconfirmed": 0}
    async with client(sim.url, clock) as ca, client(sim.url, clock) as cb:
        alice = make_controller(ca, clock, tmp_path, actor="alice@dash1", sleep=asyncio.sleep, rollback_backoff_s=(0.05, 0.1))
        bob = make_controller(cb, clock, tmp_path, actor="bob@dash2", sleep=asyncio.sleep, rollback_backoff_s=(0.05, 0.1))
        proc = cli_home.prewarmed()
        for round_no in range(n):
            sim.clear_faults()
            sim.state.set_canary(10, None, False, f"round {round_no}", "referee")
            await alice.refresh()
            await bob.refresh()
            start_index = len(sim.state.history)
            plan = {"alice@dash1": rng.choice(ACTIONS), "bob@dash2": rng.choice(ACTIONS), CLI_ACTOR: rng.choice(CLI_ACTIONS)}
            if rng.random() < 0.5:  # widen the window: one POST waits at the server
                sim.inject_fault("delay", count=1, paths=["/api/ghost/canary"], seconds=rng.choice([0.05, 0.2]))
            delays = {k: rng.uniform(0, 0.15) for k in plan}
            results = await asyncio.gather(
                _act(alice, plan["alice@dash1"], delays["alice@dash1"]),
                _act(bob, plan["bob@dash2"], delays["bob@dash2"]),
                _cli(proc, plan[CLI_ACTOR], delays[CLI_ACTOR]),
            )
            proc = cli_home.prewarmed()  # warm the next round's CLI while we judge this one
            await alice.wait_idle()
            await bob.wait_idle()
            changes = sim.state.history[start_index:]
            _check_round(round_no, plan, results, changes, sim, tally)
        proc.kill()
        proc.communicate()
    return tally


def _check_round(round_no, plan, results, changes, sim, tally) -> None:
    where = f"round {round_no} {plan}: {[(c.actor, c.previous_percent, c.percent, c.paused) for c in changes]}"
    # no re-ramp after a rollback
    first_zero = next((i for i, c in enumerate(changes) if c.percent == 0), None)
    if first_zero is not None:
        assert all(c.percent == 0 for c in changes[first_zero:]), f"re-ramp after rollback: {where}"
    rolled = any(a == "rollback" for a in plan.values())
    if rolled:
        assert sim.state.canary_percent == 0, where
        tally["rollbacks"] += 1
    for (actor, action), result in zip(list(plan.items())[:2], results[:2]):
        mine = [c for c in changes if c.actor == actor]
        if action == "rollback":
            assert result.ok, f"{actor} rollback failed: {result.message} {where}"
            continue
        if result.ok:
            tally["done"] += 1
            if action == "advance":
                # its own change, or the same change by another (the API is idempotent: same target, nothing to do)
                assert any(c.percent == 50 for c in changes), f"{actor} advance reported done but not in history: {where}"
            else:
                assert any(c.paused for c in changes), f"{actor} pause reported done but nothing paused: {where}"
        elif result.conflict:
            tally["conflicts"] += 1
            # the share moved (the server's 409, or seen first), or the hold flag did (seen on the fresh read before an advance)
            assert result.message.startswith(("changed by ", "paused by ", "resumed by ")), result.message
            assert not [c for c in mine if c.percent == 50 or c.paused], f"{actor} lost the race yet changed it: {where}"
        else:  # sent and applied, then overtaken before the read-back: the history shows it, the operator was told
            tally["unconfirmed"] += 1
            assert "not confirmed" in result.message, f"{actor}: {result.message} {where}"
            assert mine and changes[-1].actor != actor, where
    code, out, err = results[2]
    assert "Traceback" not in out + err
    cli_action = plan[CLI_ACTOR]
    cli_changes = [c for c in changes if c.actor == CLI_ACTOR]
    if cli_action == "rollback":
        assert code == 0, (out, err, where)
    elif code == 0:
        tally["done"] += 1
        want_paused = cli_action == "pause"
        assert any(c.paused == want_paused for c in changes) or not cli_changes, where
    else:
        assert code == 1, (code, out, err, where)
        if "changed by" in err:
            tally["cli_conflicts"] += 1
            assert not cli_changes, where
        else:
            tally["unconfirmed"] += 1
            assert "not confirmed" in err, (err, where)


async def test_two_dashboards_and_a_cli_race_for_thirty_rounds(simulator_factory, cli_home, tmp_path):
    tally = await _rounds(ROUNDS, simulator_factory, cli_home, tmp_path, seed=8)
    print("race tally", tally)
    # the rounds really raced: losers were told, and rollbacks always won
    assert tally["conflicts"] + tally["cli_conflicts"] >= 3, tally
    assert tally["rollbacks"] >= ROUNDS // 2, tally


async def test_the_cli_losing_a_race_is_told_who_changed_it(simulator_factory, cli_home, tmp_path):
    """The CLI's pause waits at the server while a dashboard rolls back: exit 1, 'changed by bob', nothing paused."""
    need_command("pause")
    sim = simulator_factory(scenario="healthy", faults=True, token=TOKEN, secret=SECRET, seed=3, initial_percent=10)
    cli_home.url = sim.url
    clock = SystemClock()
    async with client(sim.url, clock) as cb:
        bob = make_controller(cb, clock, tmp_path, actor="bob@dash2", sleep=asyncio.sleep)
        await bob.refresh()
        sim.inject_fault("delay", count=1, paths=["/api/ghost/canary"], seconds=1.0)
        proc = cli_home.popen("pause", "sim", "--note", "hold")
        from controller_harness import wait_for

        await wait_for(lambda: sim.faults.fired == ["delay"], timeout_s=20, what="the CLI's pause to reach the server")
        assert (await bob.rollback(Trigger.KEY, note="pager")).ok
        out, err = await asyncio.to_thread(proc.communicate, timeout=30)
    assert proc.returncode == 1, (out, err)
    assert "Traceback" not in out + err
    assert "changed by bob@dash2 to 0%" in err
    assert [(c.actor, c.percent, c.paused) for c in sim.state.history] == [("bob@dash2", 0, False)]
    assert not sim.state.paused
