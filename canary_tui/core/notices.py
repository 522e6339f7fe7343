"""Notification events by name, what a notice carries, and the dedupe and rate limit on sending them (pure)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

#: every notification event, with what fires it (the config's `events` and docs/notifications.md name these)
NOTIFY_EVENTS: dict[str, str] = {
    "auto-rollback": "an automatic rollback was fired",
    "rollback-confirmed": "a rollback (automatic or by hand) was confirmed by a read-back showing 0%",
    "rollback-unconfirmed": "a rollback is still not confirmed after `unconfirmed_after_attempts` attempts, or cannot succeed",
    "stage-advanced": "the canary's percent went up (a new stage)",
    "stage-completed": "the current stage's bake time was met with no gate failing",
    "gate-failing": "a stage gate has been failing for longer than `gate_failing_after`",
    "stale": "the data has been STALE or UNREACHABLE for longer than `stale_after`",
    "release-completed": "the canary version is at 100% with its bake met",
}
#: the event `canary-tui notify test` sends (not configurable: it always goes to every URL)
TEST_EVENT = "test"


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification: which event, for which target, release and stage, why (with figures) and who acted."""

    event: str
    target: str
    environment: str
    release: str  # the canary version, "" when unknown
    stage: str  # e.g. "10% (stage 1 of 3)", "" when unknown
    reason: str
    actor: str
    at_s: float

    @property
    def dedupe_key(self) -> tuple[str, str, str, str, str]:
        """Two notices with this key equal say the same thing (a repeat)."""
        return (self.target, self.event, self.release, self.stage, self.reason)


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    """A repeat within `dedupe_s` is dropped; at most `rate_count` notices per target and event in `rate_window_s`."""

    dedupe_s: float = 3600.0
    rate_count: int = 5
    rate_window_s: float = 600.0


class Throttle:
    """Decides whether a notice is sent now: not a recent repeat, and within the per-target-and-event rate."""

    def __init__(self, limits: ThrottleLimits) -> None:
        self.limits = limits
        self._seen: dict[tuple[str, str, str, str, str], float] = {}
        self._sent: dict[tuple[str, str], deque[float]] = {}

    def admit(self, notice: Notice, now_s: float) -> str | None:
        """None when the notice may go now (and it is counted), else why not: 'duplicate' or 'rate-limited'."""
        limits = self.limits
        last_s = self._seen.get(notice.dedupe_key)
        if last_s is not None and now_s - last_s < limits.dedupe_s:
            return "duplicate"
        sent = self._sent.setdefault((notice.target, notice.event), deque())
        while sent and now_s - sent[0] >= limits.rate_window_s:
            sent.popleft()
        if len(sent) >= limits.rate_count:
            return "rate-limited"
        sent.append(now_s)
        self._seen[notice.dedupe_key] = now_s
        self._prune(now_s)
        return None

    def _prune(self, now_s: float) -> None:
        """Forget repeats older than the dedupe window (the map stays small)."""
        for key in [k for k, t in self._seen.items() if now_s - t >= self.limits.dedupe_s]:
            del self._seen[key]
