"""The dashboard app: polls the controller without overlap, routes values down and messages up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from textual import on, work
from textual.app import App
from textual.binding import BindingType
from textual.message import Message

from canary_tui.controller.model import ActionResult, Event, RampState, Snapshot
from canary_tui.core.actions import BY_ID, MUTATING_ACTIONS, resolve_keys
from canary_tui.ui import presenter
from canary_tui.ui.actions import app_bindings, check_keymap, help_rows
from canary_tui.ui.app_actions import DashboardActions
from canary_tui.ui.commands_provider import CanaryCommands
from canary_tui.ui.crash import crash_console
from canary_tui.ui.dashboard_feed import DashboardFeed
from canary_tui.ui.screens.dashboard_screen import CHART_INTERVAL_S, DashboardScreen
from canary_tui.ui.screens.guard import GuardedDialog
from canary_tui.ui.themes import DEFAULT_THEME, ThemeCatalog, default_directories, load_themes
from canary_tui.ui.widgets.chart_builds import ChartBuilds
from canary_tui.ui.widgets.latency_chart import LatencyChart

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def _display_url(url: object) -> str:
    """A base URL fit for the log: host, port and path (never user info, query or fragment).

    The scheme is kept only where it says something: plain http to a host other than this machine.
    """
    if not url:
        return ""
    parts = urlsplit(str(url))
    if not parts.scheme or not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    scheme = "http://" if parts.scheme == "http" and parts.hostname not in _LOOPBACK else ""
    return f"{scheme}{host}{parts.path.rstrip('/')}"


def _forward(owner: str, name: str, doc: str) -> Any:
    """A property that reads and writes `self.<owner>.<name>`, where that fact is kept."""
    return property(lambda self: getattr(getattr(self, owner), name), lambda self, value: setattr(getattr(self, owner), name, value), doc=doc)


class SnapshotArrived(Message):
    """A new controller snapshot; a newer one replaces an unprocessed older one."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        """Coalesce: only the newest snapshot matters."""
        return isinstance(message, SnapshotArrived)


class EventArrived(Message):
    """One controller event for the log."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class CanaryApp(DashboardActions):
    """Live canary dashboard; every mutation goes through the controller, never around it.

    The dashboard itself (layout, drawing, freeze) is DashboardScreen, the same screen the fleet's drill-down shows;
    this app polls one controller into its DashboardFeed and handles the keys.
    """

    TITLE = "canary-tui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {CanaryCommands}
    COMMAND_PALETTE_BINDING = BY_ID["command_palette"].keys[0]
    # from the action registry (core/actions.py); P has two faces and the footer shows the one check_action allows
    BINDINGS: ClassVar[list[BindingType]] = app_bindings()

    def __init__(
        self,
        controller: Any,
        *,
        read_only: bool = False,
        theme: str = DEFAULT_THEME,
        keymap: Mapping[str, str] | None = None,
        poll_interval_s: float = 1.0,
        clock: Any = None,
        environment_label: str | None = None,
        theme_dirs: list[Path] | None = None,
        poll: bool = True,
        chart_interval_s: float = CHART_INTERVAL_S,
        first_poll: Awaitable[Any] | None = None,
        tick_interval_s: float = 1.0,
        chart_builds: ChartBuilds | None = None,
    ) -> None:
        # themes first: App.__init__ already asks for the theme variable defaults
        self.catalog: ThemeCatalog = load_themes(theme_dirs if theme_dirs is not None else default_directories())
        super().__init__()
        self.error_console = crash_console(self._crashed)  # Textual prints an unhandled error here: it goes to the crash log
        self.controller = controller
        self.chart_builds = chart_builds
        self.feed = DashboardFeed(controller, label=environment_label, read_only=read_only)
        self.requested_theme = theme
        self.requested_keymap = dict(keymap or {})
        self.action_keys: dict[str, tuple[str, ...]] = resolve_keys({})  # every action's keys, the keymap applied on mount
        self.keymap_problems: list[str] = []  # keymap entries left out, each naming its key
        self.poll_interval_s = max(0.05, float(poll_interval_s))
        self.clock = clock
        self.poll_enabled = poll
        self.tick_interval_s = tick_interval_s  # the data age re-published on the clock alone, whatever the poll is doing
        self._first_poll = first_poll  # a refresh started before the app (ui/launch.py): the poll loop awaits it first
        self.chart_interval_s = max(0.0, chart_interval_s)  # the history's slots are 5 s: faster shows nothing new
        self._dashboard: DashboardScreen | None = None
        for loaded in self.catalog.themes.values():
            self.register_theme(loaded)
        self._startup_notices: list[tuple[str, str]] = []
        self._apply_theme()
        self.polls = 0
        self.poll_errors = 0
        self._refresh_now = asyncio.Event()
        self._unsubscribe: Callable[[], None] | None = None
        self.crashed = False
        self._bindings_key: tuple[object, ...] | None = None
        self._then: dict[str, Callable[[ActionResult | None], None]] = {}  # what to do when an action finishes, by name

    # ---- layout -------------------------------------------------------------------------

    def get_default_screen(self) -> DashboardScreen:
        """The dashboard screen on this app's feed (the fleet pushes the same screen for one of its targets)."""
        return self.dashboard

    @property
    def dashboard(self) -> DashboardScreen:
        """The dashboard screen, made on first use (a screen is made once the app runs)."""
        if self._dashboard is None:
            self._dashboard = DashboardScreen(self.feed, chart_interval_s=self.chart_interval_s, chart_builds=self.chart_builds)
        return self._dashboard

    # what the dashboard shows and knows lives once, in the feed and the screen; the app's names read it there
    snapshot = _forward("feed", "snapshot", "The newest snapshot (drawn unless frozen).")
    read_only = _forward("feed", "read_only", "Whether no key may change the deployment.")
    environment_label = _forward("feed", "label", "The environment name the command chose, if any.")
    in_flight = _forward("feed", "in_flight", "Actions under way from this dashboard.")
    frozen = _forward("dashboard", "frozen", "Whether the view is frozen (polling goes on).")
    _frozen_snapshot = _forward("dashboard", "frozen_snapshot", "The snapshot the frozen view shows.")
    renders = _forward("dashboard", "renders", "How many times every pane was drawn.")
    _chart_key = _forward("dashboard", "chart_key", "What the chart was last drawn from.")

    def on_mount(self) -> None:
        """Keymap, subscriptions, then the first poll."""
        if self.requested_keymap:
            checked = check_keymap(self.requested_keymap)
            self.keymap_problems = checked.problems
            self._startup_notices.extend((f"{problem} (that key stays as it was)", "warning") for problem in checked.problems)
            self.action_keys = resolve_keys(checked.keymap)
            self.set_keymap(checked.keymap)
        subscribe = getattr(self.controller, "subscribe", None)
        if callable(subscribe):
            self._unsubscribe = subscribe(on_snapshot=self._on_controller_snapshot, on_event=self._on_controller_event)
        for event in list(getattr(self.controller, "events", ()) or ()):
            self.post_message(EventArrived(event))
        self.post_message(EventArrived(self._watching_event()))
        blocked = self.change_blocked_reason()
        if blocked:
            self.post_message(EventArrived(self._local_event(f"this dashboard cannot change the deployment: {blocked}", "blocked")))
        current = getattr(self.controller, "snapshot", None)
        if isinstance(current, Snapshot):
            self.post_message(SnapshotArrived(current))
        for message, severity in self._startup_notices:
            self.notify(message, severity=severity, timeout=10)  # type: ignore[arg-type]
        if self.poll_enabled:
            self._poll_loop()
        if self.tick_interval_s > 0 and callable(getattr(self.controller, "tick", None)):
            self.set_interval(self.tick_interval_s, self._tick, name="data-age tick")

    def _tick(self) -> None:
        """Re-publish on the clock alone: the data age ticks and LIVE turns STALE even while a poll hangs."""
        try:
            self.controller.tick()
        except Exception as exc:  # noqa: BLE001 - a failed tick must not take the dashboard down
            self.log.error(f"tick failed: {exc!r}")

    def change_blocked_reason(self) -> str | None:
        """Why this dashboard cannot change the deployment (no token, read-only), or None when it can."""
        return self.feed.blocked_reason()

    def _local_event(self, message: str, kind: str = "") -> Event:
        """An event the dashboard itself writes to the log, stamped on the controller's clock."""
        return self.stamped_event(self.controller, message, kind, clock=self.clock)

    def _watching_event(self) -> Event:
        """The log's first line: what is watched, from where, as whom, how often (so the log is never blank)."""
        environment = self.environment_label or str(getattr(self.controller, "environment", "") or "") or "?"
        url = _display_url(getattr(getattr(self.controller, "client", None), "base_url", None))
        return self._local_event(presenter.watching_text(environment, url=url, poll_interval_s=self.poll_interval_s if self.poll_enabled else None,
                                                         read_only=self.read_only))

    def on_unmount(self) -> None:
        """Stop listening to the controller (quitting never touches the ramp)."""
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except Exception:  # noqa: BLE001 - leaving must never fail
                pass

    def _apply_theme(self) -> None:
        """Use the requested theme, or say why not and fall back to the default."""
        notice = self.catalog.notice()
        if notice:
            self._startup_notices.append((notice, "warning"))
        wanted = self.requested_theme or DEFAULT_THEME
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            fallback = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
            if wanted != DEFAULT_THEME:
                self._startup_notices.append((f"Theme {wanted!r} not found; using {fallback}.", "warning"))
            self.theme = fallback

    # ---- polling ------------------------------------------------------------------------

    @work(exclusive=True, group="poll", name="poll")
    async def _poll_loop(self) -> None:
        """One fetch at a time, then wait for the interval or a refresh request: never overlaps."""
        while True:
            self._refresh_now.clear()
            pending, self._first_poll = self._first_poll, None
            try:
                snapshot = await (pending if pending is not None else self.controller.refresh())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the controller should not raise; keep polling anyway
                self.poll_errors += 1
                self.log.error(f"refresh failed: {exc!r}")
            else:
                self.polls += 1
                if isinstance(snapshot, Snapshot):
                    self.post_message(SnapshotArrived(snapshot))
            try:
                await asyncio.wait_for(self._refresh_now.wait(), timeout=self.poll_interval_s)
            except TimeoutError:
                pass

    def _on_controller_snapshot(self, snapshot: Snapshot) -> None:
        """Controller callback: hand the snapshot to the UI as a message (safe from any thread)."""
        self.post_message(SnapshotArrived(snapshot))

    def _on_controller_event(self, event: Event) -> None:
        """Controller callback: hand the event to the UI as a message."""
        self.post_message(EventArrived(event))

    @on(SnapshotArrived)
    def _snapshot_arrived(self, message: SnapshotArrived) -> None:
        """Keep every snapshot; draw it unless frozen (the header's age still ticks); open dialogs follow it."""
        snapshot = message.snapshot
        if not self.feed.take(snapshot):
            return
        if self._panes_ready():
            self.dashboard.show()
        self._follow_dialogs(snapshot)
        self._refresh_bindings_if_changed()

    def _follow_dialogs(self, snapshot: Snapshot) -> None:
        """Hand every open confirm dialog the deployment as seen now (dialogs never ask the controller)."""
        dialogs = [screen for screen in self.screen_stack if isinstance(screen, GuardedDialog)]
        if not dialogs:
            return
        seen = presenter.seen_state(snapshot)
        advance = presenter.advance_view(snapshot)
        for dialog in dialogs:
            dialog.follow(seen, advance)

    def _refresh_bindings_if_changed(self) -> None:
        """Re-check key availability only when it can have changed (each check asks every binding's action)."""
        key = (
            frozenset(self.in_flight),
            self.snapshot.action_in_flight if self.snapshot else None,
            self._advance_target() is None,
            self.read_only,
            self.change_blocked_reason(),
            self._ramp_paused(),
        )
        if key != self._bindings_key and self._panes_ready():
            self._bindings_key = key
            self.refresh_bindings()

    def _panes_ready(self) -> bool:
        """False while the dashboard screen is not (or no longer) mounted, e.g. during shutdown."""
        return self._dashboard is not None and self._dashboard.ready

    @on(EventArrived)
    def _event_arrived(self, message: EventArrived) -> None:
        """Log the event now, or after unfreezing."""
        self.dashboard.add_event(message.event)

    def _render_header(self, snapshot: Snapshot) -> None:
        """Only the header (frozen: the frozen data, its age still ticking)."""
        self.dashboard.render_header(snapshot)

    def _labelled(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot under the environment label the command chose (the feed keeps it)."""
        return self.feed.labelled(snapshot)

    def render_snapshot(self, snapshot: Snapshot) -> None:
        """Draw every pane from `snapshot`."""
        self.dashboard.render_snapshot(snapshot)

    def _draw_chart(self, chart: LatencyChart) -> None:
        """Plot the controller's series at the chart's width now."""
        self.dashboard.draw_chart(chart)

    # ---- availability -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dimmed when nothing can be changed from here (read-only, no token) or while another action is in flight.

        R is otherwise always live; P shows Pause or Resume.
        """
        if action in MUTATING_ACTIONS:
            if action == "toggle_pause" and parameters and (parameters[0] == "resume") != self._ramp_paused():
                return False  # the other face of P is the one on show
            return None if self.dimmed_reason(action) else True  # dimmed: the header, the log or a notice says why
        return True

    def dimmed_reason(self, action: str) -> str | None:
        """Why a key that changes the deployment is dimmed now (None: it is live); check_action and the notice read it."""
        blocked = self.change_blocked_reason()
        if blocked or action == "rollback":
            return blocked
        busy = self.action_under_way(self.in_flight, self.snapshot)
        if busy:
            return f"a {busy} is in flight"
        if action != "advance" or self._advance_target():
            return None
        snapshot = self.snapshot
        if snapshot is None or snapshot.heartbeat is None:  # none trusted yet: say why (a bad signature, no answer)
            error = snapshot.connection_error if snapshot is not None else None
            return f"no trusted heartbeat ({error})" if error else "no heartbeat yet"
        return "no next stage to advance to"

    def _ramp_paused(self) -> bool:
        """Whether the ramp is on hold, as last seen (unknown counts as running)."""
        snapshot = self.snapshot
        if snapshot is None:
            return False
        if snapshot.heartbeat is not None:
            return bool(snapshot.heartbeat.deployment.paused)
        return snapshot.ramp == RampState.PAUSED

    def _advance_target(self) -> tuple[int, int] | None:
        """(from, to) percents for an advance, or None when there is nowhere to go or no data."""
        snapshot = self.snapshot
        if snapshot is None or snapshot.heartbeat is None:
            return None
        current = snapshot.heartbeat.deployment.canary_percent
        nxt = snapshot.plan.next_stage(current)
        return None if nxt is None else (current, nxt.percent)

    def action_freeze(self) -> None:
        """Freeze or unfreeze the view; polling goes on and nothing is lost."""
        self.dashboard.toggle_freeze()

    def action_refresh(self) -> None:
        """Fetch now (or right after the fetch in progress)."""
        self._refresh_now.set()

    def action_releases(self) -> None:
        """The target's releases from its audit log (h); Enter opens one as a timeline."""
        from canary_tui.controller.reports import releases_loader
        from canary_tui.ui.screens.releases_screen import ReleasesScreen

        target, loader = releases_loader(self.controller)
        self.push_screen(ReleasesScreen(target, loader))

    def action_help(self) -> None:
        """Show every key with its effect and availability."""
        from canary_tui.ui.screens.help_screen import HelpScreen

        rows = help_rows(self.action_keys, self.key_display, lambda action: self.check_action(action, ()))
        anywhere = ", ".join(self.key_display(key) for key in self.action_keys["rollback_anywhere"])
        notes = [f"{anywhere} rolls back from anywhere, text fields and the command palette included."]
        if self.read_only:
            notes.append("Read-only: no key changes the deployment.")
        self.push_screen(HelpScreen(rows, notes, presenter.threshold_rows(self.snapshot.thresholds) if self.snapshot else None))
