"""`python -m benchmarks [--quick] [--json FILE] [--only NAME ...]`: run the figures, print a table, write JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback

from benchmarks import Figure

#: figure modules in the order of issue 7, then the fleet (issue 15), the history store (issue 16) and Prometheus (issue 18)
MODULES: tuple[str, ...] = ("rollback", "chart", "idle_cpu", "memory", "startup", "probe", "fleet", "store", "prometheus")


def _table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "target", "met")]
    for f in figures:
        met = "—" if f.met is None else ("yes" if f.met else "NO")
        rows.append((f.name, f"{f.value:.3g} {f.unit}", "—" if f.target is None else f"{f.target} {f.unit}", met))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _markdown(figures: list[Figure]) -> str:
    """The figures as a Markdown table (what the README's Performance section shows)."""
    lines = ["| figure | value | target | met | measured |", "|---|---|---|---|---|"]
    for f in figures:
        met = "—" if f.met is None else ("yes" if f.met else "**no**")
        target = "—" if f.target is None else f"{f.target} {f.unit}".replace("<=", "≤")
        detail = f.detail.replace("|", "\\|")
        lines.append(f"| {f.name} | {f.value:.3g} {f.unit} | {target} | {met} | {detail} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer trials and shorter windows (about a minute)")
    parser.add_argument("--json", metavar="FILE", help="write {\"figures\": [...]} to FILE")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--only", nargs="+", choices=MODULES, metavar="NAME", help=f"run only these: {', '.join(MODULES)}")
    args = parser.parse_args(argv)
    figures: list[Figure] = []
    failed: list[str] = []
    started = time.time()
    for name in args.only or MODULES:
        t0 = time.perf_counter()
        print(f"[{name}] running…", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            got = module.run(args.quick)
        except Exception:  # noqa: BLE001 - one broken figure must not hide the others
            traceback.print_exc()
            failed.append(name)
            got = [Figure(f"{name}: failed", float("nan"), "", None, False, "see stderr")]
        figures.extend(got)
        print(f"[{name}] {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    print(_table(figures))
    for f in figures:
        print(f"  {f.name}: {f.detail}")
    if args.markdown:
        print()
        print(_markdown(figures))
    if args.json:
        doc = {
            "figures": [f.to_json() for f in figures],
            "quick": args.quick,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "duration_s": round(time.time() - started, 1),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs",
        }
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=2)
            handle.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
