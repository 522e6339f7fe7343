"""Real clients over loopback for the fault matrix: a broken link per fault case and a switch to end the fault."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from canary_tui.core.clock import Clock
from canary_tui.mission.client import MissionClient, RetryPolicy, Timeouts
from canary_tui.mission.credentials import Secret

from reliability_support import TOKEN, SECRET, closed_port
from fault_catalog import FaultCase

QUICK_RETRY = RetryPolicy(attempts=2, base_s=0.01, cap_s=0.02, jitter=False)
FAULT_TIMEOUTS = Timeouts(connect_s=0.3, read_s=0.4, total_s=1.2)


async def _no_sleep(_s: float) -> None:
    import asyncio

    await asyncio.sleep(0)


def client(url: str, clock: Clock, *, verify: bool | str = True, secret: bool = True, timeouts: Timeouts = FAULT_TIMEOUTS) -> MissionClient:
    """A client with the known credentials, short timeouts, two quick attempts per mutation."""
    return MissionClient(
        url, token=Secret(TOKEN, "env OPS_TOKEN"), secret=Secret(SECRET, "env HEARTBEAT_SECRET") if secret else None,
        timeouts=timeouts, retry=QUICK_RETRY, clock=clock, verify=verify, sleep=_no_sleep,
    )


class SwitchClient:
    """Forwards every call to the broken client while the fault lasts, then to the good one ("the fault ends")."""

    def __init__(self, broken: MissionClient, good: MissionClient) -> None:
        self.broken, self.good = broken, good
        self.faulty = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.broken if self.faulty else self.good, name)

    async def aclose(self) -> None:
        await self.broken.aclose()
        await self.good.aclose()


class Link:
    """How a controller reaches the simulator during one fault case: `client`, `start()` the fault, `end()` it."""

    def __init__(self, case: FaultCase, sim: Any, clock: Clock, paths: list[str], *, tls_front_factory: Callable[[int], Any] | None = None, blackhole: Any = None) -> None:
        self.case, self.sim = case, sim
        self.paths = paths
        good = client(sim.url, clock)
        if case.transport == "sim":
            self.client: Any = good
            self._start: Callable[[], None] = lambda: case.inject(sim, paths)
            self._end: Callable[[], None] = sim.clear_faults
            return
        if case.transport == "refused":
            broken = client(f"http://127.0.0.1:{closed_port()}", clock)
        elif case.transport == "dns":
            broken = client("http://mission.invalid", clock)
        elif case.transport == "tls":
            assert tls_front_factory is not None
            front = tls_front_factory(int(sim.url.rsplit(":", 1)[1]))
            broken = client(front.url, clock)  # default verification: the self-signed CA is not trusted
        elif case.transport == "connect-timeout":
            assert blackhole is not None
            broken = client(blackhole.url, clock)
        else:  # pragma: no cover - catalogue typo
            raise AssertionError(case.transport)
        switch = SwitchClient(broken, good)
        switch.faulty = False
        self.client = switch

        def start() -> None:
            switch.faulty = True

        def end() -> None:
            switch.faulty = False

        self._start, self._end = start, end

    def start(self) -> None:
        self._start()

    def end(self) -> None:
        self._end()

    async def aclose(self) -> None:
        await self.client.aclose()


AsyncCheck = Callable[[], Awaitable[bool]]
