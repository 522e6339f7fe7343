"""`canary-tui probe TARGET [-n N] [--rate R] [--json]`: the seed's P95 test of N requests, open-loop.

Exit 0 when the probe ran (whatever it found), 1 when no request succeeded, 2 on usage or config errors.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from canary_tui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    client_for,
    fail,
    load_config_or_exit,
    paint,
    print_json,
    resolve_target_or_exit,
)
from canary_tui.config import EnvironmentConfig
from canary_tui.mission.errors import MissionError
from canary_tui.mission.probe import ProbeResult, run_probe, run_sequential

P95_LIMIT_MS = 500.0  # the seed's stage gate: P95 < 500 ms


def _positive_int(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError("must be 1..100000")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value <= 10_000:
        raise argparse.ArgumentTypeError("must be > 0 and <= 10000")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `probe`."""
    parser = subparsers.add_parser(
        "probe", help="open-loop latency probe of /api/health (P50/P95/P99 with intervals, canary share)",
        description="Send N requests to /api/health at Poisson-jittered times (open loop) and report "
                    "latency quantiles with confidence intervals, errors and the canary share.")
    parser.add_argument("target", metavar="TARGET", help="environment name from the config, or a URL")
    parser.add_argument("-n", type=_positive_int, default=100, metavar="N", help="requests to send (default 100)")
    parser.add_argument("--rate", type=_positive_float, default=20.0, metavar="R",
                        help="requests per second, on average (default 20)")
    parser.add_argument("--timeout-s", type=_positive_float, default=5.0, metavar="S",
                        help="per-request timeout; a timeout is an error at this latency (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the send schedule (default 0)")
    parser.add_argument("--sequential", action="store_true",
                        help="the seed's one-after-another loop instead (hides stalls; for comparison only)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)
    return ["probe"]


async def _configured_percent(env: EnvironmentConfig) -> int | None:
    """The canary percent the server reports now, None when the heartbeat cannot be read."""
    try:
        async with client_for(env) as client:
            heartbeat = await client.heartbeat()
    except (MissionError, OSError):
        return None
    return heartbeat.deployment.canary_percent


async def _probe(env: EnvironmentConfig, args: argparse.Namespace) -> ProbeResult:
    """Read the configured percent, then probe."""
    expected = await _configured_percent(env)
    verify: bool | str = env.ca_bundle if env.ca_bundle else env.verify_tls
    if args.sequential:
        return await run_sequential(env.url, n=args.n, timeout_s=args.timeout_s, verify=verify,
                                    expected_percent=expected)
    return await run_probe(env.url, n=args.n, rate_per_s=args.rate, timeout_s=args.timeout_s, seed=args.seed,
                           verify=verify, expected_percent=expected)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"


def format_text(result: ProbeResult, target: str) -> str:
    """Human output: the seed's P95 line, with intervals, errors and the split."""
    mode = "open-loop" if result.open_loop else "sequential (coordinated omission: hides stalls)"
    lines = [f"Probe {target}: {result.n} requests, {mode}, {result.duration_s:.1f} s"]
    answered_none = bool(result.n) and result.errors == result.n
    for name, value, ci in (("P50", result.p50_ms, result.p50_ci_ms), ("P95", result.p95_ms, result.p95_ci_ms),
                            ("P99", result.p99_ms, result.p99_ci_ms)):
        if answered_none:
            break  # failures timed: no latency of the service to show
        interval = f"  95% CI {ci[0]:.0f}–{ci[1]:.0f} ms" if ci else ""
        lines.append(f"  {name} {_ms(value)}{interval}")
    if answered_none:
        why = f": {result.first_error}" if result.first_error else ""
        lines.append(paint(f"  ✖ no request answered{why}", "bold red"))
    elif result.p95_ms is not None:
        ci = result.p95_ci_ms
        if ci and ci[1] < P95_LIMIT_MS:
            verdict = paint("✔ P95 < 500 ms", "green")
        elif ci and ci[0] > P95_LIMIT_MS:
            verdict = paint("✖ P95 > 500 ms", "bold red")
        else:
            verdict = paint("◌ P95 vs 500 ms undecided on this sample", "yellow")
        lines.append(f"  {verdict}{'  (low data)' if result.low_data else ''}")
    lines.append(f"  errors {result.errors}/{result.n} (timeouts {result.timeouts})")
    if result.canary_share is not None and result.canary_share_ci is not None:
        low, high = result.canary_share_ci
        expected = "" if result.expected_percent is None else (
            f" vs configured {result.expected_percent}% "
            + ("✔ consistent" if result.share_consistent else "✖ inconsistent (99% interval)"))
        lines.append(f"  canary share {result.canary_share:.1%} (95% CI {low:.1%}–{high:.1%}){expected}")
    else:
        lines.append("  canary share unknown (no X-Canary header)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Resolve TARGET, probe, print; exit 1 when nothing answered."""
    config = load_config_or_exit(args)
    env = resolve_target_or_exit(config, args.target)
    try:
        result = asyncio.run(_probe(env, args))
    except ValueError as exc:
        fail(str(exc))
    if args.json:
        print_json({"target": env.name, "url": env.url, **result.to_json()})
    else:
        sys.stdout.write(format_text(result, env.name) + "\n")
    return EXIT_FAILED if result.n and result.errors == result.n else EXIT_OK
