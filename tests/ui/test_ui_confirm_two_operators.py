"""Confirmed actions act on what the operator saw (issue 12): two operators, the seeded simulator over real HTTP."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Label

from canary_tui.controller.model import Trigger
from canary_tui.ui.screens.confirm_advance import ConfirmAdvance, PercentInput
from two_operators import CANARY_VERSION, two_operators
from ui_builders import until


def _label(screen: ConfirmAdvance, selector: str) -> str:
    return str(screen.query_one(selector, Label).render())


async def test_a_stale_advance_dialog_turns_invalid_and_sends_nothing(simulator_factory, tmp_path) -> None:
    async with two_operators(simulator_factory, tmp_path) as ops:
        await ops.pilot.press("A")
        await until(ops.pilot, lambda: isinstance(ops.app.screen, ConfirmAdvance))
        dialog = ops.app.screen
        assert (dialog.from_percent, dialog.to_percent) == (10, 50)
        await ops.pilot.press("5", "0")
        rolled = await ops.ctl2.rollback(Trigger.KEY, note="operator 2 rolls back")
        assert rolled.ok and ops.sim.state.canary_percent == 0
        await until(ops.pilot, lambda: dialog.stale_reason is not None)  # operator 1's poll saw it
        assert "changed by oncall-2" in dialog.stale_reason and "10% → 0%" in dialog.stale_reason
        assert dialog.query_one("#advance", Button).disabled
        assert "oncall-2" in _label(dialog, "#stale")
        changes = len(ops.sim.state.history)
        await ops.pilot.press("enter")  # the typed 50 is still there: nothing is sent, the dialog says why
        await ops.pilot.pause(0.3)
        assert ops.app.screen is dialog and ops.sim.state.canary_percent == 0 and len(ops.sim.state.history) == changes
        assert "oncall-2" in _label(dialog, "#why")
        await ops.pilot.press("escape")
        await until(ops.pilot, lambda: not isinstance(ops.app.screen, ConfirmAdvance))
        assert ops.sim.state.canary_percent == 0
        assert not [r for r in ops.audit1() if r.get("action") == "advance"]


@pytest.mark.parametrize(("move", "said", "server"), [
    ("rollback", "changed by oncall-2 to 0%", (0, False)),
    ("pause", "paused by oncall-2 at 10%", (10, True)),  # the server compares the share only: a fresh read catches this
])
async def test_a_confirm_racing_another_operators_change_is_refused_and_sends_nothing(simulator_factory, tmp_path, move, said, server) -> None:
    # operator 1's dashboard does not poll: it confirms before it could have seen operator 2's change
    async with two_operators(simulator_factory, tmp_path, poll=False) as ops:
        await ops.pilot.press("A")
        await until(ops.pilot, lambda: isinstance(ops.app.screen, ConfirmAdvance))
        await ops.pilot.press("5", "0")
        assert (await getattr(ops.ctl2, move)(Trigger.KEY)).ok
        changes = len(ops.sim.state.history)
        await ops.pilot.press("enter")
        await until(ops.pilot, lambda: any("advance not sent" in n for n in ops.notices()))
        assert any(said in n for n in ops.notices() if "advance not sent" in n)
        assert (ops.sim.state.canary_percent, ops.sim.state.paused, len(ops.sim.state.history)) == (*server, changes)
        assert [r["outcome"] for r in ops.audit1() if r.get("action") == "advance"] == ["attempt", "conflict"]


async def test_override_reaches_the_audit_and_the_server_note_with_the_unmet_gates(simulator_factory, tmp_path) -> None:
    async with two_operators(simulator_factory, tmp_path) as ops:
        await ops.pilot.press("A")
        await until(ops.pilot, lambda: isinstance(ops.app.screen, ConfirmAdvance))
        assert ops.app.screen.needs_override  # the 1 h bake is not done
        await ops.pilot.press("5", "0", "enter")
        await until(ops.pilot, lambda: ops.sim.state.canary_percent == 50)
        assert "(override)" in (ops.sim.state.history[-1].note or "")
        done = [r for r in ops.audit1() if r.get("action") == "advance" and r.get("outcome") == "ok"]
        assert done and done[-1]["override"] is True
        gates = done[-1]["gates"]
        assert isinstance(gates, list) and any(str(g).startswith("bake") for g in gates)


async def test_typed_digits_land_in_the_field_and_enter_on_a_wrong_value_says_why(simulator_factory, tmp_path) -> None:
    async with two_operators(simulator_factory, tmp_path) as ops:
        await ops.pilot.press("A")
        await until(ops.pilot, lambda: isinstance(ops.app.screen, ConfirmAdvance))
        dialog = ops.app.screen
        field = dialog.query_one("#override", PercentInput)
        assert dialog.focused is field
        await ops.pilot.press("enter")
        assert "type 50" in _label(dialog, "#why") and ops.app.screen is dialog
        await ops.pilot.press("5", "enter")
        assert field.value == "5" and "5 is not the target" in _label(dialog, "#why")
        await ops.pilot.pause(0.2)
        assert ops.sim.state.canary_percent == 10 and ops.app.screen is dialog
        await ops.pilot.press("escape")
        await until(ops.pilot, lambda: not isinstance(ops.app.screen, ConfirmAdvance))
        assert ops.sim.state.history == []


async def test_preflight_at_zero_passes_on_a_healthy_stable_and_a_checkpoint(simulator_factory, tmp_path) -> None:
    async with two_operators(simulator_factory, tmp_path, initial_percent=0, speed=50.0) as ops:
        await ops.pilot.press("A")
        await until(ops.pilot, lambda: isinstance(ops.app.screen, ConfirmAdvance))
        dialog = ops.app.screen
        assert dialog.view.preflight and (dialog.from_percent, dialog.to_percent) == (0, 10)
        assert {g.name for g in dialog.view.gates} == {"heartbeat", "stable health", "not paused", "checkpoint"}
        await until(ops.pilot, lambda: all(g.status == "pass" for g in dialog.view.gates), timeout_s=15.0)
        assert not dialog.needs_override and dialog.focused is dialog.query_one("#cancel", Button)
        await ops.pilot.click("#advance")
        await until(ops.pilot, lambda: ops.sim.state.canary_percent == 10)
        done = [r for r in ops.audit1() if r.get("action") == "advance" and r.get("outcome") == "ok"]
        assert done and "override" not in done[-1]
        assert "(override)" not in (ops.sim.state.history[-1].note or "")


async def test_preflight_offers_the_missing_checkpoint_and_re_evaluates(simulator_factory, tmp_path) -> None:
    async with two_operators(simulator_factory, tmp_path, initial_percent=0, checkpoint=False) as ops:
        await ops.pilot.press("A")
        await until(ops.pilot, lambda: isinstance(ops.app.screen, ConfirmAdvance))
        dialog = ops.app.screen
        assert dialog.view.missing_checkpoint_for == CANARY_VERSION and dialog.needs_override
        assert any(g.name == "checkpoint" and g.status == "fail" for g in dialog.view.gates)
        create = dialog.query_one("#create-checkpoint", Button)
        assert create.display
        await ops.pilot.click("#create-checkpoint")
        await until(ops.pilot, lambda: len(ops.sim.state.checkpoints) == 1)
        await until(ops.pilot, lambda: dialog.view.missing_checkpoint_for is None)
        assert any(g.name == "checkpoint" and g.status == "pass" for g in dialog.view.gates)
        assert not create.display
        assert ops.sim.state.canary_percent == 0  # creating the checkpoint never moves the ramp


async def test_a_pipeline_hold_offers_its_own_override_typed_as_the_targets_name(simulator_factory, tmp_path) -> None:
    from textual.widgets import Input

    from canary_tui.ui.screens.confirm_pipeline import ConfirmPipelineOverride

    async def staging_not_done(version, from_percent, to_percent):
        return f"staging has not completed {version}: staging at 50%"

    async with two_operators(simulator_factory, tmp_path) as ops:
        ops.ctl1.advance_guard = staging_not_done
        await ops.pilot.press("A")
        await until(ops.pilot, lambda: isinstance(ops.app.screen, ConfirmAdvance))
        await ops.pilot.press("5", "0", "enter")  # the gates' override: the bake is not done
        await until(ops.pilot, lambda: isinstance(ops.app.screen, ConfirmPipelineOverride))
        dialog = ops.app.screen
        assert "staging has not completed v0.5.0" in str(dialog.query_one("#reason", Label).render())
        assert ops.sim.state.canary_percent == 10  # held: nothing sent yet
        await ops.pilot.press("n", "o", "p", "e", "enter")
        assert ops.app.screen is dialog and "exactly" in str(dialog.query_one("#why", Label).render())
        dialog.query_one("#name", Input).value = dialog.target
        await ops.pilot.press("enter")
        await until(ops.pilot, lambda: ops.sim.state.canary_percent == 50)
        done = [r for r in ops.audit1() if r.get("action") == "advance" and r.get("outcome") == "ok"]
        assert done and done[-1]["override"] is True and "staging has not completed" in str(done[-1]["pipeline_override"])


async def test_a_pipeline_hold_cancelled_sends_nothing(simulator_factory, tmp_path) -> None:
    from canary_tui.ui.screens.confirm_pipeline import ConfirmPipelineOverride

    async def staging_not_done(version, from_percent, to_percent):
        return "staging has not completed v0.5.0: staging at 50%"

    async with two_operators(simulator_factory, tmp_path) as ops:
        ops.ctl1.advance_guard = staging_not_done
        await ops.pilot.press("A")
        await until(ops.pilot, lambda: isinstance(ops.app.screen, ConfirmAdvance))
        await ops.pilot.press("5", "0", "enter")
        await until(ops.pilot, lambda: isinstance(ops.app.screen, ConfirmPipelineOverride))
        await ops.pilot.press("escape")
        await until(ops.pilot, lambda: not isinstance(ops.app.screen, ConfirmPipelineOverride))
        await ops.pilot.pause(0.2)
        assert ops.sim.state.canary_percent == 10 and not [r for r in ops.audit1() if r.get("action") == "advance" and r.get("outcome") == "ok"]
