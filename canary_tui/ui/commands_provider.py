"""Command palette entries for the dashboard's actions (the same actions the keys run)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

#: (action name, palette title, help) in display order
PALETTE_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("rollback", "Emergency rollback to 0%", "Roll the canary back to 0% at once (R)"),
    ("advance", "Advance to the next stage…", "Ask to confirm, then promote the canary (A)"),
    ("toggle_pause", "Pause / resume the ramp", "Hold or release the ramp (P)"),
    ("checkpoint", "Create a rollback checkpoint…", "Create a checkpoint with a note (c)"),
    ("freeze", "Freeze / unfreeze the view", "Stop redrawing; polling goes on (space)"),
    ("refresh", "Refresh now", "Fetch a heartbeat now (r)"),
    ("next_theme", "Next theme", "Cycle the canary themes (t)"),
    ("help", "Help: every key", "List every key (?)"),
)


class CanaryCommands(Provider):
    """Offers the dashboard actions that are available now (read-only hides the mutating ones)."""

    def _available(self) -> list[tuple[str, str, str]]:
        """Actions whose check_action does not hide them."""
        app = self.app
        return [entry for entry in PALETTE_ACTIONS if app.check_action(entry[0], ()) is not False]

    async def discover(self) -> Hits:
        """Every available action, for the empty query."""
        for action, title, help_text in self._available():
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        """Fuzzy-match the available actions."""
        matcher = self.matcher(query)
        for action, title, help_text in self._available():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), text=title, help=help_text)
