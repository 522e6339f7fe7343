"""Benchmarks of what on-call feels (issue 7): `python -m benchmarks [--quick] [--json FILE]`.

Every figure is a ratio or a share measured in the same run, so it holds on a
noisy shared machine. One module per figure; each exposes `run(quick) -> list[Figure]`.
This package imports only the runtime and test dependencies of canary-tui.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure: `target` is a human-readable bound (None: reported only), `met` whether it held."""

    name: str
    value: float
    unit: str
    target: str | None
    met: bool | None
    detail: str

    def to_json(self) -> dict[str, object]:
        """The JSON object of one figure (value rounded to 4 significant digits)."""
        data = asdict(self)
        data["value"] = _round(self.value)
        return data


def _round(value: float) -> float:
    """4 significant digits, keeping NaN/inf out of the JSON (they become -1.0)."""
    if not math.isfinite(value):
        return -1.0
    if value == 0:
        return 0.0
    digits = 3 - int(math.floor(math.log10(abs(value))))
    return round(value, max(digits, 0))


def at_most(name: str, value: float, bound: float, unit: str, detail: str) -> Figure:
    """A figure whose target is value <= bound."""
    return Figure(name, value, unit, f"<= {bound:g}", bool(value <= bound), detail)


def reported(name: str, value: float, unit: str, detail: str) -> Figure:
    """A figure with no target: reported for context."""
    return Figure(name, value, unit, None, None, detail)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of `values`: the ceil(q·n)-th smallest."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    """The median (mean of the middle two for an even count)."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return math.nan
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def _descendants(pid: int) -> list[int]:
    """The pids of a process's children, their children, and so on (from /proc/PID/task/*/children)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as handle:
                    children = [int(child) for child in handle.read().split()]
            except FileNotFoundError:
                continue
            found += children
            pending += children
    return found


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) and of its live descendants (the chart's build process).

    A descendant that exited between two readings takes its CPU with it; the dashboard's build process lives as long
    as the dashboard, so it is counted.
    """
    total = 0.0
    for one in [pid, *_descendants(pid)]:
        try:
            with open(f"/proc/{one}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5), after pid and comm
    return total / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int | str = "self") -> int:
    """Resident set size (VmRSS) in kB from /proc/PID/status."""
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("VmRSS not found")
