"""`canary-tui serve` as a subprocess: one-line errors (missing extra, port in use, token variable unset), no secret on the session command."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from pathlib import Path

from canary_tui.commands.serve import INSTALL_HINT, _session_command

CONFIG = '[environments.staging]\nurl = "http://127.0.0.1:9"\n'


def _serve(tmp_path: Path, *args: str, code: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """`canary-tui --config ... serve ARGS`, or `code` run before the CLI (to hide a module), bounded."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    argv = ["--config", str(config), "serve", *args]
    prelude = code or ""
    program = f"import sys\n{prelude}\nfrom canary_tui.cli import main\nsys.exit(main({argv!r}))\n"
    child_env = {"PATH": "/usr/bin:/bin", "CANARY_TUI_STATE_DIR": str(tmp_path / "state"), "CANARY_TUI_CONFIG_DIR": str(tmp_path / "cfg"), **env}
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=child_env, timeout=60)


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    """stderr, checked to be one line and no traceback."""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_without_the_extra_it_says_what_to_install(tmp_path: Path) -> None:
    done = _serve(tmp_path, "staging", code="sys.modules['textual_serve'] = None  # as if not installed")
    assert done.returncode == 1
    assert INSTALL_HINT in _one_line(done)


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _serve(tmp_path, "staging", "--port", str(port))
    assert done.returncode == 1
    assert _one_line(done) == f"canary-tui: cannot listen on 127.0.0.1:{port}: the port is in use (choose another with --port)"


def test_an_unset_token_variable_is_a_usage_error(tmp_path: Path) -> None:
    done = _serve(tmp_path, "staging", "--token-env", "NO_SUCH_VARIABLE")
    assert done.returncode == 2
    assert "NO_SUCH_VARIABLE" in _one_line(done)


def test_an_unknown_target_is_refused_before_listening(tmp_path: Path) -> None:
    done = _serve(tmp_path, "nowhere")
    assert done.returncode == 2
    assert "nowhere" in done.stderr and "Traceback" not in done.stderr


def test_the_session_command_runs_the_served_dashboard_and_carries_no_secret() -> None:
    args = argparse.Namespace(config="cfg.toml", all_targets=False)
    command = _session_command(args, ["staging", "production"])
    assert command.startswith(sys.executable) and command.endswith("watch staging production --served")
    assert "token" not in command.lower()
