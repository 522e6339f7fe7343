"""`canary-tui status TARGET [--json]`: a one-shot health check with monitoring-plugin exit codes.

Two heartbeats `--interval-s` apart give the error rate over the interval; the
latency percentiles come from the second heartbeat. Every metric is judged with
the seed's threshold table (config overrides applied), the whole service and,
when the server splits them, the canary alone. The check's level is the worst
known level; a heartbeat status `degraded` is at least WARNING, `down` or a
failed signature check CRITICAL; nothing measurable at all is UNKNOWN.
Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (unreachable, invalid data, config
or usage errors — including argparse errors after `status`; an error in the
global options before `status` is still the CLI's usage exit 2).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

from canary_tui.core.rates import Rates, compute_rates
from canary_tui.core.samples import Heartbeat, HeartbeatStatus
from canary_tui.core.judgment import decision_between, decision_to_json
from canary_tui.core.thresholds import Classification, Level, Metric, ThresholdTable
from canary_tui.core.verdicts import Decision

EXIT_BY_LEVEL = {Level.HEALTHY: 0, Level.WARNING: 1, Level.CRITICAL: 2, Level.UNKNOWN: 3}
JSON_LEVEL = {Level.HEALTHY: "ok", Level.WARNING: "warning", Level.CRITICAL: "critical", Level.UNKNOWN: "unknown"}
LABEL = {Level.HEALTHY: "OK", Level.WARNING: "WARNING", Level.CRITICAL: "CRITICAL", Level.UNKNOWN: "UNKNOWN"}
EXIT_UNKNOWN = 3
STYLE = {Level.HEALTHY: "green", Level.WARNING: "yellow", Level.CRITICAL: "bold red", Level.UNKNOWN: "magenta"}


class StatusUnknown(Exception):
    """The check cannot judge: carries the one-line reason."""


@dataclass(frozen=True, slots=True)
class Check:
    """One judged line of the 'Checking metrics' block."""

    label: str
    text: str
    classification: Classification


@dataclass
class StatusReport:
    """Everything the check found, ready for text or JSON output."""

    target: str
    level: Level
    checks: list[Check] = field(default_factory=list)
    heartbeat: Heartbeat | None = None
    rates: Rates | None = None
    extra_levels: dict[str, Level] = field(default_factory=dict)
    error: str | None = None
    perfdata: str = ""
    decision: Decision | None = None  # the judgment on the interval (judgment.md), for --json

    @property
    def exit_code(self) -> int:
        """Monitoring-plugin exit code of the level."""
        return EXIT_BY_LEVEL[self.level]


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `status`; its usage errors exit 3 (UNKNOWN), as a monitoring check must."""
    parser = subparsers.add_parser("status", help="one-shot health check (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)",
                                   description="Take two heartbeats and judge them against the threshold table.")
    parser.add_argument("target", metavar="TARGET", help="environment name from the config, or a URL")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--interval-s", type=float, default=1.0, metavar="S",
                        help="seconds between the two heartbeats (0.1..10, default 1)")
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
    parser.parse_known_args = strict_parse_known_args  # type: ignore[method-assign]


def run(args: argparse.Namespace) -> int:
    """Run the check, print it, and return its exit code; never a traceback."""
    target = str(getattr(args, "target", "?"))
    try:
        report = _check(args)
    except StatusUnknown as exc:
        report = StatusReport(target=target, level=Level.UNKNOWN, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a monitoring check reports, it never crashes
        report = StatusReport(target=target, level=Level.UNKNOWN, error=f"internal error ({type(exc).__name__})")
    if args.json:
        sys.stdout.write(json.dumps(to_json(report), sort_keys=True, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(report))
    sys.stdout.flush()
    return report.exit_code


@contextmanager
def _unknown_on_exit(what: str) -> Iterator[None]:
    """Turn a helper's SystemExit (config/credential errors, already printed) into UNKNOWN."""
    try:
        yield
    except SystemExit:
        raise StatusUnknown(f"{what} error (details on stderr)") from None


def _check(args: argparse.Namespace) -> StatusReport:
    """Resolve the target, take two heartbeats, judge them."""
    from canary_tui.commands.common import client_for, load_config_or_exit, resolve_target_or_exit
    from canary_tui.mission.errors import MissionError

    if not 0.1 <= args.interval_s <= 10:
        raise StatusUnknown("usage: --interval-s must lie within 0.1..10")
    with _unknown_on_exit("config"):
        config = load_config_or_exit(args)
        env = resolve_target_or_exit(config, args.target)
    try:
        table = ThresholdTable.seed().with_overrides(config.threshold_overrides)
    except ValueError as exc:
        raise StatusUnknown(f"config: {exc}") from None
    try:
        with _unknown_on_exit("credentials"):
            client = client_for(env)
        first, second = asyncio.run(_two_heartbeats(client, args.interval_s))
    except MissionError as exc:
        raise StatusUnknown(f"heartbeat {exc.kind}: {exc}") from None
    report = judge(env.name, first, second, table)
    try:
        report.decision = decision_between(first, second, env.plan)
    except Exception:  # noqa: BLE001 - the judgment is extra: it never turns a check into UNKNOWN
        report.decision = None
    return report


async def _two_heartbeats(client: Any, interval_s: float) -> tuple[Heartbeat, Heartbeat]:
    """Two heartbeats interval_s apart over one connection pool."""
    async with client:
        first = await client.heartbeat()
        await asyncio.sleep(interval_s)
        second = await client.heartbeat()
    return first, second


def _rate_text(errors: int | None, requests: int | None) -> str:
    """'errors n/N (x.xx%)', or a no-traffic note."""
    if errors is None or requests is None:
        return "not reported"
    if requests == 0:
        return "0/0 (no traffic in the interval)"
    return f"{errors}/{requests} ({errors / requests:.2%})"


def _ms(value: float | None) -> str:
    """A latency for display."""
    return "n/a" if value is None else f"{value:.1f} ms"


def judge(target: str, first: Heartbeat, second: Heartbeat, table: ThresholdTable) -> StatusReport:
    """Classify the interval's error rate and the latest percentiles, overall and for the canary."""
    rates = compute_rates(first, second)
    metrics = second.metrics
    checks = [
        Check("Errors", _rate_text(rates.errors, rates.requests), table.classify(Metric.ERROR_RATE, rates.error_rate)),
        Check("P50", _ms(metrics.p50_ms), table.classify(Metric.P50_MS, metrics.p50_ms)),
        Check("P95", _ms(metrics.p95_ms), table.classify(Metric.P95_MS, metrics.p95_ms)),
        Check("P99", _ms(metrics.p99_ms), table.classify(Metric.P99_MS, metrics.p99_ms)),
    ]
    canary = metrics.canary
    if canary is not None and rates.canary_requests is not None:
        canary_rate = rates.canary_errors / rates.canary_requests if rates.canary_requests else None
        checks.append(Check("Canary errors", _rate_text(rates.canary_errors, rates.canary_requests),
                            table.classify(Metric.ERROR_RATE, canary_rate)))
        checks.append(Check("Canary P95", _ms(canary.p95_ms), table.classify(Metric.P95_MS, canary.p95_ms)))
    extra = {
        "heartbeat": {HeartbeatStatus.OK: Level.HEALTHY, HeartbeatStatus.DEGRADED: Level.WARNING}.get(second.status, Level.CRITICAL),
        "signature": Level.HEALTHY if first.signature_ok and second.signature_ok else Level.CRITICAL,
    }
    known = [c.classification.level for c in checks if c.classification.level is not Level.UNKNOWN]
    if not known:
        return StatusReport(target, Level.UNKNOWN, checks, second, rates, extra, error="no measurable metric (no traffic?)")
    levels = known + list(extra.values())
    level = max(levels, key=lambda lv: lv.severity)
    return StatusReport(target, level, checks, second, rates, extra, perfdata=_perfdata(second, rates, table))


def _perfdata(hb: Heartbeat, rates: Rates, table: ThresholdTable) -> str:
    """Monitoring-plugin performance data: 'label'=value[UOM];warn;crit for each known figure."""
    items: list[str] = []

    def add(label: str, value: float | None, unit: str, metric: Metric | None, scale: float = 1.0) -> None:
        if value is None:
            return
        bounds = ""
        if metric is not None:
            t = table.threshold(metric)
            bounds = f";{t.warning_from * scale:g};{t.critical_beyond * scale:g}"
        items.append(f"{label}={value * scale:.6g}{unit}{bounds}")

    add("error_rate", rates.error_rate, "%", Metric.ERROR_RATE, 100.0)
    add("p50", hb.metrics.p50_ms, "ms", Metric.P50_MS)
    add("p95", hb.metrics.p95_ms, "ms", Metric.P95_MS)
    add("p99", hb.metrics.p99_ms, "ms", Metric.P99_MS)
    add("heartbeat", hb.response_ms, "ms", None)
    add("canary_percent", float(hb.deployment.canary_percent), "%", None)
    return " ".join(items)


def _signature_word(hb: Heartbeat) -> str:
    """How the heartbeat's authenticity stands."""
    if not hb.verified:
        return "server says NOT verified"
    if hb.signature_valid is None:
        return "verified by server (no secret to check the signature)"
    return "signature verified" if hb.signature_valid else "signature INVALID"


def summary_line(report: StatusReport) -> str:
    """The first line: 'CANARY <LEVEL> - target: key figures'."""
    head = f"CANARY {LABEL[report.level]} - {report.target}"
    hb, rates = report.heartbeat, report.rates
    if hb is None or rates is None:
        return f"{head}: {report.error or 'no data'}"
    rate = "n/a" if rates.error_rate is None else f"{rates.error_rate:.2%}"
    parts = [f"canary {hb.deployment.canary_percent}% ({hb.deployment.canary_version})",
             f"errors {rate}", f"P95 {_ms(hb.metrics.p95_ms)}", f"heartbeat {hb.response_ms:.0f} ms"]
    if report.extra_levels.get("signature") is Level.CRITICAL:
        parts.append("SIGNATURE FAILED")
    if report.error:
        parts.append(report.error)
    return f"{head}: " + ", ".join(parts)


def render_text(report: StatusReport) -> str:
    """The summary line, the seed's 'Checking metrics' block and the deployment block."""
    from canary_tui.commands.common import paint

    lines = [summary_line(report) + (f" | {report.perfdata}" if report.perfdata else "")]
    hb = report.heartbeat
    if hb is None:
        return "\n".join(lines) + "\n"
    hb_level = max(report.extra_levels.values(), key=lambda lv: lv.severity)
    lines.append("Checking metrics")
    lines.append(f"  {paint(hb_level.glyph, STYLE[hb_level])} Heartbeat {'OK' if hb_level is Level.HEALTHY else hb.status.value.upper()}"
                 f": {hb.response_ms:.0f} ms, status {hb.status.value}, {_signature_word(hb)}")
    for check in report.checks:
        c = check.classification
        lines.append(f"  {paint(c.glyph, STYLE[c.level])} {check.label}: {check.text} {paint(c.word, STYLE[c.level])}")
    dep = hb.deployment
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


def to_json(report: StatusReport) -> dict[str, Any]:
    """The --json object: level, figures, deployment and, when unknown, the error."""
    hb, rates = report.heartbeat, report.rates
    out: dict[str, Any] = {
        "target": report.target,
        "level": JSON_LEVEL[report.level],
        "exit_code": report.exit_code,
        "summary": summary_line(report),
        "error": report.error if report.level is Level.UNKNOWN or report.error else None,
        "canary_percent": None, "paused": None, "error_rate": None, "errors": None, "requests": None,
        "p50_ms": None, "p95_ms": None, "p99_ms": None, "heartbeat_ms": None, "verified": None,
        "signature_valid": None, "server_verified": None, "status": None, "stable_version": None, "canary_version": None,
        "updated_by": None, "updated_at": None, "levels": {},
        "decision": decision_to_json(report.decision),
    }
    if hb is None or rates is None:
        return out
    dep, metrics = hb.deployment, hb.metrics
    out.update(
        canary_percent=dep.canary_percent, paused=dep.paused, error_rate=rates.error_rate,
        errors=rates.errors, requests=rates.requests, p50_ms=metrics.p50_ms, p95_ms=metrics.p95_ms,
        p99_ms=metrics.p99_ms, heartbeat_ms=round(hb.response_ms, 3), verified=hb.signature_ok, server_verified=hb.verified,
        signature_valid=hb.signature_valid, status=hb.status.value, stable_version=dep.stable_version,
        canary_version=dep.canary_version, updated_by=dep.updated_by,
        updated_at=dep.updated_at.isoformat().replace("+00:00", "Z") if dep.updated_at else None,
        levels={c.label.lower().replace(" ", "_"): JSON_LEVEL[c.classification.level] for c in report.checks}
        | {k: JSON_LEVEL[v] for k, v in report.extra_levels.items()},
    )
    return out
