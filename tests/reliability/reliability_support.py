"""Reliability helpers and fixtures (imported by name; never `from conftest import`, which is ambiguous across test dirs).

Reuses the controller harness (tests/controller/controller_harness.py) and the
shared simulator fixtures (tests/conftest.py). Every server here binds 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme

ROOT = Path(__file__).resolve().parents[2]
# reuse the controller harness rather than duplicating it
sys.path.insert(0, str(ROOT / "tests" / "controller"))

#: known credentials searched for everywhere (long and distinctive so a partial leak is also caught)
TOKEN = "ops-RELIABILITY-tok-5c1f7a9e"
SECRET = "hb-RELIABILITY-sig-83d2b6c4"
CLI = [sys.executable, "-m", "canary_tui"]
#: the real CLI entry, imported ahead of time, started by one line of \x1f-separated argv on stdin
WARM = (
    "import sys, canary_tui.cli as cli, canary_tui.controller.factory, canary_tui.mission.client\n"
    "cli.build_parser()\n"
    "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
    "argv = [a for a in sys.stdin.readline().rstrip('\\n').split('\\x1f') if a]\n"
    "sys.exit(cli.main(argv))\n"
)
SPEC_FAULT_TIMEOUTS = "connect_timeout_s = 1.0\nread_timeout_s = 1.0\ntotal_timeout_s = 2.0\n"


def wait_until(condition: Callable[[], bool], timeout_s: float = 15.0, what: str = "condition") -> None:
    """Poll `condition` (wall time) until true; fail naming `what` after timeout_s. Never a blind sleep."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@dataclass
class CliHome:
    """An isolated CLI world: config file, state (audit) and log dirs, env with the known secrets."""

    root: Path
    url: str = "http://127.0.0.1:9"
    extra_env_toml: str = ""
    top_toml: str = ""
    env_overrides: dict[str, str] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.root / "config.toml"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def audit_file(self) -> Path:
        return self.state_dir / "audit" / "sim.jsonl"

    def write_config(self) -> None:
        """Write the config atomically (a running CLI must never read it half-written), only when it changed."""
        self.root.mkdir(parents=True, exist_ok=True)
        text = f'actor = "cli@reliability"\n{self.top_toml}\n[environments.sim]\nurl = "{self.url}"\n{self.extra_env_toml}\n'
        if self.config_path.exists() and self.config_path.read_text(encoding="utf-8") == text:
            return
        staging = self.config_path.with_suffix(".tmp")
        staging.write_text(text, encoding="utf-8")
        os.replace(staging, self.config_path)

    def environ(self) -> dict[str, str]:
        self.write_config()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CANARY_TUI") and k not in ("OPS_TOKEN", "HEARTBEAT_SECRET")}
        env.update(
            CANARY_TUI_CONFIG=str(self.config_path), CANARY_TUI_STATE_DIR=str(self.state_dir),
            CANARY_TUI_LOG_DIR=str(self.log_dir), CANARY_TUI_CONFIG_DIR=str(self.root / "cfgdir"),
            HOME=str(self.root), OPS_TOKEN=TOKEN, HEARTBEAT_SECRET=SECRET, NO_COLOR="1", PYTHONPATH=str(ROOT),
        )
        env.update(self.env_overrides)
        return env

    def run(self, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run `canary-tui ARGS` to completion (bounded) and check it leaked nothing and printed no traceback."""
        result = subprocess.run([*CLI, *args], capture_output=True, text=True, env=self.environ(), timeout=timeout_s)
        assert_clean(result.stdout, result.stderr)
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.environ())

    def prewarmed(self) -> subprocess.Popen[str]:
        """A CLI process with everything imported, waiting for its argv on stdin: `start(proc, *args)` runs `main`."""
        return subprocess.Popen([sys.executable, "-c", WARM], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.environ())

    def leaked_files(self) -> list[str]:
        """Every file the CLI wrote (audit, crash.log, ...) that contains a secret."""
        found = []
        for base in (self.state_dir, self.log_dir):
            if base.is_dir():
                for path in base.rglob("*"):
                    if path.is_file():
                        data = path.read_bytes()
                        if TOKEN.encode() in data or SECRET.encode() in data:
                            found.append(str(path))
        return found


def start(proc: subprocess.Popen[str], *args: str) -> None:
    """Hand a prewarmed CLI its argv once it is ready: it runs `canary_tui.cli.main(args)` at once."""
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stdout.readline() == "ready\n", "the prewarmed CLI died while importing"
    proc.stdin.write("\x1f".join(args) + "\n")
    proc.stdin.flush()


def assert_clean(*texts: str) -> None:
    """No traceback and no secret in any of the texts."""
    for text in texts:
        assert "Traceback" not in text, text
        assert TOKEN not in text and SECRET not in text, "a secret leaked"


@pytest.fixture
def cli_home(tmp_path: Path) -> CliHome:
    return CliHome(tmp_path / "home")


def registered_commands() -> set[str]:
    """The subcommands the CLI actually registers now (some are still landing)."""
    from canary_tui.cli import build_parser

    parser = build_parser()
    for action in parser._actions:  # noqa: SLF001 - argparse has no public accessor
        if getattr(action, "choices", None) and isinstance(action.choices, dict):
            return set(action.choices)
    return set()


def need_command(name: str) -> None:
    """Skip (naming the gap) when a CLI command has not landed yet."""
    try:
        names = registered_commands()
    except Exception as exc:  # noqa: BLE001 - a broken parser is reported by the fuzz tests
        pytest.fail(f"the CLI parser cannot be built: {type(exc).__name__}: {exc}")
    if name not in names:
        pytest.skip(f"`canary-tui {name}` is not registered yet")


# ----------------------------------------------------------------- loopback fronts


def closed_port() -> int:
    """A loopback port with nothing listening (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Blackhole:
    """A listener whose accept queue is full: new connects get no SYN-ACK, i.e. a connect timeout."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.fillers: list[socket.socket] = []
        for _ in range(4):  # fill the queue; stop once connects start timing out
            c = socket.socket()
            c.settimeout(0.2)
            try:
                c.connect(("127.0.0.1", self.port))
            except OSError:
                c.close()
                break
            self.fillers.append(c)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        for c in self.fillers:
            c.close()
        self.sock.close()


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    hole = Blackhole()
    probe = socket.socket()
    probe.settimeout(0.2)
    try:
        probe.connect(("127.0.0.1", hole.port))
        raise AssertionError("the blackhole accepted a connection: cannot simulate a connect timeout here")
    except TimeoutError:
        pass
    finally:
        probe.close()
    yield hole
    hole.close()


class TLSFront:
    """A TLS-terminating loopback proxy in front of `upstream_port`, certified by a trustme CA, in its own thread."""

    def __init__(self, upstream_port: int, ca_path: Path, ca: trustme.CA | None = None) -> None:
        self.ca = ca or trustme.CA()
        self.ca_path = ca_path
        self.ca.cert_pem.write_to_path(str(ca_path))
        self._ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(self._ctx)
        self._upstream = upstream_port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tls-front", daemon=True)
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._thread.start()
        assert self._ready.wait(10), "TLS front did not start"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._ctx))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        self._server.close()
        self._loop.run_until_complete(self._server.wait_closed())
        for task in asyncio.all_tasks(self._loop):
            task.cancel()
        self._loop.run_until_complete(asyncio.sleep(0))
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    finally:
        try:
            writer.close()
        except Exception:  # noqa: BLE001 - already torn down
            pass


@pytest.fixture
def tls_front_factory(tmp_path: Path) -> Iterator[Callable[[int], TLSFront]]:
    """`tls_front_factory(upstream_port) -> TLSFront` (self-signed by a fresh trustme CA); closed at teardown."""
    fronts: list[TLSFront] = []

    def make(upstream_port: int) -> TLSFront:
        front = TLSFront(upstream_port, tmp_path / f"ca-{len(fronts)}.pem")
        fronts.append(front)
        return front

    yield make
    for front in fronts:
        front.close()


def sim_port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])

