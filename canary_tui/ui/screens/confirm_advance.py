"""Confirm an advance from the percent the operator saw: the gate evidence (pre-flight at 0%), typed percent to override."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from canary_tui.ui.screens.guard import GuardedDialog
from canary_tui.ui.widgets.view_models import AdvanceView, SeenState

_STATUS_LEVEL = {"pass": "healthy", "fail": "critical", "hold": "unknown"}


@dataclass(frozen=True, slots=True)
class AdvanceRequest:
    """What the operator confirmed: the step as seen (from → to) and whether gates were overridden."""

    from_percent: int
    to_percent: int
    override: bool


class PercentInput(Input):
    """Digits only, and only digits are consumed, so app keys such as R still reach the app."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """Consume digits; leave letters to the app's bindings."""
        return character is not None and character.isdigit()


class ConfirmAdvance(GuardedDialog[AdvanceRequest | None]):
    """Advance from one percent to the next, with the evidence; turns invalid when the deployment changes under it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]
    #: under 32 rows the evidence scrolls in fewer lines, so the prompt and the buttons stay on screen
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-roomy")]

    DEFAULT_CSS = """
    ConfirmAdvance { align: center middle; }
    ConfirmAdvance > #dialog {
        width: 72; max-width: 95%; height: auto; max-height: 95%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ConfirmAdvance #title { text-style: bold; width: 1fr; }
    ConfirmAdvance #evidence-box { height: auto; max-height: 12; }
    ConfirmAdvance.-short #evidence-box { max-height: 8; }
    ConfirmAdvance #evidence { height: auto; }
    ConfirmAdvance #warning { color: $status-critical; text-style: bold; width: 1fr; }
    ConfirmAdvance #stale { color: $status-critical; text-style: bold; width: 1fr; }
    ConfirmAdvance #why { color: $status-warning; width: 1fr; }
    ConfirmAdvance #override { width: 12; }
    ConfirmAdvance #buttons { height: 3; align-horizontal: right; }
    ConfirmAdvance Button { margin-left: 1; }
    """

    class CheckpointWanted(Message):
        """The operator asked for the rollback checkpoint the pre-flight checklist misses (the app creates it)."""

        def __init__(self, canary_version: str) -> None:
            super().__init__()
            self.canary_version = canary_version

    def __init__(self, *, environment: str, view: AdvanceView) -> None:
        super().__init__(view.seen)
        self.environment = environment
        self.view = view
        self.from_percent = view.from_percent
        self.to_percent = view.to_percent
        self.checkpoint_pending = False

    @property
    def needs_override(self) -> bool:
        """Typing the target percent is required (a gate fails, the data is stale or the ramp paused)."""
        return self.view.needs_override

    def compose(self) -> ComposeResult:
        """Title, evidence, the override prompt (shown when needed), a status line, then the buttons."""
        step = "start the ramp" if self.view.preflight else "advance"
        with Vertical(id="dialog"):
            yield Label(f"{step.capitalize()} {escape(self.environment)}: canary {self.from_percent}% → {self.to_percent}%?", id="title")
            yield Label("Pre-flight checklist (0% → first stage):" if self.view.preflight else "Gates of this stage:", id="evidence-title")
            with VerticalScroll(id="evidence-box"):  # focusable: shift+tab then ↑/↓ or PageDown read every gate on a short terminal
                yield Static(self._evidence_markup(), id="evidence")
            yield Label("", id="stale")
            yield Label(self._warning_text(), id="warning")
            yield PercentInput(placeholder="type %", restrict=r"\d{0,3}", max_length=3, id="override")
            yield Label("", id="why")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button("Create checkpoint", id="create-checkpoint")
                yield Button(f"Advance to {self.to_percent}%", id="advance")

    def on_mount(self) -> None:
        """Typing required: the focus starts in the field, so typed digits land; else on Cancel (Enter alone never advances)."""
        self.query_one("#stale", Label).display = False
        self.query_one("#why", Label).display = False
        self._show_requirements()
        if self.needs_override:
            self.query_one("#override", PercentInput).focus()
        else:
            self.query_one("#cancel", Button).focus()

    def _warning_text(self) -> str:
        """Why an override is needed, and what to type."""
        return f"Override needed: {self.view.override_why}. Type {self.to_percent} to override:"

    def _show_requirements(self) -> None:
        """Show the override prompt and the checkpoint offer as the view says; enable Advance when confirmable."""
        needs = self.needs_override and self.stale_reason is None
        self.query_one("#warning", Label).update(self._warning_text())
        self.query_one("#warning", Label).display = needs
        self.query_one("#override", PercentInput).display = needs or (self.stale_reason is not None and self.view.needs_override)
        offer = self.view.missing_checkpoint_for is not None and self.stale_reason is None
        create = self.query_one("#create-checkpoint", Button)
        create.display = offer
        create.disabled = self.checkpoint_pending
        create.label = "Creating checkpoint…" if self.checkpoint_pending else f"Create checkpoint for {self.view.missing_checkpoint_for}"
        advance = self.query_one("#advance", Button)
        advance.variant = "warning" if self.needs_override else "success"
        advance.disabled = self._refusal() is not None

    def _refusal(self, typed: str | None = None) -> str | None:
        """Why confirming now would be refused, or None when it may go."""
        if self.stale_reason is not None:
            return self.stale_reason
        if not self.needs_override:
            return None
        value = (self.query_one("#override", PercentInput).value if typed is None else typed).strip()
        if not value:
            return f"type {self.to_percent} to override ({self.view.override_why})"
        if value != str(self.to_percent):
            return f"{value} is not the target: type {self.to_percent} to advance to {self.to_percent}%"
        return None

    def _say(self, text: str) -> None:
        """One status line under the field (Enter on a wrong value does nothing but this)."""
        why = self.query_one("#why", Label)
        why.update(text)
        why.display = bool(text)

    # ---- following the deployment (the app calls GuardedDialog.follow on every snapshot) ----

    def went_stale(self, reason: str) -> None:
        """Nothing can be confirmed any more: say why, keep the dialog until the operator closes it."""
        stale = self.query_one("#stale", Label)
        stale.update(f"⚠ {reason}. Escape closes; open the dialog again to act on what is there now.")
        stale.display = True
        self._say("")
        advance = self.query_one("#advance", Button)
        on_advance = self.focused is advance
        self._show_requirements()
        if on_advance:
            self.query_one("#cancel", Button).focus()  # a disabled button cannot hold the focus; the field keeps it (Enter says why)

    def still_valid(self, now: SeenState, advance: AdvanceView | None) -> None:
        """Same deployment state, newer evidence: redraw the gates and what the step requires."""
        if advance is None or advance == self.view:
            return
        needed_before = self.needs_override
        self.view = advance
        if self.view.missing_checkpoint_for is None:
            self.checkpoint_pending = False
        self.query_one("#evidence", Static).update(self._evidence_markup())
        self._show_requirements()
        if self.needs_override and not needed_before:
            self.query_one("#override", PercentInput).focus()

    def checkpoint_done(self, ok: bool, message: str) -> None:
        """The checkpoint the dialog asked for was created (the gates re-evaluate on the next snapshot), or not."""
        self.checkpoint_pending = False
        self._say(message if not ok else "")
        if self.is_mounted:
            self._show_requirements()

    def _evidence_markup(self) -> str:
        """Each gate with its glyph, figures and reason, then the decision."""
        lines = []
        for gate in self.view.gates:
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
            if gate.reason and figure.strip() in ("", "—"):  # a check without figures: its reason says it all
                detail = escape(gate.reason)
            elif gate.reason and gate.reason_adds:
                detail = f"{detail} — {escape(gate.reason)}"  # a reason that only repeats the figures is left out
            lines.append(f"[$status-{level}]{gate.glyph} {gate.status.upper()}[/] [b]{escape(gate.name)}[/]: {detail}")
        if not lines:
            lines.append("[dim]no gate evidence for this step[/]")
        if self.view.decision:
            lines.append(f"decision: {escape(self.view.decision)}")
        return "\n".join(lines)

    @on(Input.Changed, "#override")
    def _typed(self, event: Input.Changed) -> None:
        """Enable Advance only when the typed percent is the target."""
        self._say("")
        self.query_one("#advance", Button).disabled = self._refusal(event.value) is not None

    @on(Input.Submitted, "#override")
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter in the field confirms only with the right percent; otherwise it says why and does nothing."""
        self._confirm(event.value)

    @on(Button.Pressed, "#advance")
    def _advance(self) -> None:
        """Confirmed."""
        self._confirm(None)

    def _confirm(self, typed: str | None) -> None:
        refusal = self._refusal(typed)
        if refusal is not None:
            self._say(refusal)
            return
        self.dismiss(AdvanceRequest(self.from_percent, self.to_percent, override=self.needs_override))

    @on(Button.Pressed, "#create-checkpoint")
    def _create_checkpoint(self) -> None:
        """Ask the app for the missing checkpoint; the checklist re-evaluates once it exists."""
        version = self.view.missing_checkpoint_for
        if version is None or self.checkpoint_pending or self.stale_reason is not None:
            return
        self.checkpoint_pending = True
        self._show_requirements()
        self.post_message(self.CheckpointWanted(version))

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        """Cancelled."""
        self.dismiss(None)

    def action_cancel(self) -> None:
        """Escape cancels."""
        self.dismiss(None)
