"""Crash safety: SIGKILL the CLI at random points while it acts and writes the audit log.

`canary-tui rollback` / `pause` run as real processes (the CLI entry, imported
ahead of time so the kill lands in the action, not in Python's start-up) against
a simulator that sometimes answers 503 or slowly, so the kill falls between
audit records, inside a retry, or mid-write. After every kill the audit log must
read back, every complete record must be whole, and a torn last line must be
skipped and healed by the next writer.
"""

from __future__ import annotations

import json
import os
import pty
import random
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from canary_tui.controller.audit import read_audit
from reliability_support import SECRET, TOKEN, CliHome, assert_clean, need_command, start

KILLS = 25  # SIGKILLs that must land in the default run (rounds go on until they have)
KILLS_SLOW = 70  # more in the slow run: with the dashboard kills, 101 in all
REQUIRED = {"time": str, "environment": str, "actor": str, "action": str, "outcome": str}
CANARY = "/api/ghost/canary"


def _check_log(path: Path, kills_so_far: int) -> tuple[list[dict], int]:
    """The log reads back; every line is either a whole record or a lone torn fragment."""
    read = read_audit(path)
    torn = 0
    whole = 0
    for raw in (path.read_bytes() if path.exists() else b"").split(b"\n"):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            torn += 1
            assert not raw.startswith(b"{") or b"}{" not in raw, "two records merged on one line"
            continue
        whole += 1
        assert isinstance(record, dict)
        for key, kind in REQUIRED.items():
            assert isinstance(record.get(key), kind), (key, record)
        assert record["environment"] == "sim"
    assert torn == read.skipped and whole == len(read.records)
    assert torn <= kills_so_far
    return list(read.records), torn


def _kill_rounds(kills: int, seed: int, simulator_factory, cli_home: CliHome) -> Counter:
    need_command("rollback")
    need_command("pause")
    rng = random.Random(seed)
    sim = simulator_factory(scenario="healthy", faults=True, token=TOKEN, secret=SECRET, seed=4, initial_percent=10)
    cli_home.url = sim.url
    path = cli_home.audit_file
    tally: Counter = Counter()
    proc = cli_home.prewarmed()
    i = -1
    while tally["killed"] < kills:
        i += 1
        assert i < 3 * kills, f"too few kills landed: {dict(tally)}"
        sim.clear_faults()
        sim.state.set_canary(10, None, False, "reset", "referee")
        mode = rng.choice(("healthy", "503", "503", "slow"))
        if mode == "503":
            sim.inject_fault("status", count=rng.randint(1, 4), paths=[CANARY], status=503)
        elif mode == "slow":
            sim.inject_fault("delay", count=1, paths=[CANARY], seconds=0.2)
        if i % 7 == 3:  # a kill mid-write as the kernel would leave it: a torn tail the next writer must heal
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "ab") as handle:
                handle.write(b'{"time":"2026-11-26T14:00:00Z","environment":"sim","actor":"cli@reli')
            tally["planted-torn"] += 1
        action = rng.choice(("rollback", "rollback", "pause"))
        note = f"kill-{seed}-{i}"
        start(proc, action, "sim", "--note", note)
        upcoming = cli_home.prewarmed()  # imports while this one acts
        time.sleep(rng.uniform(0.0, 0.5))  # the random kill point
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert_clean(out, err)
        if proc.returncode == -signal.SIGKILL:
            tally["killed"] += 1
        else:
            tally["finished"] += 1
            assert proc.returncode in (0, 1), (proc.returncode, err)
        records, torn = _check_log(path, tally["killed"] + tally["planted-torn"])
        mine = [r for r in records if r.get("note") == note]
        outcomes = {r["outcome"] for r in mine}
        if proc.returncode == -signal.SIGKILL:
            if not mine:
                tally["killed-before-first-record"] += 1
            elif "ok" in outcomes:
                tally["killed-after-ok"] += 1
            else:
                tally["killed-mid-action"] += 1
        tally["torn-lines"] = torn
        proc = upcoming
    proc.kill()
    proc.communicate()
    # after all that, a normal rollback still writes cleanly after any torn tail
    result = cli_home.run("rollback", "sim", "--note", "after-the-storm", "--timeout", "20")
    assert result.returncode == 0, result.stderr
    records, torn = _check_log(path, tally["killed"] + tally["planted-torn"])
    assert torn >= tally["planted-torn"] > 0  # every torn line stays alone and skipped; nothing merged
    assert [r["outcome"] for r in records if r.get("note") == "after-the-storm"][-1] == "ok"
    assert path.read_bytes().endswith(b"\n")
    # and the operator's own reader shows every whole record, skipping the torn ones without failing
    shown = cli_home.run("audit", "sim", "--json")
    assert shown.returncode == 0, shown.stderr
    assert [json.loads(line) for line in shown.stdout.splitlines()] == records
    assert cli_home.leaked_files() == []
    return tally


def test_sigkill_the_cli_25_times_mid_action(simulator_factory, cli_home):
    tally = _kill_rounds(KILLS, 17, simulator_factory, cli_home)
    print("crash tally", dict(tally))
    assert tally["killed"] == KILLS
    assert tally["killed-mid-action"] >= 5, tally  # the kills really landed inside actions


@pytest.mark.slow
def test_sigkill_the_cli_seventy_more_times(simulator_factory, cli_home):
    tally = _kill_rounds(KILLS_SLOW, 23, simulator_factory, cli_home)
    print("crash tally (slow)", dict(tally))
    assert tally["killed"] == KILLS_SLOW  # + 25 in the default run + 6 dashboard kills = 101
    assert tally["killed-mid-action"] >= 15, tally


DASHBOARD_KILLS = 6


@pytest.mark.slow
def test_sigkill_the_dashboard_mid_rollback(simulator_factory, cli_home):
    """`canary-tui watch` in a pseudo-terminal: R pressed, SIGKILL at a random point; the audit log stays whole."""
    need_command("watch")
    rng = random.Random(5)
    sim = simulator_factory(scenario="healthy", faults=True, token=TOKEN, secret=SECRET, seed=4, initial_percent=10)
    cli_home.url = sim.url
    path = cli_home.audit_file
    env = {**cli_home.environ(), "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    tally: Counter = Counter()
    for i in range(DASHBOARD_KILLS):
        sim.clear_faults()
        sim.state.set_canary(10, None, False, "reset", "referee")
        if i % 2:
            sim.inject_fault("status", count=rng.randint(2, 6), paths=[CANARY], status=503)
        master, slave = pty.openpty()
        before = len(read_audit(path).records)
        proc = subprocess.Popen([sys.executable, "-m", "canary_tui", "watch", "sim"], stdin=slave, stdout=slave, stderr=slave,
                                env=env, close_fds=True, start_new_session=True)
        os.close(slave)
        screen = bytearray()
        served = sim.state.counters["heartbeats"]
        deadline = time.monotonic() + 30
        try:
            while sim.state.counters["heartbeats"] <= served + 1:  # the dashboard is up and polling
                assert time.monotonic() < deadline and proc.poll() is None, bytes(screen[-2000:])
                if select.select([master], [], [], 0.05)[0]:
                    screen += os.read(master, 65536)
            os.write(master, b"R")
            time.sleep(rng.uniform(0.0, 0.4))  # the random kill point
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            while True:
                if not select.select([master], [], [], 0)[0]:
                    break
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                screen += chunk
            os.close(master)
        text = screen.decode("utf-8", "replace")
        assert TOKEN not in text and SECRET not in text and "Traceback" not in text
        tally["killed"] += proc.returncode == -signal.SIGKILL
        records, _ = _check_log(path, tally["killed"] + 1)
        outcomes = {r["outcome"] for r in records[before:] if r.get("action") == "rollback"}
        tally["killed-after-ok" if "ok" in outcomes else "killed-mid-rollback" if outcomes else "killed-before-first-record"] += 1
    print("dashboard crash tally", dict(tally))
    assert tally["killed"] == DASHBOARD_KILLS
    assert cli_home.leaked_files() == []
