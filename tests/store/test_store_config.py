"""The `store` config keys: a path (relative to the config file), retention bounds, clear errors naming the key; `locate` shows it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from canary_tui.config import ConfigError, config_from_dict


def test_store_path_is_relative_to_the_config_file_and_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_from_dict({"store": "data/h.sqlite3"}, tmp_path / "config.toml")
    assert config.store_path == tmp_path / "data" / "h.sqlite3"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_from_dict({"store": "~/h.db"}, tmp_path / "config.toml").store_path == tmp_path / "h.db"
    assert config_from_dict({}, None).store_path is None


def test_retention_keys_and_their_defaults() -> None:
    config = config_from_dict({"store_full_resolution_h": 24, "store_minute_days": 30})
    assert (config.store_full_resolution_h, config.store_minute_days) == (24.0, 30.0)
    default = config_from_dict({})
    assert (default.store_full_resolution_h, default.store_minute_days) == (72.0, 90.0)


@pytest.mark.parametrize(("data", "key"), [
    ({"store": 5}, "store"),
    ({"store": ""}, "store"),
    ({"store_full_resolution_h": 0}, "store_full_resolution_h"),
    ({"store_minute_days": "ninety"}, "store_minute_days"),
])
def test_bad_values_name_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    assert any(line.startswith(f"{key}:") for line in info.value.errors), info.value.errors


def test_a_directory_is_refused_with_a_file_name_suggested(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict({"store": str(tmp_path)})
    assert "is a directory" in info.value.errors[0] and "history.sqlite3" in info.value.errors[0]


def test_locate_prints_the_configured_store(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('store = "my-history.sqlite3"\n')
    env = {**os.environ, "CANARY_TUI_CONFIG": str(config_file), "CANARY_TUI_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run([sys.executable, "-m", "canary_tui", "locate", "--json"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["store"] == str(tmp_path / "my-history.sqlite3")
