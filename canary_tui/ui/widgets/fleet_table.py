"""The fleet overview's table: one line per target, columns dropped by priority to fit the width.

Drawn through Textual's line API: a redraw repaints only the lines whose text changed (a poll changes
one target's row), never the whole table, and never asks for a layout (the table's height is the screen's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual.app import RenderResult
from textual.geometry import Region, Size
from textual.markup import escape
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget

from canary_tui.ui.widgets.markup_lines import content_of, line_content
from canary_tui.ui.widgets.view_models import FleetRow


@dataclass(frozen=True, slots=True)
class Column:
    """One column: header, width (0: as wide as its widest cell), priority (0 always shown; higher drops first)."""

    header: str
    cell: Callable[[FleetRow], str]
    width: int
    priority: int
    right: bool = False


def _badge(row: FleetRow) -> str:
    return f"{row.glyph} {row.verdict.upper()}"


COLUMNS: tuple[Column, ...] = (
    Column("target", lambda r: r.name, 0, 0),
    Column("verdict", _badge, 13, 0),
    Column("%", lambda r: r.percent, 4, 0, right=True),
    Column("stage", lambda r: r.stage, 5, 1),
    Column("bake", lambda r: r.bake_bar, 8, 4),
    Column("ETA", lambda r: r.eta, 6, 3, right=True),
    Column("release", lambda r: r.release, 0, 3),
    Column("errors", lambda r: r.canary_errors, 7, 1, right=True),
    Column("stable", lambda r: r.stable_errors, 7, 3, right=True),
    Column("P95", lambda r: r.p95, 7, 1, right=True),
    Column("P95 ~", lambda r: r.p95_trend, 8, 5),
    Column("err ~", lambda r: r.error_trend, 8, 5),
    Column("age", lambda r: r.age, 5, 2, right=True),
)
#: the last column takes what is left: the action's outcome on this target, else the verdict's reason
NOTE_MIN = 12


def layout(rows: Sequence[FleetRow], width: int) -> list[tuple[Column, int]]:
    """The columns that fit `width` with their widths, highest priority numbers dropped first (original order kept)."""
    sized = []
    for column in COLUMNS:
        natural = max([len(column.header), *(len(column.cell(row)) for row in rows)])
        sized.append((column, min(max(column.width, natural), 40) if column.width == 0 else max(column.width, len(column.header))))
    for drop in range(max(c.priority for c in COLUMNS), -1, -1):
        total = sum(w + 1 for _, w in sized)
        if total <= width or drop == 0:
            break
        sized = [(c, w) for c, w in sized if c.priority < drop]
    return sized


def _cell(text: str, width: int, right: bool) -> str:
    """`text` cut or padded to `width` cells."""
    if len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text.rjust(width) if right else text.ljust(width)


class FleetTable(Widget):
    """Draws the rows it is given; the selected one is marked (▶, bold, reversed name) — never colour alone."""

    DEFAULT_CSS = """
    FleetTable { height: auto; padding: 0 1; text-wrap: nowrap; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.auto_links = False  # no links in the table: no link style to work out per line
        self.rows: tuple[FleetRow, ...] = ()
        self.selected = 0
        self._drawn: tuple[object, ...] | None = None
        self._lines: list[str] = ["[dim]connecting…[/]"]  # one markup string per line
        self._strips: dict[int, Strip] = {}  # the lines drawn at the current width and style

    def show(self, rows: Sequence[FleetRow], selected: int) -> None:
        """Draw `rows` with row `selected` marked, repainting only the lines that changed."""
        key = (tuple(rows), selected, self.size.width)
        if key == self._drawn:
            return
        self._drawn = key
        self.rows = tuple(rows)
        self.selected = selected
        lines = self.markup_for(self.rows, selected, self.size.width - 2 if self.size.width else 158).split("\n")
        old, self._lines = self._lines, lines
        if len(lines) != len(old) or not self.size.width:
            self._strips.clear()
            self.refresh(layout=True)  # a line more or less: the height may follow
            return
        width = self.size.width
        for y, (was, now) in enumerate(zip(old, lines, strict=True)):
            if was != now:
                self._strips.pop(y, None)
                self.refresh(Region(0, y, width, 1))

    def on_resize(self) -> None:
        """Columns come and go with the width."""
        self._strips.clear()
        if self.rows:
            self._drawn = None
            self.show(self.rows, self.selected)

    def notify_style_update(self) -> None:
        """A new theme or style: every line is drawn again."""
        self._strips.clear()
        super().notify_style_update()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """One line per row, plus the header."""
        return len(self._lines)

    def render(self) -> RenderResult:
        """The whole table (used for text selection; lines are drawn one by one)."""
        return content_of("\n".join(self._lines))

    def render_line(self, y: int) -> Strip:
        """Line `y`, drawn once per change of its text, width or style."""
        if self.text_selection is not None:
            return super().render_line(y)  # a selection spans lines: the whole table, as Textual draws it
        strip = self._strips.get(y)
        if strip is None:
            width = self.size.width
            if not 0 <= y < len(self._lines):
                return Strip.blank(width, self.visual_style.rich_style)
            strips = Visual.to_strips(self, line_content(self._lines[y]), width, 1, self.visual_style)
            strip = strips[0] if strips else Strip.blank(width, self.visual_style.rich_style)
            self._strips[y] = strip
        return strip

    @staticmethod
    def markup_for(rows: Sequence[FleetRow], selected: int, width: int) -> str:
        """The table's content markup: a header line, then one line per row (colours from theme variables only)."""
        columns = layout(rows, width - 2)
        used = sum(w + 1 for _, w in columns) + 2
        note_width = width - used
        header = "  " + " ".join(_cell(c.header, w, c.right) for c, w in columns)
        if note_width >= NOTE_MIN:
            header += " note"
        lines = [f"[b $foreground-muted]{escape(header)}[/]"]
        for index, row in enumerate(rows):
            cells = []
            for column, w in columns:
                text = escape(_cell(column.cell(row), w, column.right))
                if column.header == "verdict":
                    text = f"[$status-{row.level}]{text}[/]"
                elif column.header == "target" and index == selected:
                    text = f"[reverse]{text}[/]"
                cells.append(text)
            line = ("▶ " if index == selected else "  ") + " ".join(cells)
            if note_width >= NOTE_MIN:
                note = escape(_cell(row.note or row.reason, note_width - 1, False).rstrip())
                line += " " + (note if row.note else f"[$foreground-muted]{note}[/]")
            lines.append(f"[b]{line}[/]" if index == selected else line)
        return "\n".join(lines)


def detail_markup(row: FleetRow | None) -> str:
    """The selected row in words, whole where the table cuts it: target, verdict, why, and an action's outcome."""
    if row is None:
        return ""
    parts = [f"[b]{escape(row.name)}[/b]", f"[$status-{row.level}]{escape(_badge(row))}[/]", escape(row.reason)]
    if row.note:
        parts.append(escape(row.note))
    return "▶ " + " · ".join(part for part in parts if part)
