"""`canary-tui ramp TARGET PERCENT`: the seed's canary-ramp.sh, judged by the shared controller.

Read the deployment, confirm (on a TTY unless --yes; refused without --yes when stdin
is not a TTY), set PERCENT by compare-and-set on the percent read, follow the target
through the controller for --settle seconds, run the P95 probe and hand it to the
controller as a gate, then act on the controller's decision: roll back (until a
read-back confirms 0%) when it says rollback or a stage gate fails on evidence;
otherwise the stage stands. This module holds no rule: the decision, the gates and the
levels are the controller's and core's. PERCENT 0 is the emergency rollback.
Exit 0 set (passed, or inconclusive: evidence still accumulating), 1 refused, failed,
rolled back, undecidable, or inconclusive with --strict; 2 usage or config error.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from dataclasses import dataclass, field
from typing import Any

from canary_tui.commands.actions import EXIT_FAILED, EXIT_OK, configured_session, guarded
from canary_tui.commands.common import int_in
from canary_tui.controller.figures import figures
from canary_tui.controller.model import ConnectionState, Snapshot, Trigger
from canary_tui.core.judgment import decision_to_json
from canary_tui.core.stage_clock import format_duration
from canary_tui.core.verdicts import DecisionKind, GateStatus
from canary_tui.mission.errors import MissionError
from canary_tui.mission.probe import run_probe_with

RULE = "================================"
DEFAULT_PROBE_N = 100
DEFAULT_PROBE_RATE = 20.0  # the open-loop P95 test's mean send rate
PROBE_TIMEOUT_S = 10.0  # a request slower than this counts as an error at this latency
DEFAULT_SETTLE_S = 5.0  # the seed's script sleeps 5 s before checking
EPILOG = ("exit codes: 0 set and the stage stands (passed, or inconclusive: evidence still accumulating); "
          "1 refused (not confirmed, changed meanwhile: compare-and-set), failed, rolled back, undecidable "
          "(no fresh data), or inconclusive with --strict; 2 usage or config error")


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `ramp`."""
    p = subparsers.add_parser("ramp", help="set the canary percent and judge the stage through the controller (the seed's canary-ramp.sh)",
                              description="Set the canary to PERCENT (compare-and-set), watch it through the controller for a settle "
                                          "window, run the P95 probe, and roll back when the controller's decision says so.",
                              epilog=EPILOG)
    p.add_argument("target", metavar="TARGET",
                   help="environment name (ENV with regions: each region in list order, stopping at the first that fails), ENV/REGION, or a URL")
    p.add_argument("percent", metavar="PERCENT", type=int_in(0, 100), help="0..100 (0 = emergency rollback)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation (required when stdin is not a terminal)")
    p.add_argument("--settle", type=_seconds, default=DEFAULT_SETTLE_S, metavar="SECONDS",
                   help=f"seconds to watch through the controller before judging (default {DEFAULT_SETTLE_S:g})")
    p.add_argument("--probe", type=_count, default=DEFAULT_PROBE_N, metavar="N", help=f"requests in the P95 test (default {DEFAULT_PROBE_N}; 0 skips it)")
    p.add_argument("--rate", type=_rate, default=DEFAULT_PROBE_RATE, metavar="R",
                   help=f"open-loop probe rate, requests per second (default {DEFAULT_PROBE_RATE:g})")
    p.add_argument("--sequential", action="store_true", help="the seed's one-after-another loop instead (under-reports stalls)")
    p.add_argument("--strict", action="store_true", help="exit 1 when the result is inconclusive (evidence still accumulating)")
    p.add_argument("--no-auto-rollback", action="store_true", help="report a rollback decision but do not roll back")
    p.add_argument("--override-pipeline", action="store_true",
                   help="raise the canary although the environment it follows (after = ...) has not completed this version, "
                        "or the previous region has not baked the stage (audited as an override)")
    p.add_argument("--note", default=None, help="why (kept in the server's history and the audit log)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the seed's text (a list for several targets)")
    p.set_defaults(run=guarded(_ramp))
    return ["ramp"]


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected requests per second, got {text!r}") from None
    if not 0.1 <= value <= 10_000:
        raise argparse.ArgumentTypeError("expected 0.1..10000 requests per second")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError("expected 0..3600 seconds")
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


def _confirm(args: argparse.Namespace, environment: str, from_percent: int) -> str | None:
    """None when confirmed; else the reason for refusing. The question names the percent the change is conditioned on."""
    if args.yes:
        return None
    if not sys.stdin.isatty():
        return "stdin is not a terminal: pass --yes to change the canary non-interactively"
    sys.stderr.write(f"Set the canary of {environment} from {from_percent}% to {args.percent}%? [y/N] ")
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
    """One target; or each region of an environment in list (wave) order, stopping at the first whose ramp fails."""
    from canary_tui.commands.actions_fleet import each_in_order, several_targets

    args.targets, args.all_targets = [args.target], False
    several = several_targets(args)
    if several is None:
        return await _ramp_one(args)
    return await each_in_order(args, *several, _ramp_one)


async def _ramp_one(args: argparse.Namespace, config: Any = None, env: Any = None) -> int:
    out = _Out(not args.json)
    doc: dict[str, Any] = {"target_percent": args.percent, "updated": False, "rolled_back": False, "decision": None}
    async with configured_session(args, config=config, env=env) as (config, ctl):
        doc["target"] = ctl.environment
        doc["environment"] = env.environment if env is not None else ctl.environment
        before = await ctl.refresh()
        seen = before.deployment
        if seen is None:
            return _finish(args, doc, EXIT_FAILED, f"ramp failed: cannot read the current percent ({before.connection_error or 'no heartbeat'})")
        doc["from_percent"] = seen.canary_percent
        refusal = _confirm(args, ctl.environment, seen.canary_percent)
        if refusal:
            return _finish(args, doc, EXIT_FAILED, f"ramp refused: {refusal}")
        out.line("🚀 Ghost Recon Canary Ramp Controller", "green")
        out.line(RULE)
        out.line(_banner(ctl.plan, args.percent))
        out.line(f"Setting canary to {args.percent}% in {ctl.environment}...", "yellow")
        note = args.note or f"canary-tui ramp {args.percent}%"
        if args.percent == 0:
            result = await ctl.rollback(Trigger.CLI, note=note)
        else:
            result = await ctl.set_percent(args.percent, Trigger.CLI, note=note, expected_percent=seen.canary_percent,
                                           override_pipeline=args.override_pipeline)
        doc.update(message=result.message, conflict=result.conflict)
        if not result.ok:
            refused = result.conflict or result.pipeline_refusal is not None
            out.line("⛔ Canary not changed (refused)" if refused else "❌ Failed to update canary", "red")
            return _finish(args, doc, EXIT_FAILED, f"ramp {'refused' if refused else 'failed'}: {result.message}")
        doc["updated"] = True
        out.line(f"✅ Canary updated to {args.percent}%", "green")
        if args.percent == 0:
            out.line("Canary disabled. All traffic to stable.", "yellow")
            return _final(args, out, doc, ctl, EXIT_OK)
        out.line(f"Checking metrics (watching for {args.settle:g} s through the controller)...", "yellow")
        decisive = await _settle(ctl, args.settle, min(config.poll_interval_s, max(args.settle, 0.1)))
        _show_heartbeat(out, doc, ctl.snapshot)
        if decisive is not None:  # the controller decided to roll back while settling: no probe needed
            return await _act(args, out, doc, ctl, decisive)
        if args.probe:
            await _probe(args, out, doc, ctl)
        judged = await ctl.refresh()  # the last look: fresh counts, and the probe's gate in the decision
        return await _act(args, out, doc, ctl, judged)


async def _settle(ctl: Any, settle_s: float, poll_s: float) -> Snapshot | None:
    """Poll through the controller for settle_s; the snapshot that decided a rollback stops it early (else None)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    polls = 0
    while loop.time() - started < settle_s:
        polls += 1
        await asyncio.sleep(max(0.0, started + min(poll_s * polls, settle_s) - loop.time()))
        snap = await ctl.refresh()
        if ctl.action_in_flight == "rollback" or (snap.decision is not None and snap.decision.kind is DecisionKind.ROLLBACK):
            return snap
    return None


def _controller_rolled_back(ctl: Any) -> bool:
    """The controller's own auto-rollback is under way or done (ramp itself has not rolled back yet)."""
    last = ctl.snapshot.extra.get("last_result")
    return bool(ctl.action_in_flight == "rollback" or getattr(last, "action", None) == "rollback")


async def _act(args: argparse.Namespace, out: _Out, doc: dict[str, Any], ctl: Any, snap: Snapshot) -> int:
    """Carry out the controller's decision on the stage: roll back, let it stand, or say it could not judge."""
    from canary_tui.commands.status import levels_json

    decision = snap.decision
    figs = figures(snap)
    doc.update(decision=decision_to_json(decision), levels=levels_json(figs, {}),
               gates=[{"name": g.name, "status": g.status.value, "reason": g.reason, "low_data": g.low_data} for g in snap.gates])
    for fig in figs:
        out.line(f"  {fig.level.glyph} {fig.label}: {fig.text} {fig.word}")
    for gate in snap.gates:
        out.line(f"  {gate.status.glyph} gate {gate.name}: {gate.reason}")
    if decision is not None:
        out.line(f"Decision: {decision.kind.value} — {decision.reason}", "red" if decision.kind is DecisionKind.ROLLBACK else "")
    reasons = decision.stage_failures if decision is not None else []  # the judgment's, never one gate's point estimate
    if not reasons and _controller_rolled_back(ctl):
        reasons = ["the controller's auto-rollback fired (see `canary-tui audit`)"]
    doc["stage_check"] = {"ok": not reasons, "failures": reasons}
    if reasons:
        why = "; ".join(reasons)
        if args.no_auto_rollback:
            await ctl.wait_idle()
            return _final(args, out, doc, ctl, EXIT_FAILED, f"stage check failed: {why} (not rolling back: --no-auto-rollback)")
        out.line("Rolling back to 0%...", "red")
        await ctl.wait_idle()  # the controller's own auto-rollback, if it already started, is seen through first
        last = ctl.snapshot.extra.get("last_result")
        done = getattr(last, "action", None) == "rollback" and getattr(last, "ok", False) and _percent_now(ctl) == 0
        rolled = last if done else await ctl.rollback(Trigger.AUTO, note=f"ramp stage check failed: {why}"[:500])
        doc["rolled_back"] = bool(rolled.ok)
        if rolled.ok:
            out.line("🔄 Rolled back to 0% (confirmed by read-back)", "yellow")
        tail = "; rolled back to 0%" if rolled.ok else f"; ROLLBACK FAILED: {rolled.message}"
        return _final(args, out, doc, ctl, EXIT_FAILED, f"stage check failed: {why}{tail}")
    if snap.connection is not ConnectionState.LIVE or snap.heartbeat is None:
        why = snap.connection_error or f"data {snap.connection.value}"
        return _final(args, out, doc, ctl, EXIT_FAILED, f"could not judge the stage ({why}): not rolling back on missing data")
    index = ctl.plan.index_of(args.percent)
    if decision is not None and decision.kind is DecisionKind.PROMOTE_ELIGIBLE:
        doc["outcome"] = "passed"
        out.line(f"Stage {index + 1 if index is not None else args.percent} complete: {decision.reason}", "green")
        return _final(args, out, doc, ctl, EXIT_OK)
    bake = format_duration(ctl.plan.stages[index].bake_s) if index is not None else None
    message = f"set to {args.percent}%; evidence still accumulating — monitor for {bake}" if bake else \
        f"set to {args.percent}%; evidence still accumulating — keep monitoring"
    doc["outcome"] = "inconclusive"
    out.line(message, "yellow")
    if args.strict:
        return _final(args, out, doc, ctl, EXIT_FAILED, f"{message} (--strict)")
    return _final(args, out, doc, ctl, EXIT_OK)


def _percent_now(ctl: Any) -> int | None:
    """The percent the server shows, as last seen."""
    dep = ctl.snapshot.deployment
    return dep.canary_percent if dep is not None else None


def _show_heartbeat(out: _Out, doc: dict[str, Any], snap: Snapshot) -> None:
    """The seed's heartbeat lines, from the controller's last trusted heartbeat."""
    hb = snap.heartbeat
    if hb is None or snap.connection is not ConnectionState.LIVE:
        out.line(f"❌ Failed to get heartbeat ({snap.connection_error or snap.connection.value})", "red")
        doc["heartbeat_error"] = snap.connection_error
        return
    m = hb.metrics
    out.line(f"✅ Heartbeat OK - Response time: {hb.response_ms / 1000:.3f}s", "green")
    out.line(f"  P50 Latency: {_ms(m.p50_ms)}")
    out.line(f"  P99 Latency: {_ms(m.p99_ms)}")
    window = snap.window
    doc["heartbeat"] = {"status": str(hb.status), "response_ms": hb.response_ms, "p50_ms": m.p50_ms, "p95_ms": m.p95_ms,
                        "p99_ms": m.p99_ms, "verified": hb.verified,
                        "window_requests": window.requests if window else None, "window_errors": window.errors if window else None,
                        "window_canary_requests": window.canary_requests if window else None,
                        "window_canary_errors": window.canary_errors if window else None}


async def _probe(args: argparse.Namespace, out: _Out, doc: dict[str, Any], ctl: Any) -> None:
    """The P95 test (open-loop at --rate, or the seed's loop with --sequential), handed to the controller as a gate."""
    timeout_ms = PROBE_TIMEOUT_S * 1000.0
    if args.sequential:
        out.line(f"Running P95 latency test ({args.probe} requests)...", "yellow")
        seq = await sequential_probe(ctl.client, args.probe, out)
        latencies = seq.latencies_ms + [timeout_ms] * seq.errors
        doc["probe"] = {"n": seq.n, "answered": len(seq.latencies_ms), "errors": seq.errors, "p95_ms": seq.p95_ms, "method": "sequential"}
        p95 = seq.p95_ms
    else:
        out.line(f"Running P95 latency test ({args.probe} requests, open-loop at {args.rate:g}/s)...", "yellow")
        result = await run_probe_with(ctl.client.health, n=args.probe, rate_per_s=args.rate, timeout_s=PROBE_TIMEOUT_S,
                                      seed=0, expected_percent=args.percent)
        if result.errors:
            out.line(f"  {result.errors} of {result.n} requests failed ({result.timeouts} timed out, counted at {PROBE_TIMEOUT_S:g} s)")
        p95 = result.p95_ms if result.errors < result.n else None  # nothing answered: no measurement
        latencies = [s.latency_ms for s in result.samples] if result.errors < result.n else []
        doc["probe"] = {"n": result.n, "answered": result.n - result.errors, "errors": result.errors, "timeouts": result.timeouts,
                        "p95_ms": p95, "p95_ci_ms": list(result.p95_ci_ms) if result.p95_ci_ms else None, "low_data": result.low_data,
                        "canary_share": result.canary_share, "method": "open-loop", "rate_per_s": args.rate}
    gate = ctl.observe_probe(latencies, args.percent)
    doc["probe"]["gate"] = {"name": gate.name, "status": gate.status.value, "reason": gate.reason}
    if p95 is None:
        out.line("❌ P95 test failed: no request answered", "red")
    else:
        out.line(f"P95 Latency: {p95:.3f}ms", "green" if gate.status is GateStatus.PASS else "red")
    out.line(f"  {gate.status.glyph} {gate.name}: {gate.reason}")


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}ms"


def _final(args: argparse.Namespace, out: _Out, doc: dict[str, Any], ctl: Any, code: int, error: str | None = None) -> int:
    """The seed's closing lines, then the exit code (and the JSON document)."""
    current = _percent_now(ctl)
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
        sys.stderr.write(f"canary-tui: {doc.get('target', '?') + ': ' if 'collected' in args else ''}{error}\n")
    if "collected" in args:
        args.collected.append(doc)
    elif args.json:
        print_json(doc)
    sys.stdout.flush()
    return code
