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
        self._before_mount: tuple[SeenState | None, AdvanceView | None] | None = None  # the newest state handed over meanwhile

    def follow(self, now: SeenState | None, advance: AdvanceView | None = None) -> None:
        """A newer deployment state (and the advance view built from it): turn invalid once a watched field changed.

        A dialog just pushed has no widgets until it is mounted: a state handed over before then is followed after.
        """
        if not self.is_mounted:
            self._before_mount = (now, advance)
            return
        self._before_mount = None  # superseded by this newer state
        if self.stale_reason is not None or now is None or self.seen is None:
            return
        if any(getattr(now, name) != getattr(self.seen, name) for name in self.WATCHED):
            who = now.updated_by or "someone else"
            self.stale_reason = f"changed by {who} meanwhile ({now.change_from(self.seen)}): nothing will be sent"
            self.went_stale(self.stale_reason)
            return
        self.still_valid(now, advance)

    def on_mount(self) -> None:
        """Follow the state handed over while the dialog was being built, once it is (after the subclass's own on_mount)."""
        if self._before_mount is not None:
            self.call_after_refresh(self._follow_before_mount)

    def _follow_before_mount(self) -> None:
        """The state handed over before mounting, unless a newer one came since."""
        if self._before_mount is not None:
            now, advance = self._before_mount
            self._before_mount = None
            self.follow(now, advance)

    def went_stale(self, reason: str) -> None:
        """Show `reason` and refuse to confirm (each dialog says it its own way)."""
        self.notify(reason, severity="warning", timeout=10)

    def still_valid(self, now: SeenState, advance: AdvanceView | None) -> None:
        """Newer data on the same deployment state (the advance dialog re-draws its gates)."""
