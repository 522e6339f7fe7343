"""Run the dashboard on a controller inside one event loop, and always close what was opened."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from canary_tui.ui.app import CanaryApp
from canary_tui.ui.widgets.chart_builds import ChartBuilds

#: how long the first poll may hold back the first frame: a server this quick is shown live at once
FIRST_SNAPSHOT_WAIT_S = 0.5


async def run_dashboard(make_controller: Callable[[], Any], *, close: Callable[[], Awaitable[None]] | None = None, **app_options: Any) -> int:
    """Build the controller in the running loop, run the app, then close the controller and the client.

    The first poll starts before the app and may hold the first frame back up to FIRST_SNAPSHOT_WAIT_S, so
    a reachable server is shown live in the very first frame instead of an empty one followed by a full
    relayout (~70 ms sooner on this machine, benchmarks/startup.py). A slower poll carries on inside the
    app's poll loop, which awaits it rather than starting another.
    """
    controller = make_controller()
    first_poll: asyncio.Task[Any] | None = None
    if app_options.get("poll", True):
        first_poll = asyncio.ensure_future(controller.refresh())
        await asyncio.wait({first_poll}, timeout=FIRST_SNAPSHOT_WAIT_S)
    chart_builds = ChartBuilds()  # the chart's plots are built off the event loop, which R needs
    app = CanaryApp(controller, first_poll=first_poll, chart_builds=chart_builds, **app_options)
    try:
        await app.run_async()
    finally:
        chart_builds.close()
        if first_poll is not None:
            first_poll.cancel()  # if the app ended before its poll loop took the first poll over
            await asyncio.gather(first_poll, return_exceptions=True)
        try:
            aclose = getattr(controller, "aclose", None)
            if callable(aclose):
                await aclose()
            if close is not None:
                await close()
        except Exception as exc:  # noqa: BLE001 - leaving must never show a traceback
            sys.stderr.write(f"canary-tui: while closing: {exc}\n")
    return 1 if app.crashed else 0


def run_blocking(coroutine: Awaitable[int]) -> int:
    """asyncio.run with one-line reporting of anything unexpected (never a traceback)."""
    try:
        return asyncio.run(coroutine)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        return 130
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the operator gets one line
        sys.stderr.write(f"canary-tui: error: {type(exc).__name__}: {exc}\n")
        return 1


async def run_fleet(make_controllers: Callable[[], list[tuple[str, Any]]], *, close: Callable[[], Awaitable[None]] | None = None, **app_options: Any) -> int:
    """Build one controller per target in the running loop, run the fleet overview, then close them all."""
    from canary_tui.ui.fleet_app import FleetApp

    controllers = make_controllers()
    chart_builds = ChartBuilds()  # the drill-down's chart is built off the event loop, which R needs
    app = FleetApp(controllers, chart_builds=chart_builds, **app_options)
    try:
        await app.run_async()
    finally:
        chart_builds.close()
        for _, controller in controllers:
            try:
                aclose = getattr(controller, "aclose", None)
                if callable(aclose):
                    await aclose()
            except Exception as exc:  # noqa: BLE001 - leaving must never show a traceback
                sys.stderr.write(f"canary-tui: while closing: {exc}\n")
        try:
            if close is not None:
                await close()
        except Exception as exc:  # noqa: BLE001
            sys.stderr.write(f"canary-tui: while closing: {exc}\n")
    return 1 if app.crashed else 0
