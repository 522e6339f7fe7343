"""Paths: platformdirs defaults, env overrides for isolation, and the config-file precedence."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from canary_tui import paths


def test_defaults_come_from_platformdirs() -> None:
    environ: dict[str, str] = {}
    assert paths.config_dir(environ) == Path(platformdirs.user_config_dir("canary-tui", appauthor=False))
    assert paths.config_file(None, environ) == paths.config_dir(environ) / "config.toml"
    assert paths.themes_dir(environ) == paths.config_dir(environ) / "themes"
    assert paths.state_dir(environ) == Path(platformdirs.user_state_dir("canary-tui", appauthor=False))
    assert paths.log_dir(environ) == Path(platformdirs.user_log_dir("canary-tui", appauthor=False))


def test_env_overrides(tmp_path: Path) -> None:
    environ = {
        "CANARY_TUI_CONFIG_DIR": str(tmp_path / "c"),
        "CANARY_TUI_STATE_DIR": str(tmp_path / "s"),
        "CANARY_TUI_LOG_DIR": str(tmp_path / "l"),
    }
    assert paths.config_dir(environ) == tmp_path / "c"
    assert paths.config_file(None, environ) == tmp_path / "c" / "config.toml"
    assert paths.themes_dir(environ) == tmp_path / "c" / "themes"
    assert paths.state_dir(environ) == tmp_path / "s"
    assert paths.log_dir(environ) == tmp_path / "l"


def test_empty_env_values_are_ignored() -> None:
    environ = {"CANARY_TUI_CONFIG_DIR": "", "CANARY_TUI_CONFIG": "", "CANARY_TUI_STATE_DIR": ""}
    assert paths.config_file(None, environ) == paths.config_file(None, {})
    assert paths.state_dir(environ) == paths.state_dir({})
    assert not paths.config_file_is_explicit(None, environ)


def test_config_file_precedence(tmp_path: Path) -> None:
    environ = {"CANARY_TUI_CONFIG": str(tmp_path / "env.toml"), "CANARY_TUI_CONFIG_DIR": str(tmp_path / "dir")}
    assert paths.config_file(tmp_path / "flag.toml", environ) == tmp_path / "flag.toml"
    assert paths.config_file(None, environ) == tmp_path / "env.toml"
    assert paths.config_file(None, {"CANARY_TUI_CONFIG_DIR": str(tmp_path / "dir")}) == tmp_path / "dir" / "config.toml"
    assert paths.config_file_is_explicit(tmp_path / "flag.toml", {})
    assert paths.config_file_is_explicit(None, environ)
    assert not paths.config_file_is_explicit(None, {"CANARY_TUI_CONFIG_DIR": str(tmp_path)})


def test_tilde_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.config_file("~/x.toml", {}) == tmp_path / "x.toml"
    assert paths.state_dir({"CANARY_TUI_STATE_DIR": "~/st"}) == tmp_path / "st"


def test_bundled_themes_dir_in_a_source_checkout() -> None:
    """Editable/source installs have no canary_tui/themes: the top-level themes/ is used."""
    package_dir = Path(paths.__file__).resolve().parent
    expected = package_dir / "themes" if (package_dir / "themes").is_dir() else package_dir.parent / "themes"
    assert paths.bundled_themes_dir() == expected
    assert paths.bundled_themes_dir().is_dir()


def test_bundled_themes_dir_prefers_the_installed_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_package = tmp_path / "site" / "canary_tui"
    (fake_package / "themes").mkdir(parents=True)
    monkeypatch.setattr(paths, "_PACKAGE_DIR", fake_package)
    assert paths.bundled_themes_dir() == fake_package / "themes"
    (fake_package / "themes").rmdir()
    assert paths.bundled_themes_dir() == fake_package / "themes"  # neither exists: the wheel location


def test_all_locations_order() -> None:
    assert list(paths.all_locations(None, {})) == ["config", "themes", "bundled_themes", "state", "store", "logs"]


def test_store_file_defaults_to_the_state_dir_and_follows_the_config(tmp_path: Path) -> None:
    environ = {"CANARY_TUI_STATE_DIR": str(tmp_path / "s")}
    assert paths.store_file(None, environ) == tmp_path / "s" / "history.sqlite3"
    assert paths.store_file(tmp_path / "elsewhere.db", environ) == tmp_path / "elsewhere.db"
    assert paths.all_locations(None, environ, store=tmp_path / "x.db")["store"] == tmp_path / "x.db"
