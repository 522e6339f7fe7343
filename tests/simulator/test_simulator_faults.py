"""Every injected fault, through the HTTP control API and the Python API, over real loopback HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time

import httpx
import pytest

HB = "/api/ghost/heartbeat"


@pytest.fixture
def client(simulator):
    with httpx.Client(base_url=simulator.url, timeout=10) as c:
        yield c


def inject(client: httpx.Client, **body) -> None:
    response = client.post("/_control/faults", json=body)
    assert response.status_code == 201, response.text


def test_status_fires_for_n_requests_then_stops(client) -> None:
    inject(client, fault="status", count=2)
    assert [client.get(HB).status_code for _ in range(3)] == [503, 503, 200]
    inject(client, fault="status", status=500)
    response = client.get(HB)
    assert response.status_code == 500 and response.json()["error"] == "unavailable"


def test_faults_apply_only_to_their_paths(client) -> None:
    inject(client, fault="status", paths=["/api/ghost/canary"], status=502)
    assert client.get(HB).status_code == 200
    response = client.post("/api/ghost/canary", json={"percent": 10},
                           headers={"Authorization": "Bearer test-token"})
    assert response.status_code == 502


def test_count_minus_one_lasts_until_cleared(client) -> None:
    inject(client, fault="status", count=-1)
    assert {client.get(HB).status_code for _ in range(5)} == {503}
    assert client.post("/_control/faults/clear").status_code == 200
    assert client.get(HB).status_code == 200


def test_retry_after(client) -> None:
    inject(client, fault="retry_after", seconds=3)
    response = client.get(HB)
    assert response.status_code == 429 and response.headers["retry-after"] == "3"


def test_delay_then_a_normal_answer(client) -> None:
    inject(client, fault="delay", seconds=0.3)
    started = time.monotonic()
    response = client.get(HB)
    assert time.monotonic() - started >= 0.3 and response.status_code == 200 and "heartbeat" in response.json()


def test_hang_times_out_and_a_clear_releases_it(simulator, client) -> None:
    inject(client, fault="hang", count=2)
    with pytest.raises(httpx.ReadTimeout):
        client.get(HB, timeout=0.3)
    result: dict[str, httpx.Response] = {}
    waiter = threading.Thread(target=lambda: result.setdefault("r", httpx.get(f"{simulator.url}{HB}", timeout=10)))
    waiter.start()
    deadline = time.monotonic() + 5
    while simulator.faults.fired.count("hang") < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert simulator.faults.fired.count("hang") == 2
    simulator.clear_faults()
    waiter.join(5)
    assert result["r"].status_code == 200


def test_html_proxy_page(client) -> None:
    inject(client, fault="html")
    response = client.get(HB)
    assert response.status_code == 502 and response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text


def test_non_json(client) -> None:
    inject(client, fault="non_json")
    response = client.get(HB)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_wrong_types_negative_nan_errors_gt_requests(client) -> None:
    inject(client, fault="wrong_types")
    metrics = client.get(HB).json()["heartbeat"]["metrics"]
    assert isinstance(metrics["requests"], str) and isinstance(metrics["p95"], str)
    inject(client, fault="negative")
    metrics = client.get(HB).json()["heartbeat"]["metrics"]
    assert metrics["requests"] < 0 and metrics["errors"] < 0
    inject(client, fault="nan")
    text = client.get(HB).text
    assert '"p95":NaN' in text and '"p50":Infinity' in text
    with pytest.raises(ValueError):
        json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    inject(client, fault="errors_gt_requests")
    metrics = client.get(HB).json()["heartbeat"]["metrics"]
    assert metrics["errors"] > metrics["requests"]


def test_oversized_streams_ten_megabytes(client) -> None:
    inject(client, fault="oversized")
    with client.stream("GET", HB) as response:
        assert response.status_code == 200 and "content-length" not in response.headers
        assert sum(len(chunk) for chunk in response.iter_raw()) == 10 * 1024 * 1024
    inject(client, fault="oversized", bytes=2_000_000, content_length=True)
    with client.stream("GET", HB) as response:
        assert response.headers["content-length"] == "2000000"
        first = next(response.iter_raw())
        assert first.startswith(b'{"heartbeat"')  # a client can refuse after reading a little


def test_redirect_to_another_host(client) -> None:
    inject(client, fault="redirect")
    response = client.get(HB)
    assert response.status_code == 302
    assert response.headers["location"] == "http://other.invalid/api/ghost/heartbeat"


def test_drop_closes_without_a_response(client) -> None:
    inject(client, fault="drop")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(HB)
    assert client.get(HB).status_code == 200


def test_slow_loris_dribbles_one_byte_at_a_time(client) -> None:
    inject(client, fault="slow_loris", interval_s=0.1)
    with client.stream("GET", HB) as response:
        assert response.status_code == 200 and int(response.headers["content-length"]) > 500
        stamps, chunks = [], []
        for chunk in response.iter_raw():
            chunks.append(chunk)
            stamps.append(time.monotonic())
            if len(chunks) == 4:
                break
    assert all(len(c) == 1 for c in chunks) and b"".join(chunks) == b'{"he'
    assert stamps[-1] - stamps[0] >= 0.25


def test_bad_signature_modes(simulator_factory) -> None:
    sim = simulator_factory(faults=True, secret="k")

    def fetch() -> tuple[bool, bool]:
        response = httpx.get(f"{sim.url}{HB}")
        good = "sha256=" + hmac.new(b"k", response.content, hashlib.sha256).hexdigest()
        return response.json()["verified"], response.headers["x-signature"] == good

    assert fetch() == (True, True)
    sim.inject_fault("bad_signature")
    assert fetch() == (True, False)
    sim.inject_fault("bad_signature", mode="verified")
    assert fetch() == (False, True)
    sim.inject_fault("bad_signature", mode="both")
    assert fetch() == (False, False)
    assert fetch() == (True, True)


def test_health_faults_and_python_api(simulator, client) -> None:
    simulator.inject_fault("status", count=1, paths=["/api/health"], status=503)
    assert client.get("/api/health").status_code == 503
    assert client.get(HB).status_code == 200


def test_bad_fault_requests_are_refused(simulator, client) -> None:
    for body in ({"fault": "nope"}, {"fault": "status", "count": 0}, {"fault": "status", "bogus": 1},
                 {"fault": "status", "paths": "x"}, {"nofault": 1}):
        response = client.post("/_control/faults", json=body)
        assert response.status_code == 400 and response.json()["error"] == "invalid_fault", body
    assert client.post("/_control/faults", content=b"{").status_code == 400
    with pytest.raises(ValueError):
        simulator.inject_fault("hang", count=-2)
    state = client.get("/_control/state").json()
    assert state["faults"] == [] and state["faults_fired"] == []


async def test_stall_fault_holds_health_requests_inside_the_stall(simulator_factory) -> None:
    from canary_tui.core.clock import ManualClock

    clock = ManualClock()
    sim = simulator_factory(faults=True, clock=clock, health_latency_scale=0.0)
    sim.inject_fault("stall", count=-1, every_s=10.0, stall_s=1.2)  # default path: /api/health
    async with httpx.AsyncClient(base_url=sim.url) as client:
        clock.advance(5.0)
        started = time.monotonic()
        assert (await client.get("/api/health")).status_code == 200
        assert time.monotonic() - started < 0.8
        clock.advance(5.0)  # phase 0: the whole stall
        started = time.monotonic()
        assert (await client.get("/api/health")).status_code == 200
        assert time.monotonic() - started >= 1.15
        started = time.monotonic()
        assert (await client.get("/api/ghost/heartbeat")).status_code == 200  # other paths untouched
        assert time.monotonic() - started < 0.8
    assert list(sim.faults.fired) == ["stall", "stall"]


def test_stop_releases_a_long_delay_at_once(simulator_factory) -> None:
    sim = simulator_factory(faults=True)
    sim.inject_fault("delay", count=-1, seconds=30.0)
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(httpx.get(f"{sim.url}{HB}", timeout=60))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 5
    while "delay" not in sim.faults.fired and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 3
    caller.join(5)
    assert not caller.is_alive() and isinstance(outcome[0], httpx.TransportError)
