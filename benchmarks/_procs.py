"""Child processes the benchmarks drive: a simulator process, and a Textual app on a pseudo-terminal."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


#: bytecode of the children is cached here (outside the tree), as an installed package has it compiled
PYCACHE = os.path.join(tempfile.gettempdir(), f"canary-bench-pycache-{os.getuid()}")


def child_env(home: str) -> dict[str, str]:
    """Environment for children: this checkout importable, bytecode cached, a throwaway HOME/XDG (no user config), a real TERM."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CANARY_TUI_", "OPS_", "HEARTBEAT_", "XDG_")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        PYTHONPATH=str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
        HOME=home,
        XDG_CONFIG_HOME=os.path.join(home, "config"),
        XDG_DATA_HOME=os.path.join(home, "data"),
        XDG_STATE_HOME=os.path.join(home, "state"),
        XDG_CACHE_HOME=os.path.join(home, "cache"),
        TERM="xterm-256color",
        COLORTERM="truecolor",
        PYTHONPYCACHEPREFIX=PYCACHE,
    )
    env.pop("TEXTUAL", None)
    env.pop("NO_COLOR", None)
    return env


class SimulatorProcess:
    """`with SimulatorProcess(**options) as sim:` — sim.url, sim.start_s; stopped (stdin closed) on exit.

    `count=N` among the options serves N simulators from the one process: sim.urls lists them.
    """

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.urls: list[str] = []
        self.start_s = 0.0
        self._home = tempfile.TemporaryDirectory(prefix="canary-bench-sim-")

    def __enter__(self) -> SimulatorProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._simulator_process", json.dumps(self.options)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=child_env(self._home.name),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.__exit__()
            raise RuntimeError("the simulator process did not start")
        info = json.loads(line)
        self.url, self.urls, self.start_s = info["url"], list(info["urls"]), float(info["start_s"])
        return self

    def __exit__(self, *exc_info: object) -> None:
        proc = self.proc
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()
            self.proc = None
            self._home.cleanup()


class PtyApp:
    """A command run on a pseudo-terminal of a fixed size; its output is drained (and searched) by a thread.

    `marker_at(marker)` gives the perf_counter time the marker bytes first appeared in the output.
    """

    def __init__(self, argv: list[str], env: dict[str, str], *, columns: int = 120, rows: int = 40, markers: tuple[bytes, ...] = ()) -> None:
        self.markers = markers
        self.seen: dict[bytes, float] = {}
        self._tail = b""
        self.output_bytes = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.reading = threading.Event()  # cleared: the output is left unread, as by a stalled ssh session
        self.reading.set()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self._master = master
        self.spawned_at = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self._reader = threading.Thread(target=self._drain, name="pty-drain", daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        keep = max((len(m) for m in self.markers), default=1)
        while True:
            self.reading.wait()
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                chunk = b""
            now = time.perf_counter()
            with self._changed:
                if not chunk:
                    self._changed.notify_all()
                    return
                self.output_bytes += len(chunk)
                window = self._tail + chunk
                for marker in self.markers:
                    if marker not in self.seen and marker in window:
                        self.seen[marker] = now
                self._tail = window[-keep:]
                self._changed.notify_all()

    def wait_for(self, marker: bytes, timeout_s: float) -> float | None:
        """perf_counter time the marker first appeared, or None after timeout_s (or if the process ended)."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while marker not in self.seen:
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    return None
                self._changed.wait(min(left, 0.05))
            return self.seen[marker]

    def write(self, data: bytes) -> None:
        """Type `data` at the terminal."""
        os.write(self._master, data)

    def unread_bytes(self) -> int:
        """Bytes the app wrote that nobody has read yet (FIONREAD on the master side)."""
        return struct.unpack("i", fcntl.ioctl(self._master, termios.FIONREAD, b"\0\0\0\0"))[0]

    def stop(self) -> None:
        """SIGTERM the app's own process group (it was started in a new session), then SIGKILL if needed."""
        proc = self.proc
        self.reading.set()
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        self._reader.join(timeout=2)  # the slave side is gone: the read ends with EIO
        try:
            os.close(self._master)
        except OSError:
            pass

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
