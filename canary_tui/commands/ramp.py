"""`canary-tui ramp TARGET PERCENT`: the seed's canary-ramp.sh on the shared controller.

Set the canary (confirmed on a TTY unless --yes; refused without --yes when stdin
is not a TTY), check the heartbeat metrics, run the P95 test of N /api/health
requests, and roll back when the stage check fails (unless --no-auto-rollback).
PERCENT 0 is the emergency rollback. Exit 0 done, 1 refused or failed, 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from dataclasses import dataclass, field
from typing import Any

from canary_tui.commands.actions import EXIT_FAILED, EXIT_OK, controller_session, guarded
from canary_tui.controller.model import Trigger
from canary_tui.core.seed import SEED_TRIP_ERROR_RATE as SEED_ERROR_LIMIT
from canary_tui.core.stage_clock import format_duration
from canary_tui.core.thresholds import Metric
from canary_tui.mission.errors import MissionError
from canary_tui.mission.probe import run_probe_with

RULE = "================================"
DEFAULT_PROBE_N = 100
DEFAULT_PROBE_RATE = 20.0  # the open-loop P95 test's mean send rate
PROBE_TIMEOUT_S = 10.0  # a request slower than this counts as an error at this latency
SETTLE_S = 1.0  # the seed sleeps 5 s before checking; one poll interval is enough to get rates


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `ramp`."""
    p = subparsers.add_parser("ramp", help="set the canary percent and check the stage (the seed's canary-ramp.sh)",
                              description="Set the canary to PERCENT, check metrics and P95, roll back on a failed stage check.")
    p.add_argument("target", metavar="TARGET", help="environment name from the config, or a URL")
    p.add_argument("percent", metavar="PERCENT", type=_percent, help="0..100 (0 = emergency rollback)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation (required when stdin is not a terminal)")
    p.add_argument("--probe", type=_count, default=DEFAULT_PROBE_N, metavar="N", help=f"requests in the P95 test (default {DEFAULT_PROBE_N}; 0 skips it)")
    p.add_argument("--rate", type=_rate, default=DEFAULT_PROBE_RATE, metavar="R",
                   help=f"open-loop probe rate, requests per second (default {DEFAULT_PROBE_RATE:g})")
    p.add_argument("--sequential", action="store_true", help="the seed's one-after-another loop instead (under-reports stalls)")
    p.add_argument("--no-auto-rollback", action="store_true", help="report a failed stage check but do not roll back")
    p.add_argument("--note", default=None, help="why (kept in the server's history and the audit log)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the seed's text")
    p.set_defaults(run=guarded(_ramp))
    return ["ramp"]


def _percent(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer 0..100, got {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"expected an integer 0..100, got {value}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected requests per second, got {text!r}") from None
    if not 0.1 <= value <= 10_000:
        raise argparse.ArgumentTypeError("expected 0.1..10000 requests per second")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= 100_000:
        raise argparse.ArgumentTypeError("expected 0..100000")
    return value


@dataclass
class ProbeOutcome:
    """The seed's sequential P95 test: N requests one after another (latencies in ms)."""

    n: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def p95_ms(self) -> float | None:
        """The seed's P95: the ceil(0.95·n)-th fastest answered request (95th of 100)."""
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


async def sequential_probe(client: Any, n: int, out: Any) -> ProbeOutcome:
    """GET /api/health n times in sequence; a failed or non-ok answer counts as an error."""
    outcome = ProbeOutcome(n)
    for _ in range(n):
        try:
            result = await client.health()
        except MissionError:
            outcome.errors += 1
        else:
            if result.ok:
                outcome.latencies_ms.append(result.latency_ms)
            else:
                outcome.errors += 1
        out.write(".")
        out.flush()
    out.write("\n")
    return outcome


class _Out:
    """Text output that goes nowhere in --json mode."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def write(self, text: str) -> None:
        if self.enabled:
            sys.stdout.write(text)

    def flush(self) -> None:
        if self.enabled:
            sys.stdout.flush()

    def line(self, text: str = "", style: str = "") -> None:
        from canary_tui.commands.common import paint

        self.write((paint(text, style) if style else text) + "\n")


def _confirm(args: argparse.Namespace, environment: str) -> str | None:
    """None when confirmed; else the reason for refusing."""
    if args.yes:
        return None
    if not sys.stdin.isatty():
        return "stdin is not a terminal: pass --yes to change the canary non-interactively"
    sys.stderr.write(f"Set the canary of {environment} to {args.percent}%? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return None if answer in ("y", "yes") else "not confirmed"


def _banner(plan: Any, percent: int) -> str:
    if percent == 0:
        return "🔄 Emergency Rollback: 0% Canary"
    index = plan.index_of(percent)
    if index is None:
        return f"📊 Custom Canary: {percent}%"
    return f"📊 Stage {index + 1}: {percent}% Canary Deployment"


async def _ramp(args: argparse.Namespace) -> int:
    out = _Out(not args.json)
    doc: dict[str, Any] = {"target_percent": args.percent, "updated": False, "rolled_back": False}
    async with controller_session(args) as ctl:
        doc["environment"] = ctl.environment
        refusal = _confirm(args, ctl.environment)
        if refusal:
            return _finish(args, doc, EXIT_FAILED, f"ramp refused: {refusal}")
        out.line("🚀 Ghost Recon Canary Ramp Controller", "green")
        out.line(RULE)
        out.line(_banner(ctl.plan, args.percent))
        before = await ctl.refresh()
        doc["from_percent"] = before.heartbeat.deployment.canary_percent if before.heartbeat else None
        out.line(f"Setting canary to {args.percent}% in {ctl.environment}...", "yellow")
        note = args.note or f"canary-tui ramp {args.percent}%"
        if args.percent == 0:
            result = await ctl.rollback(Trigger.CLI, note=note)
        else:
            result = await ctl.set_percent(args.percent, Trigger.CLI, note=note)
        doc.update(message=result.message, conflict=result.conflict)
        if not result.ok:
            out.line("❌ Failed to update canary", "red")
            return _finish(args, doc, EXIT_FAILED, f"ramp {'refused' if result.conflict else 'failed'}: {result.message}")
        doc["updated"] = True
        out.line(f"✅ Canary updated to {args.percent}%", "green")
        if args.percent == 0:
            out.line("Canary disabled. All traffic to stable.", "yellow")
            return _final(args, out, doc, ctl, EXIT_OK)
        failures = await _check_stage(args, out, doc, ctl)
        doc["stage_check"] = {"ok": not failures, "failures": failures}
        if failures is None:
            return _final(args, out, doc, ctl, EXIT_FAILED, "could not check the stage (no rollback on missing data)")
        if failures:
            if args.no_auto_rollback:
                return _final(args, out, doc, ctl, EXIT_FAILED, "stage check failed: " + "; ".join(failures) + " (not rolling back: --no-auto-rollback)")
            out.line("Rolling back to 0%...", "red")
            rolled = await ctl.rollback(Trigger.AUTO, note="ramp stage check failed: " + "; ".join(failures))
            doc["rolled_back"] = rolled.ok
            if rolled.ok:
                out.line("🔄 Rolled back to 0% (confirmed by read-back)", "yellow")
            return _final(args, out, doc, ctl, EXIT_FAILED, "stage check failed: " + "; ".join(failures) + ("; rolled back to 0%" if rolled.ok else f"; ROLLBACK FAILED: {rolled.message}"))
        index = ctl.plan.index_of(args.percent)
        if args.percent >= 100:
            out.line(f"Stage {index + 1 if index is not None else ''} complete. Full canary rollout successful!".replace("Stage  ", "Stage "), "green")
        elif index is not None:
            out.line(f"Stage {index + 1} complete. Monitor for {format_duration(ctl.plan.stages[index].bake_s)} before proceeding.", "green")
        return _final(args, out, doc, ctl, EXIT_OK)


async def _check_stage(args: argparse.Namespace, out: _Out, doc: dict[str, Any], ctl: Any) -> list[str] | None:
    """The seed's checks: heartbeat errors ≤ 5%, signature valid, probe P95 under the table's healthy bound."""
    out.line("Checking metrics...", "yellow")
    await asyncio.sleep(SETTLE_S)
    snap = await ctl.refresh()
    hb = snap.heartbeat
    if hb is None or snap.connection_error:
        out.line("❌ Failed to get heartbeat", "red")
        doc["heartbeat_error"] = snap.connection_error
        if snap.connection_error and "signature" in snap.connection_error:
            return ["signature invalid"]
        return None
    m = hb.metrics
    failures: list[str] = []
    out.line(f"✅ Heartbeat OK - Response time: {hb.response_ms / 1000:.3f}s", "green")
    rate = m.errors / m.requests if m.requests else None
    out.line(f"  Errors: {m.errors}/{m.requests} ({rate:.2%})" if rate is not None else f"  Errors: {m.errors}/{m.requests}")
    out.line(f"  P50 Latency: {_ms(m.p50_ms)}")
    out.line(f"  P99 Latency: {_ms(m.p99_ms)}")
    doc["heartbeat"] = {"status": str(hb.status), "response_ms": hb.response_ms, "requests": m.requests, "errors": m.errors,
                        "error_rate": rate, "p50_ms": m.p50_ms, "p95_ms": m.p95_ms, "p99_ms": m.p99_ms, "verified": hb.verified}
    if rate is not None and rate > SEED_ERROR_LIMIT:
        out.line(f"⚠️  Warning: Error rate {rate:.2%} exceeds {SEED_ERROR_LIMIT:.0%} threshold", "red")
        failures.append(f"error rate {rate:.2%} > {SEED_ERROR_LIMIT:.0%}")
    if args.probe:
        limit_ms = ctl.thresholds.threshold(Metric.P95_MS).warning_from
        p95, probe_doc = await _probe(args, out, ctl)
        doc["probe"] = {**probe_doc, "limit_ms": limit_ms}
        if p95 is None:
            out.line("❌ P95 test failed: no request answered", "red")
            return None
        out.line(f"P95 Latency: {p95:.3f}ms", "green" if p95 <= limit_ms else "red")
        if p95 > limit_ms:
            out.line(f"⚠️  Warning: P95 latency {p95:.3f}ms exceeds {limit_ms:g}ms threshold", "red")
            failures.append(f"P95 {p95:.1f} ms > {limit_ms:g} ms")
    return failures


async def _probe(args: argparse.Namespace, out: _Out, ctl: Any) -> tuple[float | None, dict[str, Any]]:
    """The P95 test: open-loop at --rate (latency from each scheduled send), or the seed's loop with --sequential."""
    if args.sequential:
        out.line(f"Running P95 latency test ({args.probe} requests)...", "yellow")
        seq = await sequential_probe(ctl.client, args.probe, out)
        return seq.p95_ms, {"n": seq.n, "answered": len(seq.latencies_ms), "errors": seq.errors, "p95_ms": seq.p95_ms, "method": "sequential"}
    out.line(f"Running P95 latency test ({args.probe} requests, open-loop at {args.rate:g}/s)...", "yellow")
    result = await run_probe_with(ctl.client.health, n=args.probe, rate_per_s=args.rate, timeout_s=PROBE_TIMEOUT_S,
                                  seed=0, expected_percent=ctl.snapshot.stage.percent if ctl.snapshot.stage else args.percent)
    if result.errors:
        out.line(f"  {result.errors} of {result.n} requests failed ({result.timeouts} timed out, counted at {PROBE_TIMEOUT_S:g} s)")
    p95 = result.p95_ms if result.errors < result.n else None  # nothing answered: no measurement
    doc = {"n": result.n, "answered": result.n - result.errors, "errors": result.errors, "timeouts": result.timeouts, "p95_ms": p95,
           "p95_ci_ms": list(result.p95_ci_ms) if result.p95_ci_ms else None, "low_data": result.low_data,
           "canary_share": result.canary_share, "method": "open-loop", "rate_per_s": args.rate}
    return p95, doc


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}ms"


def _final(args: argparse.Namespace, out: _Out, doc: dict[str, Any], ctl: Any, code: int, error: str | None = None) -> int:
    """The seed's closing lines, then the exit code (and the JSON document)."""
    snap = ctl.snapshot
    current = snap.stage.percent if snap.stage else None
    doc["current_percent"] = current
    out.line()
    out.line(RULE)
    out.line(f"Current canary percentage: {current if current is not None else '?'}%", "green")
    return _finish(args, doc, code, error)


def _finish(args: argparse.Namespace, doc: dict[str, Any], code: int, error: str | None = None) -> int:
    from canary_tui.commands.common import print_json

    doc["ok"] = code == EXIT_OK
    doc["exit_code"] = code
    if error:
        doc["error"] = error
        sys.stderr.write(f"canary-tui: {error}\n")
    if args.json:
        print_json(doc)
    sys.stdout.flush()
    return code
