"""Controller behaviour over loopback: gates and overrides, auto-advance, read-only, observers, counter resets."""

from __future__ import annotations

from canary_tui.controller.model import ConnectionState, EventLevel, RampState, Trigger
from canary_tui.core.clock import ManualClock
from canary_tui.core.verdicts import GateStatus

from controller_harness import audit_records, make_client, make_controller, poll


async def test_advance_refused_while_a_gate_fails_unless_overridden(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="error-spike", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, auto_rollback=False)
        await ctl.refresh()
        assert (await ctl.advance(Trigger.KEY)).ok
        await poll(ctl, clock, 30.0, 6)  # the spike is on
        assert ctl.snapshot.ramp is RampState.GATE_FAILING
        assert any(g.status is GateStatus.FAIL and g.name.startswith("errors") for g in ctl.snapshot.gates)
        refused = await ctl.advance(Trigger.KEY)
        assert not refused.ok and "needs an override: failing: errors" in refused.message and refused.to_percent == 50
        assert sim.state.canary_percent == 10
        forced = await ctl.advance(Trigger.KEY, note="I know", override=True)
        assert forced.ok and sim.state.canary_percent == 50 and sim.state.history[-1].note == "I know (override)"
        forced_record = [r for r in audit_records(ctl) if r["action"] == "advance"][-1]
        assert forced_record["override"] is True and any("fail" in g for g in forced_record["gates"])


async def test_auto_advance_walks_the_plan_once_bakes_are_met(simulator_factory, tmp_path):
    clock = ManualClock()
    # enough traffic that a healthy canary's per-poll error rate stays clear of the 1% gate
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock, requests_per_s=1000.0)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, auto_advance=True)
        await ctl.refresh()
        assert (await ctl.advance(Trigger.KEY)).ok  # the operator starts the ramp
        for _ in range(20):
            await poll(ctl, clock, 30.0, 1)
            await ctl.wait_idle()
        assert sim.state.canary_percent == 100 and ctl.snapshot.ramp is RampState.COMPLETE
        auto_records = [r for r in audit_records(ctl) if r["trigger"] == "auto" and r["outcome"] == "ok"]
        assert [(r["from"], r["to"]) for r in auto_records] == [(10, 50), (50, 100)]
        # each step has its own line with what authorized it (a journal coalesces a repeated line within a minute)
        said = [e.message for e in ctl.events if e.kind == "auto-advance"]
        assert [m.split(":")[0] for m in said] == ["auto-advance 10% → 50%", "auto-advance 50% → 100%"], said
        assert all(m.endswith(str(r["authorized_by"])) for m, r in zip(said, auto_records, strict=True))
        # the judgment stood in for the gate check: audited as what authorized it, never as an operator's override
        assert all("override" not in r and r["authorized_by"] for r in auto_records), auto_records
        assert not any("(override)" in change.note for change in sim.state.history[1:])
        at = [c.at_s - sim.state.history[0].at_s for c in sim.state.history]
        assert at[1] >= 120 and at[2] - at[1] >= 120  # never before the bake


async def test_the_demos_seed_rule_advance_says_it_is_the_demos_rule(simulator_factory, tmp_path):
    """Only the demo advances on the seed's gates: its line and audit record say so, so a HOLD on screen is explained."""
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock, requests_per_s=1000.0)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, auto_advance=True, advance_on_seed_gates=True)
        await ctl.refresh()
        assert (await ctl.advance(Trigger.KEY)).ok
        for _ in range(6):
            await poll(ctl, clock, 30.0, 1)
            await ctl.wait_idle()
        auto = [r for r in audit_records(ctl) if r["trigger"] == "auto" and r["outcome"] == "ok"]
        assert auto and auto[0]["authorized_by"] == "bake met, the seed's gates passed throughout (the demo's rule: the evidence gates may still say HOLD)"
        assert any(e.message.endswith("(the demo's rule: the evidence gates may still say HOLD)") for e in ctl.events if e.kind == "auto-advance")


async def test_a_refused_auto_advance_is_asked_again_a_minute_later_not_on_every_poll(simulator_factory, tmp_path):
    from canary_tui.controller.observing import AUTO_ADVANCE_RETRY_S

    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock, requests_per_s=1000.0)
    asked: list[float] = []

    async def upstream_not_done(version, from_percent, to_percent):
        asked.append(clock.now())
        return "staging has not completed v0.5.0: staging at 50%"

    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, auto_advance=True, advance_guard=upstream_not_done)
        await ctl.refresh()
        assert (await ctl.advance(Trigger.KEY, override_pipeline=True)).ok  # the operator starts the ramp past the guard
        asked.clear()
        for _ in range(60):  # 10 minutes of 10 s polls, the bake met early on
            await poll(ctl, clock, 10.0, 1)
            await ctl.wait_idle()
        assert sim.state.canary_percent == 10
        gaps = [b - a for a, b in zip(asked, asked[1:], strict=False)]
        assert 3 <= len(asked) <= 600 / AUTO_ADVANCE_RETRY_S + 1 and all(g >= AUTO_ADVANCE_RETRY_S for g in gaps), asked
        refusals = [e for e in ctl.events if "promotion pipeline" in e.message and "overrides" not in e.message]
        assert len(refusals) == len(asked)


async def test_auto_advance_does_not_advance_a_stage_whose_gates_failed(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="error-spike", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, auto_advance=True, auto_rollback=False)
        await ctl.refresh()
        assert (await ctl.advance(Trigger.KEY)).ok
        await poll(ctl, clock, 30.0, 12)
        await ctl.wait_idle()
        assert sim.state.canary_percent == 10


async def test_read_only_refuses_every_mutation_and_never_auto_rolls_back(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="error-spike", token="test-token", seed=7, clock=clock)
    sim.state.set_canary(10, None, None, "", "bob")
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, read_only=True)
        await poll(ctl, clock, 30.0, 10)
        for call in (ctl.advance(Trigger.KEY), ctl.pause(Trigger.KEY), ctl.rollback(Trigger.KEY), ctl.checkpoint("x", Trigger.KEY), ctl.set_percent(50, Trigger.KEY)):
            result = await call
            assert not result.ok and "read-only" in result.message
        assert sim.state.canary_percent == 10 and len(sim.state.history) == 1
        snap = ctl.snapshot
        assert snap.read_only and not snap.auto_rollback.enabled and snap.auto_rollback.label == "disarmed"
        assert audit_records(ctl) == []


async def test_subscribers_get_snapshots_and_events_until_unsubscribed(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        snaps, events = [], []
        unsubscribe = ctl.subscribe(on_snapshot=snaps.append, on_event=events.append)
        await ctl.refresh()
        result = await ctl.advance(Trigger.KEY)
        assert result.ok
        in_flight = [s.action_in_flight for s in snaps]
        assert "advance" in in_flight and in_flight[-1] is None
        assert [e.kind for e in events] == ["advance", "advance"] and events[-1].message.endswith("(confirmed)")
        assert list(ctl.events)[-2:] == events
        unsubscribe()
        await poll(ctl, clock, 1.0, 1)
        assert len(events) == 2 and snaps[-1] is not ctl.snapshot


async def test_a_failing_subscriber_does_not_break_the_controller(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)

        def boom(_):
            raise RuntimeError("listener bug")

        ctl.subscribe(on_snapshot=boom, on_event=boom)
        await ctl.refresh()
        assert (await ctl.advance(Trigger.KEY)).ok


async def test_counter_reset_is_neither_a_breach_nor_a_gap(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="counter-reset", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        await ctl.refresh()
        assert (await ctl.set_percent(10, Trigger.KEY)).ok
        resets = 0
        for _ in range(10):
            snap = (await poll(ctl, clock, 30.0, 1)) or ctl.snapshot
            resets += bool(snap.rates and snap.rates.reset)
            assert snap.connection is ConnectionState.LIVE
            assert snap.rates is None or snap.rates.requests >= 0
        assert resets == 1
        assert sim.state.canary_percent == 10 and ctl.action_in_flight is None


async def test_stale_data_holds_gates_and_refuses_advance(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, stale_after_s=5.0)
        await ctl.refresh()
        assert (await ctl.advance(Trigger.KEY)).ok
        await poll(ctl, clock, 30.0, 2)
        clock.advance(10.0)  # no poll for 10 s
        refused = await ctl.advance(Trigger.KEY)
        assert not refused.ok and "stale" in refused.message
        assert any(e.level is EventLevel.WARNING and "refused" in e.message for e in ctl.events)


class _Judge:
    """A plug-in rule offering a full Decision, as the evidence-based judgment does."""

    name = "judge"

    def __init__(self, kind):
        self.kind = kind

    def observe(self, obs):
        from canary_tui.core.rules import RuleVerdict
        from canary_tui.core.verdicts import Decision

        return RuleVerdict(self.name, False, "", decision=Decision(self.kind, f"test says {self.kind}"))

    def reset(self):
        pass


async def test_auto_advance_follows_a_rules_decision_when_one_is_offered(simulator_factory, tmp_path):
    from canary_tui.core.verdicts import DecisionKind

    for kind, expected in ((DecisionKind.HOLD, 10), (DecisionKind.PROMOTE_ELIGIBLE, 50)):
        clock = ManualClock()
        sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock)
        async with make_client(sim.url, clock) as client:
            ctl = make_controller(client, clock, tmp_path / kind, auto_advance=True, rules=(_Judge(kind),))
            await ctl.refresh()
            assert (await ctl.advance(Trigger.KEY)).ok
            await poll(ctl, clock, 30.0, 4)  # bake (120 s) met only at the 4th poll
            await ctl.wait_idle()
            assert sim.state.canary_percent == expected, kind
            assert ctl.snapshot.decision.reason.startswith("test says")


class _Counting:
    """A plug-in rule that counts the observations it is asked to judge."""

    name = "counting"

    def __init__(self):
        self.seen = []

    def observe(self, obs):
        from canary_tui.core.rules import RuleVerdict

        self.seen.append(obs.rates.interval_s if obs.rates else None)
        return RuleVerdict(self.name, False, "")

    def reset(self):
        pass


async def test_read_backs_right_after_a_poll_are_not_judged_on_their_own(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        rule = _Counting()
        ctl = make_controller(client, clock, tmp_path, rules=(rule,))
        await ctl.refresh()
        clock.advance(0.1)
        await ctl.refresh()  # 0.1 s later: followed, not judged
        assert rule.seen == [None]
        clock.advance(0.9)
        await ctl.refresh()
        assert rule.seen == [None, 1.0]  # the interval runs from the last judged heartbeat
        assert ctl.snapshot.rates.interval_s == 1.0


async def test_toggle_pause_and_checkpoint(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        await ctl.refresh()
        assert (await ctl.advance(Trigger.KEY)).ok
        first = await ctl.toggle_pause(Trigger.KEY)
        assert first.ok and first.action == "pause" and sim.state.paused and ctl.snapshot.ramp is RampState.PAUSED
        refused = await ctl.advance(Trigger.KEY)
        assert not refused.ok and "paused" in refused.message
        second = await ctl.toggle_pause(Trigger.KEY)
        assert second.ok and second.action == "resume" and not sim.state.paused
        ckpt = await ctl.checkpoint("pre-v0.5.0-deployment", Trigger.KEY)
        assert ckpt.ok and "ckpt-0001" in ckpt.message
        assert sim.state.checkpoints[0].note == "pre-v0.5.0-deployment"
        assert [r["outcome"] for r in audit_records(ctl) if r["action"] == "checkpoint"] == ["attempt", "ok"]


async def test_seed_gate_advance_walks_a_compressed_plan_the_evidence_cannot_judge_yet(simulator_factory, tmp_path):
    from canary_tui.core.judgment import EvidenceRule
    from canary_tui.core.plans import RampPlan, Stage
    from canary_tui.core.rules import SeedRollbackRule

    plan = RampPlan("compressed", (Stage(10, 20.0), Stage(50, 20.0), Stage(100, 20.0)))
    outcomes = {}
    for on_seed_gates in (False, True):
        clock = ManualClock()
        sim = simulator_factory(scenario="healthy", token="test-token", seed=11, clock=clock)
        async with make_client(sim.url, clock) as client:
            rules = (SeedRollbackRule(), EvidenceRule(plan=plan))
            ctl = make_controller(client, clock, tmp_path / str(on_seed_gates), plan=plan, rules=rules,
                                  auto_advance=True, advance_on_seed_gates=on_seed_gates)
            await ctl.refresh()
            assert (await ctl.advance(Trigger.KEY)).ok
            for _ in range(70):
                await poll(ctl, clock, 1.0, 1)
                await ctl.wait_idle()
            outcomes[on_seed_gates] = (sim.state.canary_percent, [(c.previous_percent, c.percent) for c in sim.state.history])
    # 20 s stages at 100 req/s: the evidence (an SPRT needs hundreds of error events) holds the ramp at 10% ...
    assert outcomes[False][0] == 10
    # ... while the seed's gates, judged over a window of polls, pass and the controller walks the plan itself
    assert outcomes[True] == (100, [(0, 10), (10, 50), (50, 100)])


async def test_error_gate_judges_a_window_of_polls_not_one_poll(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=3, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        await ctl.refresh()
        assert (await ctl.advance(Trigger.KEY)).ok
        await poll(ctl, clock, 1.0, 30)
        gate = next(g for g in ctl.snapshot.gates if g.name.startswith("errors"))
        rates = ctl.snapshot.rates
        assert rates is not None and (rates.canary_requests or 0) < 100  # one poll holds ~10 canary requests
        assert gate.status is GateStatus.PASS and not gate.low_data  # the window holds ~300


async def test_the_log_says_when_a_run_of_failed_polls_ends(simulator_factory, tmp_path):
    """The failure is said once when it begins; the recovery line closes the story with how many polls failed."""
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock, faults=True)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        await ctl.refresh()
        sim.inject_fault("status", count=3, paths=["/api/ghost/heartbeat"], status=500)
        await poll(ctl, clock, 1.0, 4)  # three fail, the fourth answers
        said = [(e.kind, e.message) for e in ctl.events if e.kind in ("poll-error", "poll")]
        assert [kind for kind, _ in said] == ["poll-error", "poll"], said
        assert said[1][1] == "heartbeat trusted again after 3 failed polls"
        assert ctl.snapshot.connection is ConnectionState.LIVE
