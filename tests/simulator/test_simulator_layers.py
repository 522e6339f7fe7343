"""The simulator stands alone: it may import canary_tui.core, never the client, controller, UI or CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import canary_tui.simulator

FORBIDDEN = ("canary_tui.mission", "canary_tui.controller", "canary_tui.ui", "canary_tui.cli", "canary_tui.commands",
             "textual", "httpx")


def test_simulator_imports_only_core_and_itself() -> None:
    package_dir = Path(canary_tui.simulator.__file__).parent
    offenders = []
    for path in sorted(package_dir.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert len(list(package_dir.glob("*.py"))) >= 8
    assert offenders == []
