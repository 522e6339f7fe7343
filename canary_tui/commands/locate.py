"""`canary-tui locate`: where the config, themes, state, history store and logs live, and whether the config file is valid."""

from __future__ import annotations

import argparse
import os

from canary_tui import paths
from canary_tui.commands.common import EXIT_OK, config_path_arg, load_config_or_exit, print_json


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `locate`."""
    parser = subparsers.add_parser(
        "locate",
        help="print the config file, themes, state, history store and log locations",
        description="Print where canary-tui reads its config and themes and writes its state, history store and logs. "
        "An existing config file is validated too: errors are listed and the exit code is 2.",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of 'name: path' lines")
    parser.set_defaults(run=run)
    return ["locate"]


def run(args: argparse.Namespace) -> int:
    """Validate the config when it exists, or was named with --config (a missing default file is fine here: this is how
    you find where to create it; a file named and missing is an error, as for every command)."""
    locations = paths.all_locations(config_path_arg(args))
    named = config_path_arg(args) is not None or bool(os.environ.get(paths.CONFIG_ENV))
    if locations["config"].exists() or named:
        config = load_config_or_exit(args)
        locations = paths.all_locations(config_path_arg(args), store=config.store_path)
    if getattr(args, "json", False):
        print_json({name: str(path) for name, path in locations.items()})
    else:
        for name, path in locations.items():
            print(f"{name}: {path}")
    return EXIT_OK
