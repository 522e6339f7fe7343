"""Injected clocks: everything that reads time takes one, so tests and benchmarks control it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Wall time in epoch seconds (for display and bake clocks) and a monotonic reading (for ages)."""

    def now(self) -> float: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told: deterministic tests and accelerated soaks."""

    def __init__(self, start_s: float = 1_795_003_200.0) -> None:  # 2026-11-18T12:00:00Z
        self._now_s = start_s
        self._mono_s = 0.0

    def now(self) -> float:
        return self._now_s

    def monotonic(self) -> float:
        return self._mono_s

    def advance(self, seconds: float) -> None:
        """Move both readings forward by `seconds`."""
        self._now_s += seconds
        self._mono_s += seconds


def to_datetime(epoch_s: float) -> datetime:
    """Epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch_s, tz=UTC)
