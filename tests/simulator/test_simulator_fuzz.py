"""Random request bodies never crash the mutation endpoints: only 200/201, 400 or 409, and state moves only on success."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

AUTH = {"Authorization": "Bearer test-token"}
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 105), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=10))
field_values = st.one_of(scalars, st.text(min_size=490, max_size=510), st.lists(scalars, max_size=2))
bodies = st.one_of(
    st.fixed_dictionaries({}, optional=dict.fromkeys(("percent", "expected_percent", "paused", "note", "actor"), field_values)),
    st.dictionaries(st.text(max_size=8), scalars, max_size=3),
    scalars,
    st.lists(scalars, max_size=3),
)


def test_canary_endpoint_answers_every_body_within_the_contract(simulator) -> None:
    client = httpx.Client(base_url=simulator.url, headers=AUTH)

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies)
    def check(body: object) -> None:
        before = (simulator.state.canary_percent, simulator.state.paused, len(simulator.state.history))
        response = client.post("/api/ghost/canary", json=body)
        answer = response.json()
        after = (simulator.state.canary_percent, simulator.state.paused, len(simulator.state.history))
        assert response.status_code in (200, 400, 409), (body, answer)
        if response.status_code == 400:
            assert answer["error"] in ("invalid_percent", "invalid_body") and after == before
        elif response.status_code == 409:
            assert answer["canary_percent"] == before[0] and after == before
        else:
            assert isinstance(body, dict)
            assert answer["canary_percent"] == simulator.state.canary_percent
            if body.get("percent") is not None:
                assert answer["canary_percent"] == body["percent"] and answer["previous_percent"] == before[0]
            if body.get("paused") is not None:
                assert answer["paused"] is body["paused"]
            assert after[2] == before[2] + (after[:2] != before[:2])  # history grows only on a real change

    try:
        check()
    finally:
        client.close()


def test_rollback_endpoint_answers_every_body_within_the_contract(simulator) -> None:
    client = httpx.Client(base_url=simulator.url, headers=AUTH)

    @settings(max_examples=100, deadline=None)
    @given(body=bodies)
    def check(body: object) -> None:
        count = len(simulator.state.checkpoints)
        response = client.post("/api/ghost/rollback", json=body)
        assert response.status_code in (201, 400)
        assert len(simulator.state.checkpoints) == count + (response.status_code == 201)
        if response.status_code == 201:
            assert response.json()["checkpoint_id"] == f"ckpt-{count + 1:04d}"

    try:
        check()
    finally:
        client.close()
