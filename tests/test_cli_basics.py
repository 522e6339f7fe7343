"""The CLI's basic contract (--version, usage errors exit 2 without a traceback, `locate`) and the shared command helpers."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from canary_tui import __version__
from canary_tui.commands import common
from canary_tui.config import Config, CredentialSource, EnvironmentConfig

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
    assert list(lines) == ["config", "themes", "bundled_themes", "state", "store", "logs"]
    assert lines["store"] == str(tmp_path / "state" / "history.sqlite3")
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
    flag_file.write_text('theme = "y"\n')
    done = run([sys.executable, "-m", "canary_tui", "--config", str(flag_file), "locate", "--json"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["config"] == str(flag_file)
    missing = tmp_path / "missing.toml"  # named and missing: an error, as for every command (a missing default is fine)
    done = run([sys.executable, "-m", "canary_tui", "--config", str(missing), "locate"], env)
    assert done.returncode == 2 and f"not found: {missing}" in done.stderr
    done = run([sys.executable, "-m", "canary_tui", "locate"], isolated_env(tmp_path, CANARY_TUI_CONFIG=str(missing)))
    assert done.returncode == 2 and f"not found: {missing}" in done.stderr


def test_locate_validates_an_existing_config(tmp_path: Path) -> None:
    bad = tmp_path / "cfg" / "config.toml"
    bad.parent.mkdir()
    bad.write_text("theme = [\n")
    done = run([sys.executable, "-m", "canary_tui", "locate"], isolated_env(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith(f"canary-tui: config error in {bad}:\n  (syntax):")
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- commands/common helpers



class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_use_colour_needs_a_tty_and_no_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert common.use_colour(_Tty())
    assert not common.use_colour(io.StringIO())
    assert common.paint("ok", "bold green", _Tty()) == "\x1b[1;32mok\x1b[0m"
    assert common.paint("ok", "bold green", io.StringIO()) == "ok"
    monkeypatch.setenv("NO_COLOR", "1")
    assert not common.use_colour(_Tty())
    assert common.paint("ok", "red", _Tty()) == "ok"
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: an empty value does not disable colour
    assert common.use_colour(_Tty())


def test_fail_prints_one_line_and_exits(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        common.fail("first\nsecond", code=3)
    assert info.value.code == 3
    assert capsys.readouterr().err == "canary-tui: first second\n"


def test_print_json_is_stable(capsys: pytest.CaptureFixture[str]) -> None:
    common.print_json({"b": Path("/x"), "a": 1})
    assert capsys.readouterr().out == '{\n  "a": 1,\n  "b": "/x"\n}\n'


def test_load_config_or_exit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.toml"
    good.write_text("poll_interval_s = 2\n")
    assert common.load_config_or_exit(argparse.Namespace(config=str(good))).poll_interval_s == 2.0
    bad = tmp_path / "bad.toml"
    bad.write_text("poll_interval_s = 0\ntheme = 1\n")
    with pytest.raises(SystemExit) as info:
        common.load_config_or_exit(argparse.Namespace(config=str(bad)))
    assert info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"canary-tui: config error in {bad}:"
    assert [line.split(":")[0] for line in err[1:]] == ["  poll_interval_s", "  theme"]


def test_resolve_target_or_exit(capsys: pytest.CaptureFixture[str]) -> None:
    config = Config(environments={"staging": EnvironmentConfig("staging", "https://s.example.com")})
    assert common.resolve_target_or_exit(config, "staging").url == "https://s.example.com"
    with pytest.raises(SystemExit) as info:
        common.resolve_target_or_exit(config, "prod")
    assert info.value.code == 2
    assert "Known environments: staging" in capsys.readouterr().err


def test_client_for_wires_credentials_timeouts_and_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    import canary_tui.mission.client as client_module

    seen: dict = {}

    class Recorder:
        def __init__(self, base_url: str, **kwargs: object) -> None:
            seen.update(kwargs, base_url=base_url)

    monkeypatch.setattr(client_module, "MissionClient", Recorder)
    monkeypatch.setenv("MY_TOKEN", "tok")
    monkeypatch.delenv("HEARTBEAT_SECRET", raising=False)
    env = EnvironmentConfig(
        "s", "https://s.example.com", token=CredentialSource("env", "MY_TOKEN"),
        connect_timeout_s=1.0, read_timeout_s=2.0, total_timeout_s=4.0, verify_tls=False,
    )
    clock = object()
    common.client_for(env, clock=clock)  # type: ignore[arg-type]
    assert seen["base_url"] == "https://s.example.com"
    assert seen["token"].reveal() == "tok" and seen["secret"] is None
    assert seen["timeouts"] == client_module.Timeouts(1.0, 2.0, 4.0)
    assert seen["clock"] is clock and seen["verify"] is False


def test_client_for_exits_2_on_a_broken_credential_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = EnvironmentConfig("s", "https://s.example.com", token=CredentialSource("file", str(tmp_path / "missing")))
    with pytest.raises(SystemExit) as info:
        common.client_for(env)
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith(f"canary-tui: file {tmp_path / 'missing'}: cannot read")


@pytest.mark.parametrize(("argv", "command"), [
    (["watch", "prod"], "watch"),
    (["--config", "watch", "status", "prod"], "status"),
    (["--config=c.toml", "rollback", "prod"], "rollback"),
    (["--version"], None),
    ([], None),
])
def test_command_in_skips_global_options(argv: list[str], command: str | None) -> None:
    from canary_tui.cli import _command_in

    assert _command_in(argv) == command


def test_help_lists_every_command_and_each_command_parses_alone() -> None:
    from canary_tui.cli import COMMANDS, build_parser

    full_help = build_parser().format_help()
    for name in COMMANDS:
        assert name in full_help
        sub = build_parser(name)._subparsers._group_actions[0]  # type: ignore[union-attr]
        assert name in sub.choices, f"build_parser({name!r}) does not register {name}"


def test_watch_loads_no_other_command(tmp_path: Path) -> None:
    """Parsing `watch` imports neither the simulator nor the probe (they cost every dashboard launch)."""
    code = (
        "import sys\n"
        "from canary_tui.cli import build_parser, _command_in\n"
        "argv = ['watch', 'https://mc.example.com']\n"
        "args = build_parser(_command_in(argv)).parse_args(argv)\n"
        "print(*args.targets, sorted(m for m in ('canary_tui.simulator', 'canary_tui.mission.probe', "
        "'canary_tui.commands.ramp') if m in sys.modules))\n"
    )
    done = run([sys.executable, "-c", code], isolated_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "https://mc.example.com []"
