"""Server lifecycle: start/stop on an ephemeral port, stop() never hangs, the CLI command, health timing."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from canary_tui.core.clock import ManualClock
from canary_tui.simulator import SimulatorOptions, SimulatorServer


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_start_returns_a_live_url_and_stop_frees_the_port() -> None:
    server = SimulatorServer(SimulatorOptions())
    url = server.start()
    assert url == server.url and url.startswith("http://127.0.0.1:") and server.port
    assert server.start() == url  # idempotent
    assert httpx.get(f"{url}/api/ghost/heartbeat").status_code == 200
    assert not _port_is_free(server.port)
    server.stop()
    server.stop()  # idempotent
    assert not server.running and _port_is_free(server.port)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/ghost/heartbeat")


def test_context_manager_and_a_busy_port() -> None:
    with SimulatorServer(SimulatorOptions()) as first:
        assert first.running
        with pytest.raises(OSError):
            SimulatorServer(SimulatorOptions(port=first.port)).start()
    assert not first.running


def test_stop_does_not_hang_on_a_hanging_request() -> None:
    server = SimulatorServer(SimulatorOptions(faults=True))
    url = server.start()
    server.inject_fault("hang", count=-1)
    outcome: list[BaseException | int] = []

    def call() -> None:
        try:
            outcome.append(httpx.get(f"{url}/api/ghost/heartbeat", timeout=30).status_code)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 5
    while "hang" not in server.faults.fired and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "hang" in server.faults.fired
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    caller.join(5)
    assert not caller.is_alive() and isinstance(outcome[0], httpx.TransportError)
    assert _port_is_free(server.port)


def test_stop_does_not_hang_on_a_slow_loris_or_an_unread_oversized_body() -> None:
    server = SimulatorServer(SimulatorOptions(faults=True))
    url = server.start()
    server.inject_fault("slow_loris", interval_s=5.0)
    server.inject_fault("oversized", paths=["/api/health"], bytes=200_000_000)
    with httpx.Client(timeout=10) as client:
        with client.stream("GET", f"{url}/api/ghost/heartbeat") as slow, client.stream("GET", f"{url}/api/health") as big:
            assert slow.status_code == big.status_code == 200
            started = time.monotonic()
            server.stop()
            assert time.monotonic() - started < 5
    assert _port_is_free(server.port)


async def test_works_from_async_tests(simulator) -> None:
    async with httpx.AsyncClient(base_url=simulator.url) as client:
        answers = await asyncio.gather(*(client.get("/api/ghost/heartbeat") for _ in range(10)))
    assert {a.status_code for a in answers} == {200}


async def test_health_really_waits_the_drawn_latency(simulator_factory) -> None:
    sim = simulator_factory(seed=3, health_latency_scale=10.0)  # baseline median 28 ms × 10
    async with httpx.AsyncClient(base_url=sim.url) as client:
        async def timed() -> float:
            started = time.monotonic()
            await client.get("/api/health")
            return time.monotonic() - started

        durations = sorted(await asyncio.gather(*(timed() for _ in range(20))))
    assert durations[10] > 0.07  # median latency is ~280 ms; a server that does not wait answers in ~1 ms


async def test_health_stall_holds_requests_until_it_ends(simulator_factory) -> None:
    clock = ManualClock()
    sim = simulator_factory(seed=3, clock=clock, stall_every_s=10.0, stall_s=1.5, health_latency_scale=0.0)
    async with httpx.AsyncClient(base_url=sim.url) as client:
        clock.advance(5.0)  # between stalls
        started = time.monotonic()
        await client.get("/api/health")
        assert time.monotonic() - started < 1.0
        clock.advance(5.2)  # 0.2 s into the next stall: wait 1.3 s
        started = time.monotonic()
        await client.get("/api/health")
        assert time.monotonic() - started >= 1.25


def _spawn(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "canary_tui", "simulator", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_cli_command_serves_then_exits_cleanly_on_sigint() -> None:
    env = {**os.environ, "OPS_TOKEN": "from-env", "HEARTBEAT_SECRET": "sig"}
    proc = _spawn("--seed", "3", "--scenario", "flapping", env=env)
    try:
        line = proc.stdout.readline()
        assert "flapping" in line and "http://127.0.0.1:" in line
        url = line.rsplit(" ", 1)[-1].strip()
        response = httpx.get(f"{url}/api/ghost/heartbeat")
        assert response.status_code == 200 and response.headers["x-signature"].startswith("sha256=")
        assert httpx.post(f"{url}/api/ghost/canary", json={"percent": 10}).status_code == 401
        ok = httpx.post(f"{url}/api/ghost/canary", json={"percent": 10}, headers={"Authorization": "Bearer from-env"})
        assert ok.status_code == 200
        assert httpx.get(f"{url}/_control/state").status_code == 404  # no --faults
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "Traceback" not in err and "stopped" in out
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/ghost/heartbeat")


def test_cli_rejects_an_unknown_scenario_without_a_traceback() -> None:
    proc = _spawn("--scenario", "nope", env=dict(os.environ))
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 2 and "Traceback" not in err and "invalid choice" in err


def test_stop_during_and_after_an_outage_frees_the_port() -> None:
    for recovered in (False, True):
        clock = ManualClock()
        server = SimulatorServer(SimulatorOptions(scenario="outage", clock=clock, initial_percent=10))
        url = server.start()
        clock.advance(70)  # live from 0 s: down during [60, 90)
        deadline = time.monotonic() + 5
        while server.state.outage_active() and time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/api/health", timeout=1)
            except httpx.TransportError:  # refused, or accepted just before the listener closed and then dropped
                break
            time.sleep(0.01)
        else:
            pytest.fail("the outage never refused a connection")
        if recovered:
            clock.advance(30)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    assert httpx.get(f"{url}/api/ghost/heartbeat", timeout=1).status_code == 200
                    break
                except httpx.TransportError:
                    time.sleep(0.01)
            else:
                pytest.fail("the server never listened again")
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 5 and _port_is_free(server.port)


def test_start_after_stop_listens_again_on_the_same_port_with_the_same_state() -> None:
    server = SimulatorServer(SimulatorOptions(token=None, faults=True))
    url = server.start()
    httpx.post(f"{url}/api/ghost/canary", json={"percent": 10})
    server.stop()
    try:
        assert server.start() == url
        server.inject_fault("hang")
        with pytest.raises(httpx.ReadTimeout):  # a restarted server hangs again: stop() state was reset
            httpx.get(f"{url}/api/ghost/heartbeat", timeout=0.3)
        server.clear_faults()
        deployment = httpx.get(f"{url}/api/ghost/heartbeat").json()["heartbeat"]["deployment"]
        assert deployment["canary_percent"] == 10
    finally:
        server.stop()


def test_cli_refuses_a_port_out_of_range_and_names_the_fleet_member_whose_port_is_taken() -> None:
    """A bad --port is a usage error (exit 2, no crash log); a fleet that cannot bind says which member and port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANARY_TUI_")}
    bad = subprocess.run([sys.executable, "-m", "canary_tui", "simulator", "--port", "99999"], capture_output=True, text=True, env=env, timeout=30)
    assert bad.returncode == 2 and "argument --port: expected a port 0..65535, got 99999" in bad.stderr and "Traceback" not in bad.stderr
    with _taken_port_after_a_free_one() as taken:
        second = taken.getsockname()[1]  # the fleet's second member asks for first + 1
        done = subprocess.run([sys.executable, "-m", "canary_tui", "simulator", "--fleet", "--port", str(second - 1)],
                              capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip() == (f"canary-tui: error: cannot start the simulator fleet: production/us-east-1 on 127.0.0.1:{second}: "
                                   "Address already in use")


def _taken_port_after_a_free_one() -> socket.socket:
    """A listening socket on a port whose predecessor is free (so the fleet's first member starts and the second cannot)."""
    for _ in range(50):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port - 1))
            except OSError:
                taken.close()
                continue
        taken.listen()
        return taken
    raise AssertionError("no free port before a taken one in 50 tries")
