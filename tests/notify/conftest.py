"""A webhook receiver on loopback for apprise's json:// URLs: /ok answers 200, /fail 500, /hang holds until released."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Receiver:
    """What arrived, by path; `release` lets hanging requests go."""

    port: int
    received: list[tuple[str, dict]] = field(default_factory=list)
    hanging: threading.Event = field(default_factory=threading.Event)  # set once a request is held at /hang
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def messages(self, path: str = "ok") -> list[dict]:
        with self.lock:
            return [body for p, body in self.received if p == f"/{path}"]

    def fields(self, path: str = "ok") -> list[dict[str, str]]:
        """Each message's body as its `name: value` lines."""
        return [dict(line.split(": ", 1) for line in m["message"].splitlines()) for m in self.messages(path)]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server_ref: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            rec = server_ref[0]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with rec.lock:
                rec.received.append((self.path, json.loads(body or b"{}")))
            if self.path == "/hang":
                rec.hanging.set()
                rec.release.wait(30)
            status = 500 if self.path == "/fail" else 200
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the client gave up on a hanging request
                pass

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    rec = Receiver(server.server_address[1])
    server_ref.append(rec)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    rec.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)
