"""Stop and resume listening on the same port while uvicorn runs: the outage scenario's refused connections."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import uvicorn

POLL_S = 0.02


def bind_socket(host: str, port: int) -> socket.socket:
    """A bound (not yet listening) TCP socket with SO_REUSEADDR, so the port can be re-bound after an outage."""
    # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted sockets (else Nagle + delayed ACK add ~40 ms)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class ListenerSwitch:
    """Closes uvicorn's listeners while `down()` is true and re-listens on the same port afterwards."""

    def __init__(self, server: uvicorn.Server, host: str, port: int) -> None:
        self.server = server
        self.host = host
        self.port = port
        self.listening = True

    def _protocol(self, _loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Protocol:
        """The same protocol uvicorn's startup builds for each connection."""
        config = self.server.config
        return config.http_protocol_class(  # type: ignore[call-arg]
            config=config, server_state=self.server.server_state, app_state=self.server.lifespan.state, _loop=_loop)

    async def _close(self) -> None:
        for listener in self.server.servers:
            listener.close()
        self.listening = False

    async def _reopen(self) -> None:
        try:
            sock = bind_socket(self.host, self.port)
        except OSError:
            return  # try again on the next tick
        listener = await asyncio.get_running_loop().create_server(self._protocol, sock=sock,
                                                                  backlog=self.server.config.backlog)
        self.server.servers.append(listener)
        self.listening = True

    async def watch(self, down: Callable[[], bool]) -> None:
        """Follow `down()` until uvicorn is asked to exit."""
        while not self.server.started and not self.server.should_exit:
            await asyncio.sleep(POLL_S)
        while not self.server.should_exit:
            want_down = down()
            if want_down and self.listening:
                await self._close()
            elif not want_down and not self.listening:
                await self._reopen()
            await asyncio.sleep(POLL_S)
