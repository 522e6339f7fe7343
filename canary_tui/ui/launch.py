"""Run the dashboard on a controller inside one event loop, and always close what was opened."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from canary_tui.ui.app import CanaryApp


async def run_dashboard(make_controller: Callable[[], Any], *, close: Callable[[], Awaitable[None]] | None = None, **app_options: Any) -> int:
    """Build the controller in the running loop, run the app, then close the controller and the client."""
    controller = make_controller()
    app = CanaryApp(controller, **app_options)
    try:
        await app.run_async()
    finally:
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
