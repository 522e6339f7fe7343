"""Confirm an advance: Cancel focused, the gate evidence shown, typed percent to override a failing gate."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from canary_tui.ui.widgets.view_models import GateLine

_STATUS_LEVEL = {"pass": "healthy", "fail": "critical", "hold": "unknown"}


@dataclass(frozen=True, slots=True)
class AdvanceRequest:
    """What the operator confirmed: the target percent and whether gates were overridden."""

    to_percent: int
    override: bool


class PercentInput(Input):
    """Digits only, and only digits are consumed, so app keys such as R still reach the app."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """Consume digits; leave letters to the app's bindings."""
        return character is not None and character.isdigit()


class ConfirmAdvance(ModalScreen[AdvanceRequest | None]):
    """Advance from one percent to the next, with the evidence; Cancel is focused."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]

    DEFAULT_CSS = """
    ConfirmAdvance { align: center middle; }
    ConfirmAdvance > #dialog {
        width: 72; max-width: 95%; height: auto; max-height: 95%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ConfirmAdvance #title { text-style: bold; width: 1fr; }
    ConfirmAdvance #evidence { height: auto; max-height: 12; overflow-y: auto; }
    ConfirmAdvance #warning { color: $status-critical; text-style: bold; }
    ConfirmAdvance #override { width: 12; }
    ConfirmAdvance #buttons { height: 3; align-horizontal: right; }
    ConfirmAdvance Button { margin-left: 1; }
    """

    def __init__(self, *, environment: str, from_percent: int, to_percent: int, gates: tuple[GateLine, ...], decision: str | None, needs_override: bool) -> None:
        super().__init__()
        self.environment = environment
        self.from_percent = from_percent
        self.to_percent = to_percent
        self.gates = gates
        self.decision = decision
        self.needs_override = needs_override

    def compose(self) -> ComposeResult:
        """Title, evidence, the override prompt when needed, then Cancel and Advance."""
        with Vertical(id="dialog"):
            yield Label(f"Advance {escape(self.environment)}: canary {self.from_percent}% → {self.to_percent}%?", id="title")
            yield Static(self._evidence_markup(), id="evidence")
            if self.needs_override:
                yield Label("Gates are not all passing. Type the target percent to override:", id="warning")
                yield PercentInput(placeholder="type %", restrict=r"\d{0,3}", max_length=3, id="override")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(f"Advance to {self.to_percent}%", id="advance", variant="warning" if self.needs_override else "success", disabled=self.needs_override)

    def on_mount(self) -> None:
        """Cancel has the focus: Enter alone never advances."""
        self.query_one("#cancel", Button).focus()

    def _evidence_markup(self) -> str:
        """Each gate with its glyph, figures and reason, then the decision."""
        lines = []
        for gate in self.gates:
            level = _STATUS_LEVEL.get(gate.status, "unknown")
            figure = gate.figure_text or gate.value_text
            names_its_limit = any(sign in gate.name for sign in "<>≤≥")  # "P95 < 500 ms" already says the threshold
            if gate.threshold_text and not names_its_limit and gate.threshold_text not in figure:
                figure = f"{figure} / {gate.threshold_text}"
            if gate.interval_text:
                figure = f"{figure} {gate.interval_text}"
            if gate.low_data and "low data" not in gate.reason:
                figure = f"{figure} · low data"
            detail = escape(figure)
            if gate.reason and gate.reason_adds:
                detail = f"{detail} — {escape(gate.reason)}"  # a reason that only repeats the figures is left out
            lines.append(f"[$status-{level}]{gate.glyph} {gate.status.upper()}[/] [b]{escape(gate.name)}[/]: {detail}")
        if not lines:
            lines.append("[dim]no gate evidence for this stage[/]")
        if self.decision:
            lines.append(f"decision: {escape(self.decision)}")
        return "\n".join(lines)

    @on(Input.Changed, "#override")
    def _typed(self, event: Input.Changed) -> None:
        """Enable Advance only when the typed percent is the target."""
        self.query_one("#advance", Button).disabled = event.value.strip() != str(self.to_percent)

    @on(Input.Submitted, "#override")
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter in the override box confirms only with the right percent."""
        if event.value.strip() == str(self.to_percent):
            self.dismiss(AdvanceRequest(self.to_percent, override=True))

    @on(Button.Pressed, "#advance")
    def _advance(self) -> None:
        """Confirmed."""
        self.dismiss(AdvanceRequest(self.to_percent, override=self.needs_override))

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        """Cancelled."""
        self.dismiss(None)

    def action_cancel(self) -> None:
        """Escape cancels."""
        self.dismiss(None)
