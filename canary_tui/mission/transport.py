"""A lean HTTP/1.1 transport for httpx on plain asyncio streams and h11 (no httpcore, no anyio).

Why: httpcore + anyio cost ~30 ms of imports at every start and ~0.4 ms per request between
the pool and the socket; this transport does the same job (keep-alive pool per origin, TLS,
timeouts, httpx's exception types) in one small module.

Safety of keep-alive reuse: an idle connection is reused only if the server has not closed it
(checked just before writing: no EOF, no stray bytes, socket not readable). A request is sent
again on a fresh connection at most once, and only when the reused connection was already
found closed as the request was handed to it (nothing left this process). Once a request is
written, it is never retried.
"""

from __future__ import annotations

import asyncio
import select
import ssl
import time
from collections.abc import AsyncIterator

import h11
import httpx

READ_SIZE = 65536
MAX_HEAD_BYTES = 100 * 1024  # response status line + headers, as httpcore allowed (h11's default is 16 KiB)
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


class _ClosedBeforeSend(Exception):
    """A reused connection turned out to be closed when the request was handed to it: nothing was sent."""


class _Connection:
    """One TCP (or TLS) connection and its h11 state machine."""

    def __init__(self, origin: Origin, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.origin = origin
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.idle_since_s = 0.0
        self.reused = False

    def usable(self) -> bool:
        """True if an idle connection can carry a request: not closed, nothing buffered, socket not readable."""
        reader = self.reader
        # StreamReader has no public "bytes buffered" accessor; _buffer is its bytearray
        if self.writer.is_closing() or reader.at_eof() or reader.exception() is not None or reader._buffer:  # noqa: SLF001
            return False
        sock = self.writer.get_extra_info("socket")
        try:  # bytes or EOF the event loop has not picked up yet: the server closed or misbehaved
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    async def send(self, data: bytes, write_s: float | None, request: httpx.Request) -> None:
        """Write the whole request; _ClosedBeforeSend if a reused connection was already closed."""
        try:
            self.writer.write(data)
            if self.writer.is_closing():  # the transport refused the bytes: they never reached the kernel
                if self.reused:
                    raise _ClosedBeforeSend
                raise httpx.WriteError("connection closed before the request was sent", request=request)
            if self.writer.transport.get_write_buffer_size():  # not all in the kernel yet: wait, within the write timeout
                await self._drain(write_s)
        except TimeoutError as exc:
            raise httpx.WriteTimeout(f"could not send the request within {write_s} s", request=request) from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from exc

    async def next_event(self, read_s: float | None, request: httpx.Request) -> h11.Event | type[h11.PAUSED]:
        """The next h11 event from the server, reading from the socket as needed."""
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=request) from exc
            if event is not h11.NEED_DATA:
                return event
            try:
                data = await self._read(read_s)
            except TimeoutError as exc:
                raise httpx.ReadTimeout(f"no data from the server within {read_s} s", request=request) from exc
            except OSError as exc:
                raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
            if not data and self.h11.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError("server closed the connection without sending a response", request=request)
            self.h11.receive_data(data)

    # asyncio.timeout cancels when the deadline passes even if the awaited data came in time but the event
    # loop was held up (a long render, a blocking call): the two helpers below check before calling it a timeout.

    async def _read(self, read_s: float | None) -> bytes:
        """Up to READ_SIZE bytes; TimeoutError only if nothing arrived within read_s."""
        try:
            async with asyncio.timeout(read_s):
                return await self.reader.read(READ_SIZE)
        except TimeoutError:
            reader = self.reader
            if reader._buffer or reader.at_eof() or reader.exception() is not None:  # noqa: SLF001 - it arrived in time
                return await reader.read(READ_SIZE)
            raise

    async def _drain(self, write_s: float | None) -> None:
        """Wait until the kernel took the request; TimeoutError only if it had not within write_s."""
        try:
            async with asyncio.timeout(write_s):
                await self.writer.drain()
        except TimeoutError:
            if self.writer.transport.get_write_buffer_size():
                raise

    def close(self) -> None:
        """Drop the connection at once (no TLS close_notify, no waiting on a peer that may be gone)."""
        self.writer.transport.abort()


class _Pool:
    """At most max_connections open at once (a slot per request in flight) and a short list of idle ones."""

    def __init__(self, max_connections: int, max_idle: int, keepalive_s: float) -> None:
        self.max_connections = max_connections
        self.max_idle = max_idle
        self.keepalive_s = keepalive_s
        self.slots = asyncio.Semaphore(max_connections)
        self.active: set[_Connection] = set()
        self.idle: list[_Connection] = []  # oldest first

    @property
    def connections(self) -> list[_Connection]:
        """Every open connection, in use or idle."""
        return [*self.active, *self.idle]

    async def acquire_slot(self, pool_s: float | None, request: httpx.Request) -> None:
        """Wait for a free slot (the pool timeout applies only when all are taken)."""
        if not self.slots.locked():
            await self.slots.acquire()
            return
        try:
            async with asyncio.timeout(pool_s):
                await self.slots.acquire()
        except TimeoutError as exc:
            raise httpx.PoolTimeout(f"all {self.max_connections} connections busy for {pool_s} s", request=request) from exc

    def take_idle(self, origin: Origin) -> _Connection | None:
        """The most recent usable idle connection to origin; stale or closed ones on the way are dropped."""
        now_s = time.monotonic()
        for index in range(len(self.idle) - 1, -1, -1):
            conn = self.idle[index]
            if conn.origin != origin:
                continue
            del self.idle[index]
            if now_s - conn.idle_since_s < self.keepalive_s and conn.usable():
                conn.reused = True
                self.active.add(conn)
                return conn
            conn.close()
        return None

    def make_room(self) -> None:
        """Close the oldest idle connections so that a new one keeps the total within max_connections."""
        while self.idle and len(self.active) + len(self.idle) >= self.max_connections:
            self.idle.pop(0).close()

    def release(self, conn: _Connection | None, reusable: bool) -> None:
        """Give back a request's slot; keep its connection idle if reusable, else close it."""
        self.slots.release()
        if conn is None:
            return
        self.active.discard(conn)
        state = conn.h11
        if reusable and state.our_state is h11.DONE and state.their_state is h11.DONE:
            state.start_next_cycle()
            conn.idle_since_s = time.monotonic()
            self.idle.append(conn)
            if len(self.idle) > self.max_idle:
                self.idle.pop(0).close()
        else:
            conn.close()

    def close_all(self) -> None:
        """Close every connection, idle or in use."""
        for conn in self.connections:
            conn.close()
        self.active.clear()
        self.idle.clear()


class _ResponseStream(httpx.AsyncByteStream):
    """The response body as h11 Data events arrive; closing returns the connection to the pool if fully read."""

    def __init__(self, pool: _Pool, conn: _Connection, read_s: float | None, request: httpx.Request) -> None:
        self._pool = pool
        self._conn = conn
        self._read_s = read_s
        self._request = request
        self._complete = False
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while not self._complete and not self._closed:
            event = await self._conn.next_event(self._read_s, self._request)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._complete = True
            else:  # h11 yields only Data then EndOfMessage here; anything else leaves the stream unusable
                raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__} in the response body", request=self._request)

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.release(self._conn, reusable=self._complete)


class AsyncioTransport(httpx.AsyncBaseTransport):
    """httpx transport: HTTP/1.1 over asyncio streams + h11, keep-alive per origin, TLS with the given context."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 10,
        max_idle: int = 4,
        keepalive_s: float = 5.0,
    ) -> None:
        if ssl_context is not None:
            ssl_context.set_alpn_protocols(["http/1.1"])  # as httpcore did: tell the server we speak HTTP/1.1 only
        self._ssl_context = ssl_context  # https only; made (default verification) on first use if None
        self._pool = _Pool(max_connections, max_idle, keepalive_s)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        url = request.url
        if url.scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}", request=request)
        origin = (url.scheme, url.raw_host.decode("ascii"), url.port or DEFAULT_PORTS[url.scheme])  # IDNA-encoded host
        try:
            body = [request.content]  # bytes content (all of ours) is in memory already: one write per request
        except httpx.RequestNotRead:
            body = [bytes(chunk) async for chunk in request.stream]
        await self._pool.acquire_slot(timeouts.get("pool"), request)
        conn = None
        try:
            conn = self._pool.take_idle(origin)
            if conn is None:
                conn = await self._connect(origin, timeouts.get("connect"), request)
            try:
                await conn.send(_request_bytes(conn.h11, request, body), timeouts.get("write"), request)
            except _ClosedBeforeSend:  # the server closed the idle connection; nothing was sent: once more, fresh
                self._pool.active.discard(conn)
                conn.close()
                conn = await self._connect(origin, timeouts.get("connect"), request)
                await conn.send(_request_bytes(conn.h11, request, body), timeouts.get("write"), request)
            read_s = timeouts.get("read")
            event = await conn.next_event(read_s, request)
            while isinstance(event, h11.InformationalResponse):  # 100 Continue and friends
                event = await conn.next_event(read_s, request)
            if not isinstance(event, h11.Response):
                raise httpx.RemoteProtocolError(f"expected a response, got {type(event).__name__}", request=request)
        except BaseException:
            self._pool.release(conn, reusable=False)
            raise
        return httpx.Response(
            event.status_code,
            headers=event.headers.raw_items(),
            stream=_ResponseStream(self._pool, conn, read_s, request),
            extensions={"http_version": b"HTTP/" + event.http_version, "reason_phrase": event.reason},
        )

    async def _connect(self, origin: Origin, connect_s: float | None, request: httpx.Request) -> _Connection:
        """Open a new connection (TLS for https) and count it as in use."""
        scheme, host, port = origin
        context = None
        if scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = ssl.create_default_context()
                self._ssl_context.set_alpn_protocols(["http/1.1"])
            context = self._ssl_context
        self._pool.make_room()
        try:
            async with asyncio.timeout(connect_s):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=context, server_hostname=host if context else None, limit=READ_SIZE,
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"could not connect to {host}:{port} within {connect_s} s", request=request) from exc
        except OSError as exc:  # ssl.SSLError included: the client finds it in the cause chain
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        conn = _Connection(origin, reader, writer)
        self._pool.active.add(conn)
        return conn

    async def aclose(self) -> None:
        """Close every connection at once (a response still being read then fails with an httpx transport error)."""
        self._pool.close_all()


def _request_bytes(state: h11.Connection, request: httpx.Request, body: list[bytes]) -> bytes:
    """The request head and body as h11 frames them (Content-Length or chunked, as httpx set the headers)."""
    parts = [state.send(h11.Request(method=request.method, target=request.url.raw_path, headers=request.headers.raw))]
    parts += [state.send(h11.Data(data=chunk)) for chunk in body if chunk]
    parts.append(state.send(h11.EndOfMessage()))
    return b"".join(part for part in parts if part)
