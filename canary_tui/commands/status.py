"""`canary-tui status TARGET... | --all [--json]`: a health check with monitoring-plugin exit codes, read from the controller.

Several targets (or an environment with regions, or `--all`) are checked at once, each through its own
controller: one line each, `--json` a list of the single-target objects, the exit code of the worst level.

It follows the target through the same controller as the dashboard for `--window`
seconds (polling at the configured interval), then reports what the controller
holds: each figure with its level on evidence over that window (core/levels:
Wilson intervals on error and slow counts, the canary on its own figures when
the heartbeat splits traffic), and the controller's decision. A figure whose
interval cannot tell is "low data" (UNKNOWN) and is never guessed from a point.

Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. The level is the controller's
health rule (controller/health.py): the worst level known on evidence; the decision
`rollback`, a heartbeat `down` or a failed signature is CRITICAL, `degraded` at least
WARNING. UNKNOWN when no figure can be judged (low data, no traffic), when the last
poll failed (unreachable, invalid data), and for config or usage errors (including
argparse errors after `status`; an error in the global options before `status` is
still the CLI's usage exit 2).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from canary_tui.controller.figures import Figure
from canary_tui.controller.health import health
from canary_tui.controller.model import ConnectionState, Snapshot
from canary_tui.core.judgment import decision_to_json
from canary_tui.core.samples import Heartbeat
from canary_tui.core.thresholds import Level, Metric, ThresholdTable
from canary_tui.core.verdicts import Decision

if TYPE_CHECKING:
    from canary_tui.config import Config, EnvironmentConfig

EXIT_BY_LEVEL = {Level.HEALTHY: 0, Level.WARNING: 1, Level.CRITICAL: 2, Level.UNKNOWN: 3}
JSON_LEVEL = {Level.HEALTHY: "ok", Level.WARNING: "warning", Level.CRITICAL: "critical", Level.UNKNOWN: "unknown"}
LABEL = {Level.HEALTHY: "OK", Level.WARNING: "WARNING", Level.CRITICAL: "CRITICAL", Level.UNKNOWN: "UNKNOWN"}
EXIT_UNKNOWN = 3
STYLE = {Level.HEALTHY: "green", Level.WARNING: "yellow", Level.CRITICAL: "bold red", Level.UNKNOWN: "magenta"}
DEFAULT_WINDOW_S = 10.0
WINDOW_RANGE_S = (0.2, 600.0)
LEGACY_INTERVAL_RANGE_S = (0.1, 10.0)
MIN_RATE_INTERVAL_S = 0.5  # the controller's own default


class StatusUnknown(Exception):
    """The check cannot judge: carries the one-line reason."""


@dataclass
class StatusReport:
    """Everything the check found, ready for text or JSON output."""

    target: str
    level: Level
    figures: list[Figure] = field(default_factory=list)
    snapshot: Snapshot | None = None
    extra_levels: dict[str, Level] = field(default_factory=dict)
    error: str | None = None
    perfdata: str = ""
    decision: Decision | None = None  # the controller's decision (snapshot.decision)
    window_s: float | None = None
    polls: int = 0
    last_poll_failed: bool = False  # the window's last heartbeat did not arrive (or was unusable)

    @property
    def exit_code(self) -> int:
        """Monitoring-plugin exit code of the level."""
        return EXIT_BY_LEVEL[self.level]

    @property
    def heartbeat(self) -> Heartbeat | None:
        """The last trusted heartbeat the controller holds."""
        return self.snapshot.heartbeat if self.snapshot is not None else None


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `status`; its usage errors exit 3 (UNKNOWN), as a monitoring check must."""
    parser = subparsers.add_parser(
        "status", help="health check over a window (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)",
        description="Follow the target through the controller for a window, then report each figure's level on "
                    "evidence and the controller's decision.",
        epilog="exit codes: 0 OK, 1 WARNING, 2 CRITICAL (also: decision rollback, heartbeat down, signature failed), "
               "3 UNKNOWN (low data on every figure, last poll failed, config or usage error)",
    )
    parser.add_argument("targets", metavar="TARGET", nargs="*",
                        help="environment name (ENV means all its regions), ENV/REGION, or a URL; several are checked at once")
    parser.add_argument("--all", dest="all_targets", action="store_true", help="check every configured target")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--window", type=float, default=None, metavar="SECONDS",
                        help=f"seconds to sample through the controller ({WINDOW_RANGE_S[0]:g}..{WINDOW_RANGE_S[1]:g}, "
                             f"default {DEFAULT_WINDOW_S:g}); fewer requests than a level needs is UNKNOWN, not a guess")
    parser.add_argument("--interval-s", type=float, default=None, metavar="S", help=argparse.SUPPRESS)  # old: two polls S apart
    parser.set_defaults(run=run)
    _usage_errors_exit_unknown(parser)
    return ["status"]


def _usage_errors_exit_unknown(parser: argparse.ArgumentParser) -> None:
    """Make this subparser report usage errors (bad or unknown arguments) with exit 3."""
    parse_known = parser.parse_known_args

    def error(message: str) -> NoReturn:
        parser.print_usage(sys.stderr)
        sys.stdout.write(f"CANARY UNKNOWN - usage: {message}\n")
        raise SystemExit(EXIT_UNKNOWN)

    def strict_parse_known_args(args: Any = None, namespace: Any = None) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = parse_known(args, namespace)
        if extras:
            error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, []

    parser.error = error  # type: ignore[method-assign]
    parser.parse_known_args = strict_parse_known_args  # type: ignore[method-assign, assignment]


def run(args: argparse.Namespace) -> int:
    """Run the check, print it, and return its exit code; never a traceback."""
    names = list(getattr(args, "targets", []) or [])
    try:
        reports, several = _check(args, names)
    except StatusUnknown as exc:
        reports, several = [StatusReport(target=" ".join(names) or "?", level=Level.UNKNOWN, error=str(exc))], False
    except Exception as exc:  # noqa: BLE001 - a monitoring check reports, it never crashes
        reports, several = [StatusReport(target=" ".join(names) or "?", level=Level.UNKNOWN, error=f"internal error ({type(exc).__name__})")], False
    if args.json:
        doc: Any = [to_json(r) for r in reports] if several else to_json(reports[0])
        sys.stdout.write(json.dumps(doc, sort_keys=True, ensure_ascii=False) + "\n")
    elif several:
        sys.stdout.write("".join(summary_line(r) + "\n" for r in reports))
    else:
        sys.stdout.write(render_text(reports[0]))
    sys.stdout.flush()
    return EXIT_BY_LEVEL[max((r.level for r in reports), key=lambda lv: lv.severity)]


@contextmanager
def _unknown_on_exit(what: str) -> Iterator[None]:
    """Turn a helper's SystemExit (config/credential errors, already printed) into UNKNOWN."""
    try:
        yield
    except SystemExit:
        raise StatusUnknown(f"{what} error (details on stderr)") from None


def _window_and_poll(args: argparse.Namespace, poll_interval_s: float) -> tuple[float, float]:
    """(window, seconds between polls): --window polls at the configured interval; the old --interval-s S polls twice, S apart."""
    if args.interval_s is not None and args.window is None:
        low, high = LEGACY_INTERVAL_RANGE_S
        if not low <= args.interval_s <= high:
            raise StatusUnknown(f"usage: --interval-s must lie within {low:g}..{high:g}")
        return args.interval_s, args.interval_s
    window_s = DEFAULT_WINDOW_S if args.window is None else args.window
    low, high = WINDOW_RANGE_S
    if not low <= window_s <= high:
        raise StatusUnknown(f"usage: --window must lie within {low:g}..{high:g} seconds")
    return window_s, min(poll_interval_s, window_s / 2)


def _resolve(args: argparse.Namespace, names: list[str]) -> tuple[Config, list[EnvironmentConfig], bool]:
    """(config, targets, several): one report, or a list when several targets, an ENV with regions or --all are named."""
    from canary_tui.commands.common import load_config_or_exit, resolve_targets_or_exit

    if not names and not args.all_targets:
        raise StatusUnknown("usage: name a TARGET or --all")
    with _unknown_on_exit("config"):
        config = load_config_or_exit(args)
        targets = resolve_targets_or_exit(config, names, all_targets=args.all_targets)
    regional = any(env.regions for name in names if (env := config.environments.get(name)) is not None)
    return config, targets, bool(args.all_targets or len(names) > 1 or regional)


def _check(args: argparse.Namespace, names: list[str]) -> tuple[list[StatusReport], bool]:
    """Resolve the targets, follow each through a read-only controller for the window (all at once), report what each holds."""
    config, targets, several = _resolve(args, names)
    window_s, poll_s = _window_and_poll(args, config.poll_interval_s)
    try:
        ThresholdTable.seed().with_overrides(config.threshold_overrides)
    except ValueError as exc:
        raise StatusUnknown(f"config: {exc}") from None
    return asyncio.run(_check_each(config, targets, window_s, poll_s)), several


async def _check_each(config: Config, targets: list[EnvironmentConfig], window_s: float, poll_s: float) -> list[StatusReport]:
    return list(await asyncio.gather(*(_check_one(config, env, window_s, poll_s) for env in targets)))


async def _check_one(config: Config, env: EnvironmentConfig, window_s: float, poll_s: float) -> StatusReport:
    """One target's report (sampled alongside the others; a broken credential is this target's UNKNOWN only)."""
    from canary_tui.commands.common import client_for
    from canary_tui.controller.factory import build_controller

    try:
        with _unknown_on_exit("credentials"):
            client = client_for(env)
        # every poll of the window is an interval the controller judges (its default folds polls closer than 0.5 s)
        controller = build_controller(env, config, client=client, read_only=True, audit=False, auto_rollback=False,
                                      min_rate_interval_s=min(MIN_RATE_INTERVAL_S, poll_s / 2))
        snapshot, polls = await sample(controller, client, window_s, poll_s)
    except StatusUnknown as exc:
        return StatusReport(target=env.name, level=Level.UNKNOWN, error=str(exc))
    report = judge(env.name, snapshot)
    report.window_s, report.polls = window_s, polls
    return report


async def sample(controller: Any, client: Any, window_s: float, poll_s: float) -> tuple[Snapshot, int]:
    """Poll through the controller from now until `window_s` has passed; the snapshot after the last poll."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    polls = 0
    async with client:
        while True:
            snapshot = await controller.refresh()
            polls += 1
            if loop.time() - started >= window_s - 1e-3:
                return snapshot, polls
            await asyncio.sleep(max(0.0, started + min(poll_s * polls, window_s) - loop.time()))


def judge(target: str, snapshot: Snapshot) -> StatusReport:
    """The report of a controller snapshot: its level by the controller's health rule (controller/health.py), with perfdata."""
    found = health(snapshot)
    if found.last_poll_failed:
        return StatusReport(target, Level.UNKNOWN, snapshot=snapshot, decision=found.decision, last_poll_failed=True, error=found.reason)
    return StatusReport(target, found.level, found.figures, snapshot, found.extra_levels, found.reason,
                        _perfdata(snapshot, found.figures), found.decision)


def _perfdata(snapshot: Snapshot, figs: list[Figure]) -> str:
    """Monitoring-plugin performance data: 'label'=value[UOM];warn;crit for each known figure."""
    table: ThresholdTable = snapshot.thresholds
    items: list[str] = []
    by_key = {f.key: f for f in figs}

    def add(label: str, value: float | None, unit: str, metric: Metric | None, scale: float = 1.0) -> None:
        if value is None:
            return
        bounds = ""
        if metric is not None:
            t = table.threshold(metric)
            bounds = f";{t.warning_from * scale:g};{t.critical_beyond * scale:g}"
        items.append(f"{label}={value * scale:.4g}{unit}{bounds}")  # 4 significant figures: what a graph can show

    errors = by_key.get("errors")
    add("error_rate", errors.call.point if errors else None, "%", Metric.ERROR_RATE, 100.0)
    hb = snapshot.heartbeat
    if hb is not None:
        add("p50", hb.metrics.p50_ms, "ms", Metric.P50_MS)
        add("p95", hb.metrics.p95_ms, "ms", Metric.P95_MS)
        add("p99", hb.metrics.p99_ms, "ms", Metric.P99_MS)
        add("heartbeat", hb.response_ms, "ms", None)
        add("canary_percent", float(hb.deployment.canary_percent), "%", None)
    return " ".join(items)


def _signature_word(hb: Heartbeat | None, untrusted: bool) -> str:
    """How the heartbeat's authenticity stands."""
    if untrusted or hb is None:
        return "signature INVALID (confirmed by re-fetch)"
    if not hb.verified:
        return "server says NOT verified"
    if hb.signature_valid is None:
        return "verified by server (no secret to check the signature)"
    return "signature verified" if hb.signature_valid else "signature INVALID"


def _ms(value: float | None) -> str:
    """A latency for display."""
    return "n/a" if value is None else f"{value:.1f} ms"


def summary_line(report: StatusReport) -> str:
    """The first line: 'CANARY <LEVEL> - target: key figures'."""
    head = f"CANARY {LABEL[report.level]} - {report.target}"
    snap = report.snapshot
    hb = report.heartbeat
    if snap is None or report.last_poll_failed or (hb is None and snap.connection is not ConnectionState.UNTRUSTED):
        return f"{head}: {report.error or 'no data'}"
    dep = snap.deployment or (hb.deployment if hb is not None else None)
    parts = [f"canary {dep.canary_percent}% ({dep.canary_version})"] if dep is not None else []
    # the canary's own figures while it takes traffic and they are split out (the service's are mostly stable's), said so
    split = dep is not None and dep.canary_percent > 0
    by_key = {f.key: f for f in report.figures}
    errors, who = (by_key["canary_errors"], "canary ") if split and "canary_errors" in by_key else (by_key.get("errors"), "")
    if errors is not None and errors.call.point is not None:
        parts.append(f"{who}errors {errors.call.point:.2%}" + (" (low data)" if errors.call.low_data else ""))  # a point, not a level
    if hb is not None:
        canary_p95_ms = hb.metrics.canary.p95_ms if split and hb.metrics.canary is not None else None
        p95 = f"canary P95 {_ms(canary_p95_ms)}" if canary_p95_ms is not None else f"P95 {_ms(hb.metrics.p95_ms)}"
        parts += [p95, f"heartbeat {hb.response_ms:.0f} ms"]
    if report.extra_levels.get("signature") is Level.CRITICAL:
        parts.append("SIGNATURE FAILED")
    if report.decision is not None:
        parts.append(f"decision {report.decision.kind.value}")
    if report.error:
        parts.append(report.error)
    return f"{head}: " + ", ".join(parts)


def render_text(report: StatusReport) -> str:
    """The summary line, the 'Checking metrics' block, the decision and the deployment block."""
    from canary_tui.commands.common import paint

    lines = [summary_line(report) + (f" | {report.perfdata}" if report.perfdata else "")]
    snap = report.snapshot
    if snap is None or not report.extra_levels:
        return "\n".join(lines) + "\n"
    hb = snap.heartbeat
    untrusted = snap.connection is ConnectionState.UNTRUSTED
    hb_level = max((report.extra_levels.get(k, Level.HEALTHY) for k in ("heartbeat", "signature")), key=lambda lv: lv.severity)
    lines.append("Checking metrics")
    status_word = hb.status.value if hb is not None else "untrusted"
    rt = f"{hb.response_ms:.0f} ms, " if hb is not None else ""
    lines.append(f"  {paint(hb_level.glyph, STYLE[hb_level])} Heartbeat {'OK' if hb_level is Level.HEALTHY else status_word.upper()}"
                 f": {rt}status {status_word}, {_signature_word(hb, untrusted)}")
    for fig in report.figures:
        lines.append(f"  {paint(fig.level.glyph, STYLE[fig.level])} {fig.label}: {fig.text} {paint(fig.word, STYLE[fig.level])}")
    if report.window_s is not None:
        lines.append(f"  Window: {report.window_s:g} s, {report.polls} polls")
    if report.decision is not None:
        lines.append(f"Decision: {report.decision.kind.value} — {report.decision.reason}")
    dep = snap.deployment or (hb.deployment if hb is not None else None)
    if dep is None:
        return "\n".join(lines) + "\n"
    when = dep.updated_at.strftime("%Y-%m-%d %H:%M:%SZ") if dep.updated_at else None
    updated = "never" if when is None and dep.updated_by is None else f"{when or 'unknown time'} by {dep.updated_by or 'unknown'}"
    lines += [
        "Deployment",
        f"  Versions: {dep.stable_version} (stable) → {dep.canary_version} (canary)",
        f"  Canary:   {dep.canary_percent}%",
        f"  Paused:   {'yes' if dep.paused else 'no'}",
        f"  Updated:  {updated}",
    ]
    return "\n".join(lines) + "\n"


def levels_json(report_figures: list[Figure], extra: dict[str, Level]) -> dict[str, str]:
    """{figure key: level word} for --json (status and ramp share it)."""
    return {f.key: JSON_LEVEL[f.level] for f in report_figures} | {k: JSON_LEVEL[v] for k, v in extra.items()}


def to_json(report: StatusReport) -> dict[str, Any]:
    """The --json object: level, figures and their levels, the decision, the deployment and, when unknown, the error."""
    out: dict[str, Any] = {
        "target": report.target,
        "level": JSON_LEVEL[report.level],
        "exit_code": report.exit_code,
        "summary": summary_line(report),
        "error": report.error if report.level is Level.UNKNOWN or report.error else None,
        "window_s": report.window_s, "polls": report.polls,
        "canary_percent": None, "paused": None, "error_rate": None, "errors": None, "requests": None,
        "p50_ms": None, "p95_ms": None, "p99_ms": None, "heartbeat_ms": None, "verified": None,
        "signature_valid": None, "server_verified": None, "status": None, "stable_version": None, "canary_version": None,
        "updated_by": None, "updated_at": None, "levels": levels_json(report.figures, report.extra_levels),
        "decision": decision_to_json(report.decision), "metrics_source": None,
    }
    snap = report.snapshot
    if snap is None or report.last_poll_failed:
        return out  # the last poll failed: nothing current to show
    if snap.connection is ConnectionState.UNTRUSTED:
        out.update(verified=False, signature_valid=False)
    dep = snap.deployment
    if dep is not None:
        out.update(canary_percent=dep.canary_percent, paused=dep.paused, stable_version=dep.stable_version,
                   canary_version=dep.canary_version, updated_by=dep.updated_by,
                   updated_at=dep.updated_at.isoformat().replace("+00:00", "Z") if dep.updated_at else None)
    hb, window = snap.heartbeat, snap.window
    if hb is None:
        return out
    metrics = hb.metrics
    out.update(p50_ms=metrics.p50_ms, p95_ms=metrics.p95_ms, p99_ms=metrics.p99_ms, heartbeat_ms=round(hb.response_ms, 3), metrics_source=metrics.source,
               verified=hb.signature_ok, server_verified=hb.verified, signature_valid=hb.signature_valid, status=hb.status.value)
    if window is not None:
        out.update(error_rate=window.error_rate, errors=window.errors, requests=window.requests)
    return out
