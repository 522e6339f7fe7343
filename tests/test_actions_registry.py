"""The action registry: defaults that hold together, keymap checks that name the entry, and the README's keys table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from canary_tui.core.actions import ACTIONS, BY_ID, MUTATING_ACTIONS, key_problem, keymap_problems, keys_table_markdown, resolve_keys, types_or_edits

README = Path(__file__).resolve().parent.parent / "README.md"


def test_ids_are_unique_and_the_defaults_hold_together() -> None:
    assert len(BY_ID) == len(ACTIONS)
    assert keymap_problems({}) == []
    assert all(key_problem(key) is None for spec in ACTIONS for key in spec.keys)


def test_the_mutating_actions_are_the_four_that_touch_the_deployment() -> None:
    assert MUTATING_ACTIONS == {"advance", "toggle_pause", "rollback", "checkpoint"}


def test_rollback_has_R_and_an_always_working_second_key() -> None:
    assert BY_ID["rollback"].keys == ("R",)
    anywhere = BY_ID["rollback_anywhere"]
    assert anywhere.action == "rollback" and anywhere.keys == ("ctrl+r",) and anywhere.anywhere and anywhere.priority and anywhere.footer
    assert not types_or_edits("ctrl+r")


@pytest.mark.parametrize(
    ("keymap", "binding_id", "says"),
    [
        ({"rollbak": "X"}, "rollbak", "did you mean 'rollback'"),
        ({"frobnicate": "X"}, "frobnicate", "expected one of: advance"),
        ({"rollback": "ctlr+r"}, "rollback", "unknown modifier 'ctlr'"),
        ({"rollback": "ctrl r"}, "rollback", "'ctrl r' has a space"),
        ({"advance": "bogus"}, "advance", "unknown key 'bogus'"),
        ({"advance": ""}, "advance", "expected a key"),
        ({"advance": 5}, "advance", "expected a key"),
        ({"advance": "A,"}, "advance", "an empty key"),
        ({"rollback_anywhere": "x"}, "rollback_anywhere", "'x' types or edits in a text field"),
        ({"rollback_anywhere": "enter"}, "rollback_anywhere", "'enter' types or edits"),
        ({"rollback_anywhere": "shift+tab"}, "rollback_anywhere", "'shift+tab' types or edits"),
        ({"advance": "ctrl+r"}, "advance", "'ctrl+r' is already the key of 'rollback_anywhere'"),
        ({"advance": "?"}, "advance", "'?' is already the key of 'help'"),
        ({"help": "A"}, "help", "'A' is already the key of 'advance'"),
        ({"command_palette": "ctrl+o"}, "command_palette", "cannot be remapped"),
    ],
)
def test_a_bad_keymap_entry_names_its_id_and_says_why(keymap: dict, binding_id: str, says: str) -> None:
    problems = keymap_problems(keymap)
    assert [pid for pid, _ in problems] == [binding_id]
    assert says in problems[0][1]


@pytest.mark.parametrize(
    "keymap",
    [{"rollback": "X"}, {"rollback_anywhere": "f12"}, {"rollback_anywhere": "alt+r"}, {"rollback": "ctrl+r, R"}, {"help": "?"}, {"help": "question_mark,f1"}, {"advance": "A,ctrl+a"}],
)
def test_good_keymaps_pass(keymap: dict) -> None:
    assert keymap_problems(keymap) == []


def test_resolve_keys_replaces_only_what_the_keymap_names() -> None:
    keys = resolve_keys({"rollback_anywhere": "f12, ctrl+r"})
    assert keys["rollback_anywhere"] == ("f12", "ctrl+r")
    assert keys["rollback"] == ("R",) and keys["advance"] == ("A",)


def test_readme_keys_table_is_the_registry() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- keys-table:[^>]*-->\n(.*?)\n<!-- /keys-table -->", text, re.DOTALL)
    assert found, "README.md has no keys table between <!-- keys-table: ... --> and <!-- /keys-table -->"
    assert found.group(1) == keys_table_markdown(), "README keys table differs from canary_tui/core/actions.py; paste keys_table_markdown()"


def test_the_readme_table_lists_every_action_and_the_always_working_key() -> None:
    table = keys_table_markdown()
    assert all(f"`{spec.id}`" in table for spec in ACTIONS if spec.remappable)
    assert "`ctrl+r` | `rollback_anywhere`" in table
