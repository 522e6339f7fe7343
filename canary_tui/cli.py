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
    "rollback": "actions",
    "pause": "actions",
    "resume": "actions",
    "checkpoint": "actions",
    "audit": "audit",
    "probe": "probe",
    "locate": "locate",
}

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line message and never a traceback."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"canary-tui: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global options plus one subparser per available command."""
    parser = _Parser(prog="canary-tui", description="Terminal dashboard for progressive canary deployments.")
    parser.add_argument("--version", action="version", version=f"canary-tui {__version__}")
    parser.add_argument("--config", metavar="PATH", help="config file (default: $CANARY_TUI_CONFIG or the user config dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    registered: set[str] = set()
    for module_name in dict.fromkeys(COMMANDS.values()):
        try:
            module = importlib.import_module(f"canary_tui.commands.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"canary_tui.commands.{module_name}":
                continue  # command not built yet
            raise
        for name in module.add_parser(sub):
            registered.add(name)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse, dispatch, and turn any unexpected failure into one line and exit code 1."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        sys.stderr.write("canary-tui: interrupted\n")
        return 130
