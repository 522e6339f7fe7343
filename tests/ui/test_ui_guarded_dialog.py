"""A confirm dialog handed a newer state before its widgets exist follows it once they do (no crash, no lost change)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual.widgets import Button, Label

from canary_tui.ui import presenter
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.screens.confirm_advance import ConfirmAdvance
from ui_builders import FakeController, snapshot, until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"


async def test_a_change_handed_over_before_the_dialog_is_mounted_turns_it_invalid_once_it_is() -> None:
    """A snapshot can land between push_screen and the dialog's mount: it used to query widgets not yet composed."""
    controller = FakeController(snapshot("eligible"))
    app = CanaryApp(controller, poll=False, theme_dirs=[BUNDLED])
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        view = presenter.advance_view(app.snapshot)
        assert view is not None and view.seen.percent is not None
        dialog = ConfirmAdvance(environment="staging", view=view)
        dialog.follow(replace(view.seen, percent=view.seen.percent + 40, updated_by="bob@example"))
        assert dialog.stale_reason is None  # not yet: nothing on screen to say it
        app.push_screen(dialog)
        await until(pilot, lambda: dialog.stale_reason is not None)
        await pilot.pause()
        assert "changed by bob@example" in dialog.stale_reason
        assert dialog.query_one("#stale", Label).display and dialog.query_one("#advance", Button).disabled
        assert not app.crashed
