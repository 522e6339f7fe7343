"""A simulator in its own process (its CPU is not the dashboard's), with an arrival recorder.

`python -m benchmarks._simulator_process OPTIONS_JSON` prints one JSON line
{"url", "urls", "start_s"} and serves until its stdin closes; `"count": N` in the
options serves N simulators (one port each, seeds counting up from `seed`, their
own deployment ids), `url` being the first. The ASGI app is wrapped so
that every POST /api/ghost/canary is timestamped with time.perf_counter() the
moment uvicorn hands it over (CLOCK_MONOTONIC: comparable across processes), and
two bench-only routes are added: GET /_bench/arrivals (the timestamps) and
POST /_bench/reset (canary back to 10%, arrivals cleared).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from typing import Any

from canary_tui.simulator import SimulatorOptions, SimulatorServer

RESET_PERCENT = 10


class ArrivalRecorder:
    """ASGI wrapper: timestamps canary POSTs on arrival; answers the /_bench routes itself."""

    def __init__(self, app: Any, model: Any) -> None:
        self.app = app
        self.model = model
        self.arrivals: list[float] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == "/api/ghost/canary" and scope["method"] == "POST":
                self.arrivals.append(time.perf_counter())
            elif path == "/_bench/arrivals":
                return await _json(send, {"arrivals": self.arrivals})
            elif path == "/_bench/reset":
                while (await receive()).get("more_body"):
                    pass
                self.arrivals = []
                self.model.set_canary(RESET_PERCENT, None, False, "bench reset", "bench")
                return await _json(send, {"canary_percent": RESET_PERCENT})
        await self.app(scope, receive, send)


async def _json(send: Any, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def main() -> int:
    raw = json.loads(sys.argv[1])
    count = int(raw.pop("count", 1))
    base = SimulatorOptions(**raw)
    servers: list[SimulatorServer] = []
    urls: list[str] = []
    try:
        for index in range(count):
            options = base if count == 1 else replace(base, seed=base.seed + index, deployment_id=f"dep-bench-{index:02d}")
            server = SimulatorServer(options)
            server.app = ArrivalRecorder(server.app, server.state)  # type: ignore[assignment]  # start() hands any ASGI app in self.app to uvicorn
            servers.append(server)
            urls.append(server.start())
        print(json.dumps({"url": urls[0], "urls": urls, "start_s": servers[0].state.start_s}), flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or dies)
    finally:
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
