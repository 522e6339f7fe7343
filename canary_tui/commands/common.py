"""Helpers every command shares: config loading with exit code 2, client construction, and plain terminal output."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from canary_tui.config import Config, ConfigError, EnvironmentConfig, credential_warnings, load_config, resolve_secret, resolve_target, resolve_targets
from canary_tui.mission.credentials import Secret

if TYPE_CHECKING:
    from canary_tui.core.clock import Clock
    from canary_tui.mission.client import MissionClient

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_ANSI = {
    "bold": "1", "dim": "2", "underline": "4", "reverse": "7",
    "red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35", "cyan": "36",
}


def int_in(low: int, high: int, what: str = "an integer") -> Callable[[str], int]:
    """An argparse type: an integer in low..high; the error names `what` and the range."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what} {low}..{high}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {what} {low}..{high}, got {value}")
        return value

    return parse


#: a TCP port (0: the system picks a free one)
port_number = int_in(0, 65535, "a port")


def one_line(text: object) -> str:
    """Collapse newlines so a message stays a single line (its length is bounded where it is made: a server's text is
    excerpted by the client, a command's output is kept apart from its error)."""
    return " ".join(str(text).splitlines()) or "failed"


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print one 'canary-tui: ...' line to stderr and exit with `code` (never a traceback)."""
    sys.stderr.write(f"canary-tui: {one_line(message)}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def report_config_error(error: ConfigError, stream: TextIO | None = None) -> None:
    """Print a ConfigError: a heading naming the file, then one indented line per problem."""
    out = stream or sys.stderr
    where = f" in {error.path}" if error.path is not None else ""
    out.write(f"canary-tui: config error{where}:\n")
    for line in error.errors:
        out.write(f"  {one_line(line)}\n")
    out.flush()


def config_path_arg(args: argparse.Namespace) -> Path | None:
    """The global --config PATH, when given."""
    value = getattr(args, "config", None)
    return Path(value) if value else None


def load_config_or_exit(args: argparse.Namespace) -> Config:
    """Load the config named by --config / $CANARY_TUI_CONFIG / the default path; on any error print all of them and exit 2."""
    try:
        return load_config(config_path_arg(args))
    except ConfigError as exc:
        report_config_error(exc)
        raise SystemExit(EXIT_USAGE) from None


def resolve_target_or_exit(config: Config, target: str) -> EnvironmentConfig:
    """The environment for a name or URL; an unknown one prints the known names and exits 2."""
    try:
        return resolve_target(config, target)
    except ConfigError as exc:
        for line in exc.errors:
            sys.stderr.write(f"canary-tui: {one_line(line)}\n")
        raise SystemExit(EXIT_USAGE) from None


def resolve_targets_or_exit(config: Config, names: list[str], *, all_targets: bool = False) -> list[EnvironmentConfig]:
    """The targets a command line names (ENV: all its regions; --all: every one); unknown names print and exit 2."""
    try:
        return resolve_targets(config, names, all_targets=all_targets)
    except ConfigError as exc:
        for line in exc.errors:
            sys.stderr.write(f"canary-tui: {one_line(line)}\n")
        raise SystemExit(EXIT_USAGE) from None


def secrets_for(env: EnvironmentConfig) -> tuple[Secret | None, Secret | None]:
    """(token, secret) as Secrets or None; warnings go to stderr, a broken source exits 2."""
    resolved: list[Secret | None] = []
    for source in (env.token, env.secret):
        for warning in credential_warnings(source):
            sys.stderr.write(f"canary-tui: warning: {one_line(warning)}\n")
        try:
            resolved.append(resolve_secret(source))
        except ConfigError as exc:
            fail("; ".join(exc.errors), EXIT_USAGE)
    return resolved[0], resolved[1]


def client_for(env: EnvironmentConfig, clock: Clock | None = None) -> MissionClient:
    """The client of `env` with its credentials, timeouts and TLS settings and its metrics source (not yet entered)."""
    from canary_tui.controller.factory import mission_client
    from canary_tui.core.clock import SystemClock

    token, secret = secrets_for(env)
    try:
        return mission_client(env, clock or SystemClock(), token, secret)
    except ConfigError as exc:
        fail("; ".join(exc.errors), EXIT_USAGE)


def use_colour(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal and only when NO_COLOR is unset or empty (no-color.org)."""
    target = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(target, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # closed stream
        return False


def paint(text: str, style: str, stream: TextIO | None = None) -> str:
    """`text` wrapped in ANSI codes for a style like 'bold red' when `stream` wants colour, else unchanged."""
    codes = [_ANSI[word] for word in style.split() if word in _ANSI]
    if not codes or not use_colour(stream):
        return text
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


def print_json(obj: Any, stream: TextIO | None = None) -> None:
    """Machine-readable output: indented, key-sorted JSON; paths and datetimes become strings."""
    out = stream or sys.stdout
    out.write(json.dumps(obj, indent=2, sort_keys=True, default=str, ensure_ascii=False) + "\n")
    out.flush()
