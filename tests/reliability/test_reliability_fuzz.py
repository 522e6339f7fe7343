"""Fuzzing: the heartbeat parser, the config loader and the CLI arguments; only the typed errors escape.

Default run: 510 examples (150 heartbeats, 150 configs, 150 argv, 60 TOML texts)
plus every help page. Slow: 10 000 more (3 000 mutated heartbeats, 1 000 raw
bodies, 2 500 configs, 500 TOML texts, 3 000 argv).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import tomllib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canary_tui.config import ConfigError, config_from_dict, load_config
from canary_tui.core.clock import ManualClock
from canary_tui.mission.errors import ContractError
from canary_tui.mission.parse import parse_heartbeat
from canary_tui.simulator import SimulatorOptions
from canary_tui.simulator.model import SimulatorModel


def _fuzz(n: int) -> settings:
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


DEFAULT, SLOW = 150, 3000

# ------------------------------------------------------------------ heartbeats


def _sim_heartbeat() -> dict[str, Any]:
    """A real heartbeat from the simulator model (canary split, buckets, nulls where no traffic)."""
    clock = ManualClock()
    model = SimulatorModel(SimulatorOptions(scenario="healthy", seed=1, clock=clock, initial_percent=10))
    clock.advance(90)
    return model.heartbeat()[0]


BASE = _sim_heartbeat()
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["ok", "degraded", "down", "2026-11-26T12:00:00Z", "2026-13-40T99:99:99Z", "1e309", "-0", ""]),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


PATHS = _paths(BASE)


@st.composite
def mutated_heartbeats(draw) -> bytes:
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PATHS))
        node = doc
        try:
            for key in path[:-1]:
                node = node[key]
            how = draw(st.sampled_from(["replace", "delete", "scale"]))
            if how == "delete" and isinstance(node, dict):
                node.pop(path[-1], None)
            elif how == "scale" and isinstance(node[path[-1]], (int, float)) and not isinstance(node[path[-1]], bool):
                node[path[-1]] = node[path[-1]] * draw(st.sampled_from([-1, 0, 10**12, 0.5, math.inf, math.nan]))
            else:
                node[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue
    body = json.dumps(doc, allow_nan=True).encode()
    cut = draw(st.one_of(st.none(), st.integers(0, len(body))))
    return body if cut is None else body[:cut]


def _parse_only_contract_errors(body: bytes) -> None:
    try:
        hb = parse_heartbeat(body, status_code=200, fetched_at_s=0.0, response_ms=1.0, signature_valid=None)
    except ContractError as exc:
        assert str(exc) and len(str(exc)) < 2000
        return
    m = hb.metrics
    for name in ("requests", "errors"):
        value = getattr(m, name)
        assert value is None or value >= 0
    if m.requests is not None and m.errors is not None:
        assert m.errors <= m.requests
    for q in (m.p50_ms, m.p95_ms, m.p99_ms):
        assert q is None or math.isfinite(q)
    assert 0 <= hb.deployment.canary_percent <= 100


@_fuzz(DEFAULT)
@given(mutated_heartbeats())
def test_heartbeat_parser_mutations(body):
    _parse_only_contract_errors(body)


@pytest.mark.slow
@_fuzz(SLOW)
@given(mutated_heartbeats())
def test_heartbeat_parser_mutations_slow(body):
    _parse_only_contract_errors(body)


@pytest.mark.slow
@_fuzz(1000)
@given(st.binary(max_size=300))
def test_heartbeat_parser_raw_bytes_slow(body):
    _parse_only_contract_errors(body)


# ------------------------------------------------------------------ config

#: cheaper to generate than json_values: config fuzzing is bound by generation, not by the loader
small_values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=6), scalars, max_size=2))


ENV_KEYS = {
    "url": st.one_of(st.sampled_from(["https://m.example.com", "http://127.0.0.1:8787", "http://m.example.com", "https://", "https://u:p@h", "https://h/?q", "https://h:99999"]), st.text(max_size=20)),
    "plan": st.one_of(st.sampled_from(["standard", "fast-track", "mine", "nope"]), small_values),
    "token": st.one_of(st.fixed_dictionaries({"env": st.sampled_from(["OPS_TOKEN", "1BAD", ""])}), st.fixed_dictionaries({"file": st.text(max_size=10)}),
                       st.fixed_dictionaries({"command": st.one_of(st.lists(st.text(max_size=5), max_size=3), st.text(max_size=10))}), small_values),
    "secret": small_values,
    "allow_insecure": st.one_of(st.booleans(), small_values),
    "verify_tls": st.one_of(st.booleans(), small_values),
    "ca_bundle": st.one_of(st.text(max_size=12), small_values),
    "auto_rollback": st.one_of(st.booleans(), small_values),
    "auto_advance": st.one_of(st.booleans(), small_values),
    "debounce_n": st.one_of(st.integers(-5, 2000), small_values),
    "actuator": st.one_of(st.fixed_dictionaries({"kind": st.sampled_from(["api", "command", "x"]), "command": st.one_of(st.lists(st.sampled_from(["deploy", "{env}", "{percent}", "{bad}", "{", "}"]), max_size=4), st.text(max_size=12))}), small_values),
    "connect_timeout_s": st.one_of(st.floats(allow_nan=True), st.integers(-5, 10**6), small_values),
    "read_timeout_s": st.one_of(st.floats(allow_nan=True), small_values),
    "total_timeout_s": st.one_of(st.floats(allow_nan=True), small_values),
    "bogus": small_values,
}
stage = st.fixed_dictionaries({}, optional={"percent": st.one_of(st.integers(-5, 200), small_values), "bake": st.one_of(st.sampled_from(["90m", "2h", "1d", "0s", "-1h", "1e400h", "h"]), st.floats(allow_nan=True), small_values), "x": small_values})
TOP_KEYS = {
    "poll_interval_s": st.one_of(st.floats(allow_nan=True, allow_infinity=True), small_values),
    "theme": small_values, "actor": st.one_of(st.sampled_from(['alice@laptop', '', ' ', 'x' * 501]), small_values),
    "keymap": st.one_of(st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=8), small_values), max_size=3), small_values),
    "default_plan": small_values,
    "thresholds": st.one_of(st.dictionaries(st.sampled_from(["p50_ms", "p95_ms", "p99_ms", "error_rate_pct", "success_rate_pct", "x"]), st.one_of(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3), small_values), max_size=4), small_values),
    "plans": st.one_of(st.dictionaries(st.sampled_from(["standard", "mine", "bad name", ""]), st.one_of(st.fixed_dictionaries({"stages": st.one_of(st.lists(stage, max_size=4), small_values)}), small_values), max_size=2), small_values),
    "environments": st.one_of(st.dictionaries(st.sampled_from(["staging", "prod/eu", "", "x" * 70]), st.one_of(st.fixed_dictionaries({}, optional=ENV_KEYS), small_values), max_size=2), small_values),
    "unknown_top": small_values,
}
configs = st.fixed_dictionaries({}, optional=TOP_KEYS)


def _config_only_config_errors(data: Any) -> None:
    try:
        config = config_from_dict(data)
    except ConfigError as exc:
        assert exc.errors and all(isinstance(e, str) and e for e in exc.errors)
        return
    for env in config.environments.values():
        assert env.url.startswith(("https://", "http://"))
        assert env.connect_timeout_s > 0 and env.total_timeout_s >= env.connect_timeout_s


@_fuzz(DEFAULT)
@given(configs)
def test_config_loader(data):
    _config_only_config_errors(data)


@pytest.mark.slow
@_fuzz(2500)
@given(configs)
def test_config_loader_slow(data):
    _config_only_config_errors(data)


TOML_PIECES = list('[]{}="\'.,#\n \\abcxyz0123_-:tue') + ["environments", "url", "https://", "true", "1.5", "[[", "]]", "staging", "plans", "stages", "percent"]
toml_texts = st.one_of(st.lists(st.sampled_from(TOML_PIECES), max_size=60).map("".join), st.text(max_size=80))


def _load_text(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_config(path, environ={})
    except ConfigError as exc:
        assert exc.errors


@pytest.mark.slow
@_fuzz(500)
@given(text=toml_texts)
def test_config_file_text_slow(tmp_path_factory, text):
    _load_text(tmp_path_factory, text)


@_fuzz(60)
@given(text=toml_texts)
def test_config_file_text(tmp_path_factory, text):
    _load_text(tmp_path_factory, text)


def test_the_toml_strategy_reaches_valid_configs():
    """Guard against a fuzzer that only ever produces junk: a valid file passes through the same loader."""
    assert tomllib.loads('[environments.staging]\nurl = "https://m.example.com"\n')
    assert config_from_dict({"environments": {"staging": {"url": "https://m.example.com"}}}).environments


# ------------------------------------------------------------------ CLI arguments

WORDS = [
    "status", "ramp", "rollback", "pause", "resume", "checkpoint", "audit", "probe", "watch", "demo", "simulator", "locate",
    "--json", "--note", "--timeout", "--interval-s", "--yes", "-y", "--probe", "--no-auto-rollback", "--tail", "-n", "--rate",
    "--timeout-s", "--seed", "--sequential", "--read-only", "--scenario", "--speed", "--config", "--version", "--help", "-h",
    "staging", "https://m.example.com", "http://127.0.0.1:1", "0", "10", "50", "100", "101", "-1", "1e9", "nan", "inf", "-inf",
    "0.05", "abc", "", "--", "-", "=", "--note=x", "--tail=-3", "--interval-s=nan", "healthy", "flapping", "x" * 600,
]
argvs = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=10)), max_size=7)


_PARSER: list[Any] = []


def _parser() -> Any:
    """One parser for all examples (argparse parsers are reusable); built on first use."""
    if not _PARSER:
        from canary_tui.cli import build_parser

        _PARSER.append(build_parser())
    return _PARSER[0]


def _parse_only_usage_exits(argv: list[str]) -> None:
    parser = _parser()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            parser.parse_args(argv)
        except SystemExit as exc:
            # 0: --help/--version; 2: usage; 3: status usage errors (monitoring-plugin UNKNOWN)
            assert exc.code in (0, 2, 3), (argv, exc.code)
            if exc.code:
                said = (err.getvalue() + out.getvalue()).lower()
                assert "error" in said or "usage" in said, said
    assert "Traceback" not in out.getvalue() + err.getvalue()


@_fuzz(DEFAULT)
@given(argvs)
def test_cli_arguments(argv):
    _parse_only_usage_exits(argv)


@pytest.mark.slow
@_fuzz(SLOW)
@given(argvs)
def test_cli_arguments_slow(argv):
    _parse_only_usage_exits(argv)


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["--version"]] + [[c, "--help"] for c in WORDS[:12]])
def test_every_help_page_renders(argv):
    """Every help text is printable (a stray % in a help string breaks `canary-tui --help`)."""
    _parse_only_usage_exits(argv)
