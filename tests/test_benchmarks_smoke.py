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


def test_quick_benchmarks_write_every_figure(tmp_path: Path) -> None:
    if not (ROOT / "benchmarks" / "__main__.py").is_file():
        pytest.skip("benchmarks/ is not shipped in the sdist: it runs from a checkout")
    out = tmp_path / "figures.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads(out.read_text(encoding="utf-8"))["figures"]
    assert len(figures) >= 6
    for figure in figures:
        assert set(figure) >= KEYS, figure
        assert isinstance(figure["value"], (int, float)) and not isinstance(figure["value"], bool), figure
        assert math.isfinite(figure["value"]), figure
        assert isinstance(figure["name"], str) and isinstance(figure["unit"], str) and isinstance(figure["detail"], str)
        assert figure["target"] is None or isinstance(figure["target"], str)
        assert figure["met"] in (None, True, False)
    names = " ".join(f["name"] for f in figures)
    for word in ("rollback", "chart", "idle CPU", "memory", "startup", "probe"):
        assert word in names, word
    assert "figure" in proc.stdout  # the table header
