"""Audit log: durable JSON Lines that survive SIGKILL mid-write; torn tails are skipped and healed."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from canary_tui.controller.audit import AuditLog, audit_files, audit_path, read_audit
from canary_tui.core.clock import ManualClock

WRITER = r"""
import sys
from pathlib import Path
from canary_tui.controller.audit import AuditLog
log = AuditLog("staging", path=Path(sys.argv[1]))
tag = sys.argv[2]
pad = "x" * int(sys.argv[3])
i = 0
while True:
    log.record(actor="writer", action="rollback", note=f"{tag}-{i}", outcome="attempt", pad=pad)
    sys.stdout.write(f"{tag}-{i}\n")
    sys.stdout.flush()
    i += 1
"""


def test_records_have_the_contract_fields_and_no_secrets(tmp_path):
    clock = ManualClock()
    log = AuditLog("staging", path=tmp_path / "a.jsonl", clock=clock)
    log.record(actor="alice@laptop", action="advance", **{"from": 10, "to": 50}, note="stage 2", trigger="key", outcome="ok", server="canary_percent=50")
    (record,) = read_audit(tmp_path / "a.jsonl").records
    assert record["time"] == "2026-11-18T12:00:00Z" and record["environment"] == "staging"
    assert {"actor", "action", "from", "to", "note", "trigger", "outcome", "server"} <= set(record)


def test_a_torn_tail_is_skipped_and_the_next_append_does_not_corrupt_it(tmp_path):
    path = tmp_path / "staging.jsonl"
    log = AuditLog("staging", path=path)
    log.record(action="advance", outcome="ok", n=1)
    with open(path, "ab") as f:
        f.write(b'{"action": "rollback", "outc')  # a crash mid-write
    read = read_audit(path)
    assert [r["n"] for r in read.records] == [1] and read.skipped == 1
    log.record(action="rollback", outcome="ok", n=2)
    read = read_audit(path)
    assert [r["n"] for r in read.records] == [1, 2] and read.skipped == 1
    assert path.read_bytes().endswith(b"\n")


def test_sigkill_mid_write_fifty_times_keeps_every_acknowledged_record(tmp_path):
    path = tmp_path / "staging.jsonl"
    rng = random.Random(7)
    acknowledged: list[str] = []
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for round_no in range(50):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"r{round_no}", str(rng.choice([10, 4000, 70000]))],
            stdout=subprocess.PIPE, text=True, env=env,
        )
        assert proc.stdout is not None
        want = rng.randint(1, 15)
        for _ in range(want):
            line = proc.stdout.readline()
            assert line, "writer died early"
            acknowledged.append(line.strip())
        os.kill(proc.pid, signal.SIGKILL)  # while it is writing the next record
        proc.wait()
        proc.stdout.close()
    read = read_audit(path)
    notes = [r["note"] for r in read.records]
    assert set(acknowledged) <= set(notes)
    assert len(notes) == len(set(notes))  # nothing duplicated or merged
    for raw in path.read_bytes().split(b"\n")[:-1]:
        if raw:
            try:
                json.loads(raw)
            except ValueError:
                continue  # torn lines are allowed, but each is alone on its line
    assert read.skipped <= 50


def test_one_file_per_environment_under_the_state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CANARY_TUI_STATE_DIR", str(tmp_path))
    AuditLog("staging").record(action="pause", outcome="ok")
    AuditLog("prod/eu").record(action="pause", outcome="ok")
    assert audit_path("staging") == tmp_path / "audit" / "staging.jsonl"
    assert [p.name for p in audit_files()] == ["prod_eu.jsonl", "staging.jsonl"]
    assert read_audit(audit_path("staging"), tail=5).records[0]["action"] == "pause"


def test_a_checkpoint_another_dashboard_logs_counts_at_once(tmp_path):
    from canary_tui.controller.audit import CheckpointBook

    path = tmp_path / "staging.jsonl"
    ours, theirs = AuditLog("staging", path=path, clock=ManualClock()), AuditLog("staging", path=path, clock=ManualClock())
    book = CheckpointBook(ours)
    assert book.get("v0.5.0") is None  # read once already: nothing yet
    theirs.record(actor="oncall-2", action="checkpoint", outcome="ok", trigger="key", note="pre-v0.5.0",
                  checkpoint_id="ckpt-0001", canary_version="v0.5.0")
    assert book.get("v0.5.0") == "ckpt-0001"
    book.remember("v0.6.0", "ckpt-0002")
    assert (book.get("v0.6.0"), book.get("v0.5.0")) == ("ckpt-0002", "ckpt-0001")
