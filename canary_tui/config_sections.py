"""Config sections other than environments: credential sources, actuators, plans, thresholds and the keymap."""

from __future__ import annotations

import math
import shlex
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from canary_tui.config_fields import _ENV_VAR, _Errors, _key, _number, _resolve_file, _show, _table
from canary_tui.config_model import ACTUATOR_PLACEHOLDERS, THRESHOLD_KEYS, ActuatorConfig, CredentialSource
from canary_tui.core.actions import keymap_problems, split_keys
from canary_tui.core.plans import RampPlan, Stage, parse_duration, validate_stages

_ACTUATOR_KEYS = ("kind", "command", "timeout_s")
_SOURCE_KEYS = ("env", "file", "command")
_PLAN_KEYS = ("stages",)
_STAGE_KEYS = ("percent", "bake")
_SOURCE_HINT = 'use { env = "VAR" }, { file = "PATH" } or { command = ["program", "arg"] }'


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

