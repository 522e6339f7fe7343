"""`canary-tui report TARGET [--release VERSION] [--format markdown|json] [--out FILE]`: one release's report.

The report is built by controller/reports.py (audit log + history store) and core/report.py; this only parses and writes.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from canary_tui.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `report`."""
    p = subparsers.add_parser("report", help="a release's timeline, before/after table, success rate and incident report",
                              description="Report on one release of a target (the latest unless --release): its timeline, stable before "
                                          "the ramp against the canary at each stage, the deployment success rate, and after a rollback "
                                          "an incident report ready for `gh issue create --body-file`.")
    p.add_argument("target", metavar="TARGET", help="ENV/REGION, ENV or a URL")
    p.add_argument("--release", metavar="VERSION", default=None, help="the canary version (default: the latest release)")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown", help="markdown (default) or json (docs/report-schema.json)")
    p.add_argument("--out", metavar="FILE", default=None, help="write the report to FILE instead of standard output")
    p.add_argument("--last", type=_positive, default=None, metavar="N", help="releases the success rate covers (default 10)")
    p.set_defaults(run=run)
    return ["report"]


def run(args: argparse.Namespace) -> int:
    """Write the report; exit 0, 1 when there is no such release or it cannot be written, 2 on a config error."""
    from canary_tui import paths
    from canary_tui.commands.common import load_config_or_exit
    from canary_tui.commands.releases import target_name
    from canary_tui.controller.reports import SUCCESS_LAST, NoRelease, ReportRequest, make_report
    from canary_tui.core.report_markdown import render_markdown
    from canary_tui.core.thresholds import ThresholdTable

    config = load_config_or_exit(args)
    try:
        table = ThresholdTable.seed().with_overrides(config.threshold_overrides)
    except ValueError as exc:
        sys.stderr.write(f"canary-tui: report: {exc}\n")
        return EXIT_USAGE
    request = ReportRequest(target_name(args), args.release, paths.store_file(config.store_path), table, args.last or SUCCESS_LAST)
    try:
        report = make_report(request)
    except NoRelease as exc:
        sys.stderr.write(f"canary-tui: report: {exc}\n")
        return EXIT_FAILED
    except OSError as exc:
        sys.stderr.write(f"canary-tui: report: cannot read the audit log: {exc.strerror or exc}\n")
        return EXIT_FAILED
    text = json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n" if args.format == "json" else render_markdown(report)
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            sys.stderr.write(f"canary-tui: report: cannot write {args.out}: {exc.strerror or exc}\n")
            return EXIT_FAILED
        incident = report.get("incident")
        if isinstance(incident, dict) and args.format == "markdown":
            sys.stderr.write(f"file it: gh issue create --title {shlex.quote(str(incident['title']))} --body-file {shlex.quote(args.out)}\n")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return EXIT_OK
