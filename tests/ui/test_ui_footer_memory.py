"""The footer lets go of the keys it replaces: a dashboard open for hours recomposes it at each resize or keymap
change, and each kept key (with its styles and caches) would make every full garbage collection longer."""

from __future__ import annotations

import gc

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets._footer import FooterKey

from canary_tui.ui.widgets.fit_footer import FitFooter
from ui_builders import until

RECOMPOSES = 30


class _FooterApp(App[None]):
    """Four keys and a fitting footer that leaves one out, as a narrow terminal does."""

    BINDINGS = [Binding(key, f"bell_{key}", f"key {key}") for key in ("a", "b", "c", "d")]

    def compose(self) -> ComposeResult:
        yield FitFooter()

    def action_bell_a(self) -> None:
        """A key to show."""


def _live_footer_keys() -> int:
    """FooterKey objects still alive after a full collection."""
    gc.collect()
    return sum(isinstance(obj, FooterKey) for obj in gc.get_objects())


async def test_recomposing_the_footer_many_times_keeps_only_the_keys_on_show() -> None:
    app = _FooterApp()
    async with app.run_test(size=(80, 24)) as pilot:
        footer = app.query_one(FitFooter)
        await until(pilot, lambda: len(footer.query(FooterKey)) == 5)  # four keys and the palette's
        footer.fit(compact=False, palette=False, shed=frozenset({"bell_d"}))
        await until(pilot, lambda: [key.action for key in footer.query(FooterKey)] == ["bell_a", "bell_b", "bell_c", "bell_d"]
                    and not any(key.display for key in footer.query(FooterKey) if key.action == "bell_d"))
        shown = [key.action for key in footer.query(FooterKey) if key.display]
        assert shown == ["bell_a", "bell_b", "bell_c"]  # the shed key is left out of what the terminal shows
        before = _live_footer_keys()
        for _ in range(RECOMPOSES):
            old = {id(key) for key in footer.query(FooterKey)}
            footer.refresh(recompose=True)
            await until(pilot, lambda old=old: len(footer.query(FooterKey)) == 4 and not old & {id(key) for key in footer.query(FooterKey)})
        after = _live_footer_keys()
        # every recompose makes four new keys: kept, they would add 4 x RECOMPOSES
        assert after - before < 4, f"{after - before} footer keys kept alive by {RECOMPOSES} recomposes"
