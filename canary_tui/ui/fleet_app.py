"""The fleet overview app: one controller per target, each polled by its own worker, one row each, worst first."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.message import Message
from textual.widgets import Static

from canary_tui.controller.model import Event, Snapshot
from canary_tui.controller.target_verdict import is_paused
from canary_tui.core.actions import BY_ID, FLEET_MUTATING_ACTIONS, resolve_keys
from canary_tui.core.trips import count_text
from canary_tui.ui import presenter
from canary_tui.ui.actions import app_bindings, check_keymap, help_rows
from canary_tui.ui.commands_provider import CanaryCommands
from canary_tui.ui.crash import crash_console
from canary_tui.ui.fleet_actions import FleetActions, TargetState
from canary_tui.ui.fleet_presenter import FleetRow, TargetTrend, actions_line, summary_line, target_row, worst_first
from canary_tui.ui.screens.target_screen import TargetScreen
from canary_tui.ui.themes import DEFAULT_THEME, ThemeCatalog, default_directories, load_themes
from canary_tui.ui.widgets.chart_builds import ChartBuilds
from canary_tui.ui.widgets.events_log import EventsLog
from canary_tui.ui.widgets.fit_footer import OVERVIEW_SHED, FitFooter, shed_at
from canary_tui.ui.widgets.fleet_table import FleetTable, detail_markup
from canary_tui.ui.widgets.markup_lines import show_markup

#: points of P95 and error rate kept per target for its trend
TREND_POINTS = 60
#: the overview redraws at most this often: a dozen targets polled at 1 Hz arrive at a dozen moments a second
RENDER_INTERVAL_S = 0.2


class TargetSnapshot(Message):
    """A new snapshot of one target; a newer one of the same target replaces an unprocessed older one."""

    def __init__(self, target: str, snapshot: Snapshot) -> None:
        super().__init__()
        self.target = target
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        """Coalesce per target: only its newest snapshot matters."""
        return isinstance(message, TargetSnapshot) and message.target == self.target


class TargetEvent(Message):
    """One controller event of one target."""

    def __init__(self, target: str, event: Event) -> None:
        super().__init__()
        self.target = target
        self.event = event


class FleetApp(FleetActions):
    """Several targets on one screen; Enter opens one target's dashboard, Escape comes back."""

    FLEET = True  # the palette offers the fleet's own actions
    TITLE = "canary-tui fleet"
    CSS_PATH = ["app.tcss", "fleet.tcss"]
    COMMANDS = App.COMMANDS | {CanaryCommands}
    COMMAND_PALETTE_BINDING = BY_ID["command_palette"].keys[0]
    BINDINGS: ClassVar[list[BindingType]] = [
        *app_bindings(fleet=True),
        # priority, like R: a key typed ahead is handled in the order it was typed ("j R" rolls back the row below),
        # never after an R that overtook it on its way to the focused widget; off the overview they pass on
        Binding("up,k", "cursor(-1)", "Up", show=False, priority=True),
        Binding("down,j", "cursor(1)", "Down", show=False, priority=True),
        Binding("enter", "open_target", "Open", priority=True),
    ]

    def __init__(
        self,
        controllers: Sequence[tuple[str, Any]],
        *,
        read_only: bool = False,
        theme: str = DEFAULT_THEME,
        keymap: Mapping[str, str] | None = None,
        poll_interval_s: float = 1.0,
        theme_dirs: list[Path] | None = None,
        poll: bool = True,
        tick_interval_s: float = 1.0,
        chart_builds: ChartBuilds | None = None,
    ) -> None:
        self.catalog: ThemeCatalog = load_themes(theme_dirs if theme_dirs is not None else default_directories())
        super().__init__()
        self.error_console = crash_console(self._crashed)
        self.chart_builds = chart_builds
        self.targets = {name: TargetState(name, controller, read_only) for name, controller in controllers}
        self._showing: set[asyncio.Task[None]] = set()
        self.read_only = read_only
        self.requested_keymap = dict(keymap or {})
        self.action_keys = resolve_keys({})
        self.poll_interval_s = max(0.05, float(poll_interval_s))
        self.poll_enabled = poll
        self.tick_interval_s = tick_interval_s
        self.selected = ""  # the selected target's name: the worst row until every target reported, then it stays
        self.rows: list[FleetRow] = []
        self.renders = 0
        self.crashed = False
        self._render_pending = False
        self._summary_markup = ""
        self._detail_markup = ""
        self.selection_settled = False
        self._unsubscribes: list[Any] = []
        for loaded in self.catalog.themes.values():
            self.register_theme(loaded)
        self.theme = theme if theme in self.available_themes else (DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark")

    def compose(self) -> ComposeResult:
        """Summary line, the table, the selected row in words, the fleet's event log, the footer."""
        yield Static("", id="fleet-summary")
        yield FleetTable(id="fleet-table")
        yield Static("", id="fleet-detail")
        events = EventsLog(id="fleet-events")
        events.can_focus = False  # ↑/↓ select targets, they never scroll the log
        yield events
        yield FitFooter()

    def on_mount(self) -> None:
        """Keymap, one subscription and one poll worker per target, the data-age tick."""
        if self.requested_keymap:
            checked = check_keymap(self.requested_keymap, fleet=True)
            for problem in checked.problems:
                self.notify(f"{problem} (that key stays as it was)", severity="warning", timeout=10)
            self.action_keys = resolve_keys(checked.keymap)
            self.set_keymap(checked.keymap)
        self.query_one("#fleet-events", EventsLog).border_title = "Events · all targets"
        self._log_watching()
        for state in self.targets.values():
            subscribe = getattr(state.controller, "subscribe", None)
            if callable(subscribe):
                self._unsubscribes.append(subscribe(
                    on_snapshot=lambda snap, name=state.name: self.post_message(TargetSnapshot(name, snap)),
                    on_event=lambda event, name=state.name: self.post_message(TargetEvent(name, event)),
                ))
            current = getattr(state.controller, "snapshot", None)
            if isinstance(current, Snapshot):
                self.post_message(TargetSnapshot(state.name, current))
            if self.poll_enabled:
                self.run_worker(self._poll_target(state), name=f"poll {state.name}", group=f"poll-{state.name}", exit_on_error=False)
        if self.tick_interval_s > 0:
            self.set_interval(self.tick_interval_s, self._tick, name="data-age tick")
        self._layout_classes()
        self.render_fleet()

    def on_unmount(self) -> None:
        """Stop listening (quitting never touches a ramp)."""
        for unsubscribe in self._unsubscribes:
            try:
                unsubscribe()
            except Exception:  # noqa: BLE001 - leaving must never fail
                pass

    def on_resize(self, event: events.Resize) -> None:
        """Adapt the footer to the new terminal size (the event's: this runs before App's own handler updates `size`)."""
        self._layout_classes(event.size.width)

    def _layout_classes(self, width: int | None = None) -> None:
        """The overview's footer fits the width: compact under 120 columns, the palette hint from 120, keys left out where narrow."""
        if width is None:
            width = self.size.width
        for footer in self.screen_stack[0].query(FitFooter):
            footer.fit(compact=width < 120, palette=width >= 120, shed=shed_at(width, OVERVIEW_SHED))

    # ---- polling: one worker per target ---------------------------------------------------

    async def _poll_target(self, state: TargetState) -> None:
        """This target's polls, one at a time; a hung or failing one holds back only itself."""
        while True:
            state.refresh_now.clear()
            try:
                snapshot = await state.controller.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the controller should not raise; keep polling anyway
                state.poll_errors += 1
                self.log.error(f"{state.name}: refresh failed: {exc!r}")
            else:
                state.polls += 1
                if isinstance(snapshot, Snapshot):
                    self.post_message(TargetSnapshot(state.name, snapshot))
            try:
                await asyncio.wait_for(state.refresh_now.wait(), timeout=self.poll_interval_s)
            except TimeoutError:
                pass

    def _tick(self) -> None:
        """Re-publish every target on the clock alone: ages tick and LIVE turns STALE even while a poll hangs."""
        for state in self.targets.values():
            tick = getattr(state.controller, "tick", None)
            if callable(tick):
                try:
                    tick()
                except Exception as exc:  # noqa: BLE001 - a failed tick must not take the overview down
                    self.log.error(f"{state.name}: tick failed: {exc!r}")

    @on(TargetSnapshot)
    def _target_snapshot(self, message: TargetSnapshot) -> None:
        """Keep the snapshot and its trend point; redraw once the queue is drained; dialogs and the drill-down follow."""
        state = self.targets.get(message.target)
        if state is None or not state.feed.take(message.snapshot):
            return
        snapshot = message.snapshot
        hb = snapshot.heartbeat
        if hb is not None and hb.fetched_at_s != state.trend_key:
            state.trend_key = hb.fetched_at_s
            if hb.metrics.canary is not None and hb.metrics.canary.p95_ms is not None:
                state.p95_ms = [*state.p95_ms[-(TREND_POINTS - 1):], hb.metrics.canary.p95_ms]
            rate = snapshot.window.canary_error_rate if snapshot.window is not None else None
            if rate is not None:
                state.error_rate = [*state.error_rate[-(TREND_POINTS - 1):], rate]
        self.follow_dialogs(state)
        for screen in self._drill_downs(state.name):
            screen.show()
        if not self._render_pending:  # every target's news in the next RENDER_INTERVAL_S drawn at once
            self._render_pending = True
            self.set_timer(RENDER_INTERVAL_S, self.render_fleet)

    @on(TargetEvent)
    def _target_event(self, message: TargetEvent) -> None:
        """The event in the fleet log (named by target) and in the target's own dashboard if open."""
        event = message.event
        line = presenter.event_line(event)
        try:
            self.query_one("#fleet-events", EventsLog).add(type(line)(line.time_text, line.actor, line.kind, f"{message.target}: {line.message}", line.level))
        except Exception:  # noqa: BLE001 - the overview is not mounted (shutting down)
            return
        for screen in self._drill_downs(message.target):
            screen.add_event(event)

    def _drill_downs(self, target: str) -> list[TargetScreen]:
        """The open dashboards of `target` (at most one)."""
        return [screen for screen in self.screen_stack if isinstance(screen, TargetScreen) and screen.target == target]

    def log_outcome(self, state: TargetState, kind: str, message: str, level: str) -> None:
        """An action's outcome on one target as a log line, stamped on that target's clock."""
        self.post_message(TargetEvent(state.name, self.stamped_event(state.controller, message, kind, level)))

    def _log_watching(self) -> None:
        """The log's first line, so it is never blank: what is watched, how often, and whether read-only."""
        names = list(self.targets)
        if names:
            message = presenter.watching_text(f"{count_text(len(names), 'target')}: {', '.join(names)}",
                                              poll_interval_s=self.poll_interval_s if self.poll_enabled else None, read_only=self.read_only)
            self.query_one("#fleet-events", EventsLog).add(presenter.event_line(self.stamped_event(self.targets[names[0]].controller, message)))

    # ---- rendering and selection ----------------------------------------------------------

    def render_fleet(self) -> None:
        """Rows from every target's latest snapshot, worst first; the selection stays on its target."""
        self._render_pending = False
        rows = [
            target_row(state.name, state.snapshot, TargetTrend(tuple(state.p95_ms), tuple(state.error_rate)), state.note)
            for state in self.targets.values()
        ]
        self.rows = worst_first(rows)
        try:
            table = self.query_one("#fleet-table", FleetTable)
            summary = self.query_one("#fleet-summary", Static)
            detail = self.query_one("#fleet-detail", Static)
        except Exception:  # noqa: BLE001 - not mounted (yet, or any more), or a screen is on top: drawn when back
            return
        self.renders += 1
        names = [row.name for row in self.rows]
        everyone_seen = all(state.snapshot is not None for state in self.targets.values())
        if names and (self.selected not in names or not self.selection_settled):
            self.selected = names[0]  # the worst row while the targets first report
        if everyone_seen:
            self.selection_settled = True  # from now on the selection never moves by itself: R acts on what is selected
        index = names.index(self.selected) if self.selected in names else 0
        table.show(self.rows, index)
        self._detail_markup = show_markup(detail, self._detail_markup, detail_markup(self.rows[index] if self.rows else None))
        blocked = self._blocked_everywhere()
        extra = f" · [reverse $secondary] VIEW ONLY [/] [$secondary]{escape(blocked)}[/]" if blocked else ""
        actions = actions_line((state.name, state.in_flight, state.note) for state in self.targets.values())
        if actions:
            extra += f" · [reverse $accent] {escape(actions)} [/]"
        self._summary_markup = show_markup(summary, self._summary_markup, f"[b]{escape(summary_line(self.rows))}[/]{extra}")

    def _blocked_everywhere(self) -> str | None:
        """The reason no target can be changed from here (read-only), if it holds for all."""
        reasons = {state.blocked_reason(self.read_only) for state in self.targets.values()}
        return next(iter(reasons)) if len(reasons) == 1 and None not in reasons else None

    def action_cursor(self, delta: int) -> None:
        """Select the row above or below."""
        if not self._on_target_screen() and self.rows:
            names = [row.name for row in self.rows]
            index = names.index(self.selected) if self.selected in names else 0
            self.selected = names[max(0, min(len(names) - 1, index + delta))]
            self.selection_settled = True
            self.render_fleet()
            self.refresh_bindings()

    def action_open_target(self) -> None:
        """The selected target's dashboard over the overview (Escape comes back)."""
        state = self.targets.get(self.selected)
        if state is None or self._on_target_screen():
            return
        self.push_screen(TargetScreen(state.name, state.feed, chart_builds=self.chart_builds))  # it draws the feed's snapshot once mounted

    def action_releases(self) -> None:
        """The releases of the target on show (the drilled-down one, else the selected row) from its audit log (h)."""
        from canary_tui.controller.reports import releases_loader
        from canary_tui.ui.screens.releases_screen import ReleasesScreen

        state = self.current_target()
        if state is None:
            return
        target, loader = releases_loader(state.controller)
        self.push_screen(ReleasesScreen(target, loader))

    def current_target(self) -> TargetState | None:
        """The drilled-down target, else the selected row's."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, TargetScreen):
                return self.targets.get(screen.target)
        return self.targets.get(self.selected)

    # ---- availability and the rest --------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that change a deployment are dimmed where nothing can be changed; R is otherwise always live."""
        if action == "freeze":
            return self._on_target_screen()  # only a target's dashboard freezes
        if action in ("cursor", "open_target"):
            return len(self.screen_stack) == 1  # the overview itself; a dialog, help or a drill-down gets the key instead
        if action not in FLEET_MUTATING_ACTIONS:
            return True
        state = self.current_target()
        if action == "toggle_pause" and parameters and state is not None and not state.blocked_reason(self.read_only):
            paused = state.snapshot is not None and is_paused(state.snapshot)
            if (parameters[0] == "resume") != paused:
                return False  # the other face of P is the one on show
        return None if self.dimmed_reason(action) else True

    def dimmed_reason(self, action: str) -> str | None:
        """Why a key that changes a deployment is dimmed now (None: it is live); check_action and the notice read it."""
        if action == "rollback_all":
            reasons = [s.blocked_reason(self.read_only) for s in self.targets.values()]
            return None if any(reason is None for reason in reasons) else (reasons[0] if reasons else "no targets")
        state = self.current_target()
        if state is None:
            return "no target selected"
        blocked = state.blocked_reason(self.read_only)
        if blocked or action == "rollback":
            return blocked
        busy = self.action_under_way(state.in_flight, state.snapshot)
        return f"a {busy} is in flight on {state.name}" if busy else None

    def change_blocked_reason(self) -> str | None:
        """Why the target on show cannot be changed from here (the palette asks)."""
        state = self.current_target()
        return state.blocked_reason(self.read_only) if state is not None else None

    def action_refresh(self) -> None:
        """Poll every target now (or right after its poll in progress)."""
        for state in self.targets.values():
            state.refresh_now.set()

    @property
    def redraw_pending(self) -> bool:
        """Whether news from a target, or an action's effect on the footer's keys, waits for the next coalesced redraw."""
        return self._render_pending or self._keys_check_pending

    def _on_target_screen(self) -> bool:
        """Whether a target's dashboard is on show (False while the app starts or shuts down with no screen)."""
        return bool(self.screen_stack) and isinstance(self.screen_stack[-1], TargetScreen)

    def action_freeze(self) -> None:
        """Freeze or unfreeze the target's dashboard on show (the overview has none: hidden there)."""
        screen = self.screen_stack[-1] if self.screen_stack else None
        if isinstance(screen, TargetScreen):
            screen.toggle_freeze()

    def action_help(self) -> None:
        """Every key with its effect and availability."""
        from canary_tui.ui.screens.help_screen import HelpScreen

        def availability(action: str) -> bool | None:
            state = self.check_action(action, ())
            return None if state is False and action == "freeze" else state  # the overview has no frozen view: not a read-only matter

        rows = help_rows(self.action_keys, self.key_display, availability, fleet=True)
        notes = ["↑/↓ or j/k select a target; Enter opens its dashboard (the single view's, freeze included), Escape comes back.",
                 "R, A, P and c act on the selected target (or the one on show)."]
        if self.read_only:
            notes.append("Read-only: no key changes a deployment.")
        state = self.current_target()
        thresholds = presenter.threshold_rows(state.snapshot.thresholds) if state is not None and state.snapshot is not None else None
        self.push_screen(HelpScreen(rows, notes, thresholds))
