"""Fixtures of the mission tests: a sleep recorder and an attempt recorder (no real waiting in retry tests)."""

from __future__ import annotations

import pytest

from canary_tui.mission.errors import MissionError


class SleepRecorder:
    """Stands in for asyncio.sleep in the client: records each backoff delay and returns at once."""

    def __init__(self) -> None:
        self.delays_s: list[float] = []

    async def __call__(self, delay_s: float) -> None:
        self.delays_s.append(delay_s)


class AttemptRecorder:
    """An on_attempt hook that keeps (attempt, error kind or None)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, MissionError | None]] = []

    def __call__(self, attempt: int, error: MissionError | None) -> None:
        self.calls.append((attempt, error))

    @property
    def kinds(self) -> list[str | None]:
        """The error kind of each attempt, None for success."""
        return [None if err is None else err.kind for _, err in self.calls]


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def attempts() -> AttemptRecorder:
    return AttemptRecorder()
