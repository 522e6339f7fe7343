"""A headless dashboard for the two-dashboards test: the dashboard's controller (factory wiring, store from the config)
polling one target on the system clock until a deadline, then a JSON line of what it saw.

    CANARY_TUI_CONFIG=... CANARY_TUI_STATE_DIR=... python dashboard_worker.py TARGET SECONDS INTERVAL
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time

from canary_tui.config import load_config, resolve_target
from canary_tui.controller.factory import build_controller


async def main(target: str, seconds: float, interval_s: float) -> dict[str, object]:
    config = load_config()
    controller = build_controller(resolve_target(config, target), config)
    seen: set[int] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        snapshot = await controller.refresh()
        if snapshot.heartbeat is not None:
            seen.add(math.floor(snapshot.heartbeat.timestamp.timestamp()))
        await asyncio.sleep(interval_s)
    await controller.aclose()
    problems = [e.message for e in controller.events if e.kind in ("store", "audit")]
    return {"seen": sorted(seen), "problems": problems}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3])))), flush=True)
