"""Config validation helpers: key paths, value checks and URL rules, each problem collected with its key path."""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigError(Exception):
    """Every problem found in a config (or a target or a credential), each naming its key path."""

    def __init__(self, errors: list[str], path: Path | None = None) -> None:
        self.errors = list(errors)
        self.path = path
        super().__init__("\n".join(self.errors))



_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _key(prefix: str, name: str) -> str:
    """Dotted key path, quoting names that TOML would need quoted."""
    part = name if _BARE_KEY.match(name) else '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{prefix}.{part}" if prefix else part


def _show(value: Any) -> str:
    """A short description of a TOML value for 'got ...' in messages."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a table"
    text = repr(value)
    if isinstance(value, list) and len(text) > 60:
        return f"an array of {len(value)} items"
    return text if len(text) <= 60 else text[:57] + "..."


class _Errors:
    """Collects `key.path: message` lines."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, key_path: str, message: str) -> None:
        self.items.append(f"{key_path}: {message}")

    def unknown_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        """Report keys not in `allowed`, with a 'did you mean' when one is close."""
        for name in table:
            if name in allowed:
                continue
            close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f"; expected one of: {', '.join(allowed)}"
            self.add(_key(prefix, str(name)), f"unknown key{hint}")


def _table(value: Any, key_path: str, errs: _Errors) -> dict[str, Any] | None:
    """`value` when it is a table, else an error and None."""
    if isinstance(value, dict):
        return value
    errs.add(key_path, f"expected a table, got {_show(value)}")
    return None


def _bool(table: Mapping[str, Any], name: str, default: bool, prefix: str, errs: _Errors) -> bool:
    value = table.get(name, default)
    if isinstance(value, bool):
        return value
    errs.add(_key(prefix, name), f"expected true or false, got {_show(value)}")
    return default


def _number(
    table: Mapping[str, Any], name: str, default: float, prefix: str, errs: _Errors,
    low: float, high: float, what: str = "a number of seconds",
) -> float:
    """A finite number in (low, high] (low exclusive when it is 0, inclusive otherwise)."""
    value = table.get(name, default)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and (value > low if low == 0 else value >= low) and value <= high:
        return float(value)
    bounds = f"greater than 0 and at most {high:g}" if low == 0 else f"between {low:g} and {high:g}"
    errs.add(_key(prefix, name), f"expected {what} {bounds}, got {_show(value)}")
    return default


def _string(table: Mapping[str, Any], name: str, default: str, prefix: str, errs: _Errors, pattern: re.Pattern[str] | None = None, what: str = "a non-empty string") -> str:
    value = table.get(name, default)
    if isinstance(value, str) and value.strip() and (pattern is None or pattern.match(value)):
        return value
    errs.add(_key(prefix, name), f"expected {what}, got {_show(value)}")
    return default


def _resolve_file(text: str, base_dir: Path) -> str:
    """Absolute path for a file named in the config: `~` expanded, relative to the config file's directory."""
    candidate = Path(text).expanduser()
    return str(candidate if candidate.is_absolute() else (base_dir / candidate))


# ---------------------------------------------------------------- URLs

_LOOPBACK_NAMES = {"localhost", "localhost."}


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: Any, allow_insecure: bool = False) -> str | None:
    """Why `url` cannot be a Mission Control base URL, or None when it can (https, or http on loopback/allowed)."""
    if not isinstance(url, str) or not url.strip():
        return f"expected an https URL, got {_show(url)}"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"expected an https URL, got {_show(url)} ({exc})"
    if parts.scheme not in ("https", "http") or not host:
        return f"expected an https URL like 'https://mission.example.com', got {_show(url)}"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL are refused; configure token = { env = ... } instead"
    if parts.query or parts.fragment:
        return f"expected a base URL without ?query or #fragment, got {_show(url)}"
    if parts.scheme == "http" and not (allow_insecure or is_loopback_host(host)):
        return f"expected an https URL, got {_show(url)} (plain http is allowed only for loopback hosts or with allow_insecure = true)"
    return None

