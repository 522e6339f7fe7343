"""Gates of the current stage: one line each (glyph, name, value, interval), evidence bars, why they hold or fail."""

from __future__ import annotations

from textual import events
from textual.markup import escape
from textual.widgets import Static

from canary_tui.ui.widgets.markup_lines import content_of
from canary_tui.ui.widgets.view_models import GateLine, GatesView

_STATUS_LEVEL = {"pass": "healthy", "fail": "critical", "hold": "unknown"}
_STATUS_ORDER = (("fail", "✖"), ("hold", "◌"), ("pass", "✔"))  # the worst first
_INDENT = "  "
_LOW_DATA = "low data"
#: the evidence bar: "accept ▕━━━●──────▏ reject" (10 cells at most, 4 at least)
_BAR_LEFT, _BAR_RIGHT = "accept", "reject"
_BAR_CELLS = 10
_MIN_BAR_CELLS = 4
#: width assumed before the first layout (every extra then fits on the gate's line)
_UNSIZED = 200


def evidence_cells(position: float, cells: int = _BAR_CELLS) -> tuple[str, str]:
    """The bar either side of the marker for `position` in [0, 1] (0 = accept boundary, 1 = reject boundary)."""
    cells = max(2, cells)
    index = min(cells - 1, int(max(0.0, min(1.0, position)) * (cells - 1) + 0.5))  # half up, not to even
    return "━" * index, "─" * (cells - 1 - index)


def evidence_bar_markup(position: float, level: str, width: int) -> str:
    """One indented line: 'accept ▕━━━●──────▏ reject', narrowed to `width` (labels go before the bar does)."""
    room = width - len(_INDENT) - 2  # the two end marks
    left_label, right_label = f"{_BAR_LEFT} ", f" {_BAR_RIGHT}"
    if room - len(left_label) - len(right_label) < _MIN_BAR_CELLS:
        left_label, right_label = "", ""
    cells = max(_MIN_BAR_CELLS, min(_BAR_CELLS, room - len(left_label) - len(right_label)))
    before, after = evidence_cells(position, cells)
    return (
        f"{_INDENT}[dim]{left_label}[/][$foreground-muted]▕{before}[/]"
        f"[b $status-{level}]●[/][$foreground-muted]{after}▏[/][dim]{right_label}[/]"
    )


def counts_markup(gates: tuple[GateLine, ...]) -> str:
    """'✖ 1 fail · ◌ 2 hold · ✔ 3 pass' (only the statuses present): the glyphs' words, once."""
    parts = []
    for status, glyph in _STATUS_ORDER:
        count = sum(1 for g in gates if g.status == status)
        if count:
            parts.append(f"[$status-{_STATUS_LEVEL[status]}]{glyph}[/] {count} {status}")
    return " · ".join(parts)


def split_detail(text: str, width: int, max_lines: int) -> list[str]:
    """`text` in at most `max_lines` pieces of at most `width` columns, cut at spaces (the last piece may run over)."""
    pieces: list[str] = []
    rest = text
    while rest and len(pieces) < max_lines - 1 and len(rest) > width:
        cut = rest.rfind(" ", 0, width + 1)
        if cut <= 0:
            break
        pieces.append(rest[:cut])
        rest = rest[cut + 1 :]
    pieces.append(rest)
    return pieces


def gate_markup(gate: GateLine, width: int, detail_lines: int = 1) -> list[str]:
    """A gate's lines: glyph, name and figure (with interval and 'low data' when they fit), its bar, its reason.

    The reason takes up to `detail_lines` lines; anything longer ends in an ellipsis (lines never wrap).
    """
    level = _STATUS_LEVEL.get(gate.status, "unknown")
    figure = gate.figure_text or gate.value_text
    head_plain = f"{gate.glyph} {gate.name} {figure}"
    head = f"[$status-{level}]{gate.glyph}[/] [b]{escape(gate.name)}[/] {escape(figure)}"
    details: list[str] = []
    if gate.interval_text:
        if len(head_plain) + 1 + len(gate.interval_text) <= width:
            head_plain += f" {gate.interval_text}"
            head += f" [dim]{escape(gate.interval_text)}[/]"
        else:
            details.append(f"[dim]95% {escape(gate.interval_text)}[/]")
    low_data_first = False  # 'low data · hold: …' on the reason's line
    if gate.low_data and _LOW_DATA not in gate.detail:
        tag = f" · {_LOW_DATA}"
        if not details and len(head_plain) + len(tag) <= width:
            head += f"[$status-warning]{tag}[/]"
        elif gate.detail:
            low_data_first = True
        else:
            details.append(f"[$status-warning]{_LOW_DATA}[/]")
    lines = [head]
    if details:
        lines.append(_INDENT + " · ".join(details))
    if gate.evidence is not None:
        lines.append(evidence_bar_markup(gate.evidence, level, width))
    if gate.detail:
        prefix = f"{_LOW_DATA} · " if low_data_first else ""
        pieces = split_detail(prefix + gate.detail, width - len(_INDENT), detail_lines)
        if prefix:
            pieces[0] = pieces[0][len(prefix) :]
        for index, piece in enumerate(pieces):
            tag = f"[$status-warning]{prefix}[/]" if index == 0 and prefix else ""
            lines.append(f"{_INDENT}{tag}[dim]{escape(piece)}[/]")
    return lines


def compact_gate_markup(gate: GateLine, width: int) -> str:
    """One line for a gate: glyph, name and figure, then 'low data' and the interval while they fit (whole, never cut)."""
    level = _STATUS_LEVEL.get(gate.status, "unknown")
    figure = gate.figure_text or gate.value_text
    used = len(f"{gate.glyph} {gate.name} {figure}")
    line = f"[$status-{level}]{gate.glyph}[/] [b]{escape(gate.name)}[/] {escape(figure)}"
    if gate.low_data and _LOW_DATA not in gate.detail and used + 3 + len(_LOW_DATA) <= width:
        line += f"[$status-warning] · {_LOW_DATA}[/]"
        used += 3 + len(_LOW_DATA)
    if gate.interval_text and used + 1 + len(gate.interval_text) <= width:
        line += f" [dim]{escape(gate.interval_text)}[/]"
    return line


def held_markup(reason: str | None, width: int) -> list[str]:
    """'◌ HOLD data stale: gates hold' as its badge and the reason, wrapped (never cut)."""
    if not reason:
        return []
    badge = " ◌ HOLD "
    pieces = split_detail(f"{badge} {reason}", width, 99)
    first = pieces[0][len(badge) + 1 :]
    lines = [f"[reverse $status-warning]{badge}[/] [$status-warning]{escape(first)}[/]"]
    lines.extend(f"{_INDENT}[$status-warning]{escape(piece)}[/]" for piece in pieces[1:])
    return lines


def _severity(gate: GateLine) -> int:
    """Which reasons get the spare rows first: failing gates, then holding ones."""
    return {"fail": 0, "hold": 1}.get(gate.status, 2)


def compact_markup(view: GatesView, width: int, height: int | None) -> str:
    """Small terminals: the verdict first and whole, then one line per gate; reasons only in rows to spare.

    When even that does not fit, the counts line says how many lines are below (the pane scrolls).
    """
    lines: list[str] = held_markup(view.held_reason, width)
    lines.append(f"auto-rollback [$status-{view.auto_rollback_level}]{escape(view.auto_rollback)}[/]")
    if view.decision:
        pieces = split_detail(f"decision {view.decision}", width - len(_INDENT), 99)
        pieces[0] = pieces[0][len("decision ") :]
        lines.append(f"decision [$status-{view.decision_level}]{escape(pieces[0])}[/]")
        lines.extend(f"{_INDENT}[$status-{view.decision_level}]{escape(piece)}[/]" for piece in pieces[1:])
    counts_at = len(lines)
    lines.append(counts_markup(view.gates) if view.gates else "[dim]no gates for this stage[/]")
    gate_rows: list[list[str]] = [[compact_gate_markup(gate, width)] for gate in view.gates]
    spare = (height - len(lines) - len(gate_rows)) if height else 0
    for index in sorted(range(len(view.gates)), key=lambda i: _severity(view.gates[i])):
        gate = view.gates[index]
        if not gate.detail or gate.status == "pass":
            continue
        pieces = split_detail(gate.detail, width - len(_INDENT), 99)
        if len(pieces) <= spare and all(len(piece) <= width - len(_INDENT) for piece in pieces):
            gate_rows[index].extend(f"{_INDENT}[dim]{escape(piece)}[/]" for piece in pieces)
            spare -= len(pieces)
    for rows in gate_rows:
        lines.extend(rows)
    if height and len(lines) > height:
        lines[counts_at] += f"  [b $status-warning]↓ {len(lines) - height} more[/]"
    return "\n".join(lines)


class GatesPane(Static):
    """One line per gate (plus its evidence bar and, for a failing or holding gate, why), then auto-rollback and decision."""

    DEFAULT_CSS = """
    GatesPane { height: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; scrollbar-size-vertical: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("[dim]no gates yet[/]", id=id)
        self._view: GatesView | None = None
        self._lines = -1
        self.compact = False
        self._shown_compact: bool | None = None
        self._shown_width: int | None = None
        self._shown_height: int | None = None

    def _text_width(self) -> int:
        """Columns a line may use without being cut (the size before the first layout is unknown: wide)."""
        width = self.content_region.width
        return width if width > 0 else _UNSIZED

    def show(self, view: GatesView, *, compact: bool | None = None) -> None:
        """Render `view` unless it (and the compactness and width) equal what is on screen."""
        if compact is not None:
            self.compact = compact
        width = self._text_width()
        if view == self._view and self.compact == self._shown_compact and (width, self.content_region.height) == (self._shown_width, self._shown_height):
            return
        self._view = view
        self._shown_compact = self.compact
        self._shown_width = width
        self._shown_height = self.content_region.height
        self.border_title = escape(view.title)
        height = self.content_region.height or None
        markup = self.markup_for(view, compact=self.compact, width=width, height=height)
        if height and markup.count("\n") + 1 > height:  # a scrollbar will take a column: fit what is left
            markup = self.markup_for(view, compact=self.compact, width=width - 1, height=height)
        lines = markup.count("\n")
        self.update(content_of(markup), layout=lines != self._lines)  # no wrapping: relayout only when the line count changes
        self._lines = lines

    def set_compact(self, compact: bool) -> None:
        """One line per gate (small terminals) or the full evidence; redraws what is shown."""
        if compact != self.compact and self._view is not None:
            self.show(self._view, compact=compact)
        self.compact = compact

    def on_resize(self, event: events.Resize) -> None:
        """A new size may move intervals, tags and reasons on or off the pane."""
        if self._view is not None and (self._text_width(), self.content_region.height) != (self._shown_width, self._shown_height):
            self.show(self._view)

    @staticmethod
    def markup_for(view: GatesView, *, compact: bool = False, width: int = _UNSIZED, height: int | None = None) -> str:
        """Gate lines, then auto-rollback and decision; compact puts that summary first and gives each gate one line."""
        if compact:
            return compact_markup(view, width, height)
        summary = [f"auto-rollback [$status-{view.auto_rollback_level}]{escape(view.auto_rollback)}[/]"]
        if view.decision:  # the verdict is what the operator acts on: whole, however many lines it takes
            pieces = split_detail(f"decision {view.decision}", width - len(_INDENT), 99)
            pieces[0] = pieces[0][len("decision ") :]
            summary.append(f"decision [$status-{view.decision_level}]{escape(pieces[0])}[/]")
            summary.extend(f"{_INDENT}[$status-{view.decision_level}]{escape(piece)}[/]" for piece in pieces[1:])
        lines: list[str] = held_markup(view.held_reason, width)
        if compact:
            lines.extend(summary)
        if not view.gates:
            lines.append("[dim]no gates for this stage[/]")
        else:
            lines.append(counts_markup(view.gates))
        for gate in view.gates:
            lines.extend(gate_markup(gate, width, detail_lines=4))
        if not compact:
            lines.append("")
            lines.extend(summary)
        return "\n".join(lines)
