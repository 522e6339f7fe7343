"""What came back from a request, in the client's typed errors: a bounded answer, a status code, a transport failure."""

from __future__ import annotations

import email.utils
import os
import socket
import ssl
from dataclasses import dataclass

import httpx

from canary_tui.mission.errors import BadRequestError, ConflictError, HttpStatusError, MissionError, RedirectRefused, UnauthorizedError
from canary_tui.mission.parse import parse_error_body


@dataclass(frozen=True, slots=True)
class Answer:
    """A fully read (bounded) response."""

    status_code: int
    headers: httpx.Headers
    body: bytes



def status_error(answer: Answer, now_s: float) -> MissionError:
    """The typed error for an unexpected status code."""
    code = answer.status_code
    info = parse_error_body(answer.body)
    detail = info.message or info.error or "unexpected status"
    if 300 <= code < 400:
        return RedirectRefused(code, answer.headers.get("location", ""), reason="unexpected redirect")
    if code == 400:
        return BadRequestError(code, detail, error_code=info.error or "", excerpt="" if info.error else info.excerpt)
    if code == 401:
        return UnauthorizedError(code, "unauthorized (no or bad token)")
    if code == 409:
        return ConflictError(info.canary_percent, info.updated_by)
    retry_after_s = parse_retry_after_s(answer.headers.get("retry-after"), now_s) if code == 429 else None
    excerpt = "" if (info.error or info.message) else info.excerpt
    return HttpStatusError(code, detail, excerpt, retry_after_s=retry_after_s)


def parse_retry_after_s(value: str | None, now_s: float) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(int(text)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now_s)


def timeout_phase(exc: httpx.TimeoutException) -> str:
    """Which timeout expired, in words."""
    return {
        httpx.ConnectTimeout: "connect",
        httpx.ReadTimeout: "read",
        httpx.WriteTimeout: "write",
        httpx.PoolTimeout: "connection pool",
    }.get(type(exc), "network")


def is_tls_failure(exc: BaseException) -> bool:
    """True when an ssl.SSLError sits anywhere in the exception's cause chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return "SSL" in str(exc) or "CERTIFICATE" in str(exc).upper()


def root_message(exc: BaseException) -> str:
    """A short reason: the innermost OS error's strerror (e.g. "Connection refused") when there is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and not isinstance(current, (ssl.SSLError, socket.gaierror)) \
                and isinstance(current.errno, int) and current.errno > 0:
            return os.strerror(current.errno)  # "Connection refused", not "Connect call failed (...)"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror[:200]
        current = current.__cause__ or current.__context__
    text = str(exc) or str(exc.__cause__ or exc.__context__ or "") or type(exc).__name__
    return text[:200]
