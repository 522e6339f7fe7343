"""Dashboard tests never write crash logs or read user themes outside a temporary directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point every canary-tui location at tmp_path."""
    monkeypatch.setenv("CANARY_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CANARY_TUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("CANARY_TUI_LOG_DIR", str(tmp_path / "log"))
