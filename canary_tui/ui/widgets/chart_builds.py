"""Chart plots built in one spawned worker process, so a redraw never holds the event loop that `R` needs.

plotext's build of a 160x48 plot takes ~8 ms of pure Python; on the event loop that is 8 ms a key waits, and a
thread would hold the GIL just the same. The worker is spawned (not forked: the app has threads) after the
first chart is on screen, which is built in the app. If the worker cannot start or dies, builds fall back to
the app's own process and the chart goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from canary_tui.ui.widgets.chart_plot import PlotSpec, build_in_worker, build_worker_started


class ChartBuilds:
    """One build process shared by every chart of an app; `submit` returns a future of the plot's ANSI text."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self.broken: str | None = None  # why builds run in the app's process now, once the worker failed or was closed
        self.submitted = 0

    @property
    def usable(self) -> bool:
        """Whether builds may go to the worker (not after it failed)."""
        return self.broken is None

    def start(self) -> None:
        """Spawn the worker now (it imports plotext once), so the first build sent to it does not wait for that."""
        if self._pool is None and self.usable:
            try:
                # the spawn hands the child our stderr's descriptor: Textual's print capture has none, the real one does
                with contextlib.redirect_stderr(sys.__stderr__):
                    self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                     initializer=build_worker_started)
                    self._pool.submit(build_in_worker, PlotSpec(None, 20, 6, ()))
            except Exception as exc:  # noqa: BLE001 - whatever stops the worker starting, the chart is built in the app
                self.fail(f"chart builds in the app: the build process did not start ({exc})")

    def submit(self, spec: PlotSpec) -> asyncio.Future[str] | None:
        """Build `spec` in the worker; None when builds must run in the app instead."""
        self.start()
        if self._pool is None:
            return None
        try:
            future: Future[str] = self._pool.submit(build_in_worker, spec)
        except (BrokenProcessPool, RuntimeError, OSError, ValueError) as exc:
            self.fail(f"chart builds in the app: the build process stopped ({exc})")
            return None
        self.submitted += 1
        return asyncio.wrap_future(future)

    def worker_pids(self) -> list[int]:
        """The build process's pid while it runs (for diagnostics and tests)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return [pid for pid, process in processes.items() if process.is_alive()]

    def fail(self, reason: str) -> None:
        """Stop using the worker for good: every later build runs in the app's process."""
        self.broken = reason
        self.close()

    def close(self) -> None:
        """Stop the worker without waiting for a build in flight; later builds run in the app."""
        self.broken = self.broken or "closed"
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
