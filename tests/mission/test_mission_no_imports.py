"""A warm client's requests import nothing: a lookup for a module that is not installed is a sys.path search
on every call (httpcore asks for sniffio per request; absent, that was ~7% of a 12-target overview's idle CPU)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

from canary_tui.mission.client import MissionClient
from canary_tui.mission.credentials import Secret

TOKEN = Secret("test-token", "test")


class _ImportWatcher:
    """A meta path finder that records every module looked up and finds none itself."""

    def __init__(self) -> None:
        self.looked_up: list[str] = []

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        self.looked_up.append(name)
        return None


async def test_warm_polls_and_a_rollback_look_up_no_module(simulator_factory) -> None:
    simulator = simulator_factory(token="test-token", initial_percent=10)
    async with MissionClient(simulator.url, token=TOKEN) as client:
        await client.heartbeat()  # warm: the pool's connection and every module the exchange needs
        await client.set_canary(percent=10, note="warm", actor="test")
        watcher = _ImportWatcher()
        sys.meta_path.insert(0, watcher)
        try:
            for _ in range(3):
                await client.heartbeat()
            await client.set_canary(percent=0, note="rollback", actor="test")
        finally:
            sys.meta_path.remove(watcher)
    assert watcher.looked_up == []
