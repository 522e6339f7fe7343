"""User config: one TOML file validated as a whole, so every mistake is reported at once and nothing is half-applied.

The parts live in sibling modules (types in config_model, checks in config_fields, sections in config_sections,
environments and targets in config_targets); `canary_tui.config` stays the one import for all of them.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from canary_tui import paths
from canary_tui.config_fields import _NAME, ConfigError, _Errors, _key, _number, _show, _string, _table, is_loopback_host, url_problem
from canary_tui.config_model import (
    ACTUATOR_PLACEHOLDERS,
    CREDENTIAL_COMMAND_TIMEOUT_S,
    DEFAULT_SECRET,
    DEFAULT_SECRET_ENV,
    DEFAULT_TOKEN,
    DEFAULT_TOKEN_ENV,
    MAX_ACTOR_CHARS,
    POLL_INTERVAL_RANGE_S,
    STORE_FULL_RESOLUTION_H,
    STORE_MINUTE_DAYS,
    THRESHOLD_KEYS,
    ActuatorConfig,
    Config,
    CredentialSource,
    EnvironmentConfig,
    default_actor,
)
from canary_tui.config_notify import NOTIFICATIONS_KEYS, NOTIFY_KEYS, parse_notify
from canary_tui.config_sections import _ACTUATOR_KEYS, _PLAN_KEYS, _SOURCE_KEYS, _STAGE_KEYS, _parse_keymap, _parse_plan, _parse_thresholds
from canary_tui.config_targets import _ENV_KEYS, REGION_PLACEHOLDER, check_pipeline, parse_environment, resolve_target, resolve_targets
from canary_tui.core.plans import BUILTIN_PLANS, RampPlan
from canary_tui.mission.credentials import Secret

__all__ = [
    "ACTUATOR_PLACEHOLDERS", "CREDENTIAL_COMMAND_TIMEOUT_S", "DEFAULT_SECRET", "DEFAULT_SECRET_ENV", "DEFAULT_TOKEN",
    "DEFAULT_TOKEN_ENV", "MAX_ACTOR_CHARS", "POLL_INTERVAL_RANGE_S", "REGION_PLACEHOLDER", "THRESHOLD_KEYS",
    "ActuatorConfig", "Config", "ConfigError", "CredentialSource", "EnvironmentConfig", "config_from_dict",
    "credential_warnings", "default_actor", "is_loopback_host", "load_config", "resolve_secret", "resolve_target",
    "resolve_targets", "url_problem",
]

#: every accepted key, by table (docs/config.md names each one: tests/test_config.py checks it)
KNOWN_KEYS = (_ACTUATOR_KEYS, _ENV_KEYS, _PLAN_KEYS, _SOURCE_KEYS, _STAGE_KEYS, NOTIFY_KEYS, NOTIFICATIONS_KEYS)
_TOP_KEYS = ("poll_interval_s", "theme", "keymap", "actor", "default_plan", "thresholds", "plans", "environments",
             "store", "store_full_resolution_h", "store_minute_days", "notify", "notifications")


def config_from_dict(data: Mapping[str, Any], path: Path | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    """Validate parsed TOML; raise ConfigError listing every problem (a Config is built only when there are none)."""
    errs = _Errors()
    if not isinstance(data, Mapping):
        raise ConfigError(["(top level): expected a table"], path)
    base_dir = path.parent if path is not None else Path.cwd()
    errs.unknown_keys(data, _TOP_KEYS, "")
    poll_interval_s = _number(data, "poll_interval_s", 1.0, "", errs, *POLL_INTERVAL_RANGE_S)
    theme = _string(data, "theme", "canary-dark", "", errs, _NAME, "a theme name like 'canary-dark'")
    actor = data.get("actor", None)
    if actor is None:
        actor = default_actor(environ)
    elif not isinstance(actor, str) or not actor.strip() or len(actor) > MAX_ACTOR_CHARS:
        errs.add("actor", f"expected a name like 'alice@laptop' (at most {MAX_ACTOR_CHARS} characters), got {_show(actor)}")
        actor = default_actor(environ)
    store_path = _parse_store_path(data.get("store"), base_dir, errs)
    full_h, low, high = STORE_FULL_RESOLUTION_H
    store_full_resolution_h = _number(data, "store_full_resolution_h", full_h, "", errs, low, high, "a number of hours")
    minute_days, low, high = STORE_MINUTE_DAYS
    store_minute_days = _number(data, "store_minute_days", minute_days, "", errs, low, high, "a number of days")
    keymap = _parse_keymap(data["keymap"], errs) if "keymap" in data else {}
    thresholds = _parse_thresholds(data["thresholds"], errs) if "thresholds" in data else {}

    plans: dict[str, RampPlan] = dict(BUILTIN_PLANS)
    declared = set(BUILTIN_PLANS)
    plans_table = _table(data["plans"], "plans", errs) if "plans" in data else {}
    for name, raw in (plans_table or {}).items():
        prefix = _key("plans", str(name))
        if name in BUILTIN_PLANS:
            errs.add(prefix, f"is built in and cannot be redefined; choose another name (built in: {', '.join(BUILTIN_PLANS)})")
            continue
        if not _NAME.match(str(name)):
            errs.add(prefix, "expected a plan name of letters, digits, '.', '_' or '-'")
            continue
        declared.add(name)
        plan = _parse_plan(name, raw, prefix, errs)
        if plan is not None:
            plans[name] = plan

    default_plan = data.get("default_plan", "standard")
    if not isinstance(default_plan, str) or default_plan not in declared:
        errs.add("default_plan", f"expected one of: {', '.join(sorted(declared))}, got {_show(default_plan)}")
        default_plan = "standard"

    environments: dict[str, EnvironmentConfig] = {}
    targets: dict[str, EnvironmentConfig] = {}
    env_table = _table(data["environments"], "environments", errs) if "environments" in data else {}
    for name, raw in (env_table or {}).items():
        parsed = parse_environment(str(name), raw, plans, declared, default_plan, base_dir, errs)
        if parsed is not None:
            environments[str(name)] = parsed[0]
            targets.update((t.name, t) for t in parsed[1])
    check_pipeline(environments, errs)
    notify = parse_notify(data, environments, base_dir, errs)

    if errs.items:
        raise ConfigError(errs.items, path)
    return Config(
        path=path,
        environments=environments,
        plans=plans,
        threshold_overrides=thresholds,
        poll_interval_s=poll_interval_s,
        theme=theme,
        keymap=keymap,
        actor=actor,
        default_plan=default_plan,
        targets=targets,
        store_path=store_path,
        store_full_resolution_h=store_full_resolution_h,
        store_minute_days=store_minute_days,
        notify=notify,
    )


def _parse_store_path(value: Any, base_dir: Path, errs: _Errors) -> Path | None:
    """`store = PATH`: the history store's file (~ expanded, relative to the config file's directory)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        errs.add("store", f"expected the path of the history store's file, like '~/ops/canary-history.sqlite3', got {_show(value)}")
        return None
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base_dir / path
    if path.is_dir():
        errs.add("store", f"{path} is a directory; name a file in it, like '{path / paths.STORE_FILE_NAME}'")
        return None
    return path


def load_config(path: Path | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    """Load and validate the config file; a missing default file means defaults, a missing named file is an error."""
    explicit = paths.config_file_is_explicit(path, environ)
    file_path = paths.config_file(path, environ)
    try:
        raw = file_path.read_bytes()
    except FileNotFoundError:
        if explicit:
            raise ConfigError([f"(file): not found: {file_path}"], file_path) from None
        return config_from_dict({}, None, environ)
    except OSError as exc:
        raise ConfigError([f"(file): cannot read {file_path}: {exc.strerror or exc}"], file_path) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError([f"(file): not UTF-8 text (byte {exc.start})"], file_path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"(syntax): {exc}"], file_path) from None
    return config_from_dict(data, file_path, environ)



def credential_warnings(source: CredentialSource) -> list[str]:
    """Warnings about a credential source that works but is unsafe (a file readable by group or others)."""
    if source.kind != "file":
        return []
    try:
        mode = os.stat(str(source.value)).st_mode
    except OSError:
        return []
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return [f"credential file {source.value} is accessible by group or others (mode {stat.S_IMODE(mode):04o}); run: chmod 600 {shlex.quote(str(source.value))}"]
    return []


def resolve_secret(source: CredentialSource, environ: Mapping[str, str] = os.environ) -> Secret | None:
    """Read a secret from its source: None when the env var is unset; ConfigError (never showing the value) on failure."""
    label = source.describe()
    if source.kind == "env":
        value = environ.get(str(source.value), "")
        return Secret(value, label) if value else None
    if source.kind == "file":
        try:
            text = Path(str(source.value)).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ConfigError([f"{label}: cannot read the credential file ({reason})"]) from None
        value = text.rstrip("\r\n")
        if not value:
            raise ConfigError([f"{label}: the credential file is empty"])
        return Secret(value, label)
    if source.kind == "command":
        argv = list(source.value) if isinstance(source.value, tuple) else shlex.split(str(source.value))
        try:
            done = subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=CREDENTIAL_COMMAND_TIMEOUT_S, check=False,
            )
        except FileNotFoundError:
            raise ConfigError([f"{label}: program not found"]) from None
        except subprocess.TimeoutExpired:
            raise ConfigError([f"{label}: no answer within {CREDENTIAL_COMMAND_TIMEOUT_S:g} s"]) from None
        except OSError as exc:
            raise ConfigError([f"{label}: cannot run ({exc.strerror or type(exc).__name__})"]) from None
        if done.returncode != 0:
            raise ConfigError([f"{label}: exited with status {done.returncode} (its output is not shown)"])
        try:
            value = done.stdout.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise ConfigError([f"{label}: printed something that is not UTF-8 text"]) from None
        if not value:
            raise ConfigError([f"{label}: printed nothing"])
        return Secret(value, label)
    raise ConfigError([f"credential source: unknown kind {source.kind!r}"])
