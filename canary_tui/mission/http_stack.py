"""The one HTTP stack of the client and the probe: a stock httpx.AsyncClient that honours the user's environment.

trust_env=True makes httpx read HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY and
SSL_CERT_FILE / SSL_CERT_DIR, as curl and the rest of a user's tools do. Redirects are
never followed by httpx: the client decides (same origin only). One AsyncClient lives as
long as its owner, so its connection pool stays warm between polls.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from canary_tui.mission.errors import InvalidTargetError

log = logging.getLogger(__name__)

USER_AGENT = "canary-tui"
#: idle connections are kept this long: longer than any sensible poll interval, so every poll reuses one
KEEPALIVE_S = 30.0
#: a heartbeat hung in flight and a rollback each need their own connection; a few more for the probe's overlap
MAX_CONNECTIONS = 10
MAX_IDLE_CONNECTIONS = 4


def tls_verify(verify: bool | str) -> bool | ssl.SSLContext:
    """httpx's verify for `verify`: True (the environment's or httpx's default trust store), False, or a CA bundle path."""
    if not isinstance(verify, str):
        return verify
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise InvalidTargetError(f"CA bundle not usable: {verify} ({type(exc).__name__})") from None


def async_client(
    *,
    verify: bool | str = True,
    timeout: httpx.Timeout,
    base_url: httpx.URL | str = "",
    limits: httpx.Limits | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient on httpx's own transport (or `transport`, for tests), environment trusted, redirects not followed."""
    return httpx.AsyncClient(
        base_url=base_url,
        verify=tls_verify(verify),
        timeout=timeout,
        limits=limits or httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_IDLE_CONNECTIONS,
                                      keepalive_expiry=KEEPALIVE_S),
        transport=transport,
        trust_env=True,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    )


#: httpcore trace events after which a request is on its way: its body written, or a new connection being opened for it
_ON_ITS_WAY = ("http11.send_request_body.complete", "http2.send_request_body.complete", "connection.connect_tcp.started")


def on_its_way_trace(callback: Callable[[], None]) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    """An httpx `trace` extension for one request: calls `callback` once, when it is on its way (or waits on a connect).

    Whoever wants to show that a request went out can wait for this and so not delay it: work
    the screen does before then runs on the event loop ahead of the request's own write. A failing
    callback is logged and never breaks the request (it runs inside httpx's send).
    """
    called = False

    async def trace(event: str, info: dict[str, Any]) -> None:
        nonlocal called
        if event in _ON_ITS_WAY and not called:
            called = True
            try:
                callback()
            except Exception:
                log.exception("on_sent callback failed")

    return trace
