"""The simulator's ASGI app: the contract's routes, scenario outages, faults and the control API."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from canary_tui.simulator import metrics as prometheus_metrics
from canary_tui.simulator.faults import FaultBook, apply_fault, drop_connection, dumps, parse_fault_request
from canary_tui.simulator.model import Conflict, SimulatorModel
from canary_tui.simulator.options import SimulatorOptions

MAX_BODY_BYTES = 64 * 1024
MAX_TEXT_CHARS = 500
WRONG_KEY = b"not-the-signing-secret"


def sign(body: bytes, secret: bytes) -> str:
    """The X-Signature header value: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class SimulatorApp:
    """ASGI entry: scenario outages and injected faults first, then the Starlette routes."""

    def __init__(self, model: SimulatorModel, options: SimulatorOptions, faults: FaultBook) -> None:
        self.model = model
        self.options = options
        self.faults = faults
        self._secret = options.secret.encode() if options.secret is not None else None
        routes = [
            Route("/api/ghost/heartbeat", self.heartbeat, methods=["GET"]),
            Route("/api/health", self.health, methods=["GET"]),
            Route("/api/ghost/canary", self.canary, methods=["POST"]),
            Route("/api/ghost/rollback", self.rollback, methods=["POST"]),
            Route("/metrics", self.metrics, methods=["GET"]),
        ]
        self.registry = prometheus_metrics.metrics_registry(model.tallies)
        if options.faults:
            routes += [
                Route("/_control/faults", self.control_inject, methods=["POST"]),
                Route("/_control/faults/clear", self.control_clear, methods=["POST"]),
                Route("/_control/state", self.control_state, methods=["GET"]),
            ]
        self.starlette = Starlette(routes=routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith("/api/") and self.model.outage_active():
                self.model.count("dropped")
                return await drop_connection(receive, send)
            if self.options.faults and not path.startswith("/_control"):
                fault = self.faults.take(path)
                if fault is not None:
                    return await apply_fault(fault, self.faults, scope, receive, send, self.model.heartbeat,
                                             self.render_heartbeat,
                                             lambda: self.starlette(scope, receive, send), self.model.phase_s)
        await self.starlette(scope, receive, send)

    # -- contract routes -----------------------------------------------------------------

    def render_heartbeat(self, payload: dict[str, Any], bad_signature: bool) -> Response:
        """Serialize a heartbeat and sign the exact bytes (with the wrong key when asked)."""
        body = dumps(payload)
        headers = {}
        if self._secret is not None or bad_signature:
            headers["X-Signature"] = sign(body, WRONG_KEY if bad_signature else self._secret or b"")
        return Response(body, media_type="application/json", headers=headers)

    async def heartbeat(self, request: Request) -> Response:
        """GET /api/ghost/heartbeat: counters, window percentiles, buckets, signature."""
        payload, bad = self.model.heartbeat()
        return self.render_heartbeat(payload, bad)

    async def metrics(self, request: Request) -> Response:
        """GET /metrics: the heartbeat's counters and histograms in Prometheus's text format."""
        return Response(prometheus_metrics.render(self.registry), media_type=prometheus_metrics.CONTENT_TYPE)

    async def health(self, request: Request) -> Response:
        """GET /api/health: waits out any stall, then a latency drawn from the serving variant."""
        options = self.options
        if options.stall_every_s > 0 and options.stall_s > 0:
            phase_s = self.model.phase_s(options.stall_every_s)
            if phase_s < options.stall_s:
                await asyncio.sleep(options.stall_s - phase_s)
        on_canary, latency_ms = self.model.draw_health()
        await asyncio.sleep(latency_ms / 1000.0 * options.health_latency_scale)
        return JSONResponse({"status": "ok"}, headers={"X-Canary": "true" if on_canary else "false"})

    def _authorized(self, request: Request) -> bool:
        """Bearer check in constant time; with no token configured, no credentials are required."""
        if self.options.token is None:
            return True
        header = request.headers.get("authorization", "")
        expected = f"Bearer {self.options.token}"
        return hmac.compare_digest(header.encode(), expected.encode())

    async def canary(self, request: Request) -> Response:
        """POST /api/ghost/canary: auth, validation, compare-and-set, pause, history."""
        if not self._authorized(request):
            return _unauthorized()
        data = await _json_object(request)
        if isinstance(data, Response):
            return data
        problem = _validate_canary(data)
        if problem is not None:
            return problem
        result = self.model.set_canary(data.get("percent"), data.get("expected_percent"), data.get("paused"),
                                       data.get("note"), data.get("actor"))
        if isinstance(result, Conflict):
            return JSONResponse({"error": "conflict", "canary_percent": result.canary_percent,
                                 "updated_by": result.updated_by}, status_code=409)
        return JSONResponse(result)

    async def rollback(self, request: Request) -> Response:
        """POST /api/ghost/rollback: creates a checkpoint (201)."""
        if not self._authorized(request):
            return _unauthorized()
        data = await _json_object(request, empty_ok=True)
        if isinstance(data, Response):
            return data
        for key in ("note", "actor"):
            problem = _text(data, key)
            if problem is not None:
                return problem
        checkpoint = self.model.create_checkpoint(data.get("note"), data.get("actor"))
        return JSONResponse({"checkpoint_id": checkpoint.checkpoint_id, "created_at": checkpoint.created_at,
                             "note": checkpoint.note}, status_code=201)

    # -- control routes (faults=True only) -------------------------------------------------

    async def control_inject(self, request: Request) -> Response:
        """POST /_control/faults: queue a fault."""
        try:
            name, count, paths, params = parse_fault_request(json.loads(await request.body()))
            fault = self.faults.inject(name, count, paths, **params)
        except ValueError as exc:  # includes JSONDecodeError
            return JSONResponse({"error": "invalid_fault", "message": str(exc)}, status_code=400)
        return JSONResponse({"fault": fault.name, "count": fault.remaining, "paths": list(fault.paths),
                             "params": fault.params}, status_code=201)

    async def control_clear(self, request: Request) -> Response:
        """POST /_control/faults/clear: forget pending faults, release hung requests."""
        self.faults.clear()
        return JSONResponse({"cleared": True})

    async def control_state(self, request: Request) -> Response:
        """GET /_control/state: the model (deployment, history, checkpoints, counters) and pending faults."""
        state = self.model.snapshot()
        state["faults"] = self.faults.pending()
        state["faults_fired"] = list(self.faults.fired)
        return JSONResponse(state)


def _unauthorized() -> Response:
    return JSONResponse({"error": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def _invalid(code: str, message: str) -> Response:
    return JSONResponse({"error": code, "message": message}, status_code=400)


async def _json_object(request: Request, empty_ok: bool = False) -> dict[str, Any] | Response:
    """The request body as a JSON object, or a 400 invalid_body answer."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _invalid("invalid_body", "body too large")
    if empty_ok and not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _invalid("invalid_body", "body is not valid JSON")
    if not isinstance(data, dict):
        return _invalid("invalid_body", "body must be a JSON object")
    return data


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(data: dict[str, Any], key: str) -> Response | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        return _invalid("invalid_body", f"{key} must be a string")
    if value is not None and len(value) > MAX_TEXT_CHARS:
        return _invalid("invalid_body", f"{key} is longer than {MAX_TEXT_CHARS} characters")
    return None


def _validate_canary(data: dict[str, Any]) -> Response | None:
    """None when the canary request is well formed, else the 400 answer (null means absent)."""
    percent = data.get("percent")
    if percent is not None and not (_is_int(percent) and 0 <= percent <= 100):
        return _invalid("invalid_percent", "percent must be an integer 0..100")
    expected = data.get("expected_percent")
    if expected is not None and not (_is_int(expected) and 0 <= expected <= 100):
        return _invalid("invalid_body", "expected_percent must be an integer 0..100")
    paused = data.get("paused")
    if paused is not None and not isinstance(paused, bool):
        return _invalid("invalid_body", "paused must be true or false")
    if percent is None and paused is None:
        return _invalid("invalid_body", "give percent and/or paused")
    for key in ("note", "actor"):
        problem = _text(data, key)
        if problem is not None:
            return problem
    return None
