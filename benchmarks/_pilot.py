"""Waiting under Textual's Pilot: poll a condition on the app's own event loop, bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def until(pilot: Any, condition: Callable[[], bool], timeout_s: float = 10.0, what: str = "condition") -> None:
    """Let the app run until condition() holds; RuntimeError after timeout_s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise RuntimeError(f"benchmark: {what} not met within {timeout_s:g} s")
        await pilot.pause(0.002)
