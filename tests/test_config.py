"""Config loading: every key, every error reported at once with its key path, nothing half-applied."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canary_tui.config import (
    DEFAULT_SECRET,
    DEFAULT_TOKEN,
    ActuatorConfig,
    Config,
    ConfigError,
    CredentialSource,
    EnvironmentConfig,
    config_from_dict,
    credential_warnings,
    is_loopback_host,
    load_config,
    resolve_secret,
    resolve_target,
    resolve_targets,
    url_problem,
)
from canary_tui.core.plans import FAST_TRACK, STANDARD, Stage
from canary_tui.mission.credentials import Secret

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "docs" / "example-config.toml"
ENV = {"USER": "tester"}


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(data: dict, path: Path | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, path, ENV)
    return info.value.errors


# ---------------------------------------------------------------- defaults and files


def test_missing_default_file_means_defaults(tmp_path: Path) -> None:
    config = load_config(None, {"CANARY_TUI_CONFIG_DIR": str(tmp_path / "nowhere"), "USER": "bob"})
    assert config.path is None
    assert config.environments == {}
    assert set(config.plans) == {"standard", "fast-track"}
    assert config.plans["standard"] is STANDARD and config.plans["fast-track"] is FAST_TRACK
    assert config.poll_interval_s == 1.0
    assert config.theme == "canary-dark"
    assert config.keymap == {} and config.threshold_overrides == {}
    assert config.default_plan == "standard"
    assert config.actor.startswith("bob@")


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(ConfigError) as info:
        load_config(missing, ENV)
    assert info.value.path == missing
    assert "not found" in info.value.errors[0]


def test_env_var_config_is_explicit(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(None, {"CANARY_TUI_CONFIG": str(tmp_path / "missing.toml")})


def test_flag_beats_env_var(tmp_path: Path) -> None:
    flag = write(tmp_path, 'theme = "from-flag"', "flag.toml")
    env = write(tmp_path, 'theme = "from-env"', "env.toml")
    assert load_config(flag, {"CANARY_TUI_CONFIG": str(env)}).theme == "from-flag"
    assert load_config(None, {"CANARY_TUI_CONFIG": str(env)}).theme == "from-env"


def test_default_file_in_config_dir_is_read(tmp_path: Path) -> None:
    write(tmp_path, "poll_interval_s = 2.5")
    config = load_config(None, {"CANARY_TUI_CONFIG_DIR": str(tmp_path)})
    assert config.poll_interval_s == 2.5
    assert config.path == tmp_path / "config.toml"


def test_toml_syntax_error_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "theme = \n")
    with pytest.raises(ConfigError) as info:
        load_config(path, ENV)
    assert info.value.errors[0].startswith("(syntax):")
    assert "line 1" in info.value.errors[0]


def test_binary_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe\x00theme")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(path, ENV)


def test_directory_instead_of_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path, ENV)


# ---------------------------------------------------------------- every key


def test_example_config_loads_with_every_key() -> None:
    config = load_config(EXAMPLE, ENV)
    assert config.path == EXAMPLE
    assert config.actor == "alice@laptop"
    assert config.keymap == {"rollback": "R", "advance": "A"}
    assert config.threshold_overrides["p95_ms"] == (500.0, 750.0)
    assert config.threshold_overrides["success_rate_pct"] == (99.9, 99.0)
    assert set(config.threshold_overrides) == {"p50_ms", "p95_ms", "p99_ms", "error_rate_pct", "success_rate_pct"}
    cautious = config.plans["cautious"]
    assert [s.percent for s in cautious.stages] == [1, 10, 50, 100]
    assert cautious.stages[1].bake_s == 90 * 60
    assert cautious.stages[2].bake_s == 86400
    staging = config.environments["staging"]
    assert staging.plan is FAST_TRACK
    assert staging.token == DEFAULT_TOKEN and staging.secret == DEFAULT_SECRET
    prod = config.environments["production"]
    assert prod.plan is cautious
    assert prod.token == CredentialSource("command", ("pass", "show", "mission/ops-token"))
    assert prod.secret.kind == "file" and Path(str(prod.secret.value)).is_absolute()
    assert "~" not in str(prod.secret.value)
    assert prod.actuator == ActuatorConfig("command", ("deployctl", "set-canary", "--env", "{env}", "--percent", "{percent}"), 60.0)
    assert config.environments["local"].url == "http://127.0.0.1:8787"


def test_every_environment_key(tmp_path: Path) -> None:
    ca = write(tmp_path, "-----BEGIN CERTIFICATE-----\n", "ca.pem")
    path = write(
        tmp_path,
        """
        [environments.edge]
        url = "http://10.0.0.5:8080/"
        plan = "fast-track"
        token = { env = "EDGE_TOKEN" }
        secret = { file = "secret.txt" }
        allow_insecure = true
        verify_tls = true
        ca_bundle = "ca.pem"
        auto_rollback = false
        auto_advance = true
        debounce_n = 5
        connect_timeout_s = 1
        read_timeout_s = 2.5
        total_timeout_s = 4
        actuator = { kind = "api", timeout_s = 30 }
        """,
    )
    env = load_config(path, ENV).environments["edge"]
    assert env == EnvironmentConfig(
        name="edge",
        url="http://10.0.0.5:8080",
        plan=FAST_TRACK,
        token=CredentialSource("env", "EDGE_TOKEN"),
        secret=CredentialSource("file", str(tmp_path / "secret.txt")),
        allow_insecure=True,
        verify_tls=True,
        ca_bundle=str(ca),
        auto_rollback=False,
        auto_advance=True,
        debounce_n=5,
        actuator=ActuatorConfig("api", (), 30.0),
        connect_timeout_s=1.0,
        read_timeout_s=2.5,
        total_timeout_s=4.0,
    )


def test_environment_defaults() -> None:
    config = config_from_dict({"environments": {"staging": {"url": "https://s.example.com"}}}, None, ENV)
    assert config.environments["staging"] == EnvironmentConfig(name="staging", url="https://s.example.com")


def test_default_plan_applies_to_environments_without_one() -> None:
    config = config_from_dict(
        {"default_plan": "fast-track", "environments": {"a": {"url": "https://a.example.com"}}}, None, ENV
    )
    assert config.environments["a"].plan is FAST_TRACK


@pytest.mark.parametrize(
    ("bake", "seconds"),
    [("90m", 5400.0), ("2h", 7200.0), ("1.5d", 129600.0), ("30s", 30.0), ("250ms", 0.25), (45, 45.0), (0, 0.0)],
)
def test_stage_durations(bake: object, seconds: float) -> None:
    config = config_from_dict({"plans": {"p": {"stages": [{"percent": 100, "bake": bake}]}}}, None, ENV)
    assert config.plans["p"].stages == (Stage(100, seconds),)


@pytest.mark.parametrize("bake", ["9x", "-1h", "", "h", True, -5, [1], "1e3h"])
def test_bad_durations_are_named(bake: object) -> None:
    errs = errors_of({"plans": {"p": {"stages": [{"percent": 100, "bake": bake}]}}})
    assert len(errs) == 1 and errs[0].startswith("plans.p.stages[0].bake: expected")


def test_credential_sources() -> None:
    config = config_from_dict(
        {
            "environments": {
                "a": {
                    "url": "https://a.example.com",
                    "token": {"command": "pass show 'ops token'"},
                    "secret": {"file": "/run/secrets/hb"},
                }
            }
        },
        None,
        ENV,
    )
    env = config.environments["a"]
    assert env.token == CredentialSource("command", ("pass", "show", "ops token"))
    assert env.secret == CredentialSource("file", "/run/secrets/hb")


# ---------------------------------------------------------------- errors


def test_every_error_is_reported_at_once_with_key_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        poll_interval_s = 0
        colour = "yes"
        default_plan = "nope"
        [thresholds]
        p95_ms = [750, 500]
        p99ms = [1, 2]
        [plans.slow]
        stages = [{ percent = 50, bake = "1h" }, { percent = 10, bake = "1h" }]
        [environments.staging]
        url = "http://example.com"
        token = "abc-inline-secret"
        debounce_n = 0
        urll = "x"
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, ENV)
    errs = info.value.errors
    assert info.value.path == path
    expected_prefixes = [
        "colour: unknown key",
        "poll_interval_s: expected",
        "thresholds.p99ms: unknown key; did you mean 'p99_ms'?",
        "thresholds.p95_ms: expected [warning_from, critical_above]",
        "plans.slow.stages: ",
        "default_plan: expected one of",
        "environments.staging.urll: unknown key; did you mean 'url'?",
        "environments.staging.url: expected an https URL, got 'http://example.com'",
        "environments.staging.debounce_n: expected",
        "environments.staging.token: secrets are never written in the config",
    ]
    for prefix in expected_prefixes:
        assert any(e.startswith(prefix) for e in errs), (prefix, errs)
    assert len(errs) == len(expected_prefixes), errs
    assert not any("abc-inline-secret" in e for e in errs)


def test_inline_secret_refused_without_echoing_it() -> None:
    errs = errors_of({"environments": {"a": {"url": "https://a.example.com", "secret": "hunter2"}}})
    assert errs == [
        ('environments.a.secret: secrets are never written in the config; use { env = "VAR" }, '
        '{ file = "PATH" } or { command = ["program", "arg"] }')
    ]


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ({}, "exactly one of env, file or command, got 0"),
        ({"env": "A", "file": "b"}, "exactly one of env, file or command, got 2"),
        ({"env": "1BAD"}, "token.env: expected an environment variable name"),
        ({"file": ""}, "token.file: expected a file path"),
        ({"command": []}, "token.command: expected a command"),
        ({"command": ["ok", 3]}, "token.command: expected a command"),
        ({"env": "A", "fil": "x"}, "token.fil: unknown key; did you mean 'file'?"),
    ],
)
def test_bad_credential_sources(source: dict, fragment: str) -> None:
    errs = errors_of({"environments": {"a": {"url": "https://a.example.com", "token": source}}})
    assert any(fragment in e for e in errs), errs


def test_actuator_template_placeholders_validated() -> None:
    def actuator_errors(actuator: dict) -> list[str]:
        return errors_of({"environments": {"a": {"url": "https://a.example.com", "actuator": actuator}}})

    assert actuator_errors({"kind": "command", "command": ["d", "{pct}"]}) == [
        "environments.a.actuator.command: unknown placeholder {pct} in '{pct}'; expected only {env}, {percent}"
    ]
    assert "cannot parse" in actuator_errors({"kind": "command", "command": ["d", "{percent"]})[0]
    assert "is required" in actuator_errors({"kind": "command"})[0]
    assert "only with kind = 'command'" in actuator_errors({"command": ["d"]})[0]
    assert "expected 'api' or 'command'" in actuator_errors({"kind": "ssh"})[0]
    assert "timeout_s: expected" in actuator_errors({"timeout_s": 0})[0]
    ok = config_from_dict(
        {"environments": {"a": {"url": "https://a.example.com", "actuator": {"kind": "command", "command": ["d", "{{literal}}", "{env}={percent}"]}}}},
        None,
        ENV,
    )
    assert ok.environments["a"].actuator.command == ("d", "{{literal}}", "{env}={percent}")


@pytest.mark.parametrize(
    ("thresholds", "ok"),
    [
        ({"p50_ms": [50, 100]}, True),
        ({"p50_ms": [100, 100]}, True),
        ({"p50_ms": [101, 100]}, False),
        ({"p95_ms": [500]}, False),
        ({"p95_ms": [500, 750, 1000]}, False),
        ({"p95_ms": ["500", 750]}, False),
        ({"p95_ms": [-1, 750]}, False),
        ({"p95_ms": [math.nan, 750]}, False),
        ({"p99_ms": [True, 1500]}, False),
        ({"error_rate_pct": [0.1, 1]}, True),
        ({"error_rate_pct": [0.1, 101]}, False),
        ({"success_rate_pct": [99.9, 99]}, True),
        ({"success_rate_pct": [99, 99.9]}, False),
        ({"success_rate_pct": [100.5, 99]}, False),
        ({"p95_ms": 500}, False),
    ],
)
def test_threshold_overrides(thresholds: dict, ok: bool) -> None:
    if ok:
        config = config_from_dict({"thresholds": thresholds}, None, ENV)
        ((name, pair),) = thresholds.items()
        assert config.threshold_overrides == {name: (float(pair[0]), float(pair[1]))}
    else:
        errs = errors_of({"thresholds": thresholds})
        assert len(errs) == 1 and errs[0].startswith(f"thresholds.{next(iter(thresholds))}: expected")


@pytest.mark.parametrize(
    ("keymap", "ok"),
    [({"rollback": "R"}, True), ({"rollback": "ctrl+r, R"}, True), ({"rollback": ""}, False), ({"rollback": 5}, False), ({"rollback": "ctrl r"}, False), ({"bad id!": "x"}, False)],
)
def test_keymap(keymap: dict, ok: bool) -> None:
    if ok:
        assert config_from_dict({"keymap": keymap}, None, ENV).keymap == {k: v.replace(" ", "") for k, v in keymap.items()}
    else:
        assert errors_of({"keymap": keymap})[0].startswith("keymap.")


@pytest.mark.parametrize(
    ("data", "prefix"),
    [
        ({"poll_interval_s": 0.05}, "poll_interval_s: expected"),
        ({"poll_interval_s": "1s"}, "poll_interval_s: expected"),
        ({"poll_interval_s": math.inf}, "poll_interval_s: expected"),
        ({"theme": ""}, "theme: expected"),
        ({"theme": 3}, "theme: expected"),
        ({"actor": ""}, "actor: expected"),
        ({"actor": "x" * 501}, "actor: expected"),
        ({"default_plan": "nope"}, "default_plan: expected one of: fast-track, standard"),
        ({"plans": []}, "plans: expected a table"),
        ({"plans": {"standard": {"stages": [{"percent": 100, "bake": "1h"}]}}}, "plans.standard: is built in"),
        ({"plans": {"p": {"stages": []}}}, "plans.p.stages: expected an array"),
        ({"plans": {"p": {"stages": [{"percent": 0, "bake": "1h"}]}}}, "plans.p.stages[0].percent: expected an integer from 1 to 100"),
        ({"plans": {"p": {"stages": [{"percent": 10, "bake": "1h"}]}}}, "plans.p.stages: the last stage must be 100%"),
        ({"plans": {"p": {"stages": [{"percent": 100}]}}}, "plans.p.stages[0].bake: is required"),
        ({"plans": {"p": {"stages": [{"percent": 100, "bake": "1h", "bak": 1}]}}}, "plans.p.stages[0].bak: unknown key; did you mean 'bake'?"),
        ({"plans": {"p": {"stages": ["x"]}}}, "plans.p.stages[0]: expected a table"),
        ({"environments": {"a": {}}}, "environments.a.url: is required"),
        ({"environments": {"a": "https://a"}}, "environments.a: expected a table"),
        ({"environments": {"has space": {"url": "https://a.example.com"}}}, 'environments."has space": expected an environment name'),
        ({"environments": {"a": {"url": "https://a.example.com", "plan": "fastrack"}}}, "environments.a.plan: unknown plan 'fastrack'; did you mean 'fast-track'?"),
        ({"environments": {"a": {"url": "https://a.example.com", "verify_tls": "no"}}}, "environments.a.verify_tls: expected true or false"),
        ({"environments": {"a": {"url": "https://a.example.com", "total_timeout_s": 1, "connect_timeout_s": 2}}}, "environments.a.total_timeout_s: expected at least connect_timeout_s"),
        ({"environments": {"a": {"url": "https://a.example.com", "read_timeout_s": -1}}}, "environments.a.read_timeout_s: expected a number of seconds greater than 0"),
        ({"environments": {"a": {"url": "https://a.example.com", "ca_bundle": "/nonexistent/ca.pem"}}}, "environments.a.ca_bundle: expected an existing PEM file"),
        ({"environments": {"a": {"url": "https://a.example.com", "debounce_n": 2.5}}}, "environments.a.debounce_n: expected an integer"),
    ],
)
def test_single_errors_name_their_key(data: dict, prefix: str) -> None:
    errs = errors_of(data)
    assert any(e.startswith(prefix) for e in errs), errs


def test_unknown_top_level_key_suggests_the_close_one() -> None:
    assert errors_of({"poll_interval": 1}) == ["poll_interval: unknown key; did you mean 'poll_interval_s'?"]


def test_broken_plan_is_not_reported_again_as_unknown_plan() -> None:
    errs = errors_of({"plans": {"p": {"stages": []}}, "environments": {"a": {"url": "https://a.example.com", "plan": "p"}}})
    assert len(errs) == 1 and errs[0].startswith("plans.p.stages")


def test_nothing_half_applied(tmp_path: Path) -> None:
    """A file with one bad key yields no Config at all, not one with the good keys applied."""
    path = write(tmp_path, 'theme = "mine"\npoll_interval_s = -1\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, ENV)
    assert info.value.errors == ["poll_interval_s: expected a number of seconds between 0.1 and 3600, got -1"]


# ---------------------------------------------------------------- URLs and targets


@pytest.mark.parametrize(
    ("url", "allow_insecure", "ok"),
    [
        ("https://mission.example.com", False, True),
        ("https://mission.example.com:8443/base/", False, True),
        ("http://127.0.0.1:8080", False, True),
        ("http://127.9.9.9", False, True),
        ("http://[::1]:8080", False, True),
        ("http://localhost:8080", False, True),
        ("http://LOCALHOST", False, True),
        ("http://example.com", False, False),
        ("http://128.0.0.1", False, False),
        ("http://localhost.example.com", False, False),
        ("http://10.0.0.1", True, True),
        ("ftp://example.com", True, False),
        ("https://", False, False),
        ("example.com", False, False),
        ("https://user:pw@example.com", False, False),
        ("https://example.com/?x=1", False, False),
        ("https://example.com:99999", False, False),
        ("https://[::1", False, False),
        ("", False, False),
        (42, False, False),
    ],
)
def test_url_rule(url: object, allow_insecure: bool, ok: bool) -> None:
    assert (url_problem(url, allow_insecure) is None) is ok


def test_url_error_message_is_precise() -> None:
    assert errors_of({"environments": {"staging": {"url": "http://example.com"}}})[0].startswith(
        "environments.staging.url: expected an https URL, got 'http://example.com'"
    )
    assert config_from_dict({"environments": {"s": {"url": "http://example.com", "allow_insecure": True}}}, None, ENV)


def test_url_with_credentials_is_not_echoed() -> None:
    errs = errors_of({"environments": {"a": {"url": "https://bob:s3cret@example.com"}}})
    assert len(errs) == 1 and "s3cret" not in errs[0]


def test_loopback_hosts() -> None:
    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1") and is_loopback_host("localhost")
    assert not is_loopback_host("0.0.0.0") and not is_loopback_host("example.com")


def test_resolve_target_by_name_and_url() -> None:
    config = config_from_dict(
        {"default_plan": "fast-track", "environments": {"staging": {"url": "https://staging.example.com/"}}}, None, ENV
    )
    assert resolve_target(config, "staging") is config.environments["staging"]
    assert resolve_target(config, "https://staging.example.com") is config.environments["staging"]
    adhoc = resolve_target(config, "http://127.0.0.1:9000/")
    assert adhoc == EnvironmentConfig(name="127.0.0.1:9000", url="http://127.0.0.1:9000", plan=FAST_TRACK)
    assert resolve_target(config, "https://mission.example.com").name == "mission.example.com"  # no port given: the host
    assert resolve_target(config, "http://[::1]:9000").name == "[::1]:9000"


def test_two_servers_on_one_host_are_two_targets_and_one_name_is_never_two_urls() -> None:
    """Named by host alone, `rollback URL1 URL2` rolled back one server and reported both."""
    config = config_from_dict({"environments": {"a": {"url": "http://127.0.0.1:9001"}}}, None, ENV)
    both = resolve_targets(config, ["http://127.0.0.1:9001", "http://127.0.0.1:9002", "http://127.0.0.1:9003"])
    assert [(t.name, t.url) for t in both] == [("a", "http://127.0.0.1:9001"), ("127.0.0.1:9002", "http://127.0.0.1:9002"),
                                               ("127.0.0.1:9003", "http://127.0.0.1:9003")]
    with pytest.raises(ConfigError, match="two targets are named '127.0.0.1:9002'"):  # one server's two paths: refused
        resolve_targets(config, ["http://127.0.0.1:9002/a", "http://127.0.0.1:9002/b"])


def test_resolve_target_refuses_insecure_url_and_unknown_names() -> None:
    config = config_from_dict({"environments": {"staging": {"url": "https://s.example.com"}, "prod": {"url": "https://p.example.com"}}}, None, ENV)
    with pytest.raises(ConfigError, match="expected an https URL"):
        resolve_target(config, "http://example.com")
    with pytest.raises(ConfigError) as info:
        resolve_target(config, "stagin")
    (message,) = info.value.errors
    assert "Did you mean 'staging'?" in message and "prod, staging" in message
    with pytest.raises(ConfigError, match="none configured"):
        resolve_target(Config(), "staging")


# ---------------------------------------------------------------- secrets


def test_secret_from_env() -> None:
    secret = resolve_secret(CredentialSource("env", "OPS_TOKEN"), {"OPS_TOKEN": "t0k"})
    assert isinstance(secret, Secret) and secret.reveal() == "t0k" and "t0k" not in repr(secret)
    assert resolve_secret(CredentialSource("env", "OPS_TOKEN"), {}) is None
    assert resolve_secret(CredentialSource("env", "OPS_TOKEN"), {"OPS_TOKEN": ""}) is None


def test_secret_from_file_strips_trailing_newline_and_warns_on_wide_mode(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("abc def\n", encoding="utf-8")
    path.chmod(0o600)
    source = CredentialSource("file", str(path))
    assert resolve_secret(source).reveal() == "abc def"  # type: ignore[union-attr]
    assert credential_warnings(source) == []
    path.chmod(0o644)
    (warning,) = credential_warnings(source)
    assert "group or others" in warning and "0644" in warning and "chmod 600" in warning
    assert "abc" not in warning


def test_secret_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        resolve_secret(CredentialSource("file", str(tmp_path / "missing")))
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match="empty"):
        resolve_secret(CredentialSource("file", str(empty)))


def test_secret_from_command_without_shell(tmp_path: Path) -> None:
    marker = tmp_path / "not-created"
    argv = (sys.executable, "-c", "import sys; print(sys.argv[1])", f"s3cret; touch {marker}")
    secret = resolve_secret(CredentialSource("command", argv))
    assert secret is not None and secret.reveal() == f"s3cret; touch {marker}"
    assert not marker.exists()
    assert secret.source == f"command {sys.executable}"


def test_failing_command_does_not_print_its_output() -> None:
    argv = (sys.executable, "-c", "print('leaked-value'); raise SystemExit(3)")
    with pytest.raises(ConfigError) as info:
        resolve_secret(CredentialSource("command", argv))
    assert "status 3" in str(info.value) and "leaked-value" not in str(info.value)
    with pytest.raises(ConfigError, match="program not found"):
        resolve_secret(CredentialSource("command", ("/nonexistent/pass-manager",)))
    with pytest.raises(ConfigError, match="printed nothing"):
        resolve_secret(CredentialSource("command", (sys.executable, "-c", "pass")))


def test_command_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hung password manager is killed after the timeout (the timeout is shortened for the test)."""
    import canary_tui.config as config_module

    monkeypatch.setattr(config_module, "CREDENTIAL_COMMAND_TIMEOUT_S", 0.5)
    argv = (sys.executable, "-c", "import time; time.sleep(30)")
    with pytest.raises(ConfigError, match="no answer within 0.5 s"):
        resolve_secret(CredentialSource("command", argv))


# ---------------------------------------------------------------- CLI: a broken config exits 2


from test_cli_basics import isolated_env as cli_env  # noqa: E402 - one isolated CLI environment for both files


def test_broken_config_exits_2_listing_every_error(tmp_path: Path) -> None:
    bad = write(tmp_path, 'poll_interval_s = "fast"\n[environments.staging]\nurl = "http://example.com"\n', "bad.toml")
    done = subprocess.run(
        [sys.executable, "-m", "canary_tui", "--config", str(bad), "locate"],
        capture_output=True, text=True, env=cli_env(tmp_path), timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == f"canary-tui: config error in {bad}:"
    assert lines[1].startswith("  poll_interval_s: expected")
    assert lines[2].startswith("  environments.staging.url: expected an https URL, got 'http://example.com'")
    assert len(lines) == 3
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- hypothesis: only ConfigError escapes

_scalars = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=datetime(1970, 1, 1)),
)
_known_keys = st.sampled_from(
    ["url", "plan", "token", "secret", "env", "file", "command", "stages", "percent", "bake", "kind", "timeout_s",
     "p95_ms", "success_rate_pct", "allow_insecure", "ca_bundle", "debounce_n", "actuator", "rollback", "standard", "staging"]
)
_keys = st.one_of(_known_keys, st.text(max_size=8))
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_keys, children, max_size=4)),
    max_leaves=20,
)
_top = st.fixed_dictionaries(
    {},
    optional={
        "poll_interval_s": _values, "theme": _values, "actor": _values, "default_plan": _values, "keymap": _values,
        "thresholds": st.one_of(_values, st.dictionaries(st.sampled_from(["p50_ms", "p95_ms", "success_rate_pct"]), st.lists(_scalars, max_size=3))),
        "plans": st.dictionaries(_keys, st.one_of(_values, st.fixed_dictionaries({"stages": st.lists(st.dictionaries(st.sampled_from(["percent", "bake"]), _scalars), max_size=4)}))),
        "environments": st.dictionaries(_keys, st.one_of(_values, st.dictionaries(_known_keys, _values, max_size=6))),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(_top, st.dictionaries(_keys, _values, max_size=5)))
def test_random_documents_raise_only_config_error(data: dict) -> None:
    try:
        config = config_from_dict(data, None, ENV)
    except ConfigError as exc:
        assert exc.errors and all(isinstance(e, str) and ": " in e for e in exc.errors)
        return
    assert isinstance(config, Config)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_random_files_raise_only_config_error(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_config(path, ENV)
        except ConfigError:
            pass


def test_source_describe_never_shows_command_arguments() -> None:
    assert CredentialSource("command", ("pass", "show", "secret-path")).describe() == "command pass"
    assert CredentialSource("env", "OPS_TOKEN").describe() == "env OPS_TOKEN"


_numbers = st.one_of(st.integers(min_value=-5, max_value=2000), st.floats(min_value=-5, max_value=2000, allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(["p50_ms", "p95_ms", "p99_ms", "error_rate_pct", "success_rate_pct"]), pair=st.tuples(_numbers, _numbers))
def test_config_accepts_exactly_the_overrides_the_threshold_table_accepts(key: str, pair: tuple[float, float]) -> None:
    """The config check and core ThresholdTable.with_overrides agree, so a loaded config never fails later."""
    from canary_tui.core.thresholds import CONFIG_KEYS, ThresholdTable

    assert set(CONFIG_KEYS) == {"p50_ms", "p95_ms", "p99_ms", "error_rate_pct", "success_rate_pct"}
    try:
        ThresholdTable.seed().with_overrides({key: list(pair)})
        core_ok = True
    except ValueError:
        core_ok = False
    try:
        config = config_from_dict({"thresholds": {key: list(pair)}}, None, ENV)
    except ConfigError:
        assert not core_ok, (key, pair)
    else:
        assert core_ok, (key, pair)
        ThresholdTable.seed().with_overrides(config.threshold_overrides)


def test_docs_document_every_key() -> None:
    """docs/config.md names every accepted key, so the reference cannot fall behind the code."""
    from canary_tui import config as config_module

    doc = (REPO / "docs" / "config.md").read_text(encoding="utf-8")
    keys = (
        *config_module._TOP_KEYS, *config_module._ENV_KEYS, *config_module._ACTUATOR_KEYS,
        *config_module._SOURCE_KEYS, *config_module._STAGE_KEYS, *config_module.THRESHOLD_KEYS,
        "CANARY_TUI_CONFIG", "CANARY_TUI_CONFIG_DIR", "CANARY_TUI_STATE_DIR", "CANARY_TUI_LOG_DIR",
    )
    import re

    missing = [key for key in keys if not re.search(rf"`[^`\n]*(?<!\w){re.escape(key)}(?!\w)[^`\n]*`", doc)]
    assert not missing, missing
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "## Configuration" in readme and "docs/config.md" in readme


def test_resolve_targets_keeps_order_drops_repeats_and_all_lists_every_environment() -> None:
    from canary_tui.config import ConfigError, config_from_dict, resolve_targets

    config = config_from_dict({"environments": {
        "staging": {"url": "https://staging.example.com"}, "production": {"url": "https://prod.example.com"}}})
    assert [t.name for t in resolve_targets(config, ["production", "staging", "production"])] == ["production", "staging"]
    assert [t.name for t in resolve_targets(config, [], all_targets=True)] == ["staging", "production"]
    with pytest.raises(ConfigError, match="unknown environment 'prod'"):
        resolve_targets(config, ["prod"])
    with pytest.raises(ConfigError, match="no environments are configured"):
        resolve_targets(config_from_dict({}), [], all_targets=True)
    with pytest.raises(ConfigError, match=r"--all and target names \(staging\): give one or the other"):
        resolve_targets(config, ["staging"], all_targets=True)
