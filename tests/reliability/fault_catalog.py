"""The fault matrix: every failure of the contract's "Errors every client must survive", plus the extras of issue 8.

Each case says how to break the link to Mission Control and what typed error
(`MissionError.kind`) and operator text it must become. `sim` cases are injected
into the simulator (on the paths given); the others break the transport itself
(`refused`, `dns`, `tls`, `connect-timeout`) by pointing the client elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from canary_tui.controller.derive import NO_ANSWER_KINDS
from canary_tui.controller.model import ConnectionState

HEARTBEAT = "/api/ghost/heartbeat"
CANARY = "/api/ghost/canary"


@dataclass(frozen=True)
class FaultCase:
    """One way the server or the network misbehaves."""

    name: str
    transport: str = "sim"  # sim | refused | dns | tls | connect-timeout
    fault: str | None = None  # simulator fault name (transport == "sim")
    params: dict[str, Any] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset()  # MissionError.kind values it may become
    words: tuple[str, ...] = ()  # one of these appears (case-insensitive) in the reason shown to the operator

    @property
    def persistent_state(self) -> ConnectionState:
        """What the screen says once the fault persists: UNREACHABLE when nothing answers, else BAD ANSWER."""
        return ConnectionState.UNREACHABLE if self.kinds <= NO_ANSWER_KINDS else ConnectionState.BAD_ANSWER

    @property
    def persistent_word(self) -> str:
        """The header's word for persistent_state."""
        return "UNREACHABLE" if self.persistent_state is ConnectionState.UNREACHABLE else "BAD ANSWER"

    def inject(self, server: Any, paths: list[str], count: int = -1) -> None:
        """Queue this fault on `paths` (until cleared by default)."""
        assert self.transport == "sim" and self.fault is not None
        server.inject_fault(self.fault, count=count, paths=paths, **self.params)

    def __str__(self) -> str:
        return self.name


CASES: tuple[FaultCase, ...] = (
    FaultCase("connection-refused", "refused", kinds=frozenset({"unreachable"}), words=("refused",)),
    FaultCase("dns-failure", "dns", kinds=frozenset({"unreachable"}), words=("connect", "name", "resol")),
    FaultCase("tls-self-signed", "tls", kinds=frozenset({"tls"}), words=("tls", "certificate")),
    FaultCase("connect-timeout", "connect-timeout", kinds=frozenset({"timeout"}), words=("timeout", "deadline")),
    FaultCase("read-timeout", fault="hang", kinds=frozenset({"timeout"}), words=("timeout", "deadline")),
    FaultCase("total-timeout-slow-loris", fault="slow_loris", params={"interval_s": 1.0},
              kinds=frozenset({"timeout"}), words=("timeout", "deadline")),
    FaultCase("connection-dropped", fault="drop", kinds=frozenset({"unreachable"}), words=("connection", "disconnect")),
    FaultCase("non-json", fault="non_json", kinds=frozenset({"contract"}), words=("json", "html")),
    FaultCase("wrong-types", fault="wrong_types", kinds=frozenset({"contract"}), words=("expected", "integer", "number")),
    FaultCase("negative-counters", fault="negative", kinds=frozenset({"contract"}), words=("negative", ">= 0", "non-negative", "expected")),
    FaultCase("nan", fault="nan", kinds=frozenset({"contract"}), words=("nan", "finite", "json")),
    FaultCase("errors-gt-requests", fault="errors_gt_requests", kinds=frozenset({"contract"}), words=("errors", "requests")),
    FaultCase("body-10mb", fault="oversized", kinds=frozenset({"too-large"}), words=("limit", "large")),
    FaultCase("html-proxy-page", fault="html", params={"status": 502}, kinds=frozenset({"http"}), words=("502",)),
    FaultCase("redirect-other-host", fault="redirect", kinds=frozenset({"redirect"}), words=("redirect",)),
    FaultCase("http-503", fault="status", params={"status": 503}, kinds=frozenset({"http"}), words=("503",)),
    FaultCase("429-retry-after", fault="retry_after", params={"seconds": 1}, kinds=frozenset({"http"}), words=("429",)),
)

BY_NAME = {case.name: case for case in CASES}
SIM_CASES = tuple(c for c in CASES if c.transport == "sim")
