"""The store indexes the JSON Lines audit log (the source of truth) and catches up on start: a kill between the two loses nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from test_store_restart import STEP_S, T0, TOKEN, _watch

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.audit import AuditLog, read_audit
from canary_tui.controller.controller import RampController
from canary_tui.controller.factory import build_controller
from canary_tui.controller.model import Trigger
from canary_tui.core.clock import ManualClock
from canary_tui.mission.client import MissionClient, RetryPolicy, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.simulator import SimulatorServer
from canary_tui.store import HistoryStore
from canary_tui.store.audit_index import catch_up
from canary_tui.store.queries import audit_records


async def _no_sleep(_seconds: float) -> None:
    return None


def _controller(url: str | None, clock: ManualClock, store: Path, audit: AuditLog) -> RampController:
    assert url is not None
    client = MissionClient(url, token=Secret(TOKEN), timeouts=Timeouts(1.0, 2.0, 3.0), clock=clock,
                           retry=RetryPolicy(attempts=2, base_s=0.01, cap_s=0.02, jitter=False), sleep=_no_sleep)
    env = EnvironmentConfig(name="staging", url=url)
    return build_controller(env, Config(), clock=clock, client=client, audit=audit, store=store, sleep=_no_sleep)


async def test_actions_are_indexed_and_a_record_the_store_missed_is_caught_up_on_start(
        simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = simulator_factory(scenario="healthy", seed=11, token=TOKEN, clock=clock)
    store, log = tmp_path / "history.sqlite3", tmp_path / "audit" / "staging.jsonl"
    audit = AuditLog("staging", path=log, clock=clock)
    first = _controller(sim.url, clock, store, audit)
    await _watch(first, clock, 2)
    assert (await first.advance(Trigger.CLI, override=True)).ok
    assert (await first.checkpoint("before 50%", Trigger.CLI)).ok
    await _watch(first, clock, 2)
    await first.aclose()
    logged = read_audit(log).records
    assert len(logged) >= 3 and audit_records(HistoryStore.open(store), "staging") == list(logged)

    clock.advance(STEP_S)  # a command writes its record and is killed before any store write
    audit.record(action="pause", outcome="ok", actor="kill-9", canary_version="v0.5.0")
    with log.open("ab") as handle:
        handle.write(b'{"time": "2027-01-15T08:00:00Z", "action": "torn')  # a write cut short
    second = _controller(sim.url, clock, store, audit)
    await _watch(second, clock, 2)
    await second.aclose()
    opened = HistoryStore.open(store)
    indexed = audit_records(opened, "staging")
    assert indexed == list(read_audit(log).records)  # the store agrees with the log: every record, once, none torn
    assert indexed[-1]["actor"] == "kill-9"
    assert [r["action"] for r in audit_records(opened, action="checkpoint")] == ["checkpoint"] * len(
        [r for r in logged if r.get("action") == "checkpoint"])
    assert audit_records(opened, "staging", since_s=clock.now() + 1) == []


def test_catching_up_twice_indexes_once_and_a_replaced_file_afresh(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    lines = [json.dumps({"time": f"2027-01-15T08:00:0{i}Z", "target": "prod", "action": "advance", "n": i}) for i in range(3)]
    log.write_text("\n".join(lines) + "\nnot json\n")
    store = HistoryStore.open(tmp_path / "h.sqlite3")
    other = HistoryStore.open(tmp_path / "h.sqlite3")  # another process's connection
    assert catch_up(store, log) == 3
    assert catch_up(other, log) == 0 and catch_up(store, log) == 0
    assert [r["n"] for r in audit_records(store, "prod")] == [0, 1, 2]
    log.write_text(lines[0] + "\n")  # replaced by a shorter file
    assert catch_up(store, log) == 1 and [r["n"] for r in audit_records(other)] == [0]
    assert catch_up(store, tmp_path / "missing.jsonl") == 0
