"""`canary-tui audit [TARGET] [--json] [--tail N]`: read the audit log (torn lines skipped, never fatal).

TARGET filters the records by their target: `ENV/REGION` one region, `ENV` the environment and all its regions.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from canary_tui.controller.audit import audit_files, audit_path, read_audit

if TYPE_CHECKING:
    from canary_tui.config import Config

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
OUTCOME_STYLE = {"ok": "green", "attempt": "dim", "sent": "dim", "conflict": "yellow", "refused": "yellow",
                 "failed": "red", "http-failed": "red", "retry": "red", "unconfirmed": "red", "abandoned": "bold red", "cancelled": "yellow"}


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `audit`."""
    p = subparsers.add_parser("audit", help="show the audit log of one target, an environment, or all",
                              description="Read the append-only audit log (one JSON Lines file per target).")
    p.add_argument("target", metavar="TARGET", nargs="?",
                   help="ENV (with all its regions), ENV/REGION, or a URL; every target when omitted")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--tail", type=_tail, default=None, metavar="N", help="only the last N records")
    p.set_defaults(run=run)
    return ["audit"]


def _tail(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _environment_name(config: Config, target: str) -> str:
    """The audit file's environment for TARGET: a URL goes through the config like every other command."""
    if "://" not in target:
        return target  # any name: a target removed from the config keeps its records
    from canary_tui.commands.common import resolve_target_or_exit

    return resolve_target_or_exit(config, target).name


def matches(record: dict[str, Any], name: str) -> bool:
    """The record is of target `name`, or of a region of environment `name` (records before targets: by environment)."""
    return record.get("target", record.get("environment")) == name or record.get("environment") == name


def run(args: argparse.Namespace) -> int:
    """Print records oldest first; exit 0 (also when there are none), 1 when the log cannot be read, 2 for a broken
    config or a name that is neither configured nor in the log."""
    from canary_tui.commands.common import load_config_or_exit

    config = load_config_or_exit(args)  # checked like every command's, though only a URL target reads it
    try:
        name = _environment_name(config, args.target) if args.target else None
        records: list[dict[str, Any]] = []
        skipped = 0
        # the target's own file first (it may not exist yet), then every other: an ENV's regions have files of their own
        paths = audit_files() if name is None else list(dict.fromkeys([audit_path(name), *audit_files()]))
        for path in paths:
            read = read_audit(path)
            records.extend(r for r in read.records if name is None or matches(r, name))
            skipped += read.skipped
    except OSError as exc:
        sys.stderr.write(f"canary-tui: audit: cannot read the audit log: {exc.strerror or exc}\n")
        return EXIT_FAILED
    records.sort(key=lambda r: str(r.get("time", "")))
    if args.tail is not None:
        records = records[-args.tail:] if args.tail else []
    for record in records:
        sys.stdout.write((json.dumps(record, ensure_ascii=False, sort_keys=True) if args.json else render(record)) + "\n")
    sys.stdout.flush()
    if skipped:
        sys.stderr.write(f"canary-tui: audit: skipped {skipped} torn or corrupt line(s)\n")
    if not records and name is not None and name not in config.targets and not config.targets_of(name):
        known = ", ".join(config.targets) or "none configured"
        sys.stderr.write(f"canary-tui: audit: no records for {args.target}, and it is no configured target (known: {known})\n")
        return EXIT_USAGE
    if not records and not args.json:
        where = f" for {args.target}" if args.target else ""
        sys.stderr.write(f"canary-tui: audit: no records{where}\n")
    return EXIT_OK


def render(record: dict[str, Any]) -> str:
    """One line: time target actor action from→to (trigger) outcome — note [server]."""
    from canary_tui.commands.common import paint

    frm, to = record.get("from"), record.get("to")
    change = f"{_pct(frm)}→{_pct(to)}" if frm is not None or to is not None else ""
    outcome = str(record.get("outcome", "?"))
    attempt = f" #{record['attempt']}" if record.get("attempt") else ""
    if record.get("http_attempt"):
        attempt += f".{record['http_attempt']}"
    parts = [
        _time_text(record.get("time")), str(record.get("target", record.get("environment", "?"))), str(record.get("actor", "?")),
        f"{record.get('action', '?')}{attempt}", change, f"({record.get('trigger', '?')})", paint(outcome, OUTCOME_STYLE.get(outcome, "")),
    ]
    line = " ".join(p for p in parts if p)
    if record.get("note"):
        line += f" — {record['note']}"
    if record.get("server"):
        line += f" [{record['server']}]"
    return line


def _time_text(value: Any) -> str:
    """A record's time to the millisecond, as a person reads it ('2026-12-07 18:41:02.123Z'); the JSON keeps it whole."""
    text = str(value if value is not None else "?")
    date, sep, clock = text.partition("T")
    if not sep or not clock.endswith("Z"):
        return text  # not our stamp: shown as it is
    whole, dot, fraction = clock[:-1].partition(".")
    return f"{date} {whole}{dot}{fraction[:3]}Z" if dot else f"{date} {whole}Z"


def _pct(value: Any) -> str:
    return "?" if value is None else f"{value}%"
