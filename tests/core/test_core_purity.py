"""The core modules of this suite import nothing that does I/O, drives a UI or speaks HTTP."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import canary_tui.core

CORE = Path(canary_tui.core.__file__).resolve().parent
MINE = ("thresholds", "gates", "stage_clock", "history", "plans", "rates", "samples")
FORBIDDEN = {"textual", "textual_plotext", "httpx", "starlette", "uvicorn", "asyncio", "socket", "subprocess",
             "os", "pathlib", "io", "shutil", "time", "urllib", "http"}


def imported_roots(path: Path) -> set[str]:
    """Top-level module names imported by a source file."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", MINE)
def test_core_module_is_pure(module: str) -> None:
    assert not imported_roots(CORE / f"{module}.py") & FORBIDDEN


def test_the_check_catches_an_impure_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom httpx import Client\n", encoding="utf-8")
    assert imported_roots(bad) & FORBIDDEN == {"os", "httpx"}


@pytest.mark.parametrize("module", MINE)
def test_no_open_calls(module: str) -> None:
    tree = ast.parse((CORE / f"{module}.py").read_text(encoding="utf-8"))
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert "open" not in calls and "print" not in calls
