"""Command-line entry: argument parsing and wiring only; each command lives in canary_tui.commands."""

from __future__ import annotations

import argparse
import importlib
import sys

from canary_tui import __version__

#: subcommand name -> module in canary_tui.commands exposing add_parser(subparsers) and run(args) -> int
COMMANDS: dict[str, str] = {
    "demo": "demo",
    "watch": "watch",
    "simulator": "simulator",
    "status": "status",
    "ramp": "ramp",
    "run": "run",
    "rollback": "actions",
    "pause": "actions",
    "resume": "actions",
    "checkpoint": "actions",
    "audit": "audit",
    "releases": "releases",
    "report": "report",
    "probe": "probe",
    "locate": "locate",
    "notify": "notify",
}

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line message and never a traceback."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"canary-tui: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser: global options plus a subparser per command, or only `command`'s module when it names one.

    Each command module loads what it needs at import; loading only the one asked for keeps the others'
    imports out of every launch (benchmarks/startup.py). Help and errors without a command list them all.
    """
    parser = _Parser(prog="canary-tui", description="Terminal dashboard for progressive canary deployments.")
    parser.add_argument("--version", action="version", version=f"canary-tui {__version__}")
    parser.add_argument("--config", metavar="PATH", help="config file (default: $CANARY_TUI_CONFIG or the user config dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    module_names = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for module_name in module_names:
        importlib.import_module(f"canary_tui.commands.{module_name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse, dispatch, and turn any unexpected failure into one line and exit code 1."""
    parser = build_parser(_command_in(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        sys.stderr.write("canary-tui: interrupted\n")
        return 130
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line for the operator, the traceback to a file
        return _report_crash(exc, args)


def _command_in(argv: list[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not a global option or its value)."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _report_crash(exc: Exception, args: argparse.Namespace) -> int:
    """Print one line naming the failure and where its traceback went; exit 2 for config errors, else 1."""
    from canary_tui.config import ConfigError

    if isinstance(exc, ConfigError):
        from canary_tui.commands.common import report_config_error

        report_config_error(exc)
        return EXIT_USAGE
    where = _write_crash_log(exc)
    summary = " ".join(str(exc).splitlines())[:200] or type(exc).__name__
    sys.stderr.write(f"canary-tui: {getattr(args, 'command', '')} failed: {type(exc).__name__}: {summary}\n")
    if where:
        sys.stderr.write(f"canary-tui: details in {where}\n")
    return 1


def _write_crash_log(exc: Exception) -> str | None:
    """Append the traceback to crash.log in the log dir; None when even that fails."""
    import time
    import traceback

    try:
        from canary_tui.paths import log_dir

        directory = log_dir()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "crash.log"
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")
            handle.write("".join(traceback.format_exception(exc)))
        return str(path)
    except Exception:  # noqa: BLE001 - reporting a crash must not crash: the caller says the log could not be written
        return None
