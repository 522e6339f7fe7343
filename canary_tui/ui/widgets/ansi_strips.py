"""plotext's ANSI output straight to Textual strips: the chart's redraw skips the ANSI → Text → strips round trip."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

_SGR = re.compile(r"\x1b\[([0-9;]*)m")


@lru_cache(maxsize=1024)
def _style(codes: str, base: Style) -> Style:
    """`base` updated by one SGR parameter string (colours 256/truecolour, bold, italic, underline, resets)."""
    style = base
    params = [int(p) if p else 0 for p in codes.split(";")] if codes else [0]
    i = 0
    while i < len(params):
        code = params[i]
        if code == 0:
            style = Style()
        elif code in (1, 3, 4):
            style += Style(bold=code == 1 or None, italic=code == 3 or None, underline=code == 4 or None)
        elif code in (38, 48) and i + 1 < len(params):
            if params[i + 1] == 5 and i + 2 < len(params):
                color, i = Color.from_ansi(params[i + 2]), i + 2
            elif params[i + 1] == 2 and i + 4 < len(params):
                color, i = Color.from_rgb(*params[i + 2:i + 5]), i + 4
            else:
                color = None
            if color is not None:
                style += Style(color=color) if code == 38 else Style(bgcolor=color)
        elif code in (39, 49):
            style += Style(color="default") if code == 39 else Style(bgcolor="default")
        i += 1
    return style


def ansi_strips(text: str, width: int) -> list[Strip]:
    """One strip per line of `text` (SGR colour codes only, as plotext writes), each exactly `width` cells."""
    return list(ansi_rows(text, width))


def ansi_rows(text: str, width: int) -> Iterator[Strip]:
    """ansi_strips() a line at a time, for a caller that gives the event loop a turn between lines."""
    style = Style()  # carries across lines, as in a terminal (and rich's decoder)
    for line in text.split("\n"):
        segments: list[Segment] = []
        position = 0
        for match in _SGR.finditer(line):
            if match.start() > position:
                segments.append(Segment(line[position:match.start()], style))
            style = _style(match.group(1), style)
            position = match.end()
        if position < len(line):
            segments.append(Segment(line[position:], style))
        yield Strip(segments).adjust_cell_length(width)
