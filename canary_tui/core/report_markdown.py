"""The report as Markdown: for a rolled-back release, an incident report ready for `gh issue create --body-file`.

Rendered from the report's plain dict (core/report.py), so the Markdown and the JSON say the same things.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from canary_tui.core.thresholds import Level

_LABELS = {"p50_ms": "P50", "p95_ms": "P95", "p99_ms": "P99", "error_rate": "Error rate", "success_rate": "Success rate"}
#: figures of an auto-rollback's moment worth a line, in this order (the rest stays in the JSON)
_TRIGGER_KEYS = ("canary_percent", "window_canary_errors", "window_canary_requests", "window_canary_error_rate", "window_stable_error_rate",
                 "canary_p50_ms", "canary_p95_ms", "canary_p99_ms", "stable_p95_ms", "window_error_rate", "p95_ms")


def _esc(text: object) -> str:
    """A table cell: pipes and newlines escaped."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def format_cell(metric: str, cell: Mapping[str, Any]) -> str:
    """'104 ms [98–110] ✔ healthy', '0.40% [0.23%–0.70%] ⚠ warning', 'n/a ? low data'."""
    level = Level(str(cell.get("level", "unknown")))
    value, low, high = cell.get("value"), cell.get("low"), cell.get("high")
    if value is None:
        return f"n/a {level.glyph} low data"
    if cell.get("low_data") and low is None:
        return f"{_fmt(metric, value)} {level.glyph} low data ({cell.get('samples')} polls)"

    interval = f" [{_fmt(metric, low)}–{_fmt(metric, high)}]" if low is not None and high is not None else ""
    word = "low data" if cell.get("low_data") else level.word
    return f"{_fmt(metric, value)}{interval} {level.glyph} {word}"


def _fmt(metric: str, x: float) -> str:
    """A latency in ms, a rate in percent."""
    return f"{x:.0f} ms" if metric.endswith("_ms") else f"{x * 100:.2f}%"


def _trigger_value(key: str, value: object) -> str:
    if isinstance(value, float) and "rate" in key:
        return f"{value * 100:.2f}%"
    if isinstance(value, float) and key.endswith("_ms"):
        return f"{value:.0f} ms"
    return str(value)


def _incident(inc: Mapping[str, Any], peak: object) -> list[str]:
    lines = ["## Incident", ""]
    lines.append(f"- **Trigger**: {inc['trigger']} — rolled back by {inc['rolled_back_by']} from {inc['from_percent']}%")
    if inc.get("reason"):
        lines.append(f"- **Reason**: {inc['reason']}")
    window = inc["impact_window"]
    seconds = window.get("seconds")
    lasted = f" ({seconds:.0f} s)" if isinstance(seconds, (int, float)) else ""
    lines.append(f"- **Impact window**: {window['from']} → {window['to']}{lasted}; the canary reached {peak}% of traffic")
    lines.append(f"- **Who acted**: {', '.join(inc['acted'])}")
    lines.append(f"- **Checkpoint**: {inc['checkpoint_id'] or 'none created for this version'}")
    at = inc.get("at_trigger") or {}
    if at:
        lines += ["", "### Metrics at the trigger", "", "| figure | value |", "|---|---|"]
        lines += [f"| {k} | {_esc(_trigger_value(k, at[k]))} |" for k in _TRIGGER_KEYS if at.get(k) is not None]
        for gate in at.get("failing_gates", []):
            lines.append(f"| gate {_esc(gate.get('name'))} failing | {_esc(gate.get('reason'))} |")
        for trip in at.get("trips", []):
            figures = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in trip.items() if k not in ("kind", "reason") and v is not None)
            lines.append(f"| trip {trip.get('kind')} | {_esc(trip.get('reason') or '')} ({_esc(figures)}) |")
    lines.append("")
    return lines


def _comparison(comp: Mapping[str, Any]) -> list[str]:
    columns: Sequence[Mapping[str, Any]] = comp["columns"]
    lines = ["## Before / after", "", ("Stable before the ramp against the canary during each stage: the median per-poll percentile "
             "with its 95% interval, rates with their Wilson interval; each level on the thresholds in force."), ""]
    lines.append("| figure | " + " | ".join(f"{c['name']} ({c['samples']} polls)" for c in columns) + " |")
    lines.append("|---|" + "---|" * len(columns))
    for metric in comp["rows"]:
        lines.append(f"| {_LABELS.get(metric, metric)} | " + " | ".join(_esc(format_cell(metric, c["figures"][metric])) for c in columns) + " |")
    lines.append("")
    return lines


def render_markdown(report: Mapping[str, Any]) -> str:
    """The whole report; a rolled-back release's starts with the incident (title, trigger, window, checkpoint)."""
    rel, inc = report["release"], report.get("incident")
    title = inc["title"] if inc else f"Release {rel['canary_version']} on {report['target']}: {rel['outcome']}"
    lines = [f"# {title}", ""]
    lines.append(f"**Target** {report['target']} · **Canary** {rel['canary_version']} (stable {rel['stable_version'] or '?'}) · "
                 f"**Outcome** {rel['outcome']} · **Started** {rel['started']} · **Ended** {rel['ended'] or '—'} · "
                 f"**Checkpoint** {rel['checkpoint_id'] or '—'}")
    lines.append("")
    if inc:
        lines += _incident(inc, rel["peak_percent"])
    lines += ["## Timeline", "", "| time | step | who | trigger | note |", "|---|---|---|---|---|"]
    lines += [f"| {e['time']} | {_esc(e['text'])} | {_esc(e['actor'])} | {e['trigger']} | {_esc(e['note'] or '')} |" for e in report["timeline"]]
    lines.append("")
    lines += _comparison(report["comparison"])
    if report.get("history_note"):
        lines += [f"_{report['history_note']}_", ""]
    sr = report["success_rate"]
    rate = "n/a (no ended release)" if sr["rate"] is None else f"{sr['rate'] * 100:.0f}%"
    lines += ["## Deployment success rate", "",
              (f"Last {sr['last']} releases of {report['target']}: {sr['completed']} completed, {sr['rolled_back']} rolled back → **{rate}** "
              "(completed / (completed + rolled back), from the audit log)."), ""]
    if inc:
        lines += ["## Audit excerpt", "", "```jsonl"]
        lines += [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in inc["audit_excerpt"]]
        lines += ["```", ""]
    lines.append(f"_Generated by canary-tui at {report['generated_at']}._")
    return "\n".join(lines) + "\n"
