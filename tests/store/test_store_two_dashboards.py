"""Two dashboards and a `ramp` on one store at once (three processes, real HTTP, real clock): no store problem reaches
anyone, every heartbeat either dashboard saw is stored once, and the store's audit index agrees with the audit log."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from canary_tui.simulator import SimulatorServer
from canary_tui.store import HistoryStore
from canary_tui.store.audit_index import catch_up
from canary_tui.store.queries import audit_records, decisions

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "cli"))
from cli_harness import FAST_HEALTH, assert_clean, audit_lines, cli_env, write_config  # noqa: E402

WATCH_S = 6.0


def _dashboard(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(HERE / "dashboard_worker.py"), "staging", str(WATCH_S), "0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=HERE)


def test_two_dashboards_and_a_ramp_on_one_store(simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, **FAST_HEALTH)
    env = cli_env(tmp_path, write_config(tmp_path, sim.url))
    dashboards = [_dashboard(env), _dashboard(env)]
    ramp = subprocess.run([sys.executable, "-m", "canary_tui", "ramp", "staging", "10", "--yes", "--probe", "5", "--settle", "1"],
                          capture_output=True, text=True, env=env, timeout=60)
    outputs = [d.communicate(timeout=60) for d in dashboards]
    assert ramp.returncode == 0, ramp.stderr
    assert_clean(ramp)
    assert "locked" not in ramp.stderr and "history store" not in ramp.stderr
    seen: set[int] = set()
    for process, (out, err) in zip(dashboards, outputs, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in err and "locked" not in err
        report = json.loads(out)
        assert report["problems"] == [], report["problems"]
        seen |= set(report["seen"])
    store = HistoryStore.open(tmp_path / "state" / "history.sqlite3")
    stored = [row[0] for row in store.conn.execute("SELECT server_s FROM beat WHERE target = 'staging' ORDER BY server_s")]
    assert len(stored) == len(set(stored))  # none twice
    assert seen <= set(stored), sorted(seen - set(stored))  # none lost: every second either dashboard saw
    assert len(seen) >= WATCH_S - 1
    catch_up(store, tmp_path / "state" / "audit" / "staging.jsonl")  # a no-op when the dashboards and the ramp caught up already
    assert audit_records(store, "staging") == audit_lines(tmp_path)
    rows = decisions(store, "staging")
    assert rows and len({(r.server_s, r.change) for r in rows}) == len(rows)
    assert {r.canary_percent for r in rows} == {0, 10}  # both dashboards saw the ramp; its decisions are there once
