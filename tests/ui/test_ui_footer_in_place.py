"""A key that only dims or lights changes in place (no new widgets, no garbage), and a click follows what it shows now."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding

from canary_tui.ui.widgets.fit_footer import FitFooter, FitKey
from ui_builders import until


class _GateApp(App[None]):
    """Two keys; `b` is available only while the gate is open."""

    BINDINGS = [Binding("a", "press_a", "key a"), Binding("b", "press_b", "key b")]

    def __init__(self) -> None:
        super().__init__()
        self.gate_open = False
        self.pressed: list[str] = []

    def compose(self) -> ComposeResult:
        yield FitFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`b` is shown dimmed while the gate is closed (None dims a key, False would hide it)."""
        return None if action == "press_b" and not self.gate_open else True

    def action_press_a(self) -> None:
        self.pressed.append("a")

    def action_press_b(self) -> None:
        self.pressed.append("b")

    def open_gate(self, gate_open: bool) -> None:
        self.gate_open = gate_open
        self.refresh_bindings()


def _key(app: _GateApp, action: str) -> FitKey:
    return next(key for key in app.query(FitKey) if key.action == action)


async def test_dimming_and_lighting_keeps_the_same_keys_and_a_click_follows_the_lit_state() -> None:
    app = _GateApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.query(FitKey)) == 3)  # a, b and the palette's
        before = {id(key) for key in app.query(FitKey)}
        assert _key(app, "press_b").has_class("-disabled")
        await pilot.click(_key(app, "press_b"))
        assert app.pressed == []  # dimmed: a click rings the bell and runs nothing

        app.open_gate(True)
        await until(pilot, lambda: not _key(app, "press_b").has_class("-disabled"))
        assert {id(key) for key in app.query(FitKey)} == before  # lit in place, not recomposed
        await pilot.click(_key(app, "press_b"))
        await until(pilot, lambda: app.pressed == ["b"])  # made dimmed, lit since: the click runs it

        app.open_gate(False)
        await until(pilot, lambda: _key(app, "press_b").has_class("-disabled"))
        assert {id(key) for key in app.query(FitKey)} == before
        await pilot.click(_key(app, "press_b"))
        await pilot.click(_key(app, "press_a"))
        await until(pilot, lambda: app.pressed == ["b", "a"])  # b dimmed again: only a ran


async def test_a_compactness_change_reaches_every_key_but_the_palettes() -> None:
    app = _GateApp()
    async with app.run_test(size=(80, 24)) as pilot:
        footer = app.query_one(FitFooter)
        await until(pilot, lambda: len(app.query(FitKey)) == 3)
        footer.fit(compact=True, palette=True)
        await until(pilot, lambda: _key(app, "press_a").compact and _key(app, "press_b").has_class("-compact"))
        footer.fit(compact=False, palette=True)
        await until(pilot, lambda: not _key(app, "press_a").compact and not _key(app, "press_b").has_class("-compact"))
        palette = next(key for key in app.query(FitKey) if key.has_class("-command-palette"))
        assert palette.compact  # as Textual's footer draws it


class _GroupApp(_GateApp):
    """`b` and `c` under one group word, both available only while the gate is open."""

    BINDINGS = [Binding("a", "press_a", "key a")] + [
        Binding(key, f"press_{key}", key.upper(), group=Binding.Group("BOTH")) for key in ("b", "c")
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action in ("press_b", "press_c") and not self.gate_open else True


async def test_a_group_word_dims_with_its_keys() -> None:
    """ROLLBACK over R and ^r must not read as ready while both keys are dimmed, at start and after a change."""
    from textual.widgets._footer import FooterLabel

    app = _GroupApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.query(FooterLabel)) == 1)
        word = app.query_one(FooterLabel)
        assert word.has_class("-disabled")
        app.open_gate(True)
        await until(pilot, lambda: not word.has_class("-disabled"))
        assert app.query_one(FooterLabel) is word  # lit in place
        app.open_gate(False)
        await until(pilot, lambda: word.has_class("-disabled"))
