"""Actuators: how a canary change is applied — the Mission Control API, or a team's own command.

The controller always confirms a change by reading a heartbeat back; an actuator
only reports what it did and what it saw.
"""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass
from typing import Any, Protocol

from canary_tui.mission.errors import MissionError

OUTPUT_LIMIT_CHARS = 4000


class ActuatorError(MissionError):
    """The actuator could not apply the change (command failed, timed out, or cannot do this)."""

    kind = "actuator"

    def __init__(self, message: str, output: str = "", exit_code: int | None = None, transient: bool = True) -> None:
        super().__init__(message)
        self.output = output
        self.exit_code = exit_code
        self.transient = transient


@dataclass(frozen=True, slots=True)
class ActuatorOutcome:
    """What the actuator reports: the server's answer in short, plus any captured output."""

    summary: str
    percent: int | None = None
    paused: bool | None = None
    output: str = ""


class Actuator(Protocol):
    """Applies percent and pause changes; `compare_and_set` says whether expected_percent is enforced remotely."""

    name: str
    compare_and_set: bool
    #: set_percent/set_paused take on_attempt=hook(attempt, error) for per-HTTP-attempt audit; set_percent also
    #: takes on_sent=callback(), called once each attempt's request is on its way
    accepts_on_attempt: bool

    @property
    def blocked_reason(self) -> str | None:
        """Why this actuator cannot change anything (e.g. no bearer token), or None when it can."""
        ...

    async def set_percent(self, percent: int, expected_percent: int | None, note: str | None, actor: str) -> ActuatorOutcome:
        """Set the canary's traffic percent (expected_percent None = unconditional)."""
        ...

    async def set_paused(self, paused: bool, expected_percent: int | None, note: str | None, actor: str) -> ActuatorOutcome:
        """Set or clear the ramp's hold."""
        ...


def _summary_of(update: Any) -> ActuatorOutcome:
    """An ActuatorOutcome from the client's CanaryUpdate (read by attribute, tolerant of shape)."""
    percent = getattr(update, "canary_percent", None)
    previous = getattr(update, "previous_percent", None)
    paused = getattr(update, "paused", None)
    parts = [f"canary_percent={percent}"]
    if previous is not None:
        parts.append(f"previous_percent={previous}")
    if paused is not None:
        parts.append(f"paused={str(paused).lower()}")
    return ActuatorOutcome(summary=" ".join(parts), percent=percent, paused=paused)


class ApiActuator:
    """POST /api/ghost/canary through the typed client (compare-and-set enforced by the server)."""

    name = "api"
    compare_and_set = True
    accepts_on_attempt = True  # and on_sent (see Actuator)

    def __init__(self, client: Any, *, has_token: bool = True) -> None:
        self._client = client
        self._has_token = has_token

    @property
    def blocked_reason(self) -> str | None:
        """The API needs a bearer token for every change."""
        return None if self._has_token else "no bearer token configured (set OPS_TOKEN or the environment's token source)"

    async def set_percent(self, percent: int, expected_percent: int | None, note: str | None, actor: str, *,
                          on_attempt: Any = None, on_sent: Any = None) -> ActuatorOutcome:
        """Set the percent; ConflictError on 409 (the client retries transient failures itself)."""
        update = await self._client.set_canary(percent=percent, expected_percent=expected_percent, note=note, actor=actor,
                                               on_attempt=on_attempt, on_sent=on_sent)
        return _summary_of(update)

    async def set_paused(self, paused: bool, expected_percent: int | None, note: str | None, actor: str, *, on_attempt: Any = None) -> ActuatorOutcome:
        """Set or clear the hold; ConflictError on 409."""
        update = await self._client.set_canary(paused=paused, expected_percent=expected_percent, note=note, actor=actor, on_attempt=on_attempt)
        return _summary_of(update)


class CommandActuator:
    """Runs a command template such as ["./scripts/canary-ramp.sh", "{env}", "{percent}"] without a shell."""

    name = "command"
    compare_and_set = False
    accepts_on_attempt = False
    blocked_reason: str | None = None  # the command carries its own credentials

    def __init__(self, template: tuple[str, ...], environment: str, timeout_s: float = 120.0, *, cwd: str | None = None) -> None:
        if not template:
            raise ValueError("a command actuator needs a command")
        self.template = tuple(template)
        self.environment = environment
        self.timeout_s = timeout_s
        self.cwd = cwd

    def argv(self, percent: int, note: str | None = None, actor: str = "") -> list[str]:
        """The command line for one change: each placeholder substituted inside its own argument."""
        values = {"env": self.environment, "percent": str(percent), "note": note or "", "actor": actor}
        return [_substitute(part, values) for part in self.template]

    async def set_percent(self, percent: int, expected_percent: int | None, note: str | None, actor: str) -> ActuatorOutcome:
        """Run the command; success only on exit 0 (the controller then reads the percent back)."""
        argv = self.argv(percent, note, actor)
        code, output = await self._run(argv)
        if code != 0:
            raise ActuatorError(f"{os.path.basename(argv[0])} exited {code}", output=output, exit_code=code)
        return ActuatorOutcome(summary=f"{os.path.basename(argv[0])} exited 0", percent=percent, output=output)

    async def set_paused(self, paused: bool, expected_percent: int | None, note: str | None, actor: str) -> ActuatorOutcome:
        """The seed's script has no hold: refused, never faked."""
        raise ActuatorError("the command actuator cannot pause or resume", transient=False)

    async def _run(self, argv: list[str]) -> tuple[int, str]:
        """Run argv with stdout+stderr captured; kill its process group on timeout."""
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                cwd=self.cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise ActuatorError(f"cannot run {argv[0]}: {exc.strerror or exc}", transient=False) from None
        chunks: list[bytes] = []

        async def pump() -> None:
            assert proc.stdout is not None
            while data := await proc.stdout.read(65536):
                chunks.append(data)

        reader = asyncio.get_running_loop().create_task(pump())
        try:
            await asyncio.wait_for(proc.wait(), timeout=self.timeout_s)
        except (TimeoutError, asyncio.CancelledError) as exc:
            _kill_group(proc)
            await _settle(proc, reader)
            if isinstance(exc, asyncio.CancelledError):
                raise
            name = os.path.basename(argv[0])
            raise ActuatorError(f"{name} timed out after {self.timeout_s:g} s", output=_clip(b"".join(chunks))) from None
        await _settle(proc, reader)
        return int(proc.returncode or 0), _clip(b"".join(chunks))


async def _settle(proc: asyncio.subprocess.Process, reader: asyncio.Task[None]) -> None:
    """Reap the process and finish reading its output (bounded: a leftover grandchild may hold the pipe)."""
    try:
        await asyncio.wait_for(asyncio.shield(proc.wait()), timeout=5.0)
        await asyncio.wait_for(asyncio.shield(reader), timeout=2.0)
    except TimeoutError:
        reader.cancel()


def _substitute(part: str, values: dict[str, str]) -> str:
    """Replace {env}, {percent}, {note}, {actor}; leave any other braces alone."""
    for key, value in values.items():
        part = part.replace("{" + key + "}", value)
    return part


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL the command and anything it started."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass


def _clip(out: bytes | None) -> str:
    """Captured output as text, trimmed to the last OUTPUT_LIMIT_CHARS characters."""
    text = (out or b"").decode("utf-8", errors="replace")
    return text[-OUTPUT_LIMIT_CHARS:]
