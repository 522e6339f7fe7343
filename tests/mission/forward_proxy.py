"""A tiny HTTP forward proxy on 127.0.0.1 (ephemeral port, own thread and event loop) that records what it forwards.

It serves absolute-form requests (`GET http://host:port/path HTTP/1.1`), one per client
connection: it records (method, absolute URL), sends the request upstream in origin form
with `Connection: close`, and relays the answer until the upstream closes. No CONNECT
(the tests speak plain http on loopback).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

HOP_BY_HOP = (b"connection", b"proxy-connection", b"keep-alive", b"proxy-authorization")


class ForwardProxy:
    """`with ForwardProxy.running() as proxy:` — proxy.url, proxy.forwarded (list of (method, url))."""

    def __init__(self) -> None:
        self.forwarded: list[tuple[str, str]] = []
        self.port = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="forward-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests(self) -> list[tuple[str, str]]:
        """A copy of what was forwarded so far."""
        with self._lock:
            return list(self.forwarded)

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[ForwardProxy]:
        proxy = cls()
        proxy._thread.start()
        if not proxy._ready.wait(10):
            raise RuntimeError("the forward proxy did not start")
        try:
            yield proxy
        finally:
            assert proxy._stop is not None
            proxy._loop.call_soon_threadsafe(proxy._stop.set)
            proxy._thread.join(10)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head[:-4].split(b"\r\n")
            method, target, version = request_line.split(b" ", 2)
            headers = [line for line in header_lines if line.split(b":", 1)[0].strip().lower() not in HOP_BY_HOP]
            length = next((int(line.split(b":", 1)[1]) for line in headers if line.lower().startswith(b"content-length:")), 0)
            body = await reader.readexactly(length) if length else b""
            url = urlsplit(target.decode("ascii"))
            if url.scheme != "http" or not url.hostname:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            with self._lock:
                self.forwarded.append((method.decode("ascii"), target.decode("ascii")))
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port or 80)
            try:
                up_writer.write(b"%s %s %s\r\n" % (method, path.encode("ascii"), version)
                                + b"".join(line + b"\r\n" for line in headers) + b"Connection: close\r\n\r\n" + body)
                await up_writer.drain()
                while data := await up_reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            finally:
                up_writer.close()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()
