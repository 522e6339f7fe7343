"""What the single dashboard and the fleet overview share as apps: the theme catalogue and key, key names, quitting, the crash flag."""

from __future__ import annotations

import gc
import time
from datetime import UTC, datetime
from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding

from canary_tui.controller.model import Event, EventLevel, Snapshot
from canary_tui.core.actions import BY_ID
from canary_tui.ui.themes import ThemeCatalog, next_theme
from canary_tui.ui.widgets.chart_builds import ChartBuilds


class CanaryBaseApp(App[None]):
    """The keys and hooks both canary apps handle the same way (each sets `catalog` before App.__init__)."""

    catalog: ThemeCatalog
    crashed: bool
    chart_builds: ChartBuilds | None = None  # the chart's build process, given by the launcher (ui/launch.py)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The dashboard's own theme variables, for themes that do not set them."""
        return self.catalog.variable_defaults()

    def action_next_theme(self) -> None:
        """Cycle through the canary themes (and the user's)."""
        names = self.catalog.names or [self.theme]
        self.theme = next_theme(names, self.theme)
        self.notify(f"Theme: {self.theme}", timeout=2)

    def on_ready(self) -> None:
        """The first frame is on screen: what start-up made (modules, styles, widgets, history) stays for the session,
        so move it out of the collector's sight (gc.freeze); a full collection then walks only what came after,
        which keeps its pause short in a dashboard that runs for hours. Start-up's garbage is collected first:
        frozen, it would never be."""
        gc.collect()
        gc.freeze()

    async def action_quit(self) -> None:
        """Leave; every ramp stays exactly as it is."""
        self.exit()

    def _crashed(self) -> None:
        """Textual reported an unhandled error (crash.py wrote it to the log and told the operator): the run failed."""
        self.crashed = True

    @staticmethod
    def stamped_event(controller: Any, message: str, kind: str = "", level: str = "info", clock: Any = None) -> Event:
        """An event the app itself writes to a log, stamped on `clock` (default the controller's) as the controller's actor."""
        clock = clock or getattr(controller, "clock", None)
        now_s = clock.now() if clock is not None and callable(getattr(clock, "now", None)) else time.time()
        actor = str(getattr(controller, "actor", "") or "") or "canary-tui"
        return Event(datetime.fromtimestamp(now_s, tz=UTC), actor, kind, message, EventLevel(level))

    @staticmethod
    def action_under_way(in_flight: set[str], snapshot: Snapshot | None) -> str | None:
        """The action under way on a target: one this app started, else one its controller reports (a dimmed key says which)."""
        if in_flight:
            return sorted(in_flight)[0]
        return snapshot.action_in_flight if snapshot is not None else None

    def unfreeze_to_act(self, screen: Any) -> None:
        """An advance is confirmed on the deployment as it is now: a frozen view behind its dialog is unfrozen first, and said so."""
        if screen is not None and getattr(screen, "frozen", False):
            screen.toggle_freeze()
            self.notify("View unfrozen: the advance is confirmed on the deployment as it is now.", timeout=4)

    def change_blocked_reason(self) -> str | None:
        """Why nothing can be changed from here (read-only, no token), or None (each app knows its target)."""
        raise NotImplementedError

    def dimmed_reason(self, action: str) -> str | None:
        """Why the key for `action` is dimmed now, or None when it is live (each app knows its rules)."""
        raise NotImplementedError

    def on_key(self, event: events.Key) -> None:
        """A dimmed key that would change a deployment says why when pressed: no press is dropped in silence.

        Textual runs no action for a disabled binding and hands the key on; it ends here when nothing else took it.
        """
        found = self.screen.active_bindings.get(event.key)
        spec = BY_ID.get(found.binding.id or "") if found is not None else None
        if found is None or spec is None or found.enabled or not spec.mutating:
            return
        why = self.dimmed_reason(spec.action) or "not available now"
        self.notify(f"{spec.label} not sent: {why}.", severity="warning", timeout=5)

    def key_display(self, key: str) -> str:
        """How the footer shows a key ('^r' for ctrl+r), for the help screen and the palette."""
        return self.get_key_display(Binding(key, ""))
