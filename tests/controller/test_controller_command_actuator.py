"""The command actuator runs a real script without a shell: exit 0 plus a matching read-back is success."""

from __future__ import annotations

from pathlib import Path

import pytest

from canary_tui.controller.model import Trigger
from canary_tui.core.clock import ManualClock
from canary_tui.mission.actuators import ActuatorError, CommandActuator

from controller_harness import audit_records, make_client, make_controller

SCRIPT = str(Path(__file__).resolve().parents[1] / "scripts" / "canary-ramp.sh")


@pytest.fixture
def script_env(monkeypatch, simulator_factory):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock)
    monkeypatch.setenv("MISSION_URL", sim.url)
    monkeypatch.setenv("OPS_TOKEN", "test-token")
    for knob in ("FAKE_RAMP_EXIT", "FAKE_RAMP_SLEEP", "FAKE_RAMP_LIE"):
        monkeypatch.delenv(knob, raising=False)
    return sim, clock


def test_placeholders_fill_whole_arguments_without_a_shell():
    actuator = CommandActuator(("deploy", "--env={env}", "{percent}", "$(rm -rf /)"), "staging; echo pwned", 5.0)
    assert actuator.argv(50) == ["deploy", "--env=staging; echo pwned", "50", "$(rm -rf /)"]


async def test_script_advances_and_the_read_back_confirms(script_env, tmp_path):
    sim, clock = script_env
    async with make_client(sim.url, clock) as client:
        actuator = CommandActuator((SCRIPT, "{env}", "{percent}"), "staging", timeout_s=20.0)
        ctl = make_controller(client, clock, tmp_path, actuator=actuator)
        await ctl.refresh()
        result = await ctl.advance(Trigger.KEY)
        assert result.ok, result.message
        assert sim.state.canary_percent == 10 and sim.state.history[-1].actor == "canary-ramp.sh"
        output = [e.message for e in ctl.events if e.kind == "advance-output"]
        assert output and "✅ Canary updated to 10%" in output[0]
        # no external-change warning for our own command's change
        assert not [e for e in ctl.events if e.kind == "external-change"]
        rollback = await ctl.rollback(Trigger.KEY)
        assert rollback.ok and sim.state.canary_percent == 0
        assert [r["outcome"] for r in audit_records(ctl)][-2:] == ["attempt", "ok"]


async def test_nonzero_exit_fails_with_its_output(script_env, tmp_path, monkeypatch):
    sim, clock = script_env
    monkeypatch.setenv("FAKE_RAMP_EXIT", "3")
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, actuator=CommandActuator((SCRIPT, "{env}", "{percent}"), "staging", 20.0))
        await ctl.refresh()
        result = await ctl.advance(Trigger.KEY)
        assert not result.ok and "exited 3" in result.message
        assert any("Failed to update canary" in e.message for e in ctl.events)
        assert sim.state.canary_percent == 0
        assert audit_records(ctl)[-1]["outcome"] == "failed"


async def test_exit_zero_without_the_change_is_not_success(script_env, tmp_path, monkeypatch):
    sim, clock = script_env
    monkeypatch.setenv("FAKE_RAMP_LIE", "1")
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, actuator=CommandActuator((SCRIPT, "{env}", "{percent}"), "staging", 20.0))
        await ctl.refresh()
        result = await ctl.advance(Trigger.KEY)
        assert not result.ok and "not confirmed" in result.message and "read-back shows 0%" in result.message
        assert audit_records(ctl)[-1]["outcome"] == "unconfirmed"


async def test_timeout_kills_the_script(script_env, monkeypatch):
    monkeypatch.setenv("FAKE_RAMP_SLEEP", "30")
    actuator = CommandActuator((SCRIPT, "{env}", "{percent}"), "staging", timeout_s=0.5)
    with pytest.raises(ActuatorError) as info:
        await actuator.set_percent(10, None, None, "alice")
    assert "timed out after 0.5 s" in str(info.value) and "Setting canary to 10%" in info.value.output


async def test_missing_program_is_a_clear_error():
    with pytest.raises(ActuatorError, match="cannot run"):
        await CommandActuator(("/nonexistent/ramp", "{percent}"), "staging").set_percent(10, None, None, "a")


async def test_command_actuator_refuses_pause(script_env, tmp_path):
    sim, clock = script_env
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, actuator=CommandActuator((SCRIPT, "{env}", "{percent}"), "staging", 20.0))
        await ctl.refresh()
        result = await ctl.pause(Trigger.KEY)
        assert not result.ok and "cannot pause" in result.message
        assert not sim.state.paused


async def test_compare_and_set_is_checked_before_running_the_command(script_env, tmp_path):
    sim, clock = script_env
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, actuator=CommandActuator((SCRIPT, "{env}", "{percent}"), "staging", 20.0))
        await ctl.refresh()
        sim.state.set_canary(50, None, None, "", "bob@pager")
        result = await ctl.advance(Trigger.KEY)
        assert result.conflict and result.message == "changed by bob@pager to 50% — advance not sent"
        assert sim.state.canary_percent == 50 and len(sim.state.history) == 1


async def test_rollback_through_a_failing_script_retries_until_confirmed(script_env, tmp_path, monkeypatch):
    sim, clock = script_env
    sim.state.set_canary(50, None, None, "", "alice")
    monkeypatch.setenv("FAKE_RAMP_FAIL_FIRST", "2")
    monkeypatch.setenv("FAKE_RAMP_COUNTER", str(tmp_path / "runs"))
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, actuator=CommandActuator((SCRIPT, "{env}", "{percent}"), "staging", 20.0))
        await ctl.refresh()
        result = await ctl.rollback(Trigger.KEY)
        assert result.ok and "attempt 3" in result.message and sim.state.canary_percent == 0
        assert (tmp_path / "runs").read_text().strip() == "3"
        outcomes = [r["outcome"] for r in audit_records(ctl)]
        assert outcomes == ["attempt", "retry", "attempt", "retry", "attempt", "ok"]
        assert sum("run 1" in e.message or "run 2" in e.message for e in ctl.events if e.kind == "rollback-output") == 2


async def test_rollback_with_a_missing_program_fails_instead_of_looping(script_env, tmp_path):
    sim, clock = script_env
    sim.state.set_canary(10, None, None, "", "alice")
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, actuator=CommandActuator(("/nonexistent/ramp", "{percent}"), "staging", 5.0))
        await ctl.refresh()
        result = await ctl.rollback(Trigger.KEY)
        assert not result.ok and "cannot run" in result.message
        assert sim.state.canary_percent == 10
