"""The benchmarks cannot rot: `python -m benchmarks --quick --json FILE` runs and writes the documented shape.

Timings are never asserted here (targets are reported by the benchmarks, not tested).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"name", "value", "unit", "target", "met", "detail"}


def _quick_run(tmp_path: Path, only: tuple[str, ...], timeout_s: float) -> tuple[list[dict[str, object]], str]:
    """`python -m benchmarks --quick [--only ...] --json FILE` in a subprocess: (figures, stdout); it must exit 0."""
    if not (ROOT / "benchmarks" / "__main__.py").is_file():
        pytest.skip("benchmarks/ is not shipped in the sdist: it runs from a checkout")
    out = tmp_path / "figures.json"
    argv = [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out), *(["--only", *only] if only else [])]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s)
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads(out.read_text(encoding="utf-8"))["figures"]
    _check_shape(figures)
    return figures, proc.stdout


def _check_shape(figures: list[dict[str, object]]) -> None:
    """Every figure has the documented keys and types, and a finite value."""
    for figure in figures:
        assert set(figure) >= KEYS, figure
        assert isinstance(figure["value"], (int, float)) and not isinstance(figure["value"], bool), figure
        assert math.isfinite(figure["value"]), figure
        assert isinstance(figure["name"], str) and isinstance(figure["unit"], str) and isinstance(figure["detail"], str)
        assert figure["target"] is None or isinstance(figure["target"], str)
        assert figure["met"] in (None, True, False)


def test_quick_benchmarks_write_every_figure(tmp_path: Path) -> None:
    from benchmarks.__main__ import MODULES

    figures, stdout = _quick_run(tmp_path, tuple(name for name in MODULES if name not in ("fleet", "store", "prometheus")), 240)
    assert len(figures) >= 6
    names = " ".join(str(f["name"]) for f in figures)
    for word in ("rollback", "chart", "idle CPU", "memory", "startup", "probe"):
        assert word in names, word
    assert "figure" in stdout  # the table header


def test_quick_fleet_benchmark_writes_its_figures(tmp_path: Path) -> None:
    """The fleet module on its own (about a minute quick): idle CPU, R among 12 (one hung), rollback-all on loopback and 50 ms away."""
    figures, stdout = _quick_run(tmp_path, ("fleet",), 180)
    for prefix in ("fleet idle CPU: 12 targets / 1 target", "fleet R->arrival: 12 targets, 1 hung", "fleet rollback-all of 12:",
                   "fleet rollback-all of 12 at 50 ms RTT:"):
        budgeted = [f for f in figures if str(f["name"]).startswith(prefix)]
        assert len(budgeted) == 1 and budgeted[0]["target"] is not None, (prefix, [f["name"] for f in figures])
    assert "figure" in stdout


def test_quick_store_benchmark_writes_its_figures(tmp_path: Path) -> None:
    """The store module on its own (about a minute quick): start with 72 h stored, idle CPU of recording, size."""
    figures, stdout = _quick_run(tmp_path, ("store",), 240)
    names = [str(f["name"]) for f in figures]
    for prefix, budgeted in (("store: first frame with 72 h stored", True), ("store: idle CPU added by recording", True),
                             ("store: size for 72 h of one target", False)):
        [figure] = [f for f in figures if str(f["name"]).startswith(prefix)]
        assert (figure["target"] is not None) is budgeted, (prefix, names)
    assert "figure" in stdout


def test_quick_prometheus_benchmark_writes_its_figures(tmp_path: Path) -> None:
    """The Prometheus module on its own (a real Prometheus; about 10 s quick): one poll through it against the heartbeat."""
    figures, _ = _quick_run(tmp_path, ("prometheus",), 120)
    names = [str(f["name"]) for f in figures]
    assert names == ["poll through Prometheus / through the heartbeat (median)", "poll through Prometheus / through the heartbeat (p99)"]
    assert all(float(f["value"]) > 0 for f in figures)  # type: ignore[arg-type]
