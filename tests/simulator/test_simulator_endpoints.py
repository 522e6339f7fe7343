"""The simulator speaks mission-control-api.md over real loopback HTTP: shapes, auth, CAS, pause, history."""

from __future__ import annotations

import hashlib
import hmac
import json
import re

import httpx

from canary_tui.core.clock import ManualClock

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
LE = [50, 100, 250, 500, 750, 1000, 1500, 2500, 5000]
AUTH = {"Authorization": "Bearer test-token"}


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def assert_contract_heartbeat(body: dict) -> None:
    """Every field the contract names has the contract's type and range."""
    assert set(body) >= {"heartbeat", "verified"} and isinstance(body["verified"], bool)
    hb = body["heartbeat"]
    assert ISO_Z.match(hb["timestamp"]) and hb["status"] in ("ok", "degraded", "down")
    dep = hb["deployment"]
    for key in ("id", "environment", "stable_version", "canary_version"):
        assert isinstance(dep[key], str) and dep[key]
    assert _is_count(dep["canary_percent"]) and dep["canary_percent"] <= 100
    assert isinstance(dep["paused"], bool)
    assert dep["updated_at"] is None or ISO_Z.match(dep["updated_at"])
    assert dep["updated_by"] is None or isinstance(dep["updated_by"], str)
    m = hb["metrics"]
    assert m["window_s"] == 60
    for part in (m, m["canary"], m["stable"]):
        assert _is_count(part["requests"]) and _is_count(part["errors"]) and part["errors"] <= part["requests"]
        for q in ("p50", "p95", "p99"):
            assert part[q] is None or (isinstance(part[q], float) and part[q] > 0)
        if part["p50"] is not None:
            assert part["p50"] <= part["p95"] <= part["p99"]
        buckets = part["latency_buckets"]
        assert buckets["le"] == LE
        assert all(_is_count(c) for c in buckets["counts"]) and len(buckets["counts"]) == len(LE)
        assert buckets["counts"] == sorted(buckets["counts"]) and buckets["counts"][-1] <= part["requests"]
    assert m["requests"] == m["canary"]["requests"] + m["stable"]["requests"]
    assert m["errors"] == m["canary"]["errors"] + m["stable"]["errors"]


def test_heartbeat_follows_the_contract_and_is_signed(simulator_factory) -> None:
    clock = ManualClock()
    sim = simulator_factory(seed=7, secret="s3cret", clock=clock, initial_percent=10)
    clock.advance(30.5)
    response = httpx.get(f"{sim.url}/api/ghost/heartbeat")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert_contract_heartbeat(body)
    assert body["verified"] is True
    expected = "sha256=" + hmac.new(b"s3cret", response.content, hashlib.sha256).hexdigest()
    assert response.headers["x-signature"] == expected
    metrics = body["heartbeat"]["metrics"]
    assert 2500 < metrics["requests"] < 3600  # 100 req/s for 30.5 s
    assert 0 < metrics["canary"]["requests"] < metrics["stable"]["requests"]  # a 10% split
    assert body["heartbeat"]["deployment"]["canary_percent"] == 10


def test_no_secret_means_no_signature_header_and_empty_window_has_null_percentiles(simulator_factory) -> None:
    sim = simulator_factory(clock=ManualClock())
    response = httpx.get(f"{sim.url}/api/ghost/heartbeat")
    assert "x-signature" not in response.headers
    metrics = response.json()["heartbeat"]["metrics"]
    assert metrics["requests"] == 0 and metrics["p50"] is None and metrics["canary"]["p99"] is None
    assert_contract_heartbeat(response.json())


def test_counters_and_buckets_never_go_down(simulator_factory) -> None:
    clock = ManualClock()
    sim = simulator_factory(clock=clock, seed=3, initial_percent=50)
    previous = None
    for step_s in (0.3, 0.7, 1.0, 5.0, 59.9, 0.1, 300.0, 7200.0):
        clock.advance(step_s)
        body = httpx.get(f"{sim.url}/api/ghost/heartbeat").json()
        assert_contract_heartbeat(body)
        m = body["heartbeat"]["metrics"]
        if previous is not None:
            for path in ((), ("canary",), ("stable",)):
                cur = m
                prev = previous
                for key in path:
                    cur, prev = cur[key], prev[key]
                assert cur["requests"] >= prev["requests"] and cur["errors"] >= prev["errors"]
                assert all(a >= b for a, b in zip(cur["latency_buckets"]["counts"], prev["latency_buckets"]["counts"], strict=True))
        previous = m
    assert 700_000 < previous["requests"] < 780_000  # ~7626 s at 100 req/s


def test_health_answers_ok_with_x_canary_following_the_split(simulator_factory) -> None:
    sim = simulator_factory(seed=1, health_latency_scale=0.0, initial_percent=0)
    with httpx.Client(base_url=sim.url) as client:
        first = client.get("/api/health")
        assert first.status_code == 200 and first.json() == {"status": "ok"}
        assert {client.get("/api/health").headers["x-canary"] for _ in range(20)} == {"false"}
        client.post("/api/ghost/canary", json={"percent": 50})
        flags = [client.get("/api/health").headers["x-canary"] for _ in range(200)]
        assert set(flags) == {"true", "false"} and 70 <= flags.count("true") <= 130
        client.post("/api/ghost/canary", json={"percent": 100})
        assert {client.get("/api/health").headers["x-canary"] for _ in range(20)} == {"true"}


def test_canary_requires_the_bearer_token(simulator) -> None:
    url = f"{simulator.url}/api/ghost/canary"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-token"}, {"Authorization": "Basic x"}):
        response = httpx.post(url, json={"percent": 10}, headers=headers)
        assert response.status_code == 401 and response.json() == {"error": "unauthorized"}
    assert simulator.state.canary_percent == 0 and simulator.state.history == []
    rollback = httpx.post(f"{simulator.url}/api/ghost/rollback", json={"note": "x"})
    assert rollback.status_code == 401 and rollback.json() == {"error": "unauthorized"}


def test_without_a_configured_token_no_credentials_are_required(simulator_factory) -> None:
    sim = simulator_factory(token=None)
    response = httpx.post(f"{sim.url}/api/ghost/canary", json={"percent": 10})
    assert response.status_code == 200 and response.json()["canary_percent"] == 10


def test_canary_sets_percent_and_records_history(simulator) -> None:
    url = f"{simulator.url}/api/ghost/canary"
    body = {"percent": 10, "expected_percent": 0, "note": "stage 1", "actor": "alice@laptop"}
    response = httpx.post(url, json=body, headers=AUTH)
    assert response.status_code == 200
    answer = response.json()
    assert answer["canary_percent"] == 10 and answer["previous_percent"] == 0 and answer["paused"] is False
    assert ISO_Z.match(answer["updated_at"])
    deployment = httpx.get(f"{simulator.url}/api/ghost/heartbeat").json()["heartbeat"]["deployment"]
    assert deployment["canary_percent"] == 10 and deployment["updated_by"] == "alice@laptop"
    assert deployment["updated_at"] == answer["updated_at"]
    state = httpx.get(f"{simulator.url}/_control/state").json()
    assert [(h["actor"], h["note"], h["previous_percent"], h["percent"]) for h in state["history"]] == [
        ("alice@laptop", "stage 1", 0, 10)]


def test_repeating_a_request_is_harmless(simulator) -> None:
    url = f"{simulator.url}/api/ghost/canary"
    body = {"percent": 50, "expected_percent": 0, "actor": "alice"}
    first = httpx.post(url, json=body, headers=AUTH)
    second = httpx.post(url, json=body, headers=AUTH)
    assert first.status_code == second.status_code == 200
    assert second.json()["canary_percent"] == 50 and second.json()["previous_percent"] == 50
    assert second.json()["updated_at"] == first.json()["updated_at"]
    assert len(simulator.state.history) == 1


def test_compare_and_set_conflict_changes_nothing(simulator) -> None:
    url = f"{simulator.url}/api/ghost/canary"
    httpx.post(url, json={"percent": 10, "actor": "bob@pager"}, headers=AUTH)
    response = httpx.post(url, json={"percent": 50, "expected_percent": 0, "actor": "alice"}, headers=AUTH)
    assert response.status_code == 409
    assert response.json() == {"error": "conflict", "canary_percent": 10, "updated_by": "bob@pager"}
    assert simulator.state.canary_percent == 10 and len(simulator.state.history) == 1


def test_invalid_requests_get_400_with_a_code(simulator) -> None:
    url = f"{simulator.url}/api/ghost/canary"
    cases = [
        ({"percent": 101}, "invalid_percent"),
        ({"percent": -1}, "invalid_percent"),
        ({"percent": 12.5}, "invalid_percent"),
        ({"percent": "50"}, "invalid_percent"),
        ({"percent": True}, "invalid_percent"),
        ({}, "invalid_body"),
        ({"note": "only a note"}, "invalid_body"),
        ({"percent": 10, "paused": "yes"}, "invalid_body"),
        ({"percent": 10, "expected_percent": 200}, "invalid_body"),
        ({"percent": 10, "note": "x" * 501}, "invalid_body"),
        ({"percent": 10, "actor": "x" * 501}, "invalid_body"),
        ({"percent": 10, "actor": 7}, "invalid_body"),
    ]
    for body, code in cases:
        response = httpx.post(url, json=body, headers=AUTH)
        assert response.status_code == 400, body
        assert response.json()["error"] == code and isinstance(response.json()["message"], str), body
    for raw in (b"not json", b"[1, 2]", b"\xff\xfe", b"NaN"):
        response = httpx.post(url, content=raw, headers=AUTH)
        assert response.status_code == 400 and response.json()["error"] in ("invalid_body", "invalid_percent")
    ok = httpx.post(url, json={"percent": 10, "note": "x" * 500, "actor": "y" * 500}, headers=AUTH)
    assert ok.status_code == 200
    assert simulator.state.canary_percent == 10 and len(simulator.state.history) == 1


def test_pause_flag_is_set_cleared_and_reported(simulator) -> None:
    url = f"{simulator.url}/api/ghost/canary"
    httpx.post(url, json={"percent": 10}, headers=AUTH)
    paused = httpx.post(url, json={"paused": True, "actor": "carol"}, headers=AUTH)
    assert paused.status_code == 200 and paused.json()["paused"] is True and paused.json()["canary_percent"] == 10
    deployment = httpx.get(f"{simulator.url}/api/ghost/heartbeat").json()["heartbeat"]["deployment"]
    assert deployment["paused"] is True and deployment["updated_by"] == "carol"
    resumed = httpx.post(url, json={"paused": False}, headers=AUTH)
    assert resumed.json()["paused"] is False
    assert [h.paused for h in simulator.state.history] == [False, True, False]


def test_rollback_creates_sequential_checkpoints(simulator) -> None:
    url = f"{simulator.url}/api/ghost/rollback"
    first = httpx.post(url, json={"note": "pre-v0.5.0-deployment"}, headers=AUTH)
    assert first.status_code == 201
    assert first.json()["checkpoint_id"] == "ckpt-0001" and first.json()["note"] == "pre-v0.5.0-deployment"
    assert ISO_Z.match(first.json()["created_at"])
    second = httpx.post(url, headers=AUTH)  # an empty body is fine
    assert second.status_code == 201 and second.json()["checkpoint_id"] == "ckpt-0002"
    bad = httpx.post(url, json={"note": "x" * 501}, headers=AUTH)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_body"
    state = httpx.get(f"{simulator.url}/_control/state").json()
    assert [c["checkpoint_id"] for c in state["checkpoints"]] == ["ckpt-0001", "ckpt-0002"]


def test_control_routes_exist_only_with_faults(simulator_factory) -> None:
    sim = simulator_factory(faults=False)
    for method, path in (("POST", "/_control/faults"), ("POST", "/_control/faults/clear"), ("GET", "/_control/state")):
        response = httpx.request(method, f"{sim.url}{path}", content=json.dumps({"fault": "status"}))
        assert response.status_code == 404
    assert httpx.get(f"{sim.url}/api/ghost/heartbeat").status_code == 200
