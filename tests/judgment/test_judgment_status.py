"""`status --json` carries the judgment's `decision` object (kind, reason, fallback, evidence)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from canary_tui.cli import main
from canary_tui.core.judgment import decision_between, decision_to_json
from canary_tui.core.plans import FAST_TRACK
from canary_tui.simulator import SimulatorServer

from judgment_builders import FakeServer


@pytest.fixture(autouse=True)
def _empty_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    monkeypatch.setenv("CANARY_TUI_CONFIG", str(config))


def test_status_json_has_a_decision(simulator_factory: Callable[..., SimulatorServer], capsys: pytest.CaptureFixture[str]) -> None:
    server = simulator_factory(scenario="healthy", seed=5, initial_percent=10, speed=300.0)
    main(["status", server.url, "--json", "--interval-s", "0.2"])
    data = json.loads(capsys.readouterr().out)
    decision = data["decision"]
    assert decision["kind"] in ("promote-eligible", "hold", "inconclusive", "rollback")
    assert decision["reason"] and decision["fallback"] is False
    assert decision["evidence"]["canary_requests"] > 0
    assert decision["kind"] != "rollback"


def test_status_json_decision_is_null_when_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    main(["status", "http://127.0.0.1:9", "--json", "--interval-s", "0.1"])
    data = json.loads(capsys.readouterr().out)
    assert "decision" in data and data["decision"] is None


def test_decision_between_two_heartbeats_rolls_back_a_clear_regression() -> None:
    server = FakeServer(seed=12, percent=50, canary_error_rate=0.08)
    first = server.step(1.0)
    second = server.step(300.0)
    decision = decision_between(first, second, FAST_TRACK)
    data = decision_to_json(decision)
    assert data is not None and data["kind"] == "rollback" and "mixture" in str(data["reason"])
    json.dumps(data, allow_nan=False)  # e-values that overflow become null, never Infinity
    healthy = FakeServer(seed=12, percent=50)
    first = healthy.step(1.0)
    assert decision_between(first, healthy.step(60.0), FAST_TRACK).kind.value in ("inconclusive", "hold", "promote-eligible")
    assert decision_to_json(None) is None
