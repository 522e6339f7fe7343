"""The CLI's basic contract: --version, usage errors exit 2 without a traceback, and `locate`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from canary_tui import __version__

VENV_BIN = Path(sys.executable).parent


def isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The current environment minus any CANARY_TUI_* and with every location under tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANARY_TUI_")}
    env.update(
        CANARY_TUI_CONFIG_DIR=str(tmp_path / "cfg"),
        CANARY_TUI_STATE_DIR=str(tmp_path / "state"),
        CANARY_TUI_LOG_DIR=str(tmp_path / "log"),
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture
def script() -> str:
    path = VENV_BIN / "canary-tui"
    if not path.exists():
        pytest.skip(f"console script not installed next to {sys.executable} (pip install -e . creates it)")
    return str(path)


def test_version_from_console_script(script: str, tmp_path: Path) -> None:
    done = run([script, "--version"], isolated_env(tmp_path))
    assert done.returncode == 0
    assert done.stdout.strip() == f"canary-tui {__version__}"


def test_version_from_python_m(tmp_path: Path) -> None:
    done = run([sys.executable, "-m", "canary_tui", "--version"], isolated_env(tmp_path))
    assert done.returncode == 0
    assert done.stdout.strip() == f"canary-tui {__version__}"


def test_no_command_exits_2_with_help(tmp_path: Path) -> None:
    done = run([sys.executable, "-m", "canary_tui"], isolated_env(tmp_path))
    assert done.returncode == 2
    assert "usage: canary-tui" in done.stderr
    assert "locate" in done.stderr


def test_unknown_command_exits_2_without_traceback(tmp_path: Path) -> None:
    done = run([sys.executable, "-m", "canary_tui", "frobnicate"], isolated_env(tmp_path))
    assert done.returncode == 2
    assert "canary-tui: error:" in done.stderr
    assert "Traceback" not in done.stderr


def test_locate_prints_every_location(tmp_path: Path) -> None:
    done = run([sys.executable, "-m", "canary_tui", "locate"], isolated_env(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    assert list(lines) == ["config", "themes", "bundled_themes", "state", "logs"]
    assert lines["config"] == str(tmp_path / "cfg" / "config.toml")
    assert lines["themes"] == str(tmp_path / "cfg" / "themes")
    assert lines["state"] == str(tmp_path / "state")
    assert lines["logs"] == str(tmp_path / "log")
    assert Path(lines["bundled_themes"]).name == "themes"


def test_locate_honours_canary_tui_config_and_the_flag(tmp_path: Path) -> None:
    env_file = tmp_path / "from-env.toml"
    env_file.write_text('theme = "x"\n')
    env = isolated_env(tmp_path, CANARY_TUI_CONFIG=str(env_file))
    done = run([sys.executable, "-m", "canary_tui", "locate", "--json"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["config"] == str(env_file)
    flag_file = tmp_path / "from-flag.toml"
    done = run([sys.executable, "-m", "canary_tui", "--config", str(flag_file), "locate", "--json"], env)
    assert done.returncode == 0, done.stderr  # a missing file is fine for locate: it says where to create it
    assert json.loads(done.stdout)["config"] == str(flag_file)


def test_locate_validates_an_existing_config(tmp_path: Path) -> None:
    bad = tmp_path / "cfg" / "config.toml"
    bad.parent.mkdir()
    bad.write_text("theme = [\n")
    done = run([sys.executable, "-m", "canary_tui", "locate"], isolated_env(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith(f"canary-tui: config error in {bad}:\n  (syntax):")
    assert "Traceback" not in done.stderr
