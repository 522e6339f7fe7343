"""The releases of the target on show (key h): one row per release, Enter opens its timeline.

The screen reads through the loader the app passes in (controller/reports.py reads the audit log off the
event loop's thread); it never touches the controller or the client, and the timeline's lines are the
report's (core/report.py), so the screen and `canary-tui report` say the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Static

from canary_tui.core.releases import Outcome, Release
from canary_tui.core.report import timeline

#: how an outcome reads in the table: never by colour alone
OUTCOME_TEXT = {Outcome.COMPLETED: "✔ completed", Outcome.ROLLED_BACK: "✖ rolled back", Outcome.IN_PROGRESS: "… in progress"}

ReleasesLoader = Callable[[], Sequence[Release]]


def _short_time(iso: str | None) -> str:
    """'2026-12-07 10:01' from an audit time."""
    return "—" if not iso else iso[:16].replace("T", " ")


class ReleasesScreen(Screen[None]):
    """The target's releases, newest first; Enter opens the selected one as a timeline, Escape goes back."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="releases.close"),
        Binding("h", "close", "Back", show=False, id="releases.close2"),
        Binding("enter", "open", "Timeline", id="releases.open"),
    ]

    DEFAULT_CSS = """
    ReleasesScreen { layout: vertical; }
    ReleasesScreen #releases-title { height: 1; background: $primary; color: $text; padding: 0 1; text-style: bold; }
    ReleasesScreen #releases-table { height: 1fr; }
    ReleasesScreen #releases-note { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, target: str, loader: ReleasesLoader) -> None:
        super().__init__()
        self.target = target
        self.loader = loader
        self.releases: list[Release] = []  # newest first, as shown
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(f"Releases of {escape(self.target)}", id="releases-title")
        table: DataTable[str] = DataTable(id="releases-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("started (UTC)", "canary", "stages", "outcome", "checkpoint")
        yield table
        yield Static("reading the audit log…", id="releases-note")

    async def on_mount(self) -> None:
        """Read the releases off the event loop's thread, then fill the table."""
        try:
            releases = await asyncio.to_thread(self.loader)
        except OSError as exc:
            self.query_one("#releases-note", Static).update(f"cannot read the audit log: {escape(str(exc.strerror or exc))}")
            return
        self.show(releases)

    def show(self, releases: Sequence[Release]) -> None:
        """Fill the table, newest first."""
        self.releases = list(reversed(releases))
        table = self.query_one("#releases-table", DataTable)
        table.clear()
        for release in self.releases:
            stages = "→".join(f"{s.percent}%" for s in release.stages) or "—"
            table.add_row(_short_time(release.started), release.canary_version, stages,
                          OUTCOME_TEXT.get(release.outcome, release.outcome), release.checkpoint_id or "—")
        note = "Enter: timeline · Escape: back" if self.releases else "no releases of this target in its audit log"
        self.query_one("#releases-note", Static).update(note)
        self.loaded = True
        table.focus()

    def action_open(self) -> None:
        """The selected release as a timeline."""
        self.open_row(self.query_one("#releases-table", DataTable).cursor_row)

    @on(DataTable.RowSelected, "#releases-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on the table (the table takes the key first)."""
        event.stop()
        self.open_row(event.cursor_row)

    def open_row(self, row: int) -> None:
        """Release number `row` (as shown) as a timeline."""
        if self.releases:
            self.app.push_screen(ReleaseTimelineScreen(self.releases[min(max(row, 0), len(self.releases) - 1)]))

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)


class ReleaseTimelineScreen(Screen[None]):
    """One release: what happened, when, by whom and on which trigger; a rollback's figures at the trigger."""

    BINDINGS = [Binding("escape", "close", "Back", id="timeline.close")]

    DEFAULT_CSS = """
    ReleaseTimelineScreen { layout: vertical; }
    ReleaseTimelineScreen #timeline-title { height: auto; background: $primary; color: $text; padding: 0 1; }
    ReleaseTimelineScreen #timeline-table { height: 1fr; }
    ReleaseTimelineScreen #timeline-note { height: auto; padding: 0 1; }
    """

    def __init__(self, release: Release) -> None:
        super().__init__()
        self.release = release

    def compose(self) -> ComposeResult:
        r = self.release
        yield Static(f"[b]{escape(r.canary_version)}[/b] on {escape(r.target)} (stable {escape(r.stable_version or '?')}) · "
                     f"{OUTCOME_TEXT.get(r.outcome, r.outcome)} · checkpoint {escape(r.checkpoint_id or '—')}", id="timeline-title")
        table: DataTable[str] = DataTable(id="timeline-table", cursor_type="row")
        table.add_columns("time (UTC)", "step", "who", "trigger", "note")
        for step in timeline(r):
            table.add_row(str(step["time"])[11:19], str(step["text"]), str(step["actor"]), str(step["trigger"]), str(step["note"] or ""))
        yield table
        yield Static(self._trigger_note(), id="timeline-note")

    def _trigger_note(self) -> str:
        """Why it was rolled back and what the rollback saw when it was asked for; the way back."""
        rollback = self.release.rollback
        at = rollback.at_trigger if rollback is not None else None
        parts: list[str] = []
        if at:
            errors, requests = at.get("window_canary_errors"), at.get("window_canary_requests")
            if errors is not None and requests:
                parts.append(f"canary errors {errors}/{requests}")
            if at.get("canary_p95_ms") is not None:
                parts.append(f"canary P95 {float(str(at['canary_p95_ms'])):.0f} ms")
            gates = at.get("failing_gates")
            if isinstance(gates, list):
                parts += [f"gate {g.get('name')} failing" for g in gates if isinstance(g, dict)]
        lines = []
        if rollback is not None:
            lines.append(f"Rollback ({rollback.trigger}, {escape(rollback.actor)}): {escape(rollback.note or 'no reason given')}")
        if parts:
            lines.append(f"At the rollback: {escape(', '.join(parts))}")
        lines.append("[dim]Escape: back[/]")
        return "\n".join(lines)

    def action_close(self) -> None:
        """Back to the list."""
        self.dismiss(None)
