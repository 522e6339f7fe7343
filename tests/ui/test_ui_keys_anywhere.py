"""The always-working rollback key (ctrl+r by default): text fields, dialogs and the command palette never swallow it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from canary_tui.controller.model import Trigger
from canary_tui.core.actions import ACTIONS
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.screens.checkpoint_note import CheckpointNote
from canary_tui.ui.screens.confirm_advance import ConfirmAdvance
from canary_tui.ui.screens.help_screen import HelpScreen
from ui_builders import FakeController, snapshot, until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
SIZE = (120, 40)


def make_app(kind: str = "healthy", **kwargs) -> tuple[CanaryApp, FakeController]:
    controller = FakeController(snapshot(kind))
    kwargs.setdefault("theme_dirs", [BUNDLED])
    return CanaryApp(controller, **kwargs), controller


def rollback_notes(controller: FakeController) -> list[str]:
    return [kwargs["note"] for name, kwargs in controller.calls if name == "rollback"]


async def open_palette(app: CanaryApp, pilot) -> None:
    await pilot.press("ctrl+p")
    await until(pilot, lambda: type(app.screen).__name__ == "CommandPalette")


async def test_ctrl_r_rolls_back_from_inside_the_checkpoint_note_field() -> None:
    app, controller = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CheckpointNote))
        field = app.screen.query_one("#note", Input)
        assert app.screen.focused is field
        await pilot.press(*"pre-R")  # R types a letter here: it is a text field
        assert field.value == "pre-R" and rollback_notes(controller) == []
        await pilot.press("ctrl+r")
        await until(pilot, lambda: rollback_notes(controller) == ["emergency rollback (ctrl+r)"])
        assert field.value == "pre-R"  # nothing typed by ctrl+r
        assert [name for name, _ in controller.calls] == ["rollback"] and controller.calls[0][1]["trigger"] == Trigger.KEY


async def test_ctrl_r_rolls_back_from_the_open_command_palette() -> None:
    app, controller = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_palette(app, pilot)
        await pilot.press(*"Refresh")  # R types into the palette's search field
        await pilot.pause()
        assert rollback_notes(controller) == []
        await pilot.press("ctrl+r")
        await until(pilot, lambda: rollback_notes(controller) == ["emergency rollback (ctrl+r)"])


async def test_ctrl_r_rolls_back_from_the_confirm_dialogs_percent_field() -> None:
    app, controller = make_app("critical")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdvance))
        app.screen.query_one("#override", Input).focus()
        await pilot.press("5")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: rollback_notes(controller) == ["emergency rollback (ctrl+r)"])
        assert "advance" not in [name for name, _ in controller.calls]


async def test_R_and_the_palette_name_themselves_in_the_note() -> None:
    app, controller = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await until(pilot, lambda: rollback_notes(controller) == ["emergency rollback (R)"])
        await until(pilot, lambda: not app.in_flight)
        await open_palette(app, pilot)
        await pilot.press(*"emergency rollback")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: rollback_notes(controller)[-1:] == ["emergency rollback (command palette)"])


async def test_the_always_working_key_is_remappable_and_the_note_follows() -> None:
    app, controller = make_app(keymap={"rollback_anywhere": "f12"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CheckpointNote))
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert rollback_notes(controller) == []
        await pilot.press("f12")
        await until(pilot, lambda: rollback_notes(controller) == ["emergency rollback (f12)"])


async def test_a_keymap_entry_that_would_type_is_refused_and_ctrl_r_stays() -> None:
    app, controller = make_app(keymap={"rollback_anywhere": "x", "nonsense": "y"})
    async with app.run_test(size=SIZE) as pilot:
        assert app.action_keys["rollback_anywhere"] == ("ctrl+r",)
        problems = " ".join(app.keymap_problems)
        assert "keymap.rollback_anywhere: 'x' types" in problems and "keymap.nonsense: unknown action id" in problems
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CheckpointNote))
        await pilot.press("ctrl+r")
        await until(pilot, lambda: rollback_notes(controller) == ["emergency rollback (ctrl+r)"])


async def test_the_footer_shows_both_rollback_keys() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        await pilot.pause()
        shown = {binding.id: binding.key for _, binding, enabled, _ in app.screen.active_bindings.values() if binding.show and enabled}
        assert shown["rollback"] == "R" and shown["rollback_anywhere"] == "ctrl+r"
        texts = [str(widget.render()) for widget in app.query("Footer FooterKey, Footer FooterLabel")]
        assert texts[texts.index("R") : texts.index("R") + 3] == ["R", "^r", "ROLLBACK"]


async def test_read_only_dims_and_refuses_the_always_working_key_too() -> None:
    app, controller = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert controller.calls == []
        shown = {binding.id: enabled for _, binding, enabled, _ in app.screen.active_bindings.values()}
        assert shown.get("rollback_anywhere") is False and shown.get("rollback") is False  # on show, dimmed


async def test_help_lists_every_registry_entry_with_the_keys_in_force() -> None:
    app, _ = make_app(keymap={"rollback_anywhere": "f12"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = app.screen.rows
        assert [description for _, description, _ in rows] == list(dict.fromkeys(spec.description for spec in ACTIONS))
        assert ("q, ^c", "quit; never touches the ramp", "") in rows  # two ids, one row
        by_description = {description: key for key, description, _ in rows}
        anywhere = next(spec for spec in ACTIONS if spec.id == "rollback_anywhere")
        assert by_description[anywhere.description] == "f12"
        assert any("f12 rolls back from anywhere" in note for note in app.screen.notes)


async def test_the_palette_lists_the_registry_titles_with_their_keys() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_palette(app, pilot)
        await pilot.press(*"emergency")
        await pilot.pause(0.3)
        line = str(app.screen.query_one("CommandList").render_line(0).text)
        assert "Emergency rollback to 0%" in line
