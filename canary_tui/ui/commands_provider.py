"""Command palette entries for the dashboard's actions (the same actions the keys run, from the action registry)."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from canary_tui.core.actions import FLEET_MUTATING_ACTIONS
from canary_tui.ui.actions import PaletteEntry, palette_entries


class CanaryCommands(Provider):
    """Offers the dashboard actions that are available now (read-only or no token hides the mutating ones)."""

    def _available(self) -> list[PaletteEntry]:
        """Registry entries whose check_action does not hide them, with the app's current keys (none that change anything when blocked)."""
        app: Any = self.app
        entries = palette_entries(app.action_keys, app.key_display, fleet=bool(getattr(app, "FLEET", False)))
        blocked = bool(app.change_blocked_reason()) if callable(getattr(app, "change_blocked_reason", None)) else False
        return [entry for entry in entries if app.check_action(entry.check, ()) is not False and not (blocked and entry.check in FLEET_MUTATING_ACTIONS)]

    async def discover(self) -> Hits:
        """Every available action, for the empty query."""
        for entry in self._available():
            yield DiscoveryHit(entry.title, partial(self.app.run_action, entry.action), help=entry.help)

    async def search(self, query: str) -> Hits:
        """Fuzzy-match the available actions."""
        matcher = self.matcher(query)
        for entry in self._available():
            score = matcher.match(entry.title)
            if score > 0:
                yield Hit(score, matcher.highlight(entry.title), partial(self.app.run_action, entry.action), text=entry.title, help=entry.help)
