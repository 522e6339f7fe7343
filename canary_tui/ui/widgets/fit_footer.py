"""A footer that leaves out some actions' keys so the rest fit a narrow terminal whole (the keys still work)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class FitFooter(Footer):
    """Textual's footer without the keys of the actions in `shed`; with nothing shed it is the plain footer."""

    shed: reactive[frozenset[str]] = reactive(frozenset(), recompose=True)

    _drawn: tuple[object, ...] | None = None  # what the keys on show were composed from

    def _to_draw(self) -> tuple[object, ...]:
        """What the keys to show depend on: each shown action's first binding, its key display and availability."""
        seen: dict[str, tuple[object, ...]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.show and binding.action not in seen:
                seen[binding.action] = (binding.key, self.app.get_key_display(binding), binding.description, active.enabled, active.tooltip)
        return (tuple(seen.items()), self.shed, self.compact, self.show_command_palette)

    def bindings_changed(self, screen: Screen) -> None:
        """Recompose only when a key would look different: a remount of every key costs tens of milliseconds."""
        if self._drawn is not None and self.is_attached and screen is self.screen and self._to_draw() == self._drawn:
            return
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        """The footer's keys, less the shed ones (the help screen still lists every key)."""
        drawn = self._to_draw() if self.is_attached else None
        self._drawn = None  # until keys are composed (before the bindings are ready, none are)
        for widget in super().compose():
            self._drawn = drawn
            if isinstance(widget, FooterKey) and widget.action in self.shed:
                # mounted but not shown: a key never mounted would stay bound to `compact` for good (see recompose)
                widget.display = False
            yield widget

    async def recompose(self) -> None:
        """Recompose, then let go of the old keys.

        Each FooterKey binds to the footer's `compact`; Textual drops a closed widget's binding only when `compact`
        changes (textual#6666), so without this every recompose kept the old keys and their styles alive for good.
        """
        await super().recompose()
        self.mutate_reactive(Footer.compact)

    def stale_keys(self) -> bool:
        """Whether a key on show is dimmed or lit otherwise than its screen's bindings say now, or is gone from them."""
        enabled: dict[str, bool] = {}
        for active in self.screen.active_bindings.values():
            enabled.setdefault(active.binding.action, active.enabled)
        return any(key.action not in enabled or key.has_class("-disabled") == enabled[key.action] for key in self.query(FooterKey))

    def fit(self, *, compact: bool, palette: bool, shed: frozenset[str] = frozenset()) -> None:
        """Set compactness, the palette hint and what to leave out, in one go.

        Footer reads `show_command_palette` only when it composes (the reactive does not recompose): a change of it
        after the first compose recomposes here, so a terminal resized narrower drops the hint instead of clipping keys.
        """
        palette_changed = palette != self.show_command_palette
        self.compact = compact
        self.show_command_palette = palette
        if shed != self.shed:
            self.shed = shed  # recomposes (the palette hint with it)
        elif palette_changed and self.is_attached:
            self.refresh(recompose=True)


#: (below this many columns, leave out these actions' keys): measured with the default keys (P as the longer Resume) so every key shown is whole
#: (tests/ui/test_ui_fleet_footer.py); the keys left out still work and the help (?) lists them
OVERVIEW_SHED: tuple[tuple[int, frozenset[str]], ...] = (
    (90, frozenset({"next_theme"})),
    (82, frozenset({"help"})),
)
#: the drill-down has Escape and Freeze too: X goes first (it still works there), then t and ?
DRILL_DOWN_SHED: tuple[tuple[int, frozenset[str]], ...] = (
    (131, frozenset({"rollback_all"})),
    (94, frozenset({"next_theme"})),
    (86, frozenset({"help"})),
)


def shed_at(width: int, rules: tuple[tuple[int, frozenset[str]], ...]) -> frozenset[str]:
    """The actions a footer leaves out at `width` columns under `rules`."""
    return frozenset().union(*(actions for below, actions in rules if width < below))
