"""Current P50/P95/P99 of canary and stable as numbers, each with its level, beside (or above) the latency chart."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from canary_tui.ui.widgets.markup_lines import content_of
from canary_tui.ui.widgets.view_models import LatencyRow, LatencyView

WAITING = "[dim]latency: waiting for data[/]"
#: rows of the side table: a header, one per percentile, the summary words
TABLE_ROWS = 5
_COLUMN = 12  # a variant's column in the table: '1.2k ✖' and '? low data' fit, with a space between


def _figure(text: str, level: str, glyph: str, *, with_glyph: bool, gap: str = " ") -> tuple[str, int]:
    """A number in its level's colour, with the level's glyph when asked."""
    shown = f"{text}{gap}{glyph}" if with_glyph else text
    return f"[$status-{level}]{escape(shown)}[/]", len(shown)


def row_markup(row: LatencyRow, width: int = 200) -> tuple[str, int]:
    """'canary P50 31 P95 299⚠ P99 420 · ⚠ warning' (the widest form that fits `width`) and its visible width.

    Every figure that is not healthy carries its glyph; when that is too wide, figures at the row's
    own (worst) level lean on the summary's glyph and word instead.
    """
    if row.note:
        text = f"{row.variant} — {row.note}"
        return f"[b]{escape(row.variant)}[/] [dim]— {escape(row.note)}[/]", len(text)
    summary = row.summary
    best: tuple[str, int] | None = None
    for form in (0, 1):
        parts = [f"[b]{escape(row.variant)}[/]"]
        used = len(row.variant)
        for figure in row.figures:
            glyph = figure.level != "healthy" and (form == 0 or figure.level != summary.level)
            markup, shown = _figure(figure.text, figure.level, figure.glyph, with_glyph=glyph, gap="")
            parts.append(f"[dim]{figure.label}[/] {markup}")
            used += 1 + len(figure.label) + 1 + shown
        parts.append(f"· [$status-{summary.level}]{summary.glyph} {escape(summary.word)}[/]")
        used += 3 + len(summary.glyph) + 1 + len(summary.word)
        best = (" ".join(parts), used)
        if used <= width:
            break
    assert best is not None
    return best


def lines_markup(view: LatencyView, width: int = 200) -> str:
    """One line per variant (small terminals)."""
    if not view.rows:
        return WAITING
    return "\n".join(row_markup(row, width)[0] for row in view.rows)


def table_markup(view: LatencyView) -> str:
    """A small table, percentiles down and variants across, each figure with its glyph; the summary words below."""
    if not view.rows:
        return WAITING
    header = "[dim]ms[/]  " + "".join(f"[b]{escape(row.variant):>{_COLUMN - 1}}[/] " for row in view.rows)
    lines = [header]
    for index, label in enumerate(f.label for f in view.rows[0].figures):
        cells = []
        for row in view.rows:
            if row.note:
                cells.append(" " * _COLUMN)
                continue
            figure = row.figures[index]
            markup, shown = _figure(figure.text, figure.level, figure.glyph, with_glyph=True)
            cells.append(" " * max(0, _COLUMN - 1 - shown) + markup + " ")
        lines.append(f"[dim]{label}[/] " + "".join(cells))
    words = []
    for row in view.rows:
        word = f"{row.summary.glyph} {row.summary.word}"
        words.append(" " * max(0, _COLUMN - 1 - len(word)) + f"[$status-{row.summary.level}]{escape(word)}[/] ")
    lines.append("    " + "".join(words))
    return "\n".join(lines)


class LatencyReadout(Static):
    """The numbers behind the chart: a table when it stands beside the chart, one line per variant above it."""

    DEFAULT_CSS = """
    LatencyReadout { height: auto; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(WAITING, id=id)
        self._view: LatencyView | None = None
        self._as_table: bool | None = None
        self._width = 0
        self._lines = 0

    @property
    def as_table(self) -> bool:
        """A table beside the chart when the pane gives it the height for one, else lines above the chart.

        Which of the two the layout is comes from the screen's -compact class, as app.tcss docks the readout:
        above the chart its height is that of what it shows, so judging by it kept a table once shown.
        """
        if self.is_mounted and self.screen.has_class("-compact"):
            return False
        return self.size.height >= TABLE_ROWS

    def show(self, view: LatencyView) -> None:
        """Render `view` unless it (and the form) equal what is on screen."""
        as_table = self.as_table
        width = self.content_region.width or 200
        if view == self._view and (as_table, width) == (self._as_table, self._width):
            return
        self._view = view
        self._as_table = as_table
        self._width = width
        markup = table_markup(view) if as_table else lines_markup(view, width)
        lines = markup.count("\n") + 1
        self.update(content_of(markup), layout=lines != self._lines)  # no wrapping: relayout only when the height changes
        self._lines = lines

    def on_resize(self) -> None:
        """Beside the chart or above it: the form follows the size."""
        if self._view is not None:
            self.show(self._view)
