"""Every contract fault, injected into the simulator and met over real loopback HTTP, becomes the right typed error."""

from __future__ import annotations

import asyncio
import time

import pytest

from canary_tui.mission.client import MAX_BODY_BYTES, MissionClient, RetryPolicy, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.mission.errors import (
    BodyTooLarge,
    ContractError,
    HttpStatusError,
    RedirectRefused,
    TimeoutError_,
    TLSError,
    TransportError,
)

TOKEN = Secret("test-token", "test")
CANARY = ["/api/ghost/canary"]
NO_JITTER = RetryPolicy(attempts=5, base_s=0.2, cap_s=5.0, jitter=False)


async def test_503_is_retried_with_backoff_then_succeeds(simulator, sleeps, attempts) -> None:
    simulator.inject_fault("status", count=2, paths=CANARY, status=503)
    async with MissionClient(simulator.url, token=TOKEN, retry=NO_JITTER, sleep=sleeps, on_attempt=attempts) as client:
        update = await client.set_canary(percent=10)
    assert update.canary_percent == 10
    assert attempts.kinds == ["http", "http", None]
    assert [a for a, _ in attempts.calls] == [1, 2, 3]
    assert sleeps.delays_s == [0.2, 0.4]
    assert list(simulator.faults.fired) == ["status", "status"]


async def test_backoff_is_capped_jittered_and_bounded_by_attempts(simulator, sleeps, attempts) -> None:
    import random

    simulator.inject_fault("status", count=-1, paths=CANARY, status=503)
    policy = RetryPolicy(attempts=6, base_s=1.0, cap_s=3.0, jitter=True)
    async with MissionClient(simulator.url, token=TOKEN, retry=policy, sleep=sleeps, on_attempt=attempts,
                             rng=random.Random(1)) as client:
        with pytest.raises(HttpStatusError) as info:
            await client.set_canary(percent=10)
    assert info.value.status_code == 503 and info.value.transient
    assert len(attempts.calls) == 6 and len(sleeps.delays_s) == 5
    for n, delay_s in enumerate(sleeps.delays_s, start=1):
        nominal_s = min(3.0, 1.0 * 2 ** (n - 1))
        assert nominal_s / 2 <= delay_s <= nominal_s
    assert len(set(sleeps.delays_s)) == 5  # jitter really varies the waits


async def test_429_retry_after_is_honoured(simulator, sleeps, attempts) -> None:
    simulator.inject_fault("retry_after", count=1, paths=CANARY, seconds=3)
    async with MissionClient(simulator.url, token=TOKEN, retry=NO_JITTER, sleep=sleeps, on_attempt=attempts) as client:
        update = await client.set_canary(percent=50)
    assert update.canary_percent == 50
    assert sleeps.delays_s == [3.0]
    first_error = attempts.calls[0][1]
    assert isinstance(first_error, HttpStatusError) and first_error.status_code == 429 and first_error.retry_after_s == 3.0


async def test_retry_after_beyond_the_policy_is_not_waited_for(simulator, sleeps) -> None:
    simulator.inject_fault("retry_after", count=1, paths=CANARY, seconds=3600)
    async with MissionClient(simulator.url, token=TOKEN, retry=NO_JITTER, sleep=sleeps) as client:
        with pytest.raises(HttpStatusError) as info:
            await client.set_canary(percent=50)
    assert info.value.retry_after_s == 3600.0 and sleeps.delays_s == []


async def test_checkpoint_retries_a_dropped_connection(simulator, sleeps, attempts) -> None:
    simulator.inject_fault("drop", count=1, paths=["/api/ghost/rollback"])
    async with MissionClient(simulator.url, token=TOKEN, retry=NO_JITTER, sleep=sleeps, on_attempt=attempts) as client:
        ckpt = await client.checkpoint("after a drop")
    assert ckpt.note == "after a drop" and attempts.kinds == ["unreachable", None] and sleeps.delays_s == [0.2]


async def test_heartbeat_is_never_retried(simulator, sleeps) -> None:
    simulator.inject_fault("status", count=1, status=503)
    async with MissionClient(simulator.url, sleep=sleeps) as client:
        with pytest.raises(HttpStatusError) as info:
            await client.heartbeat()
        assert info.value.status_code == 503 and info.value.transient
        assert list(simulator.faults.fired) == ["status"] and sleeps.delays_s == []
        assert (await client.heartbeat()).status.value == "ok"


async def test_delay_within_read_timeout_is_fine_beyond_it_times_out(simulator) -> None:
    simulator.inject_fault("delay", count=1, seconds=0.3)
    async with MissionClient(simulator.url, timeouts=Timeouts(connect_s=1.0, read_s=3.0, total_s=5.0)) as client:
        assert (await client.heartbeat()).status.value == "ok"
    simulator.inject_fault("delay", count=1, seconds=2.0)
    async with MissionClient(simulator.url, timeouts=Timeouts(connect_s=1.0, read_s=0.2, total_s=5.0)) as client:
        with pytest.raises(TimeoutError_, match="read timeout"):
            await client.heartbeat()


async def test_hang_ends_within_the_total_deadline(simulator) -> None:
    simulator.inject_fault("hang", count=1)
    timeouts = Timeouts(connect_s=1.0, read_s=30.0, total_s=0.5)
    async with MissionClient(simulator.url, timeouts=timeouts) as client:
        started = time.monotonic()
        with pytest.raises(TimeoutError_, match="total deadline"):
            await client.heartbeat()
        elapsed_s = time.monotonic() - started
    simulator.clear_faults()
    assert 0.5 <= elapsed_s < 5.0  # the 30 s read timeout never got a say


async def test_slow_loris_body_is_cut_by_the_total_deadline(simulator) -> None:
    simulator.inject_fault("slow_loris", count=1, interval_s=0.05)
    async with MissionClient(simulator.url, timeouts=Timeouts(connect_s=1.0, read_s=1.0, total_s=0.5)) as client:
        with pytest.raises(TimeoutError_):
            await client.heartbeat()


async def test_hung_mutation_is_retried_then_gives_up(simulator, sleeps, attempts) -> None:
    simulator.inject_fault("hang", count=2, paths=CANARY)
    policy = RetryPolicy(attempts=2, base_s=0.1, jitter=False)
    async with MissionClient(simulator.url, token=TOKEN, retry=policy, sleep=sleeps, on_attempt=attempts,
                             timeouts=Timeouts(connect_s=1.0, read_s=30.0, total_s=0.3)) as client:
        with pytest.raises(TimeoutError_):
            await client.set_canary(percent=10)
    simulator.clear_faults()
    assert attempts.kinds == ["timeout", "timeout"] and sleeps.delays_s == [0.1]


async def test_proxy_html_error_page_keeps_status_and_excerpt(simulator) -> None:
    simulator.inject_fault("html", count=1)
    async with MissionClient(simulator.url) as client:
        with pytest.raises(HttpStatusError) as info:
            await client.heartbeat()
    assert info.value.status_code == 502 and info.value.transient
    assert "502 Bad Gateway" in info.value.excerpt and len(info.value.excerpt) <= 80
    assert "\n" not in str(info.value)


async def test_html_with_200_is_a_contract_error(simulator) -> None:
    simulator.inject_fault("html", count=1, status=200)
    async with MissionClient(simulator.url) as client:
        with pytest.raises(ContractError, match="HTML") as info:
            await client.heartbeat()
    assert info.value.status_code == 200 and info.value.excerpt.startswith("<!DOCTYPE html>")


async def test_non_json_is_a_contract_error_with_excerpt(simulator) -> None:
    simulator.inject_fault("non_json", count=1)
    async with MissionClient(simulator.url) as client:
        with pytest.raises(ContractError) as info:
            await client.heartbeat()
    assert info.value.status_code == 200 and info.value.excerpt == "<<garbage>> not json {"


@pytest.mark.parametrize(("fault", "field"), [
    ("wrong_types", "heartbeat.deployment.canary_percent"),
    ("negative", "heartbeat.metrics.requests"),
    ("nan", None),
    ("errors_gt_requests", "heartbeat.metrics.errors"),
])
async def test_broken_heartbeats_are_contract_errors_naming_the_field(simulator, fault: str, field: str | None) -> None:
    simulator.inject_fault(fault, count=1)
    async with MissionClient(simulator.url) as client:
        with pytest.raises(ContractError) as info:
            await client.heartbeat()
        assert (await client.heartbeat()).status.value == "ok"  # the next poll is fine again
    if field is None:
        assert "non-finite" in str(info.value)
    else:
        assert info.value.field == field


async def test_oversized_streamed_body_is_refused_without_reading_it(simulator) -> None:
    simulator.inject_fault("oversized", count=1, bytes=10 * 1024 * 1024)
    async with MissionClient(simulator.url) as client:
        started = time.monotonic()
        with pytest.raises(BodyTooLarge) as info:
            await client.heartbeat()
        elapsed_s = time.monotonic() - started
        assert (await client.heartbeat()).status.value == "ok"
    assert MAX_BODY_BYTES < info.value.bytes_read <= MAX_BODY_BYTES + 64 * 1024
    assert info.value.declared_bytes is None and info.value.field == "body"
    print(f"oversized chunked: read {info.value.bytes_read} of {10 * 1024 * 1024} bytes in {elapsed_s * 1000:.0f} ms")


async def test_oversized_declared_body_is_refused_before_reading(simulator) -> None:
    simulator.inject_fault("oversized", count=1, bytes=10 * 1024 * 1024, content_length=True)
    async with MissionClient(simulator.url) as client:
        with pytest.raises(BodyTooLarge) as info:
            await client.heartbeat()
    assert info.value.bytes_read == 0 and info.value.declared_bytes == 10 * 1024 * 1024


async def test_redirect_to_another_host_is_refused(simulator) -> None:
    simulator.inject_fault("redirect", count=1)
    async with MissionClient(simulator.url) as client:
        with pytest.raises(RedirectRefused) as info:
            await client.heartbeat()
    assert info.value.status_code == 302 and info.value.location == "http://other.invalid/api/ghost/heartbeat"
    assert list(simulator.faults.fired) == ["redirect"]


async def test_redirect_to_another_port_of_the_same_host_is_refused(simulator) -> None:
    simulator.inject_fault("redirect", count=1, location="http://127.0.0.1:1/api/ghost/heartbeat")
    async with MissionClient(simulator.url) as client:
        with pytest.raises(RedirectRefused):
            await client.heartbeat()


async def test_same_origin_get_redirect_is_followed_once(simulator) -> None:
    simulator.inject_fault("redirect", count=1, location="/api/ghost/heartbeat", status=307)
    async with MissionClient(simulator.url) as client:
        assert (await client.heartbeat()).status.value == "ok"
    simulator.inject_fault("redirect", count=2, location="/api/ghost/heartbeat", status=307)
    async with MissionClient(simulator.url) as client:
        with pytest.raises(RedirectRefused, match="only one"):
            await client.heartbeat()


async def test_redirect_of_a_mutation_is_refused_even_same_origin(simulator, attempts) -> None:
    simulator.inject_fault("redirect", count=1, paths=CANARY, location="/api/ghost/canary", status=308)
    async with MissionClient(simulator.url, token=TOKEN, on_attempt=attempts) as client:
        with pytest.raises(RedirectRefused):
            await client.set_canary(percent=10)
    assert attempts.kinds == ["redirect"]


async def test_dropped_connection_is_a_transport_error(simulator) -> None:
    simulator.inject_fault("drop", count=1)
    async with MissionClient(simulator.url) as client:
        with pytest.raises(TransportError) as info:
            await client.heartbeat()
        assert type(info.value) is TransportError and info.value.transient
        assert (await client.heartbeat()).status.value == "ok"


async def test_bad_signature_fault_fails_the_signature_check(simulator_factory) -> None:
    sim = simulator_factory(secret="shared-key", faults=True, seed=5)
    sim.inject_fault("bad_signature", count=1)
    sim.inject_fault("bad_signature", count=1, mode="verified")
    async with MissionClient(sim.url, secret=Secret("shared-key")) as client:
        forged = await client.heartbeat()
        unverified = await client.heartbeat()
        clean = await client.heartbeat()
    assert forged.signature_valid is False and forged.verified is True and not forged.signature_ok
    assert unverified.signature_valid is True and unverified.verified is False and not unverified.signature_ok
    assert clean.signature_ok


async def test_connection_refused_is_a_transport_error(simulator_factory) -> None:
    sim = simulator_factory(seed=1)
    url = sim.url
    sim.stop()
    async with MissionClient(url) as client:
        with pytest.raises(TransportError) as info:
            await client.heartbeat()
    assert info.value.kind == "unreachable" and "Connection refused" in str(info.value)


async def test_https_to_a_plain_http_server_is_a_tls_error(simulator) -> None:
    async with MissionClient(simulator.url.replace("http://", "https://")) as client:
        with pytest.raises(TLSError):
            await client.heartbeat()


async def test_outage_scenario_refuses_then_recovers(simulator_factory) -> None:
    from canary_tui.core.clock import ManualClock

    clock = ManualClock()
    sim = simulator_factory(scenario="outage", initial_percent=10, clock=clock, seed=2)
    async with MissionClient(sim.url) as client:
        assert (await client.heartbeat()).status.value == "ok"
        clock.advance(70)
        with pytest.raises(TransportError):
            await client.heartbeat()
        clock.advance(30)
        # the simulator re-opens its listener on its own tick: wait for it, bounded
        for _ in range(200):
            try:
                heartbeat = await client.heartbeat()
                break
            except TransportError:
                await asyncio.sleep(0.025)
        else:
            pytest.fail("the simulator did not listen again after its outage")
        assert heartbeat.status.value == "ok"
