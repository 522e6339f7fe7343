"""Confirm dialogs that act on what the operator saw: they turn invalid, saying why, once it changes under them."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

from canary_tui.ui.widgets.view_models import AdvanceView, SeenState

ResultT = TypeVar("ResultT")


class GuardedDialog(ModalScreen[ResultT]):
    """A modal opened on one deployment state; the app hands it every newer state (it never asks for one)."""

    #: the SeenState fields whose change makes what this dialog would send stale
    WATCHED: tuple[str, ...] = ("percent", "paused", "stable_version", "canary_version")
    #: in the fleet overview: the target whose snapshots this dialog follows (None in the single dashboard)
    fleet_target: str | None = None

    def __init__(self, seen: SeenState | None) -> None:
        super().__init__()
        self.seen = seen
        self.stale_reason: str | None = None

    def follow(self, now: SeenState | None, advance: AdvanceView | None = None) -> None:
        """A newer deployment state (and the advance view built from it): turn invalid once a watched field changed."""
        if self.stale_reason is not None or now is None or self.seen is None:
            return
        if any(getattr(now, name) != getattr(self.seen, name) for name in self.WATCHED):
            who = now.updated_by or "someone else"
            self.stale_reason = f"changed by {who} meanwhile ({now.change_from(self.seen)}): nothing will be sent"
            self.went_stale(self.stale_reason)
            return
        self.still_valid(now, advance)

    def went_stale(self, reason: str) -> None:
        """Show `reason` and refuse to confirm (each dialog says it its own way)."""
        self.notify(reason, severity="warning", timeout=10)

    def still_valid(self, now: SeenState, advance: AdvanceView | None) -> None:
        """Newer data on the same deployment state (the advance dialog re-draws its gates)."""
