"""The event journal: a bounded log of what happened, with repeating conditions coalesced so actions never scroll away.

During a bad-signature episode the same warning comes every poll; the journal
shows it once, counts the repeats, and at most once a minute writes
"… ×12 since 07:41:02" instead of two lines a second. Only conditions that a
poll can repeat are coalesced (`REPEATING_KINDS`): every action, outcome and
change by someone else is a fact of its own and always gets its line, however
like the last one it reads.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from canary_tui.controller.model import Event, EventLevel
from canary_tui.core.clock import Clock, to_datetime

log = logging.getLogger(__name__)

#: a repeat within this long of the last line shown is counted, not shown
REPEAT_WINDOW_S = 60.0
#: a message not seen for this long starts a new episode
EPISODE_GAP_S = 60.0

#: the kinds of event a poll can say again and again (a failing fetch, a bad signature, a store or audit log that cannot be written)
REPEATING_KINDS = frozenset({"poll-error", "poll", "signature", "audit", "store"})

EventListener = Callable[[Event], None]


@dataclass(slots=True)
class _Episode:
    """One message repeating: when it began, when it was last shown and seen, how often it came."""

    first_s: float
    shown_s: float
    seen_s: float
    total: int = 1
    unshown: int = 0


class EventJournal:
    """Events in order, bounded; listeners hear each line that is shown."""

    def __init__(self, clock: Clock, actor: str, events_max: int) -> None:
        self._clock = clock
        self._actor = actor
        self.events: deque[Event] = deque(maxlen=events_max)
        self._listeners: list[EventListener] = []
        self._episodes: dict[tuple[str, str], _Episode] = {}

    def subscribe(self, listener: EventListener) -> Callable[[], None]:
        """Hear every event shown from now on; returns a function that stops it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def clear_listeners(self) -> None:
        """Nobody listens any more (the controller is closing)."""
        self._listeners.clear()

    def emit(self, kind: str, message: str, level: EventLevel = EventLevel.INFO) -> Event:
        """Record one event; a repeating condition seen recently is counted and summarised instead of shown again."""
        now_s = self._clock.now()
        text = self._coalesce(kind, message, now_s) if kind in REPEATING_KINDS else message
        event = Event(at=to_datetime(now_s), actor=self._actor, kind=kind, message=text or message, level=level)
        if text is None:
            return event
        self.events.append(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # one broken observer must not stop the others
                log.exception("event listener failed")
        return event

    def log_listener_failure(self, what: str) -> None:
        """A snapshot observer raised: log it (never to the operator's screen)."""
        log.exception("%s listener failed", what)

    def _coalesce(self, kind: str, message: str, now_s: float) -> str | None:
        """The text to show for this event now, or None when it only counts as a repeat."""
        key = (kind, message)
        episode = self._episodes.get(key)
        if episode is None or now_s - episode.seen_s > EPISODE_GAP_S:
            self._prune(now_s)
            self._episodes[key] = _Episode(now_s, now_s, now_s)
            return message
        episode.total += 1
        episode.seen_s = now_s
        if now_s - episode.shown_s < REPEAT_WINDOW_S:
            episode.unshown += 1
            return None
        episode.shown_s, episode.unshown = now_s, 0
        since = to_datetime(episode.first_s).strftime("%H:%M:%S")
        return f"{message} ×{episode.total} since {since}"

    def _prune(self, now_s: float) -> None:
        """Forget episodes that ended long ago (the map stays small)."""
        for key in [k for k, e in self._episodes.items() if now_s - e.seen_s > EPISODE_GAP_S]:
            del self._episodes[key]
