"""Typed ports: what the controller needs from a Mission Control client, and what the dashboard needs from a controller.

Structural (`Protocol`) so the real `MissionClient`, the real `RampController` and the
tests' fakes are all checked by mypy against one definition instead of probed at run time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Protocol, runtime_checkable

from canary_tui.controller.chart import ChartData
from canary_tui.controller.model import ActionResult, Event, Snapshot, Trigger
from canary_tui.core.clock import Clock
from canary_tui.core.samples import Heartbeat
from canary_tui.mission.parse import Checkpoint

SnapshotListener = Callable[[Snapshot], None]
EventListener = Callable[[Event], None]


class HeartbeatSource(Protocol):
    """The reads the controller makes: one heartbeat per poll and per read-back."""

    async def heartbeat(self) -> Heartbeat:
        """The server's current heartbeat (raises MissionError / SignatureError)."""
        ...


class ControllerClient(HeartbeatSource, Protocol):
    """The Mission Control client as the controller uses it: heartbeats, and checkpoints for a rollback."""

    async def checkpoint(self, note: str) -> Checkpoint:
        """Create a rollback checkpoint with a note."""
        ...


@runtime_checkable
class DashboardController(Protocol):
    """What the dashboard asks of a controller: snapshots, events, the chart and the operator's actions.

    `tick` and `blocked_reason` are optional extras the dashboard uses when a controller has them.
    """

    @property
    def snapshot(self) -> Snapshot: ...
    @property
    def events(self) -> Sequence[Event]: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def actor(self) -> str: ...
    @property
    def environment(self) -> str: ...

    def subscribe(self, on_snapshot: SnapshotListener | None = None, on_event: EventListener | None = None) -> Callable[[], None]: ...
    def chart(self, columns: int, fields: Sequence[str] | None = None) -> ChartData: ...
    def chart_steps(self, columns: int, fields: Sequence[str] | None = None) -> Iterator[ChartData | None]: ...
    async def until_rollback_sent(self) -> None: ...
    async def refresh(self) -> Snapshot: ...
    async def advance(self, trigger: Trigger, note: str | None = None, override: bool = False, *,
                      from_percent: int | None = None, to_percent: int | None = None, override_pipeline: bool = False) -> ActionResult: ...
    async def pause(self, trigger: Trigger, note: str | None = None, *, expected_percent: int | None = None,
                    seen_paused: bool | None = None) -> ActionResult: ...
    async def resume(self, trigger: Trigger, note: str | None = None, *, expected_percent: int | None = None,
                     seen_paused: bool | None = None) -> ActionResult: ...
    async def checkpoint(self, note: str, trigger: Trigger) -> ActionResult: ...
    def start_rollback(self, trigger: Trigger, note: str | None = None) -> Awaitable[ActionResult]: ...
