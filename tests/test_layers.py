"""Layering: the import-linter contracts in pyproject.toml hold, and they really catch violations."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contracts() -> list[dict]:
    """The contracts declared in pyproject.toml."""
    with (REPO / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)["tool"]["importlinter"]["contracts"]


def lint(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run lint-imports (no cache files written) against the pyproject.toml in `cwd`."""
    if not LINT_IMPORTS.exists():
        pytest.skip(f"lint-imports not installed next to {sys.executable} (it comes with the test extra)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def statuses(output: str) -> dict[str, str]:
    """Contract name -> KEPT/BROKEN from lint-imports' summary lines."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^(.+?) (KEPT|BROKEN)$", output, re.M)}


def test_the_contracts_the_issue_requires_are_declared() -> None:
    by_source = {tuple(c["source_modules"]): set(c["forbidden_modules"]) for c in contracts() if c["type"] == "forbidden"}
    assert {"textual", "httpx", "starlette", "uvicorn", "asyncio"} <= by_source[("canary_tui.core",)]
    assert {"textual", "canary_tui.ui"} <= by_source[("canary_tui.mission", "canary_tui.controller")]
    assert {"canary_tui.controller", "canary_tui.mission", "httpx"} <= by_source[("canary_tui.ui.widgets",)]


def test_the_project_keeps_every_contract() -> None:
    done = lint(REPO)
    found = statuses(done.stdout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert found == {c["name"]: "KEPT" for c in contracts()}


def _write(root: Path, rel: str, text: str = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_contracts_catch_violations(tmp_path: Path) -> None:
    """A throwaway canary_tui with one planted violation per forbidden contract, linted with the real pyproject.toml."""
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    forbidden = [c for c in contracts() if c["type"] == "forbidden"]
    internal = {m for c in forbidden for m in (*c["source_modules"], *c["forbidden_modules"]) if m.startswith("canary_tui")}
    for module in sorted(internal | {"canary_tui"}):
        _write(tmp_path, module.replace(".", "/") + "/__init__.py")
    _write(tmp_path, "canary_tui/core/clean.py", "import math\n")
    planted: dict[str, str] = {}
    for i, contract in enumerate(forbidden):
        source, target = contract["source_modules"][-1], contract["forbidden_modules"][0]
        _write(tmp_path, f"{source.replace('.', '/')}/leak{i}.py", f"import {target}\n")
        planted[contract["name"]] = f"{source}.leak{i} -> {target}"
    _write(tmp_path, "canary_tui/core/leak_io.py", "import asyncio\n")  # core must not do asyncio I/O
    _write(tmp_path, "canary_tui/mission/leak_up.py", "import canary_tui.ui\n")  # a lower layer importing a higher one
    done = lint(tmp_path, pythonpath=tmp_path)
    found = statuses(done.stdout)
    assert done.returncode != 0
    planted.update({c["name"]: "canary_tui.mission.leak_up -> canary_tui.ui" for c in contracts() if c["type"] == "layers"})
    assert {name: found.get(name) for name in planted} == {name: "BROKEN" for name in planted}, done.stdout[-3000:] + done.stderr[-2000:]
    for chain in (*planted.values(), "canary_tui.core.leak_io -> asyncio"):
        assert chain in done.stdout, chain
