"""Lint and type gate: ruff, mypy and import-linter, configured in pyproject.toml, are clean on canary_tui/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

def run_tool(name: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a tool installed next to this interpreter from the repository root; skip when the test extra is missing."""
    tool = BIN / name
    if not tool.exists():
        pytest.skip(f"{name} not installed next to {sys.executable} (it comes with the test extra)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH", "RUFF_CACHE_DIR")}
    env["MYPY_CACHE_DIR"] = str(tmp_path / "mypy-cache")  # no cache files in the checkout
    return subprocess.run([str(tool), *args], cwd=REPO, capture_output=True, text=True, env=env, timeout=300)


def test_ruff_is_clean(tmp_path: Path) -> None:
    done = run_tool("ruff", "check", "--no-cache", "--output-format", "concise", "canary_tui", tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_mypy_is_clean(tmp_path: Path) -> None:
    done = run_tool("mypy", "canary_tui", tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_import_contracts_are_kept(tmp_path: Path) -> None:
    done = run_tool("lint-imports", "--no-cache", tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_gate_catches_errors(tmp_path: Path) -> None:
    """Not vacuous: the configured ruff and mypy report a planted unused import and a None / int."""
    bad = tmp_path / "planted.py"
    bad.write_text("import os\n\n\ndef f(x: int | None) -> float:\n    return x / 2\n", encoding="utf-8")
    ruff = run_tool("ruff", "check", "--no-cache", "--config", str(REPO / "pyproject.toml"), str(bad), tmp_path=tmp_path)
    assert ruff.returncode != 0 and "F401" in ruff.stdout, ruff.stdout + ruff.stderr
    mypy = run_tool("mypy", "--config-file", str(REPO / "pyproject.toml"), str(bad), tmp_path=tmp_path)
    assert mypy.returncode != 0 and "Unsupported operand types" in mypy.stdout, mypy.stdout + mypy.stderr


def test_the_gate_is_configured_in_pyproject() -> None:
    """ruff and mypy read their settings from pyproject.toml, and the test extra installs both."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    tool = project["tool"]
    assert {"E", "F", "I", "B", "UP", "RUF100"} <= set(tool["ruff"]["lint"]["select"])
    assert tool["mypy"]["warn_unused_ignores"] is True and tool["mypy"]["check_untyped_defs"] is True
    extra = " ".join(project["project"]["optional-dependencies"]["test"])
    for name in ("ruff", "mypy", "import-linter"):
        assert name in extra, name
