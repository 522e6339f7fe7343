"""The chart's ANSI → strips converter draws exactly what rich's Text.from_ansi would (cell by cell)."""

from __future__ import annotations

import random

import pytest
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual_plotext.plot import Plot

from canary_tui.ui.widgets.ansi_strips import ansi_strips


def _cells(strip: Strip) -> list[tuple[str, object, object, bool, bool, bool]]:
    """Each cell's character, colours and attributes."""
    cells = []
    for segment in strip:
        style = segment.style or Style()
        for char in segment.text:
            cells.append((char, style.color, style.bgcolor, bool(style.bold), bool(style.italic), bool(style.underline)))
    return cells


def _reference(text: str, width: int) -> list[Strip]:
    """What textual-plotext draws: rich parses the ANSI into Text, rendered into lines of `width` cells."""
    console = Console(width=width, color_system="truecolor")
    rich_text = Text.from_ansi(text)
    return [Strip(line).adjust_cell_length(width) for line in console.render_lines(rich_text, console.options.update_width(width), pad=True)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_plotext_chart_converts_cell_for_cell(seed: int) -> None:
    rng = random.Random(seed)
    plot = Plot()
    plot.plotsize(100, 20)
    xs = list(range(150))
    plot.plot(xs, [rng.random() * 400 for _ in xs], marker="braille", color=(200, 100, 50))
    plot.plot(xs, [rng.random() * 400 for _ in xs], marker="•", color=(20, 100, 250))
    plot.hline(300, color=(255, 0, 0))
    plot.text("50%", 70, 380, color=(9, 9, 9))
    plot.title("latency")
    plot.theme(rng.choice(["pro", "dark", "clear"]))
    built = plot.build()
    mine, reference = ansi_strips(built, 100), _reference(built, 100)
    assert len(mine) == len(reference) > 10
    for row, (ours, theirs) in enumerate(zip(mine, reference)):
        assert _cells(ours) == _cells(theirs), f"row {row} differs"


def test_attributes_resets_and_widths() -> None:
    text = "\x1b[1;38;5;1mbold red\x1b[0m plain \x1b[4;48;2;1;2;3munder\x1b[39;49m default\n\x1b[3mit\x1b[m x"
    mine, reference = ansi_strips(text, 40), _reference(text, 40)
    assert [_cells(s) for s in mine] == [_cells(s) for s in reference]
    assert all(strip.cell_length == 40 for strip in mine)
    assert ansi_strips("abcdef", 3)[0].text == "abc"  # cropped to the width
