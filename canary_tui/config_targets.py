"""Environments and their targets: regions (a `{region}` placeholder or a name = URL table), the promotion
pipeline (`after`, `waves`), and resolving the target names a command line gives (`ENV`, `ENV/REGION`, a URL)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from canary_tui.config_fields import _NAME, ConfigError, _bool, _Errors, _key, _number, _resolve_file, _show, _string, _table, url_problem
from canary_tui.config_model import DEFAULT_SECRET, DEFAULT_TOKEN, ActuatorConfig, Config, EnvironmentConfig
from canary_tui.config_prometheus import METRICS_KEYS, parse_metrics
from canary_tui.config_sections import _parse_actuator, _parse_source
from canary_tui.core.plans import STANDARD, RampPlan

_ENV_KEYS = (
    "url", "plan", "token", "secret", "allow_insecure", "verify_tls", "ca_bundle", "auto_rollback",
    "auto_advance", "debounce_n", "actuator", "connect_timeout_s", "read_timeout_s", "total_timeout_s",
    "regions", "after", "waves", *METRICS_KEYS,
)
#: the placeholder a list of regions fills in an environment's url
REGION_PLACEHOLDER = "{region}"
#: a region name: a DNS label (it may be filled into a host name), e.g. us-east-1
_REGION = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_URL_EXAMPLE = "an https URL like 'https://mission.example.com'"


def _parse_regions(table: Mapping[str, Any], prefix: str, allow_insecure: bool, errs: _Errors) -> dict[str, str]:
    """Region name -> URL in declared order ({} without regions); checks url, regions and the placeholder together."""
    url = table.get("url")
    raw = table.get("regions")
    url_key, regions_key = _key(prefix, "url"), _key(prefix, "regions")
    has_placeholder = isinstance(url, str) and REGION_PLACEHOLDER in url
    if raw is None:
        if url is None:
            errs.add(url_key, f"is required: {_URL_EXAMPLE} (or a regions table of name = URL)")
        elif has_placeholder:
            errs.add(url_key, f"has a {REGION_PLACEHOLDER} placeholder but no regions are given; add regions = [\"us-east-1\", ...]")
        else:
            _check_url(url, url_key, allow_insecure, errs)
        return {}
    if isinstance(raw, dict):
        if url is not None:
            errs.add(url_key, "is not used when regions is a table of name = URL; remove it (each region names its URL)")
        if not raw:
            errs.add(regions_key, "expected at least one region, got an empty table")
        out: dict[str, str] = {}
        for name, region_url in raw.items():
            key = _key(regions_key, str(name))
            if not _REGION.match(str(name)):
                errs.add(key, "expected a region name of letters, digits and '-' like 'us-east-1' (at most 63 characters)")
            elif _check_url(region_url, key, allow_insecure, errs):
                out[str(name)] = region_url.rstrip("/")
        return out
    if not isinstance(raw, list) or not raw:
        errs.add(regions_key, f"expected an array of region names like [\"us-east-1\", \"eu-west-1\"] or a table of name = URL, got {_show(raw)}")
        return {}
    if url is None:
        errs.add(url_key, f"is required with a list of regions: a URL with a {REGION_PLACEHOLDER} placeholder")
        return {}
    if not has_placeholder:
        errs.add(regions_key, f"a list of regions needs a {REGION_PLACEHOLDER} placeholder in url (got {_show(url)}); or give a table of name = URL")
        return {}
    out = {}
    for i, name in enumerate(raw):
        key = f"{regions_key}[{i}]"
        if not isinstance(name, str) or not _REGION.match(name):
            errs.add(key, f"expected a region name of letters, digits and '-' like 'us-east-1', got {_show(name)}")
        elif name in out:
            errs.add(key, f"region {name!r} is listed twice")
        else:
            region_url = url.replace(REGION_PLACEHOLDER, name)
            if _check_url(region_url, url_key, allow_insecure, errs):
                out[name] = region_url.rstrip("/")
    return out


def _check_url(url: Any, key: str, allow_insecure: bool, errs: _Errors) -> bool:
    """True when `url` is a usable base URL, else one error at `key`."""
    problem = url_problem(url, allow_insecure)
    if problem:
        errs.add(key, problem)
    return problem is None


def _after(table: Mapping[str, Any], name: str, prefix: str, errs: _Errors) -> str | None:
    """The environment this one follows (checked against the others by check_pipeline)."""
    if "after" not in table:
        return None
    value = table["after"]
    if not isinstance(value, str) or not value.strip():
        errs.add(_key(prefix, "after"), f"expected the name of another environment like 'staging', got {_show(value)}")
        return None
    if value == name:
        errs.add(_key(prefix, "after"), "an environment cannot follow itself")
        return None
    return value


def _waves(table: Mapping[str, Any], has_regions: bool, prefix: str, errs: _Errors) -> bool:
    waves = _bool(table, "waves", False, prefix, errs)
    if waves and not has_regions:
        errs.add(_key(prefix, "waves"), "waves = true needs regions (a region waits for the one before it in the list)")
    return waves


def check_pipeline(environments: Mapping[str, EnvironmentConfig], errs: _Errors) -> None:
    """Every `after` names a configured environment and the pipeline has no cycle."""
    for name, env in environments.items():
        if env.after is not None and env.after not in environments:
            close = difflib.get_close_matches(env.after, list(environments), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            known = ", ".join(n for n in environments if n != name) or "none"
            errs.add(_key(_key("environments", name), "after"), f"unknown environment {env.after!r}; {hint}expected one of: {known}")
    reported: set[str] = set()
    for start in environments:
        chain = [start]
        while (nxt := environments[chain[-1]].after) is not None and nxt in environments and nxt not in reported:
            if nxt in chain:
                cycle = [*chain[chain.index(nxt):], nxt]
                if not reported.intersection(cycle):
                    errs.add(_key(_key("environments", nxt), "after"), f"a cycle in the promotion pipeline: {' → '.join(cycle)}")
                reported.update(cycle)
                break
            chain.append(nxt)


def parse_environment(
    name: str, value: Any, plans: Mapping[str, RampPlan], declared_plans: set[str], default_plan: str, base_dir: Path, errs: _Errors,
) -> tuple[EnvironmentConfig, list[EnvironmentConfig]] | None:
    """One `[environments.NAME]` table: the environment as declared and its targets (one per region, or itself)."""
    prefix = _key("environments", name)
    table = _table(value, prefix, errs)
    if table is None:
        return None
    if not _NAME.match(name):
        errs.add(prefix, "expected an environment name of letters, digits, '.', '_' or '-' (at most 64 characters)")
    errs.unknown_keys(table, _ENV_KEYS, prefix)
    allow_insecure = _bool(table, "allow_insecure", False, prefix, errs)
    region_urls = _parse_regions(table, prefix, allow_insecure, errs)
    url = table.get("url")
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
        regions=tuple(region_urls),
        after=_after(table, name, prefix, errs),
        waves=_waves(table, bool(region_urls), prefix, errs),
        prometheus=parse_metrics(table, prefix, allow_insecure, base_dir, errs),
    )
    if not region_urls:
        return env, [env]
    return env, [replace(env, name=f"{name}/{region}", url=u, region=region) for region, u in region_urls.items()]


# ---------------------------------------------------------------- target names


def resolve_target(config: Config, target: str) -> EnvironmentConfig:
    """One target: `ENV`, `ENV/REGION`, or an ad-hoc one from a URL (named by url_target_name, default credentials and plan).

    An environment with regions is several targets: naming it here (a one-target command) is an error that lists them.
    """
    if target in config.targets:
        return config.targets[target]
    regional = config.targets_of(target)
    if regional:
        names = ", ".join(t.name for t in regional)
        raise ConfigError([f"target: {target!r} has {len(regional)} regions; name one of: {names}"], config.path)
    if "://" in target:
        normalized = target.rstrip("/")
        for env in config.targets.values():
            if env.url == normalized:
                return env
        problem = url_problem(target)
        if problem:
            raise ConfigError([f"target: {problem}"], config.path)
        return EnvironmentConfig(name=url_target_name(normalized), url=normalized, plan=config.plans.get(config.default_plan, STANDARD))
    raise ConfigError([_unknown(config, target)], config.path)


def url_target_name(url: str) -> str:
    """An ad-hoc target's name: its host, with the port when the URL gives one (two servers on one host are two targets)."""
    parts = urlsplit(url)
    host = parts.hostname or url
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _unknown(config: Config, target: str) -> str:
    """The message for a name that is no target: did-you-mean, and the known ones."""
    environment, _, region = target.partition("/")
    if region and config.targets_of(environment):
        regions = ", ".join(t.region or t.name for t in config.targets_of(environment))
        return f"target: {environment!r} has no region {region!r}; its regions: {regions}"
    known = sorted(config.environments)
    close = difflib.get_close_matches(target, [*known, *config.targets], n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    listing = ", ".join(known) if known else "none configured"
    regional = [name for name in config.targets if name not in config.environments]
    regions = f" (targets with regions: {', '.join(regional)})" if regional else ""
    return f"target: unknown environment {target!r}.{hint} Known environments: {listing}{regions}; or give an https URL"


def resolve_targets(config: Config, names: Sequence[str], *, all_targets: bool = False) -> list[EnvironmentConfig]:
    """The targets a command line names, in order, each once: `ENV` means every region of ENV (in list order),
    `ENV/REGION` one; every configured target with `all_targets`.

    A target is an `EnvironmentConfig` whose `name` is the target's name; unknown names raise ConfigError.
    """
    if all_targets:
        if names:  # never act on every target when the operator also named some: say so instead
            raise ConfigError([f"target: --all and target names ({', '.join(names)}): give one or the other"], config.path)
        if not config.targets:
            raise ConfigError(["target: --all, but no environments are configured"], config.path)
        return list(config.targets.values())
    targets: dict[str, EnvironmentConfig] = {}
    errors: list[str] = []
    for name in names:
        regional = [] if name in config.targets else config.targets_of(name)
        try:
            found = regional or [resolve_target(config, name)]
        except ConfigError as exc:
            errors.extend(exc.errors)
            continue
        for env in found:
            seen = targets.setdefault(env.name, env)
            if seen.url != env.url:  # never act on one and report it as both
                errors.append(f"target: two targets are named {env.name!r} ({seen.url} and {env.url}); give each once")
    if errors:
        raise ConfigError(errors, config.path)
    return list(targets.values())
