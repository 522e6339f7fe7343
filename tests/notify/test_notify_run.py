"""`canary-tui run` with notifications, as a subprocess: error-spike sends exactly one auto-rollback and one rollback-confirmed."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_harness import TOKEN, cli_env, write_config
from test_run import RunProcess, runs  # noqa: F401 - the fixture

from canary_tui.notify.message import FIELDS


def test_run_notifies_the_auto_rollback_once_and_its_confirmation_once(simulator_factory, receiver, tmp_path: Path, runs) -> None:  # noqa: F811
    sim = simulator_factory(scenario="error-spike", token=TOKEN, seed=7, speed=60, initial_percent=10)
    hooks = (f'[[notify]]\nurl = "{receiver.url("ok")}"\nevents = ["auto-rollback", "rollback-confirmed"]\n'
              '[notifications]\nlink_base = "https://canary.example.com"\n')
    run: RunProcess = runs(["staging", "--instance", "run@ci"], cli_env(tmp_path, write_config(tmp_path, sim.url, extra=hooks)))
    run.wait_for(lambda e: e["kind"] == "notify" and "rollback-confirmed" in e["message"] and e["message"].endswith("sent"), "rollback-confirmed sent")
    code, stderr = run.stop(signal.SIGTERM)
    assert code == 0, stderr
    messages = receiver.fields("ok")
    assert [m["event"] for m in messages] == ["auto-rollback", "rollback-confirmed"]
    for message in messages:
        assert list(message) == list(FIELDS)
        assert message["target"] == "staging" and message["release"] == "v0.5.0" and message["actor"] == "run@ci"
        assert message["stage"] == "10% (stage 1 of 3)" and message["link"] == "https://canary.example.com/?target=staging"
    assert "error rate > 5%" in messages[0]["reason"] and messages[1]["reason"].endswith("confirmed: 0% after 1 attempt")
    sent = [e for e in run.events if e["kind"] == "notify"]
    assert len(sent) == 2 and all(e["actor"] == "run@ci" for e in sent)
