"""Fleet figures (issue 15): idle CPU watching 12 targets vs 1, R among 12 targets (one hung) vs alone, rollback-all vs one rollback.

Idle CPU: `canary-tui watch` on a pseudo-terminal, as in benchmarks/idle_cpu.py, with a
config of 12 environments (poll_interval_s = 1) on 12 simulators served by one other
process: `watch t00 --read-only` (one target: the dashboard), `watch t00 t01 --read-only`
and `watch --all --read-only` (the overview of 2 and of 12). CPU is the app process's
utime + stime from /proc over the window, which starts 3 s after the first frame that
says LIVE (dashboard) or "N targets:" (overview). The rollback figures: benchmarks/fleet_rollback.py.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from benchmarks import Figure, at_most, median, percentile, process_cpu_s, reported
from benchmarks._procs import PtyApp, SimulatorProcess, child_env

WARMUP_S = 3.0
TARGETS = 12
#: budgets of issue 15 (each a ratio within one run)
IDLE_CPU_BUDGET_X = 2.0
R_BUDGET_X = 1.25
ROLLBACK_ALL_BUDGET_X = 2.0


def _idle_cpu(urls: list[str], home: str, window_s: float) -> dict[str, tuple[float, float, float]]:
    """{case: (CPU s, wall s, output bytes)} for the dashboard on 1 target and the overview on 2 and on 12."""
    env = child_env(home)
    config = Path(home) / "bench-fleet.toml"
    lines = ["poll_interval_s = 1.0", ""]
    for i, url in enumerate(urls):
        lines += [f"[environments.t{i:02d}]", f'url = "{url}"', ""]
    config.write_text("\n".join(lines), encoding="utf-8")
    env["CANARY_TUI_CONFIG"] = str(config)
    cases = {
        "1 target (dashboard)": (["t00"], b"LIVE"),
        "2 targets (overview)": (["t00", "t01"], b"2 targets:"),
        f"{len(urls)} targets (overview)": (["--all"], f"{len(urls)} targets:".encode()),
    }
    out: dict[str, tuple[float, float, float]] = {}
    for case, (args, marker) in cases.items():
        argv = [sys.executable, "-m", "canary_tui", "watch", *args, "--read-only"]
        with PtyApp(argv, env, markers=(marker,)) as app:
            if app.wait_for(marker, 30.0) is None:
                raise RuntimeError(f"fleet benchmark: {case} never showed {marker!r} (exit {app.proc.poll()})")
            time.sleep(WARMUP_S)
            cpu0, wall0, out0 = process_cpu_s(app.proc.pid), time.perf_counter(), app.output_bytes
            time.sleep(window_s)
            cpu1, wall1, out1 = process_cpu_s(app.proc.pid), time.perf_counter(), app.output_bytes
            if app.proc.poll() is not None:
                raise RuntimeError(f"fleet benchmark: {case} exited during the idle window")
        out[case] = (cpu1 - cpu0, wall1 - wall0, out1 - out0)
    return out


def cpu_figures(cpu: dict[str, tuple[float, float, float]]) -> list[Figure]:
    """Idle CPU of 12 targets over 1 (the budget), and of 12 over 2 overview targets (context)."""
    share = {case: c / w * 100.0 for case, (c, w, _) in cpu.items()}
    one, two, many = list(share)
    listing = "; ".join(f"{case}: {c:.2f} s CPU over {w:.1f} s wall = {share[case]:.2f}% of one core, "
                        f"{b / w / 1024:.1f} KiB/s to the terminal" for case, (c, w, b) in cpu.items())
    return [
        at_most(f"fleet idle CPU: {many.split()[0]} targets / 1 target at 1 Hz", share[many] / share[one], IDLE_CPU_BUDGET_X, "x",
                f"`watch --all` vs `watch t00`, --read-only, 120x40 pty, simulators in another process: {listing}"),
        reported(f"fleet idle CPU: {many.split()[0]} / 2 overview targets", share[many] / share[two], "x",
                 "what each extra polled target costs the overview (same run)"),
    ]


def rollback_figures(latencies: dict[str, list[float]], spread: list[float], hung_polls: int, trials: int) -> list[Figure]:
    """R among 12 (one hung) over R alone, the worse of both baselines (the budget); rollback-all over one rollback."""
    from benchmarks import fleet_rollback

    ms = {case: (median(v) * 1000, percentile(v, 0.99) * 1000) for case, v in latencies.items() if v}
    fleet_r = ms["fleet of 12, 1 hung"][0]
    against = {base: fleet_r / ms[base][0] for base in ("single dashboard", "fleet of 1")}
    worst = max(against, key=lambda base: against[base])
    listing = "; ".join(f"{case} median {m:.2f} ms, p99 {p:.2f} ms" for case, (m, p) in ms.items())
    r_detail = (f"R -> POST arrival, {trials} trials per case, audit on, 1 Hz polling, R at a random phase of the polls; "
                f"12 targets with t11's heartbeat hung ({hung_polls} of its polls ended while hung, on their timeout), "
                f"against the worse of: {', '.join(f'{base} {x:.2f}x' for base, x in against.items())}; {listing}")
    single, last = ms["single confirmation"][0], median(latencies["rollback-all"]) * 1000
    all_detail = (f"y in the dialog -> the last of 12 confirmations (read-back 0%) on screen, median {last:.1f} ms "
                  f"(p99 {ms['rollback-all'][1]:.1f} ms; last POST arrival median {median(spread) * 1000:.1f} ms), "
                  f"against R -> its confirmation with one target, median {single:.1f} ms; {trials} trials each")
    bare_one, bare_all = ms["bare one"][0], ms["bare 12"][0]
    rtt = fleet_rollback.RTT
    one_rtt, all_rtt = ms[f"one rollback, {rtt}"][0], ms[f"rollback-all, {rtt}"][0]
    bare_one_rtt, bare_all_rtt = ms[f"bare one, {rtt}"][0], ms[f"bare 12, {rtt}"][0]
    rtt_detail = (f"every simulator answers the POST and each heartbeat after {rtt}: y -> the last of 12 confirmations, "
                  f"median {all_rtt:.1f} ms (p99 {ms[f'rollback-all, {rtt}'][1]:.1f} ms), against R -> its confirmation on "
                  f"one target of the same overview, median {one_rtt:.1f} ms; floor (stock httpx): one {bare_one_rtt:.1f} ms, "
                  f"12 at once {bare_all_rtt:.1f} ms; {trials} trials each")
    return [
        at_most(f"fleet R->arrival: 12 targets, 1 hung / {worst} (median)", against[worst], R_BUDGET_X, "x", r_detail),
        at_most("fleet rollback-all of 12: last confirmation / one rollback (median)", last / single, ROLLBACK_ALL_BUDGET_X, "x", all_detail),
        reported("fleet rollback-all floor: 12 stock httpx POST + read-back at once / one (median)", bare_all / bare_one, "x",
                 f"what this machine and harness allow (12 simulators in one process, 2 cores): one {bare_one:.1f} ms, "
                 f"12 at once {bare_all:.1f} ms; interleaved with the rollback-all trials"),
        at_most(f"fleet rollback-all of 12 at {rtt}: last confirmation / one rollback (median)", all_rtt / one_rtt,
                ROLLBACK_ALL_BUDGET_X, "x", rtt_detail),
    ]


def run(quick: bool) -> list[Figure]:
    from benchmarks import fleet_rollback

    window_s = 6.0 if quick else 25.0
    with tempfile.TemporaryDirectory(prefix="canary-bench-fleet-") as home:
        with SimulatorProcess(scenario="healthy", seed=7, initial_percent=10, count=TARGETS) as sim:
            cpu = _idle_cpu(sim.urls, home, window_s)
        latencies, spread, hung_polls, trials = fleet_rollback.measure(quick, Path(home))
    return cpu_figures(cpu) + rollback_figures(latencies, spread, hung_polls, trials)
