"""Theme files (TOML) to Textual themes: the bundled ones, then the user's, forgivingly."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "canary-dark"

#: colour slots of a theme file's [colors] table (Textual's ColorSystem names)
COLOR_KEYS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground", "background", "surface", "panel", "boost")

#: the dashboard's own variables; every canary theme sets them in [variables]. The values here
#: are the last resort for a user theme that sets none (named colours; the real ones live in themes/)
VARIABLE_DEFAULTS: dict[str, str] = {
    "status-healthy": "green",
    "status-warning": "yellow",
    "status-critical": "red",
    "status-unknown": "gray",
    "status-text": "black",
    "status-critical-text": "black",
    "chart-canary": "yellow",
    "chart-stable": "dodgerblue",
    "chart-line-warn": "orange",
    "chart-line-critical": "red",
    "chart-mark": "gray",
}

THEME_ORDER = ("canary-dark", "canary-light", "canary-high-contrast", "canary-colourblind")


class ThemeFileError(ValueError):
    """A theme file that cannot be used, with the file and the reason."""


@dataclass
class ThemeCatalog:
    """Themes found on disk, in cycle order, and the problems met while reading them."""

    themes: dict[str, Theme] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def variable_defaults(self) -> dict[str, str]:
        """Defaults for the dashboard variables: the default theme's values, else named colours."""
        base = self.themes.get(DEFAULT_THEME)
        chosen = dict(VARIABLE_DEFAULTS)
        if base is not None:
            chosen.update({key: value for key, value in base.variables.items() if key in VARIABLE_DEFAULTS})
        return chosen

    @property
    def names(self) -> list[str]:
        """Theme names in the order `t` cycles through them: bundled first, then the user's."""
        ordered = [name for name in THEME_ORDER if name in self.themes]
        return ordered + sorted(name for name in self.themes if name not in ordered)

    def notice(self) -> str | None:
        """One message summing up every broken theme file, or None when all loaded."""
        if not self.problems:
            return None
        return "Some theme files were skipped:\n" + "\n".join(f"• {problem}" for problem in self.problems)


def _check_colour(path: Path, key: str, value: object) -> str:
    """A colour value as text, or ThemeFileError naming the file and the key."""
    if not isinstance(value, str):
        raise ThemeFileError(f"{path.name}: {key} must be a colour string, got {value!r}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{path.name}: {key} = {value!r} is not a colour") from None
    return value


def parse_theme(path: Path) -> Theme:
    """One theme file as a Textual Theme; ThemeFileError with the file and reason otherwise."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThemeFileError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{path.name}: not valid TOML ({exc})") from None
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"{path.name}: name must be a non-empty string")
    colours = data.get("colors", {})
    variables = data.get("variables", {})
    if not isinstance(colours, dict) or not isinstance(variables, dict):
        raise ThemeFileError(f"{path.name}: [colors] and [variables] must be tables")
    unknown = sorted(set(colours) - set(COLOR_KEYS))
    if unknown:
        raise ThemeFileError(f"{path.name}: unknown colour slot(s) {', '.join(unknown)}")
    if "primary" not in colours:
        raise ThemeFileError(f"{path.name}: [colors] needs at least primary")
    checked = {key: _check_colour(path, f"colors.{key}", value) for key, value in colours.items()}
    checked_vars = {key: _check_colour(path, f"variables.{key}", value) if key in VARIABLE_DEFAULTS else str(value) for key, value in variables.items()}
    dark = data.get("dark", True)
    spread = data.get("luminosity_spread", 0.15)
    if not isinstance(dark, bool):
        raise ThemeFileError(f"{path.name}: dark must be true or false")
    if not isinstance(spread, (int, float)) or isinstance(spread, bool):
        raise ThemeFileError(f"{path.name}: luminosity_spread must be a number")
    return Theme(
        name=name.strip(), primary=checked["primary"], secondary=checked.get("secondary"), warning=checked.get("warning"),
        error=checked.get("error"), success=checked.get("success"), accent=checked.get("accent"),
        foreground=checked.get("foreground"), background=checked.get("background"), surface=checked.get("surface"),
        panel=checked.get("panel"), boost=checked.get("boost"),
        dark=dark, luminosity_spread=float(spread), variables=checked_vars,
    )


def load_themes(directories: list[Path]) -> ThemeCatalog:
    """Every *.toml theme in `directories` (later ones override earlier names); broken files are listed, not raised."""
    catalog = ThemeCatalog()
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = parse_theme(path)
            except ThemeFileError as exc:
                catalog.problems.append(f"{exc} ({path.parent})")
                continue
            catalog.themes[theme.name] = theme
    return catalog


def default_directories() -> list[Path]:
    """The bundled themes directory, then the user's themes directory."""
    from canary_tui import paths

    return [paths.bundled_themes_dir(), paths.themes_dir()]


def next_theme(names: list[str], current: str) -> str:
    """The theme after `current` in `names`, wrapping around."""
    if not names:
        return current
    if current not in names:
        return names[0]
    return names[(names.index(current) + 1) % len(names)]
