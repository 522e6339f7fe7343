"""Config for notifications: `[[notify]]` routes (URL, events, environments) and the `[notifications]` settings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from canary_tui.config_fields import _NAME, _Errors, _key, _number, _show, _table, url_problem
from canary_tui.config_model import (
    GATE_FAILING_AFTER_S,
    SEND_RETRIES,
    SEND_TIMEOUT_S,
    STALE_AFTER_S,
    UNCONFIRMED_AFTER_ATTEMPTS,
    CredentialSource,
    NotifyRoute,
    NotifySettings,
)
from canary_tui.config_sections import _parse_source
from canary_tui.core.notices import NOTIFY_EVENTS, ThrottleLimits
from canary_tui.core.plans import parse_duration

NOTIFY_KEYS = ("url", "events", "environments")
NOTIFICATIONS_KEYS = ("link_base", "gate_failing_after", "stale_after", "unconfirmed_after_attempts", "timeout_s", "retries",
                      "dedupe_window", "rate_limit_count", "rate_limit_window")
def parse_notify(data: Mapping[str, Any], environments: Mapping[str, object], base_dir: Path, errs: _Errors) -> NotifySettings:
    """`[[notify]]` and `[notifications]` from the top-level table; each problem names its key."""
    routes: list[NotifyRoute] = []
    raw_routes = data.get("notify", [])
    if not isinstance(raw_routes, list):
        errs.add("notify", "expected an array of tables: write each route as [[notify]] with url = \"json://host/path\"")
        raw_routes = []
    for i, raw in enumerate(raw_routes):
        route = _parse_route(raw, f"notify[{i}]", environments, base_dir, errs)
        if route is not None:
            routes.append(route)
    table = _table(data["notifications"], "notifications", errs) if "notifications" in data else {}
    table = table or {}
    errs.unknown_keys(table, NOTIFICATIONS_KEYS, "notifications")
    link_base = table.get("link_base")
    if link_base is not None:
        problem = url_problem(link_base, allow_insecure=True)
        if problem:
            errs.add("notifications.link_base", problem.replace("an https URL", "a web address"))
            link_base = None
    defaults = ThrottleLimits()
    return NotifySettings(
        routes=tuple(routes),
        link_base=link_base.rstrip("/") if isinstance(link_base, str) else None,
        gate_failing_after_s=_duration(table, "gate_failing_after", GATE_FAILING_AFTER_S, errs),
        stale_after_s=_duration(table, "stale_after", STALE_AFTER_S, errs),
        unconfirmed_after_attempts=_count(table, "unconfirmed_after_attempts", UNCONFIRMED_AFTER_ATTEMPTS, 1, 100, errs),
        timeout_s=_number(table, "timeout_s", SEND_TIMEOUT_S, "notifications", errs, 0, 300.0),
        retries=_count(table, "retries", SEND_RETRIES, 0, 10, errs),
        limits=ThrottleLimits(
            dedupe_s=_duration(table, "dedupe_window", defaults.dedupe_s, errs),
            rate_count=_count(table, "rate_limit_count", defaults.rate_count, 1, 1000, errs),
            rate_window_s=_duration(table, "rate_limit_window", defaults.rate_window_s, errs),
        ),
    )


def _parse_route(raw: Any, prefix: str, environments: Mapping[str, object], base_dir: Path, errs: _Errors) -> NotifyRoute | None:
    table = _table(raw, prefix, errs)
    if table is None:
        return None
    errs.unknown_keys(table, NOTIFY_KEYS, prefix)
    url: str | CredentialSource | None = None
    value = table.get("url")
    if isinstance(value, str) and "://" in value and value.strip() == value:
        url = value
    elif isinstance(value, dict):
        url = _parse_source(table, "url", CredentialSource("env", ""), prefix, base_dir, errs)
    else:
        shown = "nothing" if value is None else ("a URL without scheme://" if isinstance(value, str) else _show(value))
        errs.add(_key(prefix, "url"), f"expected an apprise URL like 'json://host:port/path' or 'slack://…', or {{ env = \"VAR\" }}, got {shown}")
    events = _names(table, "events", prefix, tuple(NOTIFY_EVENTS), errs)
    known_envs = tuple(environments)
    envs = _names(table, "environments", prefix, known_envs or None, errs)
    if url is None or (isinstance(url, CredentialSource) and not url.value):
        return None
    return NotifyRoute(url, events, envs)


def _names(table: Mapping[str, Any], name: str, prefix: str, allowed: tuple[str, ...] | None, errs: _Errors) -> tuple[str, ...]:
    """A non-empty array of names, each in `allowed` (any well-formed name when `allowed` is None)."""
    if name not in table:
        return ()
    value = table[name]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and _NAME.match(v) for v in value):
        errs.add(_key(prefix, name), f"expected a non-empty array of names, got {_show(value)}")
        return ()
    unknown = [v for v in value if allowed is not None and v not in allowed]
    if unknown:
        errs.add(_key(prefix, name), f"unknown {', '.join(map(repr, unknown))}; expected some of: {', '.join(allowed or ())}")
        return ()
    return tuple(value)


def _duration(table: Mapping[str, Any], name: str, default_s: float, errs: _Errors) -> float:
    """A duration like '10m' (or a number of seconds), greater than 0."""
    if name not in table:
        return default_s
    raw = table[name]
    try:
        seconds = parse_duration(raw)
    except (ValueError, TypeError, OverflowError):
        seconds = math.nan
    if math.isfinite(seconds) and seconds > 0:
        return seconds
    errs.add(_key("notifications", name), f"expected a duration like '90s', '10m' or '1h', got {_show(raw)}")
    return default_s


def _count(table: Mapping[str, Any], name: str, default: int, low: int, high: int, errs: _Errors) -> int:
    value = table.get(name, default)
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    errs.add(_key("notifications", name), f"expected an integer from {low} to {high}, got {_show(value)}")
    return default
