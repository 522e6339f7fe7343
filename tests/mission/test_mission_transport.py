"""AsyncioTransport (asyncio streams + h11) against real loopback servers: keep-alive, framing, failures, TLS, imports."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
import trustme

from canary_tui.mission import transport as transport_module
from canary_tui.mission.client import MissionClient, Timeouts
from canary_tui.mission.errors import BodyTooLarge, TimeoutError_, TLSError, TransportError
from canary_tui.mission.transport import AsyncioTransport

TEST_BOUND_S = 10.0
HEALTH_OK = b'{"status": "ok"}'

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


async def read_request(server: RawServer, reader: asyncio.StreamReader, conn_no: int) -> bool:
    """Read one request (head + Content-Length or chunked body) and record it; False at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return False
    lower = head.lower()
    body = b""
    if b"content-length:" in lower:
        length = int(lower.split(b"content-length:")[1].split(b"\r\n")[0])
        body = await reader.readexactly(length)
    elif b"transfer-encoding: chunked" in lower:
        while (size := int((await reader.readuntil(b"\r\n")).strip(), 16)) > 0:
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
    server.requests.append((conn_no, head, body))
    server.note()
    return True


def response(body: bytes = HEALTH_OK, status: str = "200 OK", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: " + \
        str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body


async def keep_alive(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on the connection with a small JSON body."""
    conn_no = server.accepts
    while await read_request(server, reader, conn_no):
        writer.write(response())
        await writer.drain()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[..., Awaitable[RawServer]]]:
    """`await raw_server(handler, tls_context=None)` -> a started RawServer; all stopped (handlers cancelled) at teardown."""
    started: list[asyncio.Server] = []
    tasks: set[asyncio.Task] = set()

    async def start(handler: Handler, tls_context: ssl.SSLContext | None = None) -> RawServer:
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

        listener = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=tls_context)
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


def client_for(url: str, transport: AsyncioTransport | None = None, **timeouts: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, transport=transport or AsyncioTransport(), trust_env=False,
                             timeout=httpx.Timeout(**({"timeout": 5.0} | timeouts)))


async def test_keep_alive_reuses_one_connection(raw_server) -> None:
    server = await raw_server(keep_alive)
    async with asyncio.timeout(TEST_BOUND_S), client_for(server.url) as client:
        first = await client.get("/api/health")
        second = await client.get("/api/health")
    assert first.status_code == second.status_code == 200 and second.content == HEALTH_OK
    assert second.headers["content-length"] == str(len(HEALTH_OK)) and second.http_version == "HTTP/1.1"
    assert (server.accepts, len(server.requests)) == (1, 2)


async def test_a_post_body_is_sent_once_with_its_content_length(raw_server) -> None:
    server = await raw_server(keep_alive)
    async with asyncio.timeout(TEST_BOUND_S), client_for(server.url) as client:
        await client.post("/api/ghost/canary", json={"percent": 0})

        async def parts() -> AsyncIterator[bytes]:
            yield b"ab"
            yield b"cd"

        await client.post("/api/ghost/canary", content=parts())
    (_, head, body), (_, chunked_head, chunked_body) = server.requests
    assert json.loads(body) == {"percent": 0} and b"content-length: %d\r\n" % len(body) in head.lower()
    assert b"transfer-encoding: chunked" in chunked_head.lower() and chunked_body == b"abcd"


async def test_idle_connection_closed_by_the_server_is_not_reused(raw_server) -> None:
    """The server answers, then closes without saying so (keep-alive expiry): the next request goes on a new connection, once."""
    closed = 0

    async def one_and_close(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal closed
        if await read_request(server, reader, server.accepts):
            writer.write(response())
            await writer.drain()
        writer.close()
        await writer.wait_closed()
        closed += 1
        server.note()

    server = await raw_server(one_and_close)
    async with asyncio.timeout(TEST_BOUND_S), client_for(server.url) as client:
        await client.get("/api/health")
        await server.until(lambda: closed == 1)
        second = await client.post("/api/ghost/canary", json={"percent": 0})
    assert second.status_code == 200
    assert server.accepts == 2 and [conn for conn, _, _ in server.requests] == [1, 2]  # each sent exactly once


def _threaded_server() -> tuple[int, threading.Event, threading.Event, list[bytes], Callable[[], None]]:
    """A blocking-socket server in a thread: answers each connection's first request, then closes it once `go` is set.

    Returns (port, go, closed, requests received, stop). Lets a test block the event loop while the
    server's FIN arrives, so only the socket-level check can tell that the idle connection is dead.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TEST_BOUND_S)
    port = listener.getsockname()[1]
    go, closed = threading.Event(), threading.Event()
    received: list[bytes] = []

    def serve() -> None:
        for _ in range(2):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(TEST_BOUND_S)
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                    data += chunk
                received.append(data)
                conn.sendall(response())
                go.wait(TEST_BOUND_S)
            closed.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def stop() -> None:
        go.set()
        listener.close()
        thread.join(TEST_BOUND_S)

    return port, go, closed, received, stop


async def test_server_close_not_yet_seen_by_the_event_loop_is_still_detected() -> None:
    port, go, closed, received, stop = _threaded_server()
    try:
        async with asyncio.timeout(TEST_BOUND_S), client_for(f"http://127.0.0.1:{port}") as client:
            await client.get("/api/health")
            go.set()
            assert closed.wait(TEST_BOUND_S)  # blocks the loop: the FIN sits in the kernel, unread by asyncio
            (conn,) = client._transport._pool.idle
            assert not conn.reader.at_eof()  # the loop has not seen it ...
            second = await client.get("/api/health")  # ... yet the connection is not reused
        assert second.status_code == 200 and len(received) == 2
    finally:
        stop()


async def test_an_answer_that_came_while_the_event_loop_was_held_up_is_not_a_timeout() -> None:
    """A blocking call holds the loop past the read deadline while the answer arrives: the answer counts, not the timer."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TEST_BOUND_S)
    seen = threading.Semaphore(0)

    def serve() -> None:  # two requests on one connection, answered from a thread: it answers while the loop is held up
        with listener, listener.accept()[0] as conn:
            conn.settimeout(TEST_BOUND_S)
            for _ in range(2):
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                    data += chunk
                seen.release()
                time.sleep(0.05)  # answer once the test is holding up its event loop
                conn.sendall(response())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    read_s = 0.2
    async with asyncio.timeout(TEST_BOUND_S), client_for(f"http://127.0.0.1:{listener.getsockname()[1]}", read=read_s) as client:
        await client.get("/warm")  # connected: the next request waits only on the read
        assert seen.acquire(timeout=TEST_BOUND_S)
        pending = asyncio.create_task(client.get("/api/health"))
        while not seen.acquire(blocking=False):  # until the request reached the server, which answers 50 ms later ...
            await asyncio.sleep(0.001)
        time.sleep(read_s * 2)  # ... while this blocking call holds the event loop past the read deadline
        answer = await pending
    assert answer.status_code == 200 and answer.content == HEALTH_OK
    thread.join(TEST_BOUND_S)


async def test_reused_connection_found_reset_at_write_is_retried_once_on_a_new_one(raw_server, monkeypatch) -> None:
    """With the idle check disabled, a connection the server reset is found closed when written to: one fresh retry."""

    async def answer_then_reset(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await read_request(server, reader, server.accepts):
            writer.write(response())
            await writer.drain()
        if server.accepts == 1:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST

    server = await raw_server(answer_then_reset)
    monkeypatch.setattr(transport_module._Connection, "usable", lambda self: True)
    async with asyncio.timeout(TEST_BOUND_S), client_for(server.url) as client:
        await client.get("/api/health")
        (conn,) = client._transport._pool.idle
        while not conn.writer.is_closing():  # until the loop has processed the reset
            await asyncio.sleep(0.005)
        second = await client.post("/api/ghost/canary", json={"percent": 0})
    assert second.status_code == 200
    assert [conn for conn, _, _ in server.requests] == [1, 2]


async def test_request_written_to_a_dead_connection_fails_and_is_not_retried(raw_server, monkeypatch) -> None:
    """With the idle check disabled, a request written into a half-closed connection fails; it is never re-sent."""

    async def one_and_close(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await read_request(server, reader, server.accepts):
            writer.write(response())
            await writer.drain()

    server = await raw_server(one_and_close)
    monkeypatch.setattr(transport_module._Connection, "usable", lambda self: True)
    async with asyncio.timeout(TEST_BOUND_S), client_for(server.url) as client:
        await client.get("/api/health")
        (conn,) = client._transport._pool.idle
        while not conn.reader.at_eof():
            await asyncio.sleep(0.005)
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await client.post("/api/ghost/canary", json={"percent": 0})
    assert server.accepts == 1 and len(server.requests) == 1


async def test_idle_connections_expire_and_are_capped(raw_server) -> None:
    servers = [await raw_server(keep_alive) for _ in range(3)]
    async with asyncio.timeout(TEST_BOUND_S):
        transport = AsyncioTransport(max_connections=2, max_idle=2)
        async with client_for(servers[0].url, transport) as client:
            for server in servers[:2]:
                await client.get(f"{server.url}/api/health")
            async with client.stream("GET", f"{servers[2].url}/api/health"):  # a third origin, at the cap
                assert len(transport._pool.connections) == 2  # the oldest idle connection made room
                assert [conn.origin[2] for conn in transport._pool.idle] == [servers[1].port]
        few_idle = AsyncioTransport(max_idle=1)
        async with client_for(servers[2].url, few_idle) as client:
            await asyncio.gather(*(client.get("/api/health") for _ in range(3)))
            assert len(few_idle._pool.connections) == 1
        async with client_for(servers[1].url, AsyncioTransport(keepalive_s=0.0)) as client:
            await client.get("/api/health")
            await client.get("/api/health")
    assert servers[1].accepts == 3  # one from the capped pool, two without keep-alive


async def test_chunked_response_body_and_reuse_after_it(raw_server) -> None:
    async def chunked(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(server, reader, server.accepts):
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for part in (b'{"status"', b': "ok"}'):
                writer.write(b"%x\r\n%s\r\n" % (len(part), part))
                await writer.drain()
            writer.write(b"0\r\n\r\n")

    server = await raw_server(chunked)
    async with asyncio.timeout(TEST_BOUND_S), client_for(server.url) as client:
        first = await client.get("/api/health")
        second = await client.get("/api/health")
    assert first.json() == second.json() == {"status": "ok"}
    assert server.accepts == 1


async def test_204_and_head_have_no_body_and_keep_the_connection(raw_server) -> None:
    async def no_body(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(server, reader, server.accepts):
            head = server.requests[-1][1]
            if head.startswith(b"HEAD"):  # the headers a GET would get (Content-Length: 16), no body
                writer.write(response()[: -len(HEALTH_OK)])
            elif b" /empty " in head:
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            else:
                writer.write(response())
            await writer.drain()

    server = await raw_server(no_body)
    async with asyncio.timeout(TEST_BOUND_S), client_for(server.url) as client:
        empty = await client.get("/empty")
        headed = await client.head("/x")
        full = await client.get("/x")
    assert (empty.status_code, empty.content) == (204, b"")
    assert (headed.status_code, headed.headers["content-length"], headed.content) == (200, "16", b"")
    assert full.content == HEALTH_OK
    assert server.accepts == 1 and len(server.requests) == 3


async def test_connection_refused_maps_to_a_transport_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before use: nothing listens there
    url = f"http://127.0.0.1:{port}"
    async with asyncio.timeout(TEST_BOUND_S):
        async with client_for(url) as client:
            with pytest.raises(httpx.ConnectError) as raw:
                await client.get("/api/health")
        async with MissionClient(url) as mission:
            with pytest.raises(TransportError) as info:
                await mission.health()
    assert isinstance(raw.value.__cause__, ConnectionRefusedError) and raw.value.request.url.port == port
    assert info.value.kind == "unreachable" and "Connection refused" in str(info.value)


async def test_server_that_never_answers_is_a_read_timeout(raw_server) -> None:
    async def silent(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(server, reader, server.accepts)
        await asyncio.Event().wait()

    server = await raw_server(silent)
    async with asyncio.timeout(TEST_BOUND_S):
        async with client_for(server.url, read=0.2) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get("/api/health")
        async with MissionClient(server.url, timeouts=Timeouts(read_s=0.2)) as mission:
            with pytest.raises(TimeoutError_) as info:
                await mission.health()
    assert "read timeout" in str(info.value)


async def test_server_that_never_reads_is_a_write_timeout(raw_server) -> None:
    async def deaf(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.note()
        await asyncio.Event().wait()

    server = await raw_server(deaf)
    async with asyncio.timeout(TEST_BOUND_S), client_for(server.url, write=0.2) as client:
        with pytest.raises(httpx.WriteTimeout):  # more than the loopback socket buffers hold
            await client.post("/upload", content=b"x" * (32 * 1024 * 1024))
        assert client._transport._pool.connections == []


async def test_server_closing_mid_body_is_a_protocol_error(raw_server) -> None:
    async def truncated(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(server, reader, server.accepts)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        await writer.drain()

    server = await raw_server(truncated)
    async with asyncio.timeout(TEST_BOUND_S):
        async with client_for(server.url) as client:
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                await client.get("/api/health")
            assert client._transport._pool.connections == []  # the broken connection was not kept
        async with MissionClient(server.url) as mission:
            with pytest.raises(TransportError):
                await mission.health()


async def test_malformed_status_line_is_a_protocol_error(raw_server) -> None:
    async def garbage(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(server, reader, server.accepts)
        writer.write(b"HTTP/1.1 two hundred OK\r\n\r\n")
        await writer.drain()

    server = await raw_server(garbage)
    async with asyncio.timeout(TEST_BOUND_S), client_for(server.url) as client:
        with pytest.raises(httpx.RemoteProtocolError) as info:
            await client.get("/api/health")
    assert "status" in str(info.value).lower()


async def test_oversize_body_is_refused_after_just_over_the_limit(raw_server) -> None:
    total_bytes = 10 * 1024 * 1024

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
    async with asyncio.timeout(TEST_BOUND_S), MissionClient(server.url) as mission:
        with pytest.raises(BodyTooLarge) as info:
            await mission.health()
        assert mission._transport._pool.connections == []
    limit = 1024 * 1024
    assert limit < info.value.bytes_read <= limit + 65536


async def test_concurrent_requests_get_their_own_connections(raw_server) -> None:
    async def answer_when_both_arrived(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn_no = server.accepts
        while await read_request(server, reader, conn_no):
            await server.until(lambda: len(server.requests) >= 2)  # serialised on one connection this never happens
            writer.write(response())
            await writer.drain()

    server = await raw_server(answer_when_both_arrived)
    async with asyncio.timeout(TEST_BOUND_S), client_for(server.url) as client:
        poll, rollback = await asyncio.gather(client.get("/api/ghost/heartbeat"), client.post("/api/ghost/canary", json={"percent": 0}))
        assert len(client._transport._pool.idle) == 2
    assert poll.status_code == rollback.status_code == 200
    assert server.accepts == 2 and {conn for conn, _, _ in server.requests} == {1, 2}


async def test_pool_timeout_when_every_connection_is_busy(raw_server) -> None:
    release = asyncio.Event()

    async def held(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(server, reader, server.accepts):
            await release.wait()
            writer.write(response())
            await writer.drain()

    server = await raw_server(held)
    async with asyncio.timeout(TEST_BOUND_S), client_for(server.url, AsyncioTransport(max_connections=1), pool=0.1) as client:
        first = asyncio.create_task(client.get("/api/health"))
        await server.until(lambda: len(server.requests) == 1)
        with pytest.raises(httpx.PoolTimeout):
            await client.get("/api/health")
        release.set()
        assert (await first).status_code == 200
        assert (await client.get("/api/health")).status_code == 200  # the slot came back
    assert server.accepts == 1 and len(server.requests) == 2


async def test_aclose_does_not_wait_on_a_silent_peer(raw_server) -> None:
    async def silent(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(server, reader, server.accepts)
        await asyncio.Event().wait()

    server = await raw_server(silent)
    transport = AsyncioTransport()
    client = client_for(server.url, transport)
    pending = asyncio.create_task(client.get("/api/health"))
    async with asyncio.timeout(TEST_BOUND_S):
        await server.until(lambda: len(server.requests) == 1)
        async with asyncio.timeout(1.0):
            await transport.aclose()
        with pytest.raises(httpx.HTTPError):
            await pending
    assert transport._pool.connections == []
    await client.aclose()


@pytest.fixture
def tls(tmp_path) -> tuple[ssl.SSLContext, str]:
    """(server context for 127.0.0.1 signed by a fresh trustme CA, path of that CA's PEM)."""
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_ctx)
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    return server_ctx, str(ca_path)


async def test_tls_with_the_right_ca_works_and_keeps_the_connection(raw_server, tls) -> None:
    server_ctx, ca_path = tls
    server = await raw_server(keep_alive, tls_context=server_ctx)
    url = server.url.replace("http://", "https://")
    transport = AsyncioTransport(ssl_context=ssl.create_default_context(cafile=ca_path))
    async with asyncio.timeout(TEST_BOUND_S), client_for(url, transport) as client:
        for _ in range(3):
            assert (await client.get("/api/health")).json() == {"status": "ok"}
    async with asyncio.timeout(TEST_BOUND_S), MissionClient(url, verify=ca_path) as mission:
        assert (await mission.health()).ok
    assert server.accepts == 2 and len(server.requests) == 4


async def test_tls_with_another_ca_is_a_tls_error(raw_server, tls, tmp_path) -> None:
    server_ctx, _ = tls
    server = await raw_server(keep_alive, tls_context=server_ctx)
    url = server.url.replace("http://", "https://")
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    async with asyncio.timeout(TEST_BOUND_S):
        for verify in (str(other), True):
            async with MissionClient(url, verify=verify) as mission:
                with pytest.raises(TLSError) as info:
                    await mission.health()
            assert "certificate" in str(info.value).lower()
    assert server.requests == []


def test_plain_http_client_makes_no_tls_context() -> None:
    client = MissionClient("http://127.0.0.1:1")
    assert isinstance(client._transport, AsyncioTransport) and client._transport._ssl_context is None


_IMPORT_PROBE = """
import asyncio, json, sys
{imports}

async def main():
    async def answer(reader, writer):
        await reader.readuntil(b"\\r\\n\\r\\n")
        writer.write(b'HTTP/1.1 200 OK\\r\\nContent-Length: 16\\r\\n\\r\\n{{"status": "ok"}}')
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    url = "http://127.0.0.1:%d" % server.sockets[0].getsockname()[1]
    {request}
    server.close()

asyncio.run(main())
print(json.dumps({{name: name in sys.modules for name in ("httpx", "h11", "httpcore", "anyio")}}))
"""


def _modules_after_a_request(imports: str, request: str) -> dict[str, bool]:
    code = _IMPORT_PROBE.format(imports=imports, request=request)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_client_request_loads_neither_httpcore_nor_anyio() -> None:
    loaded = _modules_after_a_request(
        "from canary_tui.mission.client import MissionClient",
        "async with MissionClient(url) as client: assert (await client.health()).ok",
    )
    assert loaded == {"httpx": True, "h11": True, "httpcore": False, "anyio": False}


def test_default_httpx_stack_loads_httpcore_and_anyio() -> None:
    """The control: httpx's own transport does load them, so the check above can fail."""
    loaded = _modules_after_a_request(
        "import httpx",
        "async with httpx.AsyncClient(trust_env=False) as client: assert (await client.get(url)).status_code == 200",
    )
    assert loaded["httpcore"] and loaded["anyio"]
