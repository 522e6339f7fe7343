"""User config: one TOML file validated as a whole, so every mistake is reported at once and nothing is half-applied."""

from __future__ import annotations

import difflib
import getpass
import ipaddress
import math
import os
import re
import shlex
import socket
import stat
import string
import subprocess
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from canary_tui import paths
from canary_tui.core.actions import keymap_problems, split_keys
from canary_tui.core.plans import BUILTIN_PLANS, STANDARD, RampPlan, Stage, parse_duration, validate_stages
from canary_tui.mission.credentials import Secret

#: env vars the contract names for the bearer token and the heartbeat signing secret
DEFAULT_TOKEN_ENV = "OPS_TOKEN"
DEFAULT_SECRET_ENV = "HEARTBEAT_SECRET"
#: seconds a credential command may run before it is killed
CREDENTIAL_COMMAND_TIMEOUT_S = 10.0
#: placeholders an actuator command template may use
ACTUATOR_PLACEHOLDERS = ("env", "percent")
#: threshold keys -> True when a higher value is worse (latency, errors), False when lower is worse (success)
THRESHOLD_KEYS: dict[str, bool] = {
    "p50_ms": True,
    "p95_ms": True,
    "p99_ms": True,
    "error_rate_pct": True,
    "success_rate_pct": False,
}
POLL_INTERVAL_RANGE_S = (0.1, 3600.0)
MAX_ACTOR_CHARS = 500  # the API keeps at most 500 characters of `actor`


class ConfigError(Exception):
    """Every problem found in a config (or a target or a credential), each naming its key path."""

    def __init__(self, errors: list[str], path: Path | None = None) -> None:
        self.errors = list(errors)
        self.path = path
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True, slots=True)
class CredentialSource:
    """Where a secret comes from: an env var name, a file path, or a command's argv (never the value)."""

    kind: Literal["env", "file", "command"]
    value: str | tuple[str, ...]

    def describe(self) -> str:
        """Safe to show: 'env OPS_TOKEN', 'file /path', 'command pass' (program name only)."""
        if self.kind == "command":
            argv = self.value if isinstance(self.value, tuple) else (str(self.value),)
            return f"command {argv[0] if argv else '?'}"
        return f"{self.kind} {self.value}"


DEFAULT_TOKEN = CredentialSource("env", DEFAULT_TOKEN_ENV)
DEFAULT_SECRET = CredentialSource("env", DEFAULT_SECRET_ENV)


@dataclass(frozen=True, slots=True)
class ActuatorConfig:
    """How a percent change is applied: the Mission Control API, or a command template like `deploy {env} {percent}`."""

    kind: Literal["api", "command"] = "api"
    command: tuple[str, ...] = ()
    timeout_s: float = 60.0


@dataclass(frozen=True, slots=True)
class EnvironmentConfig:
    """One Mission Control deployment the user can watch and ramp."""

    name: str
    url: str
    plan: RampPlan = STANDARD
    token: CredentialSource = DEFAULT_TOKEN
    secret: CredentialSource = DEFAULT_SECRET
    allow_insecure: bool = False
    verify_tls: bool = True
    ca_bundle: str | None = None
    auto_rollback: bool = True
    auto_advance: bool = False
    debounce_n: int = 3
    actuator: ActuatorConfig = ActuatorConfig()
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 5.0
    total_timeout_s: float = 10.0


def default_actor(environ: Mapping[str, str] = os.environ) -> str:
    """user@host, as recorded in the server's history and the audit log."""
    user = environ.get("USER") or environ.get("LOGNAME") or environ.get("USERNAME") or ""
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry in some containers
            user = "unknown"
    host = socket.gethostname().split(".")[0] or "localhost"
    return f"{user}@{host}"


@dataclass(frozen=True)
class Config:
    """The whole validated config; defaults when no file exists."""

    path: Path | None = None
    environments: dict[str, EnvironmentConfig] = field(default_factory=dict)
    plans: dict[str, RampPlan] = field(default_factory=lambda: dict(BUILTIN_PLANS))
    threshold_overrides: dict[str, tuple[float, float]] = field(default_factory=dict)
    poll_interval_s: float = 1.0
    theme: str = "canary-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    actor: str = field(default_factory=default_actor)
    default_plan: str = "standard"


# ---------------------------------------------------------------- validation helpers

_TOP_KEYS = ("poll_interval_s", "theme", "keymap", "actor", "default_plan", "thresholds", "plans", "environments")
_ENV_KEYS = (
    "url", "plan", "token", "secret", "allow_insecure", "verify_tls", "ca_bundle", "auto_rollback",
    "auto_advance", "debounce_n", "actuator", "connect_timeout_s", "read_timeout_s", "total_timeout_s",
)
_ACTUATOR_KEYS = ("kind", "command", "timeout_s")
_SOURCE_KEYS = ("env", "file", "command")
_PLAN_KEYS = ("stages",)
_STAGE_KEYS = ("percent", "bake")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SOURCE_HINT = 'use { env = "VAR" }, { file = "PATH" } or { command = ["program", "arg"] }'


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


# ---------------------------------------------------------------- sections


def _parse_source(table: Mapping[str, Any], name: str, default: CredentialSource, prefix: str, base_dir: Path, errs: _Errors) -> CredentialSource:
    """A credential source table; an inline secret is refused without echoing it."""
    key_path = _key(prefix, name)
    if name not in table:
        return default
    value = table[name]
    if not isinstance(value, dict):
        errs.add(key_path, f"secrets are never written in the config; {_SOURCE_HINT}")
        return default
    errs.unknown_keys(value, _SOURCE_KEYS, key_path)
    given = [k for k in _SOURCE_KEYS if k in value]
    if len(given) != 1:
        errs.add(key_path, f"expected exactly one of env, file or command, got {len(given)}; {_SOURCE_HINT}")
        return default
    kind = given[0]
    raw = value[kind]
    if kind == "env":
        if isinstance(raw, str) and _ENV_VAR.match(raw):
            return CredentialSource("env", raw)
        errs.add(_key(key_path, "env"), f"expected an environment variable name like 'OPS_TOKEN', got {_show(raw)}")
    elif kind == "file":
        if isinstance(raw, str) and raw.strip():
            return CredentialSource("file", _resolve_file(raw, base_dir))
        errs.add(_key(key_path, "file"), f"expected a file path, got {_show(raw)}")
    else:
        argv = _argv(raw)
        if argv:
            return CredentialSource("command", argv)
        errs.add(_key(key_path, "command"), f"expected a command as an array of strings like ['pass', 'show', 'ops-token'], got {_show(raw)}")
    return default


def _argv(raw: Any) -> tuple[str, ...] | None:
    """An argv from an array of non-empty strings or a shell-like string (split, never run by a shell)."""
    if isinstance(raw, str):
        try:
            parts = shlex.split(raw)
        except ValueError:
            return None
        return tuple(parts) if parts else None
    if isinstance(raw, list) and raw and all(isinstance(a, str) and a for a in raw):
        return tuple(raw)
    return None


def _template_problem(argv: tuple[str, ...]) -> str | None:
    """Why an actuator command template is unusable: unknown placeholder or unbalanced braces."""
    for arg in argv:
        try:
            fields = [f for _, f, spec, conv in string.Formatter().parse(arg) if f is not None]
        except ValueError as exc:
            return f"cannot parse {arg!r}: {exc} (write literal braces as {{{{ and }}}})"
        for name in fields:
            if name not in ACTUATOR_PLACEHOLDERS:
                allowed = ", ".join("{" + p + "}" for p in ACTUATOR_PLACEHOLDERS)
                return f"unknown placeholder {{{name}}} in {arg!r}; expected only {allowed}"
    return None


def _parse_actuator(value: Any, prefix: str, errs: _Errors) -> ActuatorConfig:
    table = _table(value, prefix, errs)
    if table is None:
        return ActuatorConfig()
    errs.unknown_keys(table, _ACTUATOR_KEYS, prefix)
    kind = table.get("kind", "api")
    if kind not in ("api", "command"):
        errs.add(_key(prefix, "kind"), f"expected 'api' or 'command', got {_show(kind)}")
        kind = "api"
    timeout_s = _number(table, "timeout_s", 60.0, prefix, errs, 0, 3600.0)
    command: tuple[str, ...] = ()
    if "command" in table:
        argv = _argv(table["command"])
        if argv is None:
            errs.add(_key(prefix, "command"), f"expected an array of strings like ['deploy', '{{env}}', '{{percent}}'], got {_show(table['command'])}")
        elif kind != "command":
            errs.add(_key(prefix, "command"), "is used only with kind = 'command'")
        else:
            problem = _template_problem(argv)
            if problem:
                errs.add(_key(prefix, "command"), problem)
            command = argv
    elif kind == "command":
        errs.add(_key(prefix, "command"), "is required when kind = 'command' (an array like ['deploy', '{env}', '{percent}'])")
    return ActuatorConfig(kind=kind, command=command, timeout_s=timeout_s)


def _parse_plan(name: str, value: Any, prefix: str, errs: _Errors) -> RampPlan | None:
    table = _table(value, prefix, errs)
    if table is None:
        return None
    errs.unknown_keys(table, _PLAN_KEYS, prefix)
    stages_raw = table.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        errs.add(_key(prefix, "stages"), f"expected an array of {{ percent = 10, bake = '90m' }} tables, got {_show(stages_raw)}")
        return None
    before = len(errs.items)
    stages: list[Stage] = []
    for i, raw in enumerate(stages_raw):
        stage_path = f"{_key(prefix, 'stages')}[{i}]"
        stage = _table(raw, stage_path, errs)
        if stage is None:
            continue
        errs.unknown_keys(stage, _STAGE_KEYS, stage_path)
        percent = stage.get("percent")
        if not (isinstance(percent, int) and not isinstance(percent, bool) and 1 <= percent <= 100):
            errs.add(_key(stage_path, "percent"), f"expected an integer from 1 to 100, got {_show(percent)}")
            continue
        if "bake" not in stage:
            errs.add(_key(stage_path, "bake"), "is required: a duration like '90m', '2h' or '1d'")
            continue
        try:
            bake_s = parse_duration(stage["bake"])
            if not math.isfinite(bake_s):
                raise ValueError("expected a finite duration")
        except (ValueError, TypeError, OverflowError) as exc:
            message = str(exc) if str(exc).startswith("expected") else f"expected a duration like '90m', '2h' or '1d' ({exc})"
            errs.add(_key(stage_path, "bake"), message)
            continue
        stages.append(Stage(percent, bake_s))
    if len(errs.items) != before:
        return None
    try:
        validate_stages(tuple(stages))
    except ValueError as exc:
        errs.add(_key(prefix, "stages"), f"{exc} (expected strictly increasing percents ending at 100)")
        return None
    return RampPlan(name, tuple(stages))


def _parse_thresholds(value: Any, errs: _Errors) -> dict[str, tuple[float, float]]:
    table = _table(value, "thresholds", errs)
    if table is None:
        return {}
    errs.unknown_keys(table, tuple(THRESHOLD_KEYS), "thresholds")
    out: dict[str, tuple[float, float]] = {}
    for name, higher_is_worse in THRESHOLD_KEYS.items():
        if name not in table:
            continue
        raw = table[name]
        pair_ok = (
            isinstance(raw, list) and len(raw) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0 for v in raw)
        )
        limit = 100.0 if name.endswith("_pct") else math.inf
        if higher_is_worse:
            expected = "[warning_from, critical_above] with 0 <= warning_from <= critical_above"
            ordered = pair_ok and raw[0] <= raw[1] <= limit
        else:
            expected = "[warning_below, critical_below] with 100 >= warning_below >= critical_below >= 0"
            ordered = pair_ok and limit >= raw[0] >= raw[1]
        if not ordered:
            errs.add(_key("thresholds", name), f"expected {expected}, got {_show(raw)}")
            continue
        out[name] = (float(raw[0]), float(raw[1]))
    return out


def _parse_keymap(value: Any, errs: _Errors) -> dict[str, str]:
    """Keys by action id, checked against the action registry: unknown ids, bad keys and clashes name their key."""
    table = _table(value, "keymap", errs)
    if table is None:
        return {}
    problems = keymap_problems(table)
    for binding_id, message in problems:
        errs.add(_key("keymap", str(binding_id)), message)
    rejected = {binding_id for binding_id, _ in problems}
    return {str(binding_id): ",".join(split_keys(keys)) for binding_id, keys in table.items() if binding_id not in rejected}


def _parse_environment(name: str, value: Any, plans: Mapping[str, RampPlan], declared_plans: set[str], default_plan: str, base_dir: Path, errs: _Errors) -> EnvironmentConfig | None:
    prefix = _key("environments", name)
    table = _table(value, prefix, errs)
    if table is None:
        return None
    if not _NAME.match(name):
        errs.add(prefix, "expected an environment name of letters, digits, '.', '_' or '-' (at most 64 characters)")
    errs.unknown_keys(table, _ENV_KEYS, prefix)
    allow_insecure = _bool(table, "allow_insecure", False, prefix, errs)
    url = table.get("url")
    if url is None:
        errs.add(_key(prefix, "url"), "is required: an https URL like 'https://mission.example.com'")
    else:
        problem = url_problem(url, allow_insecure)
        if problem:
            errs.add(_key(prefix, "url"), problem)
    plan_name = _string(table, "plan", default_plan, prefix, errs)
    plan = plans.get(plan_name)
    if plan is None and plan_name not in declared_plans:
        close = difflib.get_close_matches(plan_name, list(declared_plans), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        errs.add(_key(prefix, "plan"), f"unknown plan {plan_name!r}; {hint}expected one of: {', '.join(sorted(declared_plans))}")
    verify_tls = _bool(table, "verify_tls", True, prefix, errs)
    ca_bundle: str | None = None
    if "ca_bundle" in table:
        raw = table["ca_bundle"]
        if not isinstance(raw, str) or not raw.strip():
            errs.add(_key(prefix, "ca_bundle"), f"expected the path of a PEM file, got {_show(raw)}")
        else:
            ca_bundle = _resolve_file(raw, base_dir)
            if not Path(ca_bundle).is_file():
                errs.add(_key(prefix, "ca_bundle"), f"expected an existing PEM file, got {ca_bundle!r} (not found)")
            if not verify_tls:
                errs.add(_key(prefix, "ca_bundle"), "has no effect with verify_tls = false; remove one of them")
    debounce_n = table.get("debounce_n", 3)
    if not (isinstance(debounce_n, int) and not isinstance(debounce_n, bool) and 1 <= debounce_n <= 1000):
        errs.add(_key(prefix, "debounce_n"), f"expected an integer from 1 to 1000 (consecutive bad polls before a trigger fires), got {_show(debounce_n)}")
        debounce_n = 3
    connect_s = _number(table, "connect_timeout_s", 3.0, prefix, errs, 0, 600.0)
    read_s = _number(table, "read_timeout_s", 5.0, prefix, errs, 0, 600.0)
    total_s = _number(table, "total_timeout_s", 10.0, prefix, errs, 0, 600.0)
    if total_s < connect_s:
        errs.add(_key(prefix, "total_timeout_s"), f"expected at least connect_timeout_s ({connect_s:g}), got {total_s:g}")
    env = EnvironmentConfig(
        name=name,
        url=url.rstrip("/") if isinstance(url, str) else "",
        plan=plan or STANDARD,
        token=_parse_source(table, "token", DEFAULT_TOKEN, prefix, base_dir, errs),
        secret=_parse_source(table, "secret", DEFAULT_SECRET, prefix, base_dir, errs),
        allow_insecure=allow_insecure,
        verify_tls=verify_tls,
        ca_bundle=ca_bundle,
        auto_rollback=_bool(table, "auto_rollback", True, prefix, errs),
        auto_advance=_bool(table, "auto_advance", False, prefix, errs),
        debounce_n=debounce_n,
        actuator=_parse_actuator(table["actuator"], _key(prefix, "actuator"), errs) if "actuator" in table else ActuatorConfig(),
        connect_timeout_s=connect_s,
        read_timeout_s=read_s,
        total_timeout_s=total_s,
    )
    return env


# ---------------------------------------------------------------- public API


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
    env_table = _table(data["environments"], "environments", errs) if "environments" in data else {}
    for name, raw in (env_table or {}).items():
        env = _parse_environment(str(name), raw, plans, declared, default_plan, base_dir, errs)
        if env is not None:
            environments[str(name)] = env

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
    )


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


def resolve_target(config: Config, target: str) -> EnvironmentConfig:
    """A configured environment by name, or an ad-hoc one from a URL (name = host, default credentials and plan)."""
    if target in config.environments:
        return config.environments[target]
    if "://" in target:
        normalized = target.rstrip("/")
        for env in config.environments.values():
            if env.url == normalized:
                return env
        problem = url_problem(target)
        if problem:
            raise ConfigError([f"target: {problem}"], config.path)
        host = urlsplit(target).hostname or target
        return EnvironmentConfig(name=host, url=normalized, plan=config.plans.get(config.default_plan, STANDARD))
    known = sorted(config.environments)
    close = difflib.get_close_matches(target, known, n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    listing = ", ".join(known) if known else "none configured"
    raise ConfigError([f"target: unknown environment {target!r}.{hint} Known environments: {listing}; or give an https URL"], config.path)


def resolve_targets(config: Config, names: Sequence[str], *, all_targets: bool = False) -> list[EnvironmentConfig]:
    """The targets a command line names, in order, each once: every configured one with `all_targets`.

    A target is an `EnvironmentConfig` whose `name` is the target's name; unknown names raise ConfigError.
    """
    if all_targets:
        if not config.environments:
            raise ConfigError(["target: --all, but no environments are configured"], config.path)
        return list(config.environments.values())
    targets: dict[str, EnvironmentConfig] = {}
    for name in names:
        env = resolve_target(config, name)
        targets.setdefault(env.name, env)
    return list(targets.values())


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
