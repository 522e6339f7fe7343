"""The token and the signing secret never show in a repr, an error message, a log line or a traceback."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest

from canary_tui.mission.client import MissionClient, RetryPolicy, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.mission.errors import MissionError, UnexpectedError

TOKEN_VALUE = "tok-LEAKCHECK-7c1e9a"
SECRET_VALUE = "sig-LEAKCHECK-5b2d40"
FAST = RetryPolicy(attempts=2, base_s=0.0, jitter=False)


class _EchoingTransport(httpx.AsyncBaseTransport):
    """A transport that fails with the request's Authorization header in its message (worst case)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"boom {request.headers.get('authorization')} {SECRET_VALUE}")


def _texts(error: BaseException) -> list[str]:
    """Every way an error is ever shown: str, repr, and the full traceback with its chained causes."""
    return [str(error), repr(error), "".join(traceback.format_exception(error)), str(error.args)]


async def _collect_errors(url: str, simulator) -> list[MissionError]:
    """Force one error of every kind with the known token and secret configured."""
    token, secret = Secret(TOKEN_VALUE, "env OPS_TOKEN"), Secret(SECRET_VALUE, "env HEARTBEAT_SECRET")
    errors: list[MissionError] = []

    async def expect(call) -> None:
        with pytest.raises(MissionError) as info:
            await call()
        errors.append(info.value)

    async def nosleep(_: float) -> None:
        return None

    async with MissionClient(url, token=token, secret=secret, retry=FAST, sleep=nosleep,
                             timeouts=Timeouts(1.0, 1.0, 0.3)) as client:
        await expect(lambda: client.set_canary(percent=10))                    # 401: the server wants another token
        simulator.inject_fault("non_json", count=1)
        await expect(client.heartbeat)                                         # contract error
        simulator.inject_fault("status", count=2, paths=["/api/ghost/rollback"], status=503)
        await expect(lambda: client.checkpoint("n"))                           # 503 until attempts run out
        simulator.inject_fault("hang", count=1)
        await expect(client.heartbeat)                                         # total deadline
        simulator.clear_faults()
        simulator.inject_fault("redirect", count=1)
        await expect(client.heartbeat)                                         # redirect refused
        simulator.inject_fault("oversized", count=1, bytes=2 * 1024 * 1024)
        await expect(client.heartbeat)                                         # too large
        await expect(lambda: client.set_canary(percent=500))                   # refused locally
    async with MissionClient(url.replace("http://", "https://"), token=token, secret=secret) as tls:
        await expect(tls.heartbeat)                                            # TLS failure
    async with MissionClient("http://127.0.0.1:1", token=token, secret=secret, retry=FAST, sleep=nosleep) as dead:
        await expect(lambda: dead.set_canary(percent=0))                       # connection refused
    async with MissionClient(url, token=token, secret=secret, transport=_EchoingTransport(), retry=FAST,
                             sleep=nosleep) as echo:
        await expect(lambda: echo.set_canary(percent=0))                       # unexpected, message scrubbed
        assert SECRET_VALUE not in repr(echo) and TOKEN_VALUE not in repr(echo)
    return errors


async def test_no_secret_in_errors_tracebacks_or_logs(simulator_factory, caplog) -> None:
    sim = simulator_factory(token="the-server-token", faults=True, seed=9)
    caplog.set_level(logging.DEBUG)
    errors = await _collect_errors(sim.url, sim)
    kinds = {type(e).__name__ for e in errors}
    assert {"UnauthorizedError", "ContractError", "HttpStatusError", "TimeoutError_", "RedirectRefused",
            "BodyTooLarge", "InvalidRequestError", "TLSError", "TransportError", "UnexpectedError"} <= kinds
    assert any(isinstance(e, UnexpectedError) and "***" in str(e) for e in errors)  # the echo was scrubbed
    shown = [text for error in errors for text in _texts(error)]
    shown += [record.getMessage() for record in caplog.records] + [caplog.text]
    for text in shown:
        assert TOKEN_VALUE not in text and SECRET_VALUE not in text
    assert caplog.records, "debug logging was captured (the check above searched real log lines)"


def test_format_exc_inside_a_handler_has_no_secret(simulator) -> None:
    import asyncio

    async def fail() -> None:
        async with MissionClient("http://127.0.0.1:1", token=Secret(TOKEN_VALUE), secret=Secret(SECRET_VALUE),
                                 retry=FAST, sleep=lambda _: asyncio.sleep(0)) as client:
            await client.set_canary(percent=0)

    try:
        asyncio.run(fail())
    except MissionError:
        dump = traceback.format_exc()
    assert "TransportError" in dump
    assert TOKEN_VALUE not in dump and SECRET_VALUE not in dump


def test_secret_repr_and_format_hide_the_value() -> None:
    secret = Secret(SECRET_VALUE, "env HEARTBEAT_SECRET")
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", "%s" % secret, repr([secret])):  # noqa: UP031 - %-formatting is one of the paths under test
        assert SECRET_VALUE not in text
    assert "HEARTBEAT_SECRET" in repr(secret)
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)
