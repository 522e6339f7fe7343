"""The latency chart's legend: colour per variant, shape per percentile, and what each reference line means."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from canary_tui.ui.widgets.markup_lines import show_markup
from canary_tui.ui.widgets.view_models import ChartView

#: the marker each percentile is drawn with (latency_chart.py plots with these) and its legend sample
MARKERS = {"p50": "·", "p95": "braille", "p99": "•"}
SAMPLES = {"p50": "··", "p95": "⠤⠒", "p99": "••"}
_ORDER = ("p95", "p99", "p50")  # the gate's percentile first


def _lines_text(view: ChartView, form: int) -> list[tuple[str, str]]:
    """(markup, plain) of each reference line in one of three forms, widest first."""
    out = []
    for line in view.lines:
        value = f"{line.ms:g}"
        if form == 0:
            plain = f"── {value} ms {line.label}"
        elif form == 1:
            plain = f"─ {value} ms"
        else:
            plain = f"─{value}"
        out.append((f"[${line.colour_variable}]{escape(plain)}[/]", plain))
    return out


def _variants(view: ChartView) -> list[tuple[str, str]]:
    """(colour variable, name) of the variants drawn."""
    seen: list[tuple[str, str]] = []
    for series in view.series:
        name = series.label.split(" ")[0] if " " in series.label else "all"
        entry = (series.colour_variable, name)
        if entry not in seen:
            seen.append(entry)
    return seen


def legend_markup(view: ChartView, width: int) -> str:
    """The widest legend that fits `width`; every marker sits right before the word it stands for."""
    variants = _variants(view)
    percentiles = [p for p in _ORDER if any(p in s.label.lower() for s in view.series)] or list(_ORDER)
    for form in (0, 1, 2):
        gap = "  " if form < 2 else " "
        sample = (lambda key: SAMPLES[key]) if form < 2 else (lambda key: SAMPLES[key][0])
        pieces: list[tuple[str, str]] = []
        for colour, name in variants:
            plain = f"━━ {name}" if form == 0 else f"━{name}" if form == 2 else f"━ {name}"
            pieces.append((f"[${colour}]{escape(plain)}[/]", plain))
        for key in percentiles:
            plain = f"{sample(key)}{'' if form == 2 else ' '}{key.upper()}"
            pieces.append((escape(plain), plain))
        pieces.extend(_lines_text(view, form))
        plain_all = gap.join(plain for _, plain in pieces)
        if len(plain_all) <= width or form == 2:
            return gap.join(markup for markup, _ in pieces)
    return ""


class ChartLegend(Static):
    """One line under the chart; it shortens its words to fit, it never drops a marker or a line."""

    DEFAULT_CSS = """
    ChartLegend { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._view: ChartView | None = None
        self._markup = ""

    def show(self, view: ChartView) -> None:
        """Render the legend of `view` at the current width (no redraw when the words are the same)."""
        self._view = view
        self._markup = show_markup(self, self._markup, legend_markup(view, self.content_region.width or 200))

    def on_resize(self) -> None:
        """Longer or shorter words as the pane changes width."""
        if self._view is not None:
            self.show(self._view)
