"""The client on httpx's own stack against raw loopback servers: a warm pool, framing, failures, bounded bodies."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from canary_tui.mission.client import MissionClient, RetryPolicy, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.mission.errors import BodyTooLarge, TimeoutError_, TransportError, UnauthorizedError

TEST_BOUND_S = 10.0
HEALTH_OK = b'{"status": "ok"}'
UNAUTHORIZED = b'{"error": "unauthorized"}'
TOKEN = Secret("raw-token")
ONE_ATTEMPT = RetryPolicy(attempts=1)

Handler = Callable[["RawServer", asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RawServer:
    """A loopback asyncio server running `handler` per connection; counts accepts and requests."""

    handler: Handler
    port: int = 0
    accepts: int = 0
    requests: list[tuple[int, bytes, bytes]] = field(default_factory=list)  # (connection number, head, body)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def note(self) -> None:
        self.changed.set()

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait until condition() holds (re-checked whenever the server notes a change)."""
        while not condition():
            self.changed.clear()
            await self.changed.wait()


async def read_request(server: RawServer, reader: asyncio.StreamReader, conn_no: int) -> bytes | None:
    """Read one request (head + Content-Length body), record it and return its head; None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lower = head.lower()
    body = b""
    if b"content-length:" in lower:
        length = int(lower.split(b"content-length:")[1].split(b"\r\n")[0])
        body = await reader.readexactly(length)
    server.requests.append((conn_no, head, body))
    server.note()
    return head


def response(body: bytes = HEALTH_OK, status: str = "200 OK") -> bytes:
    return b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: " + \
        str(len(body)).encode() + b"\r\n\r\n" + body


def answer_for(head: bytes) -> bytes:
    """GETs get a healthy /api/health body; POSTs a 401 (a typed error that is never retried)."""
    return response(UNAUTHORIZED, "401 Unauthorized") if head.startswith(b"POST") else response()


async def keep_alive(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on the connection."""
    conn_no = server.accepts
    while (head := await read_request(server, reader, conn_no)) is not None:
        writer.write(answer_for(head))
        await writer.drain()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[..., Awaitable[RawServer]]]:
    """`await raw_server(handler)` -> a started RawServer; all stopped (handlers cancelled) at teardown."""
    started: list[asyncio.Server] = []
    tasks: set[asyncio.Task] = set()

    async def start(handler: Handler) -> RawServer:
        server = RawServer(handler)

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            tasks.add(asyncio.current_task())  # type: ignore[arg-type]
            server.accepts += 1
            server.note()
            try:
                await handler(server, reader, writer)
            except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
                pass
            except asyncio.CancelledError:  # teardown; ending normally keeps asyncio's stream callback from logging it
                pass
            finally:
                writer.close()

        listener = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        started.append(listener)
        server.port = listener.sockets[0].getsockname()[1]
        return server

    yield start
    for listener in started:
        listener.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for listener in started:
        await listener.wait_closed()


async def test_polls_reuse_one_warm_connection(raw_server) -> None:
    server = await raw_server(keep_alive)
    async with asyncio.timeout(TEST_BOUND_S), MissionClient(server.url) as mission:
        results = [await mission.health() for _ in range(3)]
    assert all(result.ok for result in results)
    assert (server.accepts, len(server.requests)) == (1, 3)
    head = server.requests[0][1].lower()
    assert head.startswith(b"get /api/health http/1.1\r\n")
    assert b"user-agent: canary-tui\r\n" in head and b"accept: application/json\r\n" in head


async def test_a_post_is_sent_once_with_its_body_length_and_bearer(raw_server) -> None:
    server = await raw_server(keep_alive)
    async with asyncio.timeout(TEST_BOUND_S), MissionClient(server.url, token=TOKEN) as mission:
        with pytest.raises(UnauthorizedError):
            await mission.set_canary(percent=0, note="rollback")
    ((_, head, body),) = server.requests
    assert json.loads(body) == {"percent": 0, "note": "rollback"}
    lower = head.lower()
    assert lower.startswith(b"post /api/ghost/canary http/1.1\r\n")
    assert b"content-length: %d\r\n" % len(body) in lower and b"content-type: application/json\r\n" in lower
    assert b"authorization: bearer raw-token\r\n" in lower


async def test_idle_connection_closed_by_the_server_is_not_reused(raw_server) -> None:
    """The server answers, then closes without saying so (keep-alive expiry): the POST goes on a new connection, once."""
    closed = 0

    async def one_and_close(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal closed
        if (head := await read_request(server, reader, server.accepts)) is not None:
            writer.write(answer_for(head))
            await writer.drain()
        writer.close()
        await writer.wait_closed()
        closed += 1
        server.note()

    server = await raw_server(one_and_close)
    async with asyncio.timeout(TEST_BOUND_S), MissionClient(server.url, token=TOKEN, retry=ONE_ATTEMPT) as mission:
        await mission.health()
        await server.until(lambda: closed == 1)
        with pytest.raises(UnauthorizedError):  # the server's answer, not a transport error
            await mission.set_canary(percent=0)
    assert server.accepts == 2 and [conn for conn, _, _ in server.requests] == [1, 2]  # each sent exactly once


async def test_a_heartbeat_hung_in_flight_does_not_hold_up_a_post(raw_server) -> None:
    """A poll the server never answers keeps its connection; the rollback's POST gets its own at once."""
    async def gets_hang(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn_no = server.accepts
        while (head := await read_request(server, reader, conn_no)) is not None:
            if head.startswith(b"GET"):
                await asyncio.Event().wait()
            writer.write(answer_for(head))
            await writer.drain()

    server = await raw_server(gets_hang)
    async with asyncio.timeout(TEST_BOUND_S), MissionClient(server.url, token=TOKEN) as mission:
        hung = asyncio.create_task(mission.heartbeat())
        await server.until(lambda: len(server.requests) == 1)
        with pytest.raises(UnauthorizedError):
            await mission.set_canary(percent=0)
        assert not hung.done()
        hung.cancel()
    assert server.accepts == 2 and [conn for conn, _, _ in server.requests] == [1, 2]


async def test_connection_refused_maps_to_a_transport_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before use: nothing listens there
    async with asyncio.timeout(TEST_BOUND_S), MissionClient(f"http://127.0.0.1:{port}") as mission:
        with pytest.raises(TransportError) as info:
            await mission.health()
    assert info.value.kind == "unreachable" and "Connection refused" in str(info.value)


async def test_server_that_never_answers_is_a_read_timeout(raw_server) -> None:
    async def silent(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(server, reader, server.accepts)
        await asyncio.Event().wait()

    server = await raw_server(silent)
    async with asyncio.timeout(TEST_BOUND_S), MissionClient(server.url, timeouts=Timeouts(read_s=0.2)) as mission:
        with pytest.raises(TimeoutError_) as info:
            await mission.health()
    assert "read timeout" in str(info.value)


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10,  # closed mid-body
    b"HTTP/1.1 two hundred OK\r\n\r\n",  # malformed status line
    b"",  # closed without a response
], ids=["mid-body", "malformed", "no-response"])
async def test_broken_answers_are_transport_errors(raw_server, reply: bytes) -> None:
    async def broken(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(server, reader, server.accepts)
        writer.write(reply)
        await writer.drain()

    server = await raw_server(broken)
    async with asyncio.timeout(TEST_BOUND_S), MissionClient(server.url) as mission:
        with pytest.raises(TransportError):
            await mission.health()


async def test_oversize_chunked_body_is_refused_after_just_over_the_limit(raw_server) -> None:
    total_bytes = 10 * 1024 * 1024
    limit = 256 * 1024

    async def huge(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(server, reader, server.accepts)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        for _ in range(total_bytes // len(chunk)):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    server = await raw_server(huge)
    async with asyncio.timeout(TEST_BOUND_S), MissionClient(server.url, max_body_bytes=limit) as mission:
        with pytest.raises(BodyTooLarge) as info:
            await mission.health()
    assert limit < info.value.bytes_read <= limit + 65536
