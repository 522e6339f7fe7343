"""`canary-tui releases [TARGET] [--json]`: the releases in the audit log, newest first (controller/reports.py builds them)."""

from __future__ import annotations

import argparse
import sys

from canary_tui.commands.common import EXIT_FAILED, EXIT_OK, paint, print_json

OUTCOME_STYLE = {"completed": "green", "rolled back": "bold red", "in progress": "yellow"}


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `releases`."""
    p = subparsers.add_parser("releases", help="list the releases of a target (or of all) from the audit log",
                              description="A release is one canary version's life on a target: stages, holds, checkpoints, outcome.")
    p.add_argument("target", metavar="TARGET", nargs="?", help="ENV/REGION, ENV (with all its regions) or a URL; every target when omitted")
    p.add_argument("--json", action="store_true", help="a JSON list, newest first")
    p.set_defaults(run=run)
    return ["releases"]


def target_name(args: argparse.Namespace) -> str:
    """The audit file's target for TARGET: a URL goes through the config like every other command."""
    target = str(args.target)
    if "://" not in target:
        return target
    from canary_tui.commands.common import load_config_or_exit, resolve_target_or_exit

    return resolve_target_or_exit(load_config_or_exit(args), target).name


def run(args: argparse.Namespace) -> int:
    """Print the releases; exit 0 (also when there are none), 1 when the audit log cannot be read."""
    from canary_tui.controller.reports import all_releases, release_rows

    try:
        releases = all_releases(name=target_name(args)) if args.target else all_releases()
    except OSError as exc:
        sys.stderr.write(f"canary-tui: releases: cannot read the audit log: {exc.strerror or exc}\n")
        return EXIT_FAILED
    rows = release_rows(releases)
    if args.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        sys.stderr.write(f"canary-tui: releases: no releases{f' for {args.target}' if args.target else ''} in the audit log\n")
        return EXIT_OK
    for row in rows:
        stages = "→".join(f"{p}%" for p in row["stages"]) or "-"  # type: ignore[attr-defined]
        outcome = str(row["outcome"])
        extra = f" ({row['rollback_trigger']})" if row["rollback_trigger"] else ""
        ckpt = f" checkpoint {row['checkpoint_id']}" if row["checkpoint_id"] else ""
        sys.stdout.write(f"{row['started']} {row['target']} {row['canary_version']} {stages} "
                         f"{paint(outcome, OUTCOME_STYLE.get(outcome, ''))}{extra}{ckpt}\n")
    sys.stdout.flush()
    return EXIT_OK
