"""Secrets: every command runs with a known token and signing secret; they appear in no output and no file.

Searched: stdout, stderr, the audit log, crash.log and every other file under the
state and log dirs — on success, on a 401, and with a crash forced inside each
command (a sitecustomize makes a core function raise, the way a bug would).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reliability_support import SECRET, TOKEN, CliHome, need_command

#: (command, argv) in an order that makes sense on one simulator (ramp from 0, act, read the log)
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("status", ("status", "sim", "--interval-s", "0.1")),
    ("ramp", ("ramp", "sim", "10", "--yes", "--probe", "20")),
    ("pause", ("pause", "sim", "--note", "hold")),
    ("resume", ("resume", "sim")),
    ("checkpoint", ("checkpoint", "sim", "--note", "pre-v0.5.0")),
    ("probe", ("probe", "sim", "-n", "20", "--rate", "200")),
    ("rollback", ("rollback", "sim", "--timeout", "10")),
    ("audit", ("audit", "sim")),
    ("audit", ("audit", "--json")),
)

#: makes one function raise inside the CLI process, as a bug would (the secrets are loaded by then)
SITECUSTOMIZE = '''
import importlib, os
target = os.environ.get("CANARY_FORCE_CRASH")
if target:
    import builtins
    module_name, attr = target.split(":")
    real_import = builtins.__import__
    def patch(module):
        owner_name, _, func = attr.rpartition(".")
        owner = module
        for part in filter(None, owner_name.split(".")):
            owner = getattr(owner, part)
        def boom(*args, **kwargs):
            raise RuntimeError("forced crash for the secrets test")
        setattr(owner, func, boom)
    def hooked(name, *args, **kwargs):
        module = real_import(name, *args, **kwargs)
        if name == module_name or name.startswith(module_name):
            import sys
            loaded = sys.modules.get(module_name)
            if loaded is not None and not getattr(loaded, "_forced", False):
                loaded._forced = True
                patch(loaded)
        return module
    builtins.__import__ = hooked
'''

#: one crash point per command family -> the commands that reach it
CRASH_POINTS: dict[str, tuple[str, ...]] = {
    "canary_tui.mission.client:MissionClient.heartbeat": ("status", "ramp", "pause", "rollback", "checkpoint"),
    "canary_tui.mission.probe:run_probe": ("probe",),
    "canary_tui.controller.audit:read_audit": ("audit",),
    "canary_tui.controller.actions:ActionRunner.mutate": ("pause", "resume", "ramp"),
    "canary_tui.config_targets:resolve_target": ("status", "rollback", "probe"),
}


def _sim(simulator_factory):
    return simulator_factory(scenario="healthy", faults=True, token=TOKEN, secret=SECRET, seed=9, speed=30)


def _available(name: str) -> bool:
    from reliability_support import registered_commands

    return name in registered_commands()


def _run_all(cli_home: CliHome, only: tuple[str, ...] | None = None) -> list[tuple[str, int, str, str]]:
    """Run every registered command (or `only` these); each output is checked for tracebacks and secrets by CliHome.run."""
    done = []
    for name, argv in COMMANDS:
        if not _available(name) or (only is not None and name not in only):
            continue
        if only is not None and name == "rollback":
            argv = ("rollback", "sim", "--timeout", "1")
        result = cli_home.run(*argv, timeout_s=60)
        done.append((name, result.returncode, result.stdout, result.stderr))
    return done


def test_every_command_leaks_nothing_on_success(simulator_factory, cli_home: CliHome):
    need_command("rollback")
    sim = _sim(simulator_factory)
    cli_home.url = sim.url
    done = _run_all(cli_home)
    codes = {name: code for name, code, _, _ in done}
    assert codes["ramp"] == 0 and codes["rollback"] == 0 and codes["checkpoint"] == 0, done
    assert sim.state.canary_percent == 0 and sim.state.checkpoints
    assert cli_home.audit_file.is_file() and cli_home.audit_file.stat().st_size > 0
    assert cli_home.leaked_files() == []
    assert {name for name, *_ in done} >= {"status", "rollback", "pause", "resume", "checkpoint"}


def test_every_command_leaks_nothing_when_the_token_is_refused(simulator_factory, cli_home: CliHome):
    need_command("rollback")
    sim = simulator_factory(scenario="healthy", faults=True, token="the-server-wants-another", secret=SECRET, seed=9)
    cli_home.url = sim.url
    done = _run_all(cli_home, ("ramp", "pause", "rollback", "checkpoint"))
    codes = {name: code for name, code, _, _ in done}
    assert codes == {"ramp": 1, "pause": 1, "rollback": 1, "checkpoint": 1}, done
    assert any("unauthorized" in err for _, _, _, err in done)
    assert cli_home.leaked_files() == []


@pytest.mark.parametrize("crash_point", list(CRASH_POINTS))
def test_forced_crashes_leak_nothing(simulator_factory, cli_home: CliHome, tmp_path: Path, crash_point):
    need_command("rollback")
    sim = _sim(simulator_factory)
    cli_home.url = sim.url
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    cli_home.env_overrides = {"CANARY_FORCE_CRASH": crash_point, "PYTHONPATH": f"{site}{os.pathsep}{Path(__file__).resolve().parents[2]}"}
    done = _run_all(cli_home, CRASH_POINTS[crash_point])
    # the crash really happened in every command that reaches it (a short report, never a traceback), and nothing leaked
    assert {name for name, code, _, _ in done if code != 0} == set(CRASH_POINTS[crash_point]), done
    assert all(err.count("\n") <= 3 for _, _, _, err in done), done
    crash_log = cli_home.log_dir / "crash.log"
    if crash_log.exists():
        assert "forced crash" in crash_log.read_text(encoding="utf-8")
    assert cli_home.leaked_files() == []


def test_crash_log_is_written_and_clean(simulator_factory, cli_home: CliHome, tmp_path: Path):
    """At least one forced crash goes to crash.log with its traceback: that file is searched too."""
    need_command("audit")
    sim = _sim(simulator_factory)
    cli_home.url = sim.url
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    cli_home.env_overrides = {"CANARY_FORCE_CRASH": "canary_tui.controller.audit:read_audit",
                              "PYTHONPATH": f"{site}{os.pathsep}{Path(__file__).resolve().parents[2]}"}
    result = cli_home.run("audit", "sim")
    assert result.returncode == 1 and "crash.log" in result.stderr, result.stderr
    text = (cli_home.log_dir / "crash.log").read_text(encoding="utf-8")
    assert "Traceback" in text and "forced crash" in text
    assert TOKEN not in text and SECRET not in text


def test_token_file_readable_by_others_gets_a_warning(simulator_factory, cli_home: CliHome, tmp_path: Path):
    sim = _sim(simulator_factory)
    token_file = tmp_path / "ops-token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    token_file.chmod(0o644)
    cli_home.url = sim.url
    cli_home.extra_env_toml = f'token = {{ file = "{token_file}" }}\n'
    cli_home.env_overrides = {"OPS_TOKEN": "not-this-one"}
    result = cli_home.run("status", "sim", "--interval-s", "0.1")
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and str(token_file) in warnings[0] and "chmod 600" in warnings[0], result.stderr
    # the warning does not stop the command: it checked the server (UNKNOWN is an honest answer for a 0.1 s window at 0%)
    assert result.returncode in (0, 3) and "signature verified" in result.stdout and "Traceback" not in result.stderr, result.stdout + result.stderr
    token_file.chmod(0o600)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    quiet = cli_home.run("status", "sim", "--interval-s", "0.1")
    assert "warning" not in quiet.stderr
