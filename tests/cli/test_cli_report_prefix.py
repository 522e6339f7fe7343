"""The CLI's failure line names the action once ("rollback failed: rollback failed: …" was issue 12)."""

from __future__ import annotations

import argparse

from canary_tui.commands.actions import report
from canary_tui.controller.model import ActionResult


def test_a_message_that_names_its_action_is_not_prefixed_again(capsys) -> None:
    report(argparse.Namespace(json=False), "sim", ActionResult("rollback", False, "rollback failed: unauthorized: 401"), "")
    assert capsys.readouterr().err == "canary-tui: rollback failed: unauthorized: 401\n"


def test_a_bare_reason_gets_the_action_and_outcome(capsys) -> None:
    report(argparse.Namespace(json=False), "sim", ActionResult("advance", False, "changed by oncall-2 to 0% — advance not sent", conflict=True), "")
    assert capsys.readouterr().err == "canary-tui: advance refused: changed by oncall-2 to 0% — advance not sent\n"
