"""Theme files: the bundled four load, user themes are found, a broken file gives one notice and a fallback."""

from __future__ import annotations

import re
from pathlib import Path

from textual.color import Color

from canary_tui.ui.app import CanaryApp
from canary_tui.ui.themes import VARIABLE_DEFAULTS, default_directories, load_themes, next_theme, parse_theme
from ui_builders import FakeController, snapshot

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "themes"
REQUIRED = ("canary-dark", "canary-light", "canary-high-contrast", "canary-colourblind")


def lightness(colour: str) -> float:
    """CIE L* (0..100) of a colour."""
    r, g, b = (c / 255 for c in Color.parse(colour).rgb)

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    y = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return 116 * (y ** (1 / 3) if y > 0.008856 else (7.787 * y + 16 / 116)) - 16


def test_bundled_themes_load_and_define_every_dashboard_variable() -> None:
    catalog = load_themes([BUNDLED])
    assert catalog.problems == []
    assert catalog.names[:4] == list(REQUIRED)
    for name in REQUIRED:
        missing = set(VARIABLE_DEFAULTS) - set(catalog.themes[name].variables) - {"status-critical-text"}
        assert not missing, f"{name} lacks {missing}"
    assert catalog.themes["canary-light"].dark is False


def test_colourblind_levels_differ_in_lightness_not_only_hue() -> None:
    theme = load_themes([BUNDLED]).themes["canary-colourblind"]
    levels = [lightness(theme.variables[f"status-{level}"]) for level in ("healthy", "warning", "critical")]
    gaps = [abs(a - b) for i, a in enumerate(levels) for b in levels[i + 1 :]]
    assert min(gaps) >= 15, f"L* {levels}: too close for readers who cannot tell the hues apart"


def test_high_contrast_status_colours_stand_out_from_the_background() -> None:
    theme = load_themes([BUNDLED]).themes["canary-high-contrast"]
    background = lightness(theme.background or "black")
    for level in ("healthy", "warning", "critical"):
        assert lightness(theme.variables[f"status-{level}"]) - background >= 50


def test_user_themes_are_read_after_the_bundled_ones(tmp_path: Path) -> None:
    user = tmp_path / "themes"
    user.mkdir()
    (user / "mine.toml").write_text('name = "night-shift"\n[colors]\nprimary = "#336699"\n[variables]\nstatus-healthy = "#00aa00"\n')
    catalog = load_themes([BUNDLED, user])
    assert "night-shift" in catalog.names and catalog.names[:4] == list(REQUIRED)
    assert next_theme(catalog.names, "canary-colourblind") == "night-shift"
    assert next_theme(catalog.names, "night-shift") == "canary-dark"


def test_default_directories_include_the_user_themes_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CANARY_TUI_CONFIG_DIR", str(tmp_path))
    dirs = default_directories()
    assert dirs[-1] == tmp_path / "themes"
    assert (dirs[0] / "canary-dark.toml").is_file()


def test_parse_errors_name_the_file_and_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[colors]\nprimary = "not-a-colour"\n')
    catalog = load_themes([tmp_path])
    assert catalog.themes == {}
    assert len(catalog.problems) == 1 and "bad.toml" in catalog.problems[0] and "primary" in catalog.problems[0]
    (tmp_path / "bad.toml").write_text("name = [unclosed\n")
    assert "not valid TOML" in load_themes([tmp_path]).problems[0]


async def test_a_broken_theme_gives_one_notice_and_falls_back(tmp_path: Path) -> None:
    user = tmp_path / "themes"
    user.mkdir()
    (user / "broken.toml").write_text('name = "broken"\n[colors]\nprimary = 42\n')
    (user / "also-broken.toml").write_text("[[[")
    app = CanaryApp(FakeController(snapshot("healthy")), theme="broken", poll=False, theme_dirs=[BUNDLED, user])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "canary-dark"
        notices = [n.message for n in app._notifications]
        broken = [m for m in notices if "theme files were skipped" in m]
        assert len(broken) == 1
        assert "broken.toml" in broken[0] and "also-broken.toml" in broken[0]
        assert any("'broken' not found" in m for m in notices)


def test_no_hex_colours_in_ui_python() -> None:
    hex_colour = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "canary_tui" / "ui").rglob("*.py") if hex_colour.search(p.read_text())]
    assert offenders == []


def test_parse_theme_reads_dark_and_spread() -> None:
    theme = parse_theme(BUNDLED / "canary-high-contrast.toml")
    assert theme.dark is True and theme.luminosity_spread == 0.25
