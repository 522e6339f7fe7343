"""httpx failures the loopback simulator cannot produce (DNS) map to the same typed errors; a raising transport stands in."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest

from canary_tui.mission.client import MissionClient
from canary_tui.mission.errors import MissionError, TimeoutError_, TLSError, TransportError, UnexpectedError


class _Raising(httpx.AsyncBaseTransport):
    """A transport whose every request fails with the given exception."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise self.exc


def _dns_failure() -> httpx.ConnectError:
    """An httpx.ConnectError caused by a resolver failure, as httpx raises it."""
    try:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    except socket.gaierror as cause:
        error = httpx.ConnectError("[Errno -2] Name or service not known")
        error.__cause__ = cause
        return error


def _tls_failure() -> httpx.ConnectError:
    """An httpx.ConnectError caused by certificate verification."""
    error = httpx.ConnectError("handshake failed")
    error.__cause__ = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    return error


@pytest.mark.parametrize(("exc", "expected", "kind"), [
    (_dns_failure(), TransportError, "unreachable"),
    (_tls_failure(), TLSError, "tls"),
    (httpx.ConnectTimeout("connect"), TimeoutError_, "timeout"),
    (httpx.ReadTimeout("read"), TimeoutError_, "timeout"),
    (httpx.PoolTimeout("pool"), TimeoutError_, "timeout"),
    (httpx.RemoteProtocolError("peer closed"), TransportError, "unreachable"),
    (httpx.ReadError("reset"), TransportError, "unreachable"),
    (ValueError("something odd"), UnexpectedError, "unexpected"),
])
async def test_httpx_failures_become_typed_errors(exc: BaseException, expected: type[MissionError], kind: str) -> None:
    async with MissionClient("http://mission.example.test", transport=_Raising(exc)) as client:
        with pytest.raises(MissionError) as info:
            await client.heartbeat()
    assert type(info.value) is expected and info.value.kind == kind


async def test_dns_failure_says_so() -> None:
    async with MissionClient("http://mission.example.test", transport=_Raising(_dns_failure())) as client:
        with pytest.raises(TransportError, match="Name or service not known"):
            await client.heartbeat()
