"""Injected faults: a thread-safe book of pending faults and the misbehaving answers they produce."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

HEARTBEAT_PATH = "/api/ghost/heartbeat"
POLL_S = 0.02  # how often hang/slow answers look for a clear or a stop

#: every fault name, with its parameters and defaults
FAULT_PARAMS: dict[str, dict[str, Any]] = {
    "status": {"status": 503, "retry_after": None},
    "retry_after": {"seconds": 1, "status": 429},
    "delay": {"seconds": 1.0},
    "hang": {},
    "html": {"status": 502},
    "non_json": {"status": 200},
    "wrong_types": {},
    "negative": {},
    "nan": {},
    "errors_gt_requests": {},
    "oversized": {"bytes": 10 * 1024 * 1024, "content_length": False},
    "redirect": {"location": "http://other.invalid/api/ghost/heartbeat", "status": 302},
    "drop": {},
    "slow_loris": {"interval_s": 0.1},
    "bad_signature": {"mode": "signature"},
    "stall": {"every_s": 10.0, "stall_s": 1.0},
}

#: faults whose default paths differ from the heartbeat
DEFAULT_PATHS: dict[str, tuple[str, ...]] = {"stall": ("/api/health",)}
FIRED_KEEP = 1000  # how many fired fault names the book remembers


@dataclass
class Fault:
    """One injected fault: it fires on the next `remaining` matching requests (-1: until cleared)."""

    name: str
    remaining: int
    paths: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    fired: int = 0


class FaultBook:
    """Pending faults, consumed in injection order by requests whose path matches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.generation = 0  # bumped by clear(): releases hung requests
        self.stopping = threading.Event()  # set by the server's stop(): releases everything
        self._fired: deque[str] = deque(maxlen=FIRED_KEEP)

    def inject(self, name: str, count: int = 1, paths: list[str] | tuple[str, ...] | None = None,
               **params: Any) -> Fault:
        """Queue a fault; ValueError for an unknown name, a bad count or unknown parameters."""
        if name not in FAULT_PARAMS:
            raise ValueError(f"unknown fault {name!r}; choose one of: {', '.join(FAULT_PARAMS)}")
        if isinstance(count, bool) or not isinstance(count, int) or count == 0 or count < -1:
            raise ValueError("count must be a positive integer or -1 (until cleared)")
        unknown = set(params) - set(FAULT_PARAMS[name])
        if unknown:
            raise ValueError(f"unknown parameter(s) for {name}: {', '.join(sorted(unknown))}")
        chosen = tuple(paths) if paths else DEFAULT_PATHS.get(name, (HEARTBEAT_PATH,))
        if not all(isinstance(p, str) and p.startswith("/") for p in chosen):
            raise ValueError("paths must be absolute request paths")
        fault = Fault(name, count, chosen, {**FAULT_PARAMS[name], **params})
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str) -> Fault | None:
        """The first pending fault matching `path`, consumed by one use."""
        with self._lock:
            for fault in self._faults:
                if path in fault.paths:
                    fault.fired += 1
                    if fault.remaining > 0:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    self._fired.append(fault.name)
                    return fault
        return None

    @property
    def fired(self) -> list[str]:
        """Names of the faults that fired, oldest first (the last FIRED_KEEP of them)."""
        with self._lock:
            return list(self._fired)

    def clear(self) -> None:
        """Forget every pending fault and release hung requests."""
        with self._lock:
            self._faults.clear()
            self.generation += 1

    def pending(self) -> list[dict[str, Any]]:
        """The pending faults as JSON-able dicts."""
        with self._lock:
            return [{"fault": f.name, "remaining": f.remaining, "paths": list(f.paths), "params": f.params}
                    for f in self._faults]

    def released(self, generation: int) -> bool:
        """Whether a request that hung at `generation` may stop waiting."""
        return self.generation != generation or self.stopping.is_set()


async def drop_connection(receive: Receive, send: Send) -> None:
    """Close the TCP connection without any response (uvicorn's cycle exposes its transport)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("cannot reach the transport to drop the connection")
    transport.abort()
    while (await receive())["type"] != "http.disconnect":
        pass


def mutate_heartbeat(payload: dict[str, Any], name: str) -> dict[str, Any]:
    """A heartbeat broken the way fault `name` breaks it (wrong types, negatives, NaN, errors>requests)."""
    body = copy.deepcopy(payload)
    hb = body["heartbeat"]
    metrics = hb["metrics"]
    if name == "wrong_types":
        metrics["requests"] = str(metrics["requests"])
        metrics["errors"] = str(metrics["errors"])
        metrics["p95"] = "287.4ms"
        hb["deployment"]["canary_percent"] = str(hb["deployment"]["canary_percent"])
    elif name == "negative":
        metrics["requests"] = -abs(metrics["requests"]) - 1
        metrics["errors"] = -abs(metrics["errors"]) - 1
    elif name == "nan":
        metrics["p95"] = float("nan")
        metrics["p50"] = float("inf")
    elif name == "errors_gt_requests":
        metrics["errors"] = metrics["requests"] + 5
    return body


HeartbeatFactory = Callable[[], tuple[dict[str, Any], bool]]
Renderer = Callable[[dict[str, Any], bool], Response]
Phase = Callable[[float], float]


async def _sleep_unless_stopping(seconds: float, book: FaultBook) -> bool:
    """Sleep up to `seconds`; False (at once) if the server is stopping."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not book.stopping.is_set():
        remaining = deadline - loop.time()
        if remaining <= 0:
            return True
        await asyncio.sleep(min(remaining, POLL_S * 5))
    return False


async def apply_fault(fault: Fault, book: FaultBook, scope: Scope, receive: Receive, send: Send,
                      heartbeat: HeartbeatFactory, render: Renderer,
                      normal: Callable[[], Awaitable[None]], phase_s: Phase) -> None:
    """Answer one request the way `fault` says (or drop it, or delay and then answer normally)."""
    name, params = fault.name, fault.params
    response: Response | None = None
    if name == "status":
        headers = {} if params["retry_after"] is None else {"Retry-After": str(params["retry_after"])}
        response = JSONResponse({"error": "unavailable", "message": "injected fault"},
                                status_code=int(params["status"]), headers=headers)
    elif name == "retry_after":
        response = JSONResponse({"error": "rate_limited", "message": "slow down"}, status_code=int(params["status"]),
                                headers={"Retry-After": str(params["seconds"])})
    elif name == "delay":
        if not await _sleep_unless_stopping(float(params["seconds"]), book):
            return await drop_connection(receive, send)
        return await normal()
    elif name == "stall":
        phase = phase_s(float(params["every_s"]))
        if phase < float(params["stall_s"]) and not await _sleep_unless_stopping(float(params["stall_s"]) - phase, book):
            return await drop_connection(receive, send)
        return await normal()
    elif name == "hang":
        generation = book.generation
        while not book.released(generation):
            await asyncio.sleep(POLL_S)
        if book.stopping.is_set():
            return await drop_connection(receive, send)
        return await normal()
    elif name == "html":
        response = Response(_HTML_PAGE, status_code=int(params["status"]), media_type="text/html")
    elif name == "non_json":
        response = Response("<<garbage>> not json {", status_code=int(params["status"]), media_type="text/plain")
    elif name in ("wrong_types", "negative", "nan", "errors_gt_requests"):
        payload, bad = heartbeat()
        response = render(mutate_heartbeat(payload, name), bad)
    elif name == "oversized":
        return await _oversized(int(params["bytes"]), bool(params["content_length"]), book, receive, send)
    elif name == "redirect":
        response = Response(status_code=int(params["status"]), headers={"Location": str(params["location"])})
    elif name == "drop":
        return await drop_connection(receive, send)
    elif name == "slow_loris":
        payload, bad = heartbeat()
        return await _slow(render(payload, bad), float(params["interval_s"]), book, receive, send)
    elif name == "bad_signature":
        payload, _ = heartbeat()
        mode = params["mode"]
        if mode in ("verified", "both"):
            payload["verified"] = False
        response = render(payload, mode in ("signature", "both"))
    assert response is not None
    await response(scope, receive, send)


async def _oversized(size: int, content_length: bool, book: FaultBook, receive: Receive, send: Send) -> None:
    """A 200 JSON-looking body of `size` bytes, streamed in 64 KiB chunks."""
    headers = [(b"content-type", b"application/json")]
    if content_length:
        headers.append((b"content-length", str(size).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    head = b'{"heartbeat": {"padding": "'
    chunk = b"x" * 65536
    sent = 0
    first = head[:size]
    await send({"type": "http.response.body", "body": first, "more_body": True})
    sent += len(first)
    while sent < size:
        if book.stopping.is_set():
            return await drop_connection(receive, send)
        piece = chunk[: size - sent]
        await send({"type": "http.response.body", "body": piece, "more_body": True})
        sent += len(piece)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _slow(response: Response, interval_s: float, book: FaultBook, receive: Receive, send: Send) -> None:
    """Send the headers at once, then the body one byte per `interval_s` (slow loris)."""
    headers = [(k, v) for k, v in response.raw_headers]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    for byte in response.body:
        if getattr(getattr(send, "__self__", None), "disconnected", False):
            return  # the client went away: stop dribbling
        if book.stopping.is_set():
            return await drop_connection(receive, send)
        await send({"type": "http.response.body", "body": bytes([byte]), "more_body": True})
        await asyncio.sleep(interval_s)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


_HTML_PAGE = """<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>
"""


def parse_fault_request(data: Any) -> tuple[str, int, list[str] | None, dict[str, Any]]:
    """(name, count, paths, params) from a POST /_control/faults body; ValueError if malformed."""
    if not isinstance(data, dict) or not isinstance(data.get("fault"), str):
        raise ValueError('body must be a JSON object with a "fault" name')
    params = {k: v for k, v in data.items() if k not in ("fault", "count", "paths")}
    paths = data.get("paths")
    if paths is not None and not isinstance(paths, list):
        raise ValueError("paths must be a list")
    return data["fault"], data.get("count", 1), paths, params


def dumps(payload: Any) -> bytes:
    """Compact JSON; NaN/Infinity pass through as literals (the nan fault needs them)."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=True).encode()
