"""The footer follows the terminal's width after a resize, as it does at start: narrower drops the palette hint, wider brings it back."""

from __future__ import annotations

from pathlib import Path

import pytest

from textual.widgets._footer import FooterKey

from canary_tui.ui.app import CanaryApp
from canary_tui.ui.widgets.fit_footer import FitFooter
from ui_builders import FakeController, snapshot, until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"


def _footer_keys(app: CanaryApp) -> tuple[bool, list[str]]:
    """(whether the palette hint is on show, the actions whose keys are on show)."""
    keys = list(app.screen.query_one(FitFooter).query(FooterKey))
    return any(k.has_class("-command-palette") for k in keys), [k.action for k in keys if not k.has_class("-command-palette")]


async def test_a_terminal_made_narrow_drops_the_palette_hint_and_keeps_every_key_whole() -> None:
    app = CanaryApp(FakeController(snapshot("healthy")), poll=False, theme_dirs=[BUNDLED])
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: _footer_keys(app)[0])
        _, wide_keys = _footer_keys(app)
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: not _footer_keys(app)[0])
        assert _footer_keys(app)[1] == wide_keys  # the same keys (t only hidden below 82 columns: it still works)
        keys = [k for k in app.screen.query_one(FitFooter).query(FooterKey) if k.display]
        assert "next_theme" not in {k.action for k in keys}
        assert max(k.region.right for k in keys) <= 80  # all whole on screen
        await pilot.resize_terminal(160, 48)
        await until(pilot, lambda: _footer_keys(app)[0])


@pytest.mark.parametrize("width", [80, 81, 82, 100, 120])
@pytest.mark.parametrize("kind", ["healthy", "paused"])
async def test_every_key_the_dashboard_footer_shows_is_whole(width: int, kind: str) -> None:
    """Paused, P reads Resume (one column longer): no key is cut at any width, t left out where it would not fit."""
    app = CanaryApp(FakeController(snapshot(kind)), poll=False, theme_dirs=[BUNDLED])
    async with app.run_test(size=(width, 24)) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        await pilot.pause()
        footer = app.screen.query_one(FitFooter)
        keys = [k for k in footer.query(FooterKey) if k.display]
        right = min([footer.region.right, *(k.region.x for k in keys if k.has_class("-command-palette"))])
        assert [k.description or k.key for k in keys if not k.has_class("-command-palette") and k.region.right > right] == []
        assert ("next_theme" in {k.action for k in keys}) is (width >= 82)
        assert {"advance", "rollback('rollback')", "quit"} <= {k.action for k in keys} or width < 80
