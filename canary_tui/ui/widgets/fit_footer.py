"""A footer that leaves out some actions' keys so the rest fit a narrow terminal whole (the keys still work).

A key that only dims or lights (an action starts or ends) changes in place: rebuilding every key at each action
cost tens of milliseconds and most of the garbage a busy dashboard makes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import groupby

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

#: per key on show: (key, key display, description, tooltip, action); what a recompose is needed for
_Layout = tuple[tuple[str, str, str, str, str], ...]
#: the command palette's key: always compact, as Textual's footer makes it
PALETTE_CLASS = "-command-palette"


class FitKey(FooterKey):
    """A footer key that dims and lights in place; a click runs it only while it is lit."""

    def __init__(self, binding: Binding, key_display: str, description: str, *, enabled: bool, tooltip: str, compact: bool, classes: str = "") -> None:
        super().__init__(binding.key, key_display, description, binding.action, disabled=not enabled, tooltip=tooltip, classes=classes)
        self.set_reactive(FooterKey.compact, compact)
        self.set_class(compact, "-compact")

    def light(self, enabled: bool) -> None:
        """Show the key as available (lit) or not (dimmed)."""
        self.set_class(not enabled, "-disabled")

    @on(events.MouseDown)
    def _press(self, event: events.MouseDown) -> None:
        """Press the key if it is lit now (FooterKey's own handler reads the state it was made with)."""
        event.prevent_default()
        if self.has_class("-disabled"):
            self.app.bell()
        else:
            self.app.simulate_key(self.key)


def _all_dimmed(keys: Iterable[FitKey]) -> bool:
    """Whether none of a group's keys is lit (its word then dims with them)."""
    return all(key.has_class("-disabled") for key in keys)


class FitFooter(Footer):
    """Textual's footer without the keys of the actions in `shed`; with nothing shed it is the plain footer."""

    DEFAULT_CSS = """
    FitFooter FooterLabel.-disabled { text-style: dim; }
    """

    shed: reactive[frozenset[str]] = reactive(frozenset(), recompose=True)

    _bindings_seen = False  # the screen's bindings are known: until then there are no keys to compose
    _layout: tuple[object, ...] | None = None  # what the keys on show were composed from

    def _bindings_on_show(self) -> dict[str, list[tuple[Binding, bool, str]]]:
        """Per action, the screen's bindings shown in a footer with whether each is enabled and its tooltip."""
        by_action: defaultdict[str, list[tuple[Binding, bool, str]]] = defaultdict(list)
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                by_action[binding.action].append((binding, enabled, tooltip))
        return by_action

    def _layout_now(self, by_action: dict[str, list[tuple[Binding, bool, str]]] | None = None) -> tuple[object, ...]:
        """What the keys' widgets depend on: each shown action's first binding as displayed; shed; palette (not the dimming)."""
        keys: _Layout = tuple(
            (binding.key, self.app.get_key_display(binding), binding.description, tooltip, action)
            for action, ((binding, _enabled, tooltip), *_others) in (self._bindings_on_show() if by_action is None else by_action).items()
        )
        return (keys, self.shed, self.show_command_palette)

    def bindings_changed(self, screen: Screen) -> None:
        """Dim and light keys in place; recompose only when a key comes, goes or reads otherwise."""
        self._bindings_seen = True
        if not self.is_attached or screen is not self.screen:
            return
        # after the next refresh, as Textual's footer recomposes: what the action started (a POST) goes out first
        if self._layout is not None and self._layout_now() == self._layout:
            self.call_after_refresh(self._light_keys)
        elif screen.app.app_focus:  # as Textual's footer: an unfocused app has no focused widget, so fewer keys
            self.call_after_refresh(self.recompose)

    def _light_keys(self) -> None:
        """Dim or light each key on show as its screen's bindings say now (none once the footer has left its screen)."""
        if not self.is_attached:
            return
        active = self.screen.active_bindings
        for key in self.query(FitKey):
            found = active.get(key.key)
            if found is not None:
                key.light(found.enabled)
        self._dim_group_labels()

    def _dim_group_labels(self) -> None:
        """A group's word (ROLLBACK for R and ^r) dims with its keys: none of them lit, nothing under it reads as ready."""
        group: KeyGroup | None = None
        for child in self.children:
            if isinstance(child, KeyGroup):
                group = child
            elif isinstance(child, FooterLabel) and group is not None:
                child.set_class(_all_dimmed(group.query(FitKey)), "-disabled")
                group = None

    def watch_compact(self, compact: bool) -> None:
        """Every key but the palette's follows the footer's compactness, as in Textual's footer (set here, not bound: see compose)."""
        for key in self.query(FitKey):
            if not key.has_class(PALETTE_CLASS):
                key.compact = compact

    def compose(self) -> ComposeResult:
        """The footer's keys as Textual's footer lays them out, less the shed ones (the help screen lists every key).

        Keys are not data-bound to the footer's `compact`: Textual keeps a bound widget alive until `compact` changes
        (textual#6666), so each recompose would have kept the old keys and their styles for good.
        """
        self._layout = None
        if not self._bindings_seen or not self.is_attached:
            return
        by_action = self._bindings_on_show()
        layout = self._layout_now(by_action)
        for group, runs in groupby(by_action.values(), lambda bindings: bindings[0][0].group):
            same_group = list(runs)
            if group is not None and len(same_group) > 1:
                keys = [self._key(binding, "", enabled, tooltip or binding.description, "-grouped")
                        for (binding, enabled, tooltip), *_others in same_group]
                with KeyGroup(classes="-compact" if group.compact else ""):
                    yield from keys
                yield FooterLabel(group.description, classes="-disabled" if _all_dimmed(keys) else "")  # dims with its keys
            else:
                for bindings in same_group:
                    binding, enabled, tooltip = bindings[0]
                    yield self._key(binding, binding.description, enabled, tooltip)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                binding = palette.binding
                yield self._key(binding, binding.description, palette.enabled, binding.tooltip or binding.description, PALETTE_CLASS)
        self._layout = layout

    def _key(self, binding: Binding, description: str, enabled: bool, tooltip: str, classes: str = "") -> FitKey:
        """One key; a shed one is mounted but not shown, so that `shed` alone decides what the terminal shows."""
        compact = True if classes == PALETTE_CLASS else self.compact
        key = FitKey(binding, self.app.get_key_display(binding), description, enabled=enabled, tooltip=tooltip, compact=compact, classes=classes)
        if binding.action in self.shed:
            key.display = False
        return key

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
#: (tests/ui/test_ui_fleet_drill_down.py, tests/ui/test_ui_footer_resize.py); the keys left out still work and the help (?) lists them
OVERVIEW_SHED: tuple[tuple[int, frozenset[str]], ...] = (
    (90, frozenset({"next_theme"})),
    (82, frozenset({"help"})),
)
#: the single dashboard: with P as Resume its keys need 81 columns, so t goes first below 82 (it still works)
DASHBOARD_SHED: tuple[tuple[int, frozenset[str]], ...] = (
    (82, frozenset({"next_theme"})),
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
