"""Where canary-tui keeps its files: platformdirs locations, each overridable by an env var for isolation."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "canary-tui"

#: the config file itself (below `--config PATH`, above the platformdirs default)
CONFIG_ENV = "CANARY_TUI_CONFIG"
#: the directory holding config.toml and user themes/
CONFIG_DIR_ENV = "CANARY_TUI_CONFIG_DIR"
#: audit logs and other durable state
STATE_DIR_ENV = "CANARY_TUI_STATE_DIR"
#: diagnostic logs
LOG_DIR_ENV = "CANARY_TUI_LOG_DIR"

CONFIG_FILE_NAME = "config.toml"
#: the history store's file in the state directory (config `store = PATH` moves it)
STORE_FILE_NAME = "history.sqlite3"

_PACKAGE_DIR = Path(__file__).resolve().parent


def _override(environ: Mapping[str, str], name: str) -> Path | None:
    """The path in env var `name`, or None when it is unset or empty."""
    value = environ.get(name, "")
    return Path(value).expanduser() if value else None


def config_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """User config directory: $CANARY_TUI_CONFIG_DIR, else the platformdirs one."""
    return _override(environ, CONFIG_DIR_ENV) or Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_file(explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """Config file: `--config PATH` > $CANARY_TUI_CONFIG > config_dir()/config.toml."""
    if explicit:
        return Path(explicit).expanduser()
    return _override(environ, CONFIG_ENV) or config_dir(environ) / CONFIG_FILE_NAME


def config_file_is_explicit(explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the user named the config file (so a missing file is an error, not 'use defaults')."""
    return bool(explicit) or bool(environ.get(CONFIG_ENV, ""))


def themes_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """User themes: config_dir()/themes (searched before the bundled ones)."""
    return config_dir(environ) / "themes"


def state_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Durable state such as audit logs: $CANARY_TUI_STATE_DIR, else the platformdirs state dir."""
    return _override(environ, STATE_DIR_ENV) or Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def store_file(configured: Path | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """The history store: the config's `store = PATH` when set, else state_dir()/history.sqlite3."""
    return configured if configured is not None else state_dir(environ) / STORE_FILE_NAME


def log_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Diagnostic logs: $CANARY_TUI_LOG_DIR, else the platformdirs log dir."""
    return _override(environ, LOG_DIR_ENV) or Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def bundled_themes_dir() -> Path:
    """Themes shipped with the package: canary_tui/themes in a wheel, top-level themes/ in a source checkout."""
    installed = _PACKAGE_DIR / "themes"
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent / "themes"
    return checkout if checkout.is_dir() else installed


def all_locations(
    explicit_config: str | os.PathLike[str] | None = None, environ: Mapping[str, str] = os.environ, store: Path | None = None,
) -> dict[str, Path]:
    """Every location `canary-tui locate` reports, in display order (`store`: the config's `store = PATH`, if any)."""
    return {
        "config": config_file(explicit_config, environ),
        "themes": themes_dir(environ),
        "bundled_themes": bundled_themes_dir(),
        "state": state_dir(environ),
        "store": store_file(store, environ),
        "logs": log_dir(environ),
    }
