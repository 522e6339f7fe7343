"""An environment's `metrics = "prometheus"` keys: `prometheus_url` and the `[environments.NAME.prometheus]` table."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from canary_tui.config_fields import _bool, _Errors, _key, _number, _resolve_file, _show, _table, url_problem
from canary_tui.config_model import DEFAULT_PROMQL, PROMQL_PLACEHOLDERS, PrometheusConfig
from canary_tui.config_sections import _parse_source
from canary_tui.core.plans import parse_duration

METRICS_KEYS = ("metrics", "prometheus_url", "prometheus")
PROMETHEUS_KEYS = ("token", "verify_tls", "ca_bundle", "window", "labels", "timeout_s", *DEFAULT_PROMQL)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_WINDOW_S = 86400.0


def parse_metrics(table: Mapping[str, Any], prefix: str, allow_insecure: bool, base_dir: Path, errs: _Errors) -> PrometheusConfig | None:
    """The environment's Prometheus settings when `metrics = "prometheus"`, None for the heartbeat's own figures."""
    metrics = table.get("metrics", "heartbeat")
    if metrics not in ("heartbeat", "prometheus"):
        errs.add(_key(prefix, "metrics"), f"expected 'heartbeat' or 'prometheus', got {_show(metrics)}")
        return None
    if metrics == "heartbeat":
        for name in ("prometheus_url", "prometheus"):
            if name in table:
                errs.add(_key(prefix, name), "is used only with metrics = 'prometheus'")
        return None
    url = table.get("prometheus_url")
    url_key = _key(prefix, "prometheus_url")
    if url is None:
        errs.add(url_key, "is required with metrics = 'prometheus': a URL like 'https://prometheus.example.com'")
        return None
    problem = url_problem(url, allow_insecure)
    if problem:
        errs.add(url_key, problem.replace("mission.example.com", "prometheus.example.com"))
        return None
    sub_prefix = _key(prefix, "prometheus")
    sub = _table(table.get("prometheus", {}), sub_prefix, errs) or {}
    errs.unknown_keys(sub, PROMETHEUS_KEYS, sub_prefix)
    return PrometheusConfig(
        url=str(url).rstrip("/"),
        token=_parse_source(sub, "token", None, sub_prefix, base_dir, errs),  # type: ignore[arg-type]  # None: no token
        verify_tls=_bool(sub, "verify_tls", True, sub_prefix, errs),
        ca_bundle=_ca_bundle(sub, sub_prefix, base_dir, errs),
        window_s=_window_s(sub, sub_prefix, errs),
        labels=_labels(sub, sub_prefix, errs),
        queries=tuple((name, _query(sub, name, sub_prefix, errs)) for name in DEFAULT_PROMQL),
        timeout_s=_number(sub, "timeout_s", 5.0, sub_prefix, errs, 0, 600.0),
    )


def _ca_bundle(table: Mapping[str, Any], prefix: str, base_dir: Path, errs: _Errors) -> str | None:
    if "ca_bundle" not in table:
        return None
    raw = table["ca_bundle"]
    if not isinstance(raw, str) or not raw.strip():
        errs.add(_key(prefix, "ca_bundle"), f"expected the path of a PEM file, got {_show(raw)}")
        return None
    path = _resolve_file(raw, base_dir)
    if not Path(path).is_file():
        errs.add(_key(prefix, "ca_bundle"), f"expected an existing PEM file, got {path!r} (not found)")
    return path


def _window_s(table: Mapping[str, Any], prefix: str, errs: _Errors) -> float:
    raw = table.get("window", "1m")
    try:
        window_s = parse_duration(raw)
    except (ValueError, TypeError):
        window_s = 0.0
    if not 1.0 <= window_s <= _MAX_WINDOW_S or window_s != int(window_s):
        errs.add(_key(prefix, "window"), f"expected a whole number of seconds from 1 s to 1 d like '1m' or '30s', got {_show(raw)}")
        return 60.0
    return window_s


def _labels(table: Mapping[str, Any], prefix: str, errs: _Errors) -> tuple[tuple[str, str], ...]:
    raw = table.get("labels", {})
    key_path = _key(prefix, "labels")
    if not isinstance(raw, dict):
        errs.add(key_path, f"expected a table of label = \"value\" like {{ job = \"mission-control\" }}, got {_show(raw)}")
        return ()
    out = []
    for name, value in raw.items():
        if not _LABEL_NAME.match(str(name)) or not isinstance(value, str):
            errs.add(_key(key_path, str(name)), f"expected a Prometheus label name = a string, got {_show(value)}")
            continue
        out.append((str(name), value))
    return tuple(out)


def _query(table: Mapping[str, Any], name: str, prefix: str, errs: _Errors) -> str:
    raw = table.get(name, DEFAULT_PROMQL[name])
    key_path = _key(prefix, name)
    if not isinstance(raw, str) or not raw.strip():
        errs.add(key_path, f"expected a PromQL expression, got {_show(raw)}")
        return DEFAULT_PROMQL[name]
    unknown = sorted({p for p in _PLACEHOLDER.findall(raw) if p not in PROMQL_PLACEHOLDERS})
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in PROMQL_PLACEHOLDERS)
        errs.add(key_path, f"unknown placeholder {{{unknown[0]}}}; expected only {allowed}")
    elif "{variant}" not in raw:
        errs.add(key_path, "expected the {variant} placeholder (the query runs once for the canary and once for stable)")
    elif name == "window_latency_buckets" and "{window}" not in raw:
        errs.add(key_path, "expected the {window} placeholder (the histogram's increase over the window)")
    return raw
