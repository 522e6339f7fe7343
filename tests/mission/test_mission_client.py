"""The client against the simulator over real loopback HTTP: every endpoint, typed answers, typed errors."""

from __future__ import annotations

from datetime import datetime

import pytest

from canary_tui.core.clock import ManualClock
from canary_tui.core.samples import HeartbeatStatus
from canary_tui.mission.client import HealthResult, MissionClient, RetryPolicy
from canary_tui.mission.credentials import Secret
from canary_tui.mission.errors import (
    BadRequestError,
    ConflictError,
    InvalidRequestError,
    InvalidTargetError,
    MissingCredentialError,
    TransportError,
    UnauthorizedError,
)
from canary_tui.mission.parse import CanaryUpdate, Checkpoint

TOKEN = Secret("test-token", "test")
NO_JITTER = RetryPolicy(jitter=False)


async def test_heartbeat_is_typed_and_unsigned_without_secret(simulator) -> None:
    async with MissionClient(simulator.url) as client:
        hb = await client.heartbeat()
    assert hb.status is HeartbeatStatus.OK
    assert hb.deployment.environment == "staging" and hb.deployment.canary_percent == 0
    assert (hb.deployment.stable_version, hb.deployment.canary_version) == ("v0.4.1", "v0.5.0")
    assert hb.metrics.requests >= hb.metrics.errors >= 0
    assert hb.verified is True and hb.signature_valid is None
    assert hb.response_ms > 0


async def test_heartbeat_times_come_from_the_injected_clock(simulator) -> None:
    clock = ManualClock(start_s=1_800_000_000.0)
    async with MissionClient(simulator.url, clock=clock) as client:
        hb = await client.heartbeat()
    assert hb.fetched_at_s == 1_800_000_000.0 and hb.response_ms == 0.0


async def test_signature_checked_when_secret_configured(simulator_factory) -> None:
    sim = simulator_factory(secret="shared-key", seed=3)
    async with MissionClient(sim.url, secret=Secret("shared-key")) as good, \
            MissionClient(sim.url, secret=Secret("other-key")) as wrong:
        assert (await good.heartbeat()).signature_valid is True
        assert (await wrong.heartbeat()).signature_valid is False


async def test_missing_signature_header_is_a_failure(simulator) -> None:
    async with MissionClient(simulator.url, secret=Secret("expected-a-signature")) as client:
        hb = await client.heartbeat()
    assert hb.signature_valid is False and hb.signature_ok is False


async def test_health_reports_the_serving_variant(simulator_factory) -> None:
    sim = simulator_factory(initial_percent=50, seed=11, health_latency_scale=0.01)
    async with MissionClient(sim.url) as client:
        results = [await client.health() for _ in range(20)]
    assert all(isinstance(r, HealthResult) and r.ok for r in results)
    assert {r.canary for r in results} == {True, False}
    assert all(r.latency_ms > 0 for r in results)


async def test_set_canary_and_read_back(simulator, attempts) -> None:
    async with MissionClient(simulator.url, token=TOKEN, on_attempt=attempts) as client:
        update = await client.set_canary(percent=10, expected_percent=0, note="stage 1", actor="alice@laptop")
        assert isinstance(update, CanaryUpdate)
        assert (update.canary_percent, update.previous_percent, update.paused) == (10, 0, False)
        assert isinstance(update.updated_at, datetime)
        paused = await client.set_canary(paused=True, actor="alice@laptop")
        assert paused.paused is True and paused.canary_percent == 10
        hb = await client.heartbeat()
    assert hb.deployment.canary_percent == 10 and hb.deployment.paused is True
    assert hb.deployment.updated_by == "alice@laptop"
    assert attempts.calls == [(1, None), (1, None)]


async def test_compare_and_set_conflict_hands_back_server_state(simulator, attempts, sleeps) -> None:
    async with MissionClient(simulator.url, token=TOKEN, sleep=sleeps) as client:
        await client.set_canary(percent=50, actor="bob@pager")
        with pytest.raises(ConflictError) as info:
            await client.set_canary(percent=100, expected_percent=10, on_attempt=attempts)
    assert (info.value.canary_percent, info.value.updated_by) == (50, "bob@pager")
    assert "bob@pager" in str(info.value) and "50%" in str(info.value)
    assert attempts.kinds == ["conflict"] and sleeps.delays_s == []


async def test_bad_token_is_unauthorized_and_not_retried(simulator, attempts, sleeps) -> None:
    async with MissionClient(simulator.url, token=Secret("wrong"), sleep=sleeps, on_attempt=attempts) as client:
        with pytest.raises(UnauthorizedError) as info:
            await client.set_canary(percent=10)
        with pytest.raises(UnauthorizedError):
            await client.checkpoint("pre-v0.5.0")
    assert info.value.status_code == 401
    assert attempts.kinds == ["unauthorized", "unauthorized"] and sleeps.delays_s == []
    async with MissionClient(simulator.url) as reader:
        assert (await reader.heartbeat()).deployment.canary_percent == 0


async def test_server_400_is_bad_request_and_not_retried(simulator, attempts, sleeps) -> None:
    simulator.inject_fault("status", paths=["/api/ghost/canary"], status=400)
    async with MissionClient(simulator.url, token=TOKEN, sleep=sleeps, on_attempt=attempts) as client:
        with pytest.raises(BadRequestError) as info:
            await client.set_canary(percent=10)
    assert info.value.status_code == 400 and info.value.error_code == "unavailable"
    assert attempts.kinds == ["bad-request"] and sleeps.delays_s == []


async def test_mutations_need_a_token_and_valid_arguments(simulator) -> None:
    async with MissionClient(simulator.url) as anonymous:
        with pytest.raises(MissingCredentialError):
            await anonymous.set_canary(percent=0)
    async with MissionClient(simulator.url, token=TOKEN) as client:
        for kwargs in ({}, {"percent": 101}, {"percent": True}, {"percent": 5.0}, {"expected_percent": -1, "percent": 1},
                       {"paused": "yes"}, {"percent": 1, "note": "n" * 501}, {"percent": 1, "actor": 7}):
            with pytest.raises(InvalidRequestError):
                await client.set_canary(**kwargs)
        with pytest.raises(InvalidRequestError):
            await client.checkpoint("x" * 501)
        assert (await client.heartbeat()).deployment.canary_percent == 0


async def test_checkpoint_is_created(simulator) -> None:
    async with MissionClient(simulator.url, token=TOKEN) as client:
        first = await client.checkpoint("pre-v0.5.0-deployment", actor="alice@laptop")
        second = await client.checkpoint("again")
    assert isinstance(first, Checkpoint) and first.note == "pre-v0.5.0-deployment"
    assert first.checkpoint_id and first.checkpoint_id != second.checkpoint_id
    assert isinstance(first.created_at, datetime)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:8787", "http://user:pw@127.0.0.1/", "http://"])
def test_unusable_base_urls_are_typed_errors(url: str) -> None:
    with pytest.raises(InvalidTargetError):
        MissionClient(url)


def test_unreadable_ca_bundle_is_a_typed_error(tmp_path) -> None:
    with pytest.raises(InvalidTargetError):
        MissionClient("https://127.0.0.1:1", verify=str(tmp_path / "missing.pem"))


@pytest.mark.parametrize("value", ["tok\nen", "tok en", "tök"])
def test_token_that_cannot_be_a_header_is_refused_without_echo(value: str) -> None:
    with pytest.raises(InvalidTargetError) as info:
        MissionClient("http://127.0.0.1:1", token=Secret(value))
    assert value not in str(info.value)


async def test_on_sent_is_called_once_a_request_is_on_its_way_each_attempt(simulator_factory, sleeps) -> None:
    """on_sent: the body written (a held answer does not delay it), or a connection being opened; once per attempt."""
    import asyncio
    import socket

    sim = simulator_factory(faults=True, token="test-token")
    sim.inject_fault("status", count=1, paths=["/api/ghost/canary"], status=503)
    sim.inject_fault("hang", count=1, paths=["/api/ghost/canary"])
    sent: list[str] = []
    async with MissionClient(sim.url, token=TOKEN, sleep=sleeps) as client:
        request = asyncio.create_task(client.set_canary(percent=10, on_sent=lambda: sent.append("sent")))
        for _ in range(500):  # the 503, then the held second attempt: on_sent twice while no answer has come
            if len(sent) == 2 and list(sim.faults.fired) == ["status", "hang"]:
                break
            await asyncio.sleep(0.01)
        assert sent == ["sent", "sent"] and not request.done()
        sim.clear_faults()
        request.cancel()
    with socket.socket() as free:  # a port nobody listens on: the connect is under way, then refused
        free.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{free.getsockname()[1]}"
    sent.clear()
    async with MissionClient(url, token=TOKEN, sleep=sleeps, retry=RetryPolicy(attempts=2, base_s=0.0, cap_s=0.0, jitter=False)) as client:
        with pytest.raises(TransportError):
            await client.set_canary(percent=0, on_sent=lambda: sent.append("connecting"))
    assert sent == ["connecting", "connecting"]


async def test_a_failing_on_sent_callback_never_breaks_the_request(simulator) -> None:
    def broken() -> None:
        raise RuntimeError("a listener bug")

    async with MissionClient(simulator.url, token=TOKEN) as client:
        update = await client.set_canary(percent=10, on_sent=broken)
    assert update.canary_percent == 10
