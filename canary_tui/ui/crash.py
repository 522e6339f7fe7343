"""Where an unhandled dashboard error goes: its details to a crash log, one line to the operator, never a traceback."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from canary_tui import paths

#: the crash log's file name under the log directory
CRASH_LOG_NAME = "dashboard-crash.log"


def crash_log_path() -> Path:
    """Where the dashboard writes the details of an internal error."""
    return paths.log_dir() / CRASH_LOG_NAME


class CrashReport(io.StringIO):
    """A text stream that appends to the crash log; its first write also tells the operator, in one line, where the log is."""

    def __init__(self, on_crash: Callable[[], None], path: Path | None = None) -> None:
        super().__init__()
        self.on_crash = on_crash
        self.path = path
        self._reported = False

    def write(self, text: str) -> int:
        """Append to the crash log (opened and closed each time: a crash writes little); the first write tells the operator."""
        first = not self._reported
        self._reported = True
        where = "the log directory"
        try:
            path = self.path or crash_log_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                if first:
                    handle.write(f"---- {datetime.now(UTC).isoformat(timespec='seconds')} ----\n")
                handle.write(text)
            where = str(path)
        except OSError:
            pass  # reporting the crash must not crash
        if first:
            self.on_crash()
            sys.stderr.write(f"canary-tui: the dashboard stopped on an internal error (details in {where}); the ramp was not touched.\n")
        return len(text)


def crash_console(on_crash: Callable[[], None], path: Path | None = None) -> Console:
    """A console for App.error_console: Textual prints an unhandled error's traceback there, so it lands in the crash log."""
    return Console(file=CrashReport(on_crash, path), width=120, no_color=True, markup=False, highlight=False)
