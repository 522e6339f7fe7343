"""The typed async client of mission-control-api.md: one httpx pool, strict parsing, bounded retries, typed errors only.

Redirects are never followed automatically. A redirect to the same origin
(scheme, host and port) is followed once for GET requests; every other redirect
(another host, a second hop, any redirect of a POST) raises RedirectRefused, so
the bearer token never travels anywhere but the configured origin.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from canary_tui.core.clock import Clock, SystemClock
from canary_tui.core.samples import Heartbeat
from canary_tui.mission.answers import Answer, is_tls_failure, root_message, status_error, timeout_phase
from canary_tui.mission.credentials import Secret
from canary_tui.mission.errors import (
    BodyTooLarge,
    ContractError,
    InvalidRequestError,
    InvalidTargetError,
    MissingCredentialError,
    MissionError,
    RedirectRefused,
    TimeoutError_,
    TLSError,
    TransportError,
    UnexpectedError,
)
from canary_tui.mission.http_stack import async_client, on_its_way_trace
from canary_tui.mission.parse import (
    CanaryUpdate,
    Checkpoint,
    load_json,
    parse_canary_update,
    parse_checkpoint,
    parse_heartbeat,
)
from canary_tui.mission.signature import verify as verify_signature

log = logging.getLogger("canary_tui.mission")

MAX_BODY_BYTES = 1024 * 1024
MAX_TEXT_CHARS = 500
HEARTBEAT_PATH = "/api/ghost/heartbeat"
HEALTH_PATH = "/api/health"
CANARY_PATH = "/api/ghost/canary"
CHECKPOINT_PATH = "/api/ghost/rollback"

#: on_attempt(attempt_number, error_or_None): called after every attempt of a request, success or failure
AttemptHook = Callable[[int, "MissionError | None"], None]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Connect and read timeouts per socket operation, and a total deadline per HTTP attempt."""

    connect_s: float = 3.0
    read_s: float = 5.0
    total_s: float = 10.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Capped exponential backoff for mutations: delay_n = min(cap, base·2^(n−1)), jittered into [delay/2, delay].

    A 429's Retry-After is honoured (the wait is at least that long); one above
    max_retry_after_s is not waited for and raises at once.
    """

    attempts: int = 5
    base_s: float = 0.2
    cap_s: float = 5.0
    jitter: bool = True
    max_retry_after_s: float = 60.0


@dataclass(frozen=True, slots=True)
class HealthResult:
    """One GET /api/health: answered 200 ok?, which variant served it (X-Canary), and how long it took."""

    ok: bool
    canary: bool | None
    latency_ms: float


class MissionClient:
    """Async client of one Mission Control deployment; raises only MissionError subclasses."""

    def __init__(
        self,
        base_url: str,
        *,
        token: Secret | None = None,
        secret: Secret | None = None,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        clock: Clock = SystemClock(),
        verify: bool | str = True,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        on_attempt: AttemptHook | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        rng: random.Random | None = None,
    ) -> None:
        self._base = _parse_base_url(base_url)
        if token is not None and not all(33 <= ord(ch) < 127 for ch in token.reveal()):
            raise InvalidTargetError("the bearer token has characters an HTTP header cannot carry")
        self._token = token
        self._secret = secret
        self._timeouts = timeouts
        self._retry = retry
        self._clock = clock
        self._sleep = sleep
        self._on_attempt = on_attempt
        self._max_body_bytes = max_body_bytes
        self._rng = rng or random.Random()
        timeout = httpx.Timeout(connect=timeouts.connect_s, read=timeouts.read_s, write=timeouts.read_s, pool=timeouts.connect_s)
        self._http = async_client(verify=verify, timeout=timeout, base_url=self._base, transport=transport)

    @property
    def base_url(self) -> str:
        """The deployment's base URL."""
        return str(self._base)

    @property
    def has_token(self) -> bool:
        """Whether a bearer token is configured (every change needs one)."""
        return bool(self._token)

    def __repr__(self) -> str:
        return f"MissionClient({self.base_url!r}, token={'set' if self._token else 'none'}, secret={'set' if self._secret else 'none'})"

    async def __aenter__(self) -> MissionClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def heartbeat(self) -> Heartbeat:
        """GET the heartbeat once (never retried: the caller polls); the signature is checked when a secret is set."""
        started_s = self._clock.monotonic()
        answer = await self._guarded(lambda: self._exchange("GET", HEARTBEAT_PATH))
        response_ms = (self._clock.monotonic() - started_s) * 1000.0
        if answer.status_code != 200:
            raise status_error(answer, self._clock.now())
        signature_valid = None
        if self._secret:  # an empty secret counts as none configured
            signature_valid = verify_signature(answer.body, answer.headers.get("x-signature"), self._secret)
        return parse_heartbeat(
            answer.body,
            status_code=answer.status_code,
            fetched_at_s=self._clock.now(),
            response_ms=response_ms,
            signature_valid=signature_valid,
        )

    async def health(self) -> HealthResult:
        """GET /api/health once: ok only for 200 {"status": "ok"}; X-Canary gives the serving variant."""
        started_s = self._clock.monotonic()
        answer = await self._guarded(lambda: self._exchange("GET", HEALTH_PATH))
        latency_ms = (self._clock.monotonic() - started_s) * 1000.0
        canary = {"true": True, "false": False}.get(answer.headers.get("x-canary", "").strip().lower())
        ok = False
        if answer.status_code == 200:
            doc = load_json(answer.body, status_code=200, what="health body")
            if not isinstance(doc, dict) or not isinstance(doc.get("status"), str):
                raise ContractError("expected an object with a string status", field="status", status_code=200)
            ok = doc["status"] == "ok"
        return HealthResult(ok=ok, canary=canary, latency_ms=latency_ms)

    async def set_canary(
        self,
        *,
        percent: int | None = None,
        expected_percent: int | None = None,
        paused: bool | None = None,
        note: str | None = None,
        actor: str | None = None,
        on_attempt: AttemptHook | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> CanaryUpdate:
        """POST /api/ghost/canary (bearer), retried on transient failures; 409 raises ConflictError with the server's state.

        `on_sent()` is called once per attempt, when its request is on its way (http_stack.on_its_way_trace).
        """
        payload = _canary_payload(percent, expected_percent, paused, note, actor)

        async def once() -> CanaryUpdate:
            extensions = {"trace": on_its_way_trace(on_sent)} if on_sent is not None else None
            answer = await self._exchange("POST", CANARY_PATH, payload, extensions=extensions)
            if answer.status_code != 200:
                raise status_error(answer, self._clock.now())
            return parse_canary_update(answer.body, status_code=200)

        return await self._retrying(once, on_attempt)

    async def checkpoint(self, note: str, *, actor: str | None = None, on_attempt: AttemptHook | None = None) -> Checkpoint:
        """POST /api/ghost/rollback (bearer): create a rollback checkpoint; retried on transient failures."""
        payload = {"note": _text("note", note)}
        if actor is not None:
            payload["actor"] = _text("actor", actor)

        async def once() -> Checkpoint:
            answer = await self._exchange("POST", CHECKPOINT_PATH, payload)
            if answer.status_code != 201:
                raise status_error(answer, self._clock.now())
            return parse_checkpoint(answer.body, status_code=201)

        return await self._retrying(once, on_attempt)

    async def _retrying(self, once: Callable[[], Awaitable[T]], on_attempt: AttemptHook | None) -> T:
        """Run a mutation up to RetryPolicy.attempts times, backing off between transient failures."""
        if self._token is None or not self._token:
            raise MissingCredentialError("no bearer token configured for this environment")
        hook = on_attempt or self._on_attempt
        attempts = max(1, self._retry.attempts)
        for attempt in range(1, attempts + 1):
            try:
                result = await self._guarded(once)
            except MissionError as error:
                _notify(hook, attempt, error)
                delay_s = self._delay_s(attempt, error)
                if not error.transient or attempt == attempts or delay_s is None:
                    raise
                log.info("attempt %d failed (%s); retrying in %.2f s", attempt, error.kind, delay_s)
                await self._sleep(delay_s)
            else:
                _notify(hook, attempt, None)
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay_s(self, attempt: int, error: MissionError) -> float | None:
        """Backoff before the next attempt; None when a Retry-After asks for more than the policy allows."""
        delay_s = min(self._retry.cap_s, self._retry.base_s * (2 ** (attempt - 1)))
        if self._retry.jitter:
            delay_s = self._rng.uniform(delay_s / 2, delay_s)
        retry_after_s = getattr(error, "retry_after_s", None)
        if retry_after_s is not None:
            if retry_after_s > self._retry.max_retry_after_s:
                return None
            delay_s = max(delay_s, retry_after_s)
        return delay_s

    async def _guarded(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run one attempt under the total deadline and map every failure to a MissionError."""
        try:
            async with asyncio.timeout(self._timeouts.total_s):
                return await call()
        except MissionError:
            raise
        except TimeoutError:
            raise TimeoutError_(f"no complete answer within the {self._timeouts.total_s:g} s total deadline") from None
        except httpx.TimeoutException as exc:
            raise TimeoutError_(f"{timeout_phase(exc)} timeout") from exc
        except httpx.ConnectError as exc:
            if is_tls_failure(exc):
                raise TLSError(f"TLS failure: {self._scrub(root_message(exc))}") from exc
            raise TransportError(f"cannot connect: {self._scrub(root_message(exc))}") from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise InvalidTargetError(f"unusable URL: {self._scrub(str(exc))}") from exc
        except (httpx.RemoteProtocolError, httpx.NetworkError, httpx.ProxyError) as exc:
            raise TransportError(f"connection failed: {self._scrub(root_message(exc))}") from exc
        except httpx.DecodingError as exc:
            raise ContractError(f"undecodable body: {self._scrub(str(exc))}", field="body") from exc
        except ssl.SSLError as exc:
            raise TLSError(f"TLS failure: {self._scrub(str(exc))}") from exc
        except OSError as exc:
            raise TransportError(f"network error: {self._scrub(str(exc))}") from exc
        except Exception as exc:  # noqa: BLE001 - whatever a lower layer raises becomes a typed, scrubbed error
            unexpected = UnexpectedError(f"unexpected {type(exc).__name__}: {self._scrub(str(exc))[:200]}")
        # raised outside the handler: no __cause__/__context__ chain that could carry unscrubbed text
        raise unexpected

    async def _exchange(self, method: str, url: httpx.URL | str, payload: dict[str, Any] | None = None, *, hops: int = 0,
                        extensions: dict[str, Any] | None = None) -> Answer:
        """One HTTP exchange with a bounded body; follows at most one same-origin GET redirect."""
        headers = {}
        content = None
        if payload is not None:
            headers["Authorization"] = f"Bearer {self._token.reveal() if self._token else ''}"
            headers["Content-Type"] = "application/json"
            content = json.dumps(payload).encode("utf-8")
        request = self._http.build_request(method, url, headers=headers, content=content, extensions=extensions)
        log.debug("%s %s", method, request.url.path)
        response = await self._http.send(request, stream=True)
        try:
            if response.status_code in (301, 302, 303, 307, 308):
                target = self._redirect_target(request.url, response, method, hops)
                await response.aclose()
                return await self._exchange(method, target, payload, hops=hops + 1)
            body = await self._read_bounded(response)
        finally:
            await response.aclose()
        log.debug("%s %s -> %d (%d bytes)", method, request.url.path, response.status_code, len(body))
        return Answer(response.status_code, response.headers, body)

    def _redirect_target(self, url: httpx.URL, response: httpx.Response, method: str, hops: int) -> httpx.URL:
        """The absolute URL of an allowed redirect, or RedirectRefused."""
        location = response.headers.get("location", "")
        target = url.join(location)
        same_origin = (target.scheme, target.host, target.port) == (url.scheme, url.host, url.port)
        if not same_origin:
            raise RedirectRefused(response.status_code, location)
        if method != "GET" or hops >= 1:
            raise RedirectRefused(response.status_code, location, reason="refused redirect (only one same-host GET redirect is followed)")
        return target

    async def _read_bounded(self, response: httpx.Response) -> bytes:
        """Read the body, refusing (without reading on) anything over max_body_bytes."""
        limit = self._max_body_bytes
        declared = response.headers.get("content-length")
        if declared is not None:
            try:
                declared_bytes = int(declared)
            except ValueError:
                raise ContractError("invalid Content-Length", field="body", status_code=response.status_code) from None
            if declared_bytes > limit:
                raise BodyTooLarge(limit, 0, declared_bytes, status_code=response.status_code)
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > limit:
                raise BodyTooLarge(limit, total, status_code=response.status_code)
            chunks.append(chunk)
        return b"".join(chunks)

    def _scrub(self, text: str) -> str:
        """Text with the token and the secret blanked out, should a lower layer ever echo them."""
        for held in (self._token, self._secret):
            if held is not None and held.reveal():
                text = text.replace(held.reveal(), "***")
        return text


def _parse_base_url(base_url: str) -> httpx.URL:
    """Validate the base URL: http(s) with a host and no credentials."""
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise InvalidTargetError(f"invalid base URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidTargetError("base URL must be http(s)://host[:port]")
    if url.userinfo:
        raise InvalidTargetError("base URL must not carry credentials")
    return url


def _canary_payload(percent: int | None, expected_percent: int | None, paused: bool | None, note: str | None, actor: str | None) -> dict[str, Any]:
    """The POST /api/ghost/canary body, validated before anything is sent."""
    if percent is None and paused is None:
        raise InvalidRequestError("give a percent, a pause flag, or both")
    payload: dict[str, Any] = {}
    for name, value in (("percent", percent), ("expected_percent", expected_percent)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise InvalidRequestError(f"{name} must be an integer 0..100")
        payload[name] = value
    if paused is not None:
        if not isinstance(paused, bool):
            raise InvalidRequestError("paused must be true or false")
        payload["paused"] = paused
    if note is not None:
        payload["note"] = _text("note", note)
    if actor is not None:
        payload["actor"] = _text("actor", actor)
    return payload


def _text(name: str, value: str) -> str:
    """A free-text field: a string of at most 500 characters."""
    if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
        raise InvalidRequestError(f"{name} must be text of at most {MAX_TEXT_CHARS} characters")
    return value


def _notify(hook: AttemptHook | None, attempt: int, error: MissionError | None) -> None:
    """Tell the audit hook about an attempt; a failing hook never breaks the request."""
    if hook is None:
        return
    try:
        hook(attempt, error)
    except Exception:
        log.exception("on_attempt hook failed")
