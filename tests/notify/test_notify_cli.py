"""`canary-tui notify test` as a subprocess against the loopback receiver; config errors name their key; apprise missing says what to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from canary_tui.config import ConfigError, config_from_dict
from canary_tui.notify.attach import build_notifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_harness import assert_clean, canary_tui, cli_env, write_config


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('actor = "cli@test"\n[environments.staging]\nurl = "http://127.0.0.1:9"\n' + text)
    return path


def test_notify_test_reports_each_url_and_exits_1_when_one_failed(receiver, tmp_path) -> None:
    config = _config(tmp_path, f'[[notify]]\nurl = "{receiver.url("ok")}"\n[[notify]]\nurl = {{ env = "FAILING_HOOK" }}\n'
                               "[notifications]\nretries = 0\ntimeout_s = 2\n")
    done = canary_tui(["notify", "test", "staging"], cli_env(tmp_path, config, FAILING_HOOK=receiver.url("fail")))
    assert_clean(done)
    assert done.returncode == 1, done.stderr
    lines = sorted(done.stdout.splitlines())
    assert lines[0].startswith(f"json://127.0.0.1:{receiver.port}/fail: failed: ") and "500" in lines[0], lines
    assert lines[1] == f"json://127.0.0.1:{receiver.port}/ok: sent"
    (message,) = receiver.fields("ok")
    assert message["event"] == "test" and message["target"] == "staging" and message["actor"] == "cli@test"


def test_notify_test_exits_0_when_every_url_took_it(receiver, tmp_path) -> None:
    config = _config(tmp_path, f'[[notify]]\nurl = "{receiver.url("ok")}"\nevents = ["auto-rollback"]\n')
    done = canary_tui(["notify", "test"], cli_env(tmp_path, config))
    assert done.returncode == 0 and done.stdout.strip().endswith("/ok: sent"), (done.stdout, done.stderr)
    assert receiver.fields("ok")[0]["target"] == "(no target)"


def test_an_unset_url_variable_is_a_config_error_naming_the_key(tmp_path) -> None:
    config = _config(tmp_path, '[[notify]]\nurl = { env = "NOT_SET_HOOK" }\n')
    done = canary_tui(["notify", "test"], cli_env(tmp_path, config))
    assert done.returncode == 2 and "notify[0].url: env NOT_SET_HOOK is not set" in done.stderr
    assert_clean(done)


def test_config_errors_name_their_key() -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_dict({
            "environments": {"staging": {"url": "http://127.0.0.1:9"}},
            "notify": [{"url": "hooks.example.com", "events": ["rollback"], "environments": ["prod"], "evnts": []}],
            "notifications": {"gate_failing_after": "soon", "link_base": "ftp://x", "rate_limit_count": 0},
        })
    errors = caught.value.errors
    assert any(e.startswith("notify[0].url: expected an apprise URL") for e in errors)
    assert any(e.startswith("notify[0].events: unknown 'rollback'") for e in errors)
    assert any(e.startswith("notify[0].environments: unknown 'prod'; expected some of: staging") for e in errors)
    assert "notify[0].evnts: unknown key; did you mean 'events'?" in errors
    assert any(e.startswith("notifications.gate_failing_after: expected a duration") for e in errors)
    assert any(e.startswith("notifications.link_base:") for e in errors)
    assert any(e.startswith("notifications.rate_limit_count: expected an integer from 1") for e in errors)


def test_a_notify_url_without_apprise_names_the_extra_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise now raises ImportError
    config = config_from_dict({"notify": [{"url": "json://127.0.0.1:9/x"}]})
    with pytest.raises(ConfigError) as caught:
        build_notifier(config)
    assert caught.value.errors == ["notify: notifications are configured but apprise is not installed; run: pip install 'canary-tui[notify]'"]
    assert build_notifier(config_from_dict({})) is None  # nothing configured: apprise is never needed


def test_rollback_from_the_cli_sends_rollback_confirmed_naming_who_acted(simulator_factory, receiver, tmp_path) -> None:
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, health_latency_scale=0.02)
    sim.state.set_canary(50, None, None, "", "alice")
    hooks = (f'[[notify]]\nurl = "{receiver.url("ok")}"\nenvironments = ["staging"]\n[[notify]]\nurl = "{receiver.url("fail")}"\n'
              '[notifications]\nretries = 0\nlink_base = "https://canary.example.com"\n')
    done = canary_tui(["rollback", "staging", "--note", "pager"], cli_env(tmp_path, write_config(tmp_path, sim.url, extra=hooks)))
    assert done.returncode == 0, done.stderr
    assert_clean(done)
    (message,) = receiver.fields("ok")  # sent before the command exits
    assert message["event"] == "rollback-confirmed" and message["actor"] == "cli@test" and message["target"] == "staging"
    assert message["reason"] == "rollback 50% → 0% (cli: pager) confirmed: 0% after 1 attempt"
    assert message["stage"] == "50% (stage 2 of 3)"  # the stage it rolled back from
    assert message["link"] == "https://canary.example.com/?target=staging"
    assert f"canary-tui: notify rollback-confirmed → json://127.0.0.1:{receiver.port}/fail: failed" in done.stderr


@pytest.mark.parametrize("argv", [["watch", "staging"], ["rollback", "staging"], ["notify", "test"]])
def test_every_sending_command_says_which_extra_to_install_when_apprise_is_missing(argv, tmp_path) -> None:
    shadow = tmp_path / "shadow" / "apprise"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("No module named apprise")\n')
    config = _config(tmp_path, '[[notify]]\nurl = "json://127.0.0.1:9/hook"\n')
    done = canary_tui(argv, cli_env(tmp_path, config, PYTHONPATH=str(tmp_path / "shadow")), timeout_s=30)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "notify: notifications are configured but apprise is not installed; run: pip install 'canary-tui[notify]'" in done.stderr
    assert_clean(done)


def test_a_url_apprise_does_not_know_is_refused_naming_its_key_without_echoing_it(tmp_path) -> None:
    config = _config(tmp_path, '[[notify]]\nurl = "json://127.0.0.1:9/ok"\n[[notify]]\nurl = "nosuchservice://sekrit-token-123"\n')
    done = canary_tui(["notify", "test"], cli_env(tmp_path, config))
    assert done.returncode == 2 and "notify[1].url: apprise does not accept this nosuchservice:// URL" in done.stderr
    assert "sekrit-token-123" not in done.stderr + done.stdout
