"""Gates of the current stage: value, threshold, ✔/✖/◌ and why; auto-rollback state; decision."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from canary_tui.ui.widgets.view_models import GatesView

_STATUS_LEVEL = {"pass": "healthy", "fail": "critical", "hold": "unknown"}


class GatesPane(Static):
    """One line per gate plus its reason, then the auto-rollback label and the decision."""

    DEFAULT_CSS = """
    GatesPane { height: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("[dim]no gates yet[/]", id=id)
        self._view: GatesView | None = None
        self._lines = -1
        self.compact = False
        self._shown_compact: bool | None = None

    def show(self, view: GatesView, *, compact: bool | None = None) -> None:
        """Render `view` unless it (and the compactness) equal what is on screen."""
        if compact is not None:
            self.compact = compact
        if view == self._view and self.compact == self._shown_compact:
            return
        self._view = view
        self._shown_compact = self.compact
        self.border_title = escape(view.title)
        markup = self.markup_for(view, compact=self.compact)
        lines = markup.count("\n")
        self.update(markup, layout=lines != self._lines)  # no wrapping: relayout only when the line count changes
        self._lines = lines

    @staticmethod
    def markup_for(view: GatesView, *, compact: bool = False) -> str:
        """Gate lines with reasons, then auto-rollback and decision; compact puts the summary first and drops passing reasons."""
        summary = [f"auto-rollback [$status-{view.auto_rollback_level}]{escape(view.auto_rollback)}[/]"]
        if view.decision:
            summary.append(f"decision [$status-{view.decision_level}]{escape(view.decision)}[/]")
        lines: list[str] = []
        if view.held_reason:
            lines.append(f"[reverse $status-warning] ◌ HOLD [/] [$status-warning]{escape(view.held_reason)}[/]")
        if compact:
            lines.extend(summary)
        if not view.gates:
            lines.append("[dim]no gates for this stage[/]")
        for gate in view.gates:
            level = _STATUS_LEVEL.get(gate.status, "unknown")
            lines.append(f"[$status-{level}]{gate.glyph}[/] [b]{escape(gate.name)}[/] {escape(gate.value_text)}")
            detail = gate.reason or (f"limit {gate.threshold_text}" if gate.threshold_text else "")
            if detail and not (compact and gate.status == "pass"):
                lines.append(f"  [dim]{escape(detail)}[/]")
        if not compact:
            lines.append("")
            lines.extend(summary)
        return "\n".join(lines)
