"""The web server behind `canary-tui serve`: textual-serve's Server, titled, quiet, and behind an optional access token."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from textual_serve.server import Server

#: the cookie a browser keeps once it presented the access token: the page's assets and websocket carry it
SESSION_COOKIE = "canary_tui_session"
#: what a browser is asked for when it comes without the token (any user name, the token as password)
REALM = "canary-tui"

#: how long stopping the server waits for the sessions' dashboards to quit
SESSION_STOP_TIMEOUT_S = 5.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def session_value(access_token: str) -> str:
    """The cookie's value: derived from the token, so the token itself is never stored in the browser."""
    return hmac.new(access_token.encode(), b"canary-tui serve session", hashlib.sha256).hexdigest()


def presented_token(request: web.Request) -> str | None:
    """The token a request carries in its Authorization header: `Bearer TOKEN`, or Basic with the token as password."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def token_middleware(access_token: str) -> Middleware:
    """Refuse (401) every request, page, asset, download or websocket, without the token or the cookie it earns."""
    expected_session = session_value(access_token)

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        if cookie and hmac.compare_digest(cookie.encode(), expected_session.encode()):
            return await handler(request)
        token = presented_token(request)
        if token is None or not hmac.compare_digest(token.encode(), access_token.encode()):
            raise web.HTTPUnauthorized(
                text="canary-tui: this web view needs its access token\n",
                headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
            )
        response = await handler(request)
        if not response.prepared:  # a websocket has answered already; the page and its assets hand out the cookie
            response.set_cookie(SESSION_COOKIE, expected_session, httponly=True, samesite="Strict", path="/")
        return response

    return require_token


def _url_host(host: str) -> str:
    """A host as a URL writes it (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


class ServeServer(Server):
    """textual-serve's Server with an access token on every request when one is given, and a one-line start banner."""

    def __init__(self, command: str, *, host: str, port: int, title: str, access_token: str | None = None,
                 public_url: str | None = None, banner: str = "") -> None:
        super().__init__(command, host=host, port=port, title=title, public_url=public_url or f"http://{_url_host(host)}:{port}")
        self.access_token = access_token
        self.banner = banner
        self._sessions: set[asyncio.Task[Any]] = set()

    async def _make_app(self) -> web.Application:
        """textual-serve's app (routes, templates, statics) with the token check in front of every route."""
        app = await super()._make_app()
        if self.access_token:
            app.middlewares.append(token_middleware(self.access_token))
        return app

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's browser session, tracked so that stopping the server ends it: no dashboard outlives `serve`."""
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            self._sessions.discard(task)

    async def on_shutdown(self, app: web.Application) -> None:
        """End every session: textual-serve closes its websocket and tells its app to quit, then waits for the process."""
        sessions = list(self._sessions)
        for task in sessions:
            task.cancel()
        if sessions:
            await asyncio.wait(sessions, timeout=SESSION_STOP_TIMEOUT_S)

    async def on_startup(self, app: web.Application) -> None:
        """Say where the view is served (never the command line, never a secret)."""
        sys.stderr.write(f"{self.banner}\n" if self.banner else f"canary-tui: serving on {self.public_url}\n")
        sys.stderr.flush()
