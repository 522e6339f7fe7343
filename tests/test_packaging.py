"""Packaging: the wheel ships every theme and the console script; the sdist carries everything its tests read."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from canary_tui import __version__

REPO = Path(__file__).resolve().parent.parent
THEMES = REPO / "themes"


def theme_files() -> list[Path]:
    """Every shipped file under themes/ (hidden files excluded), relative to themes/."""
    if not THEMES.is_dir():
        return []
    return sorted(p.relative_to(THEMES) for p in THEMES.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(THEMES).parts))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from this checkout into a temp dir (offline when hatchling is installed, else isolated)."""
    return build("wheel", tmp_path_factory.mktemp("dist"))


def build(kind: str, out: Path) -> Path:
    """Build a wheel or sdist of this checkout into out (offline with --no-isolation when hatchling is installed)."""
    argv = [sys.executable, "-m", "build", f"--{kind}", "--outdir", str(out), str(REPO)]
    if importlib.util.find_spec("hatchling") is not None:
        argv.insert(4, "--no-isolation")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (built,) = out.glob("canary_tui-*.tar.gz" if kind == "sdist" else "canary_tui-*.whl")
    return built


def in_a_checkout() -> bool:
    """Whether this is a git checkout (an unpacked sdist has no .git and cannot vouch for the file list)."""
    return (REPO / ".git").exists()


def tracked_files(*paths: str) -> set[str]:
    """Files git tracks under the given paths, relative to the repository root."""
    done = subprocess.run(["git", "ls-files", "-z", "--", *paths], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    return {name for name in done.stdout.split("\0") if name}


@pytest.fixture(scope="module")
def sdist_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Paths inside the sdist, relative to its top directory."""
    built = build("sdist", tmp_path_factory.mktemp("sdist"))
    with tarfile.open(built) as tf:
        top = f"canary_tui-{__version__}/"
        return {m.name.removeprefix(top) for m in tf.getmembers() if m.isfile()}


#: what the tests read besides the package and themselves: docs (config reference, links), the README and
#: .ci/run (test_readme_ci), benchmarks/ (test_benchmarks_smoke), themes/ (this file), the license
SDIST_NEEDS = ("docs", "benchmarks", "themes", "tests", ".ci/run", "README.md", "LICENSE", "pyproject.toml")


def test_sdist_carries_everything_its_tests_read(sdist_names: set[str]) -> None:
    if not in_a_checkout():
        pytest.skip("not a git checkout: the sdist's file list is checked against git ls-files")
    wanted = tracked_files("canary_tui", *SDIST_NEEDS)
    assert {"docs/mission-control-api.md", ".ci/run", "LICENSE", "benchmarks/__main__.py"} <= wanted
    missing = sorted(wanted - sdist_names)
    assert not missing, f"missing from the sdist: {missing[:20]}"


def test_sdist_has_no_clutter(sdist_names: set[str]) -> None:
    clutter = sorted(n for n in sdist_names if "__pycache__" in n or n.endswith(".pyc") or n.startswith((".venv/", ".git/", "dist/")))
    assert not clutter, clutter
    assert "PKG-INFO" in sdist_names


def test_license_file_matches_the_metadata() -> None:
    """The metadata says MIT; the LICENSE file is the MIT text."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "canary-tui developers" in text


def test_themes_exist_in_the_source_tree() -> None:
    if not THEMES.is_dir() or not any(THEMES.iterdir()):
        pytest.skip("themes/ is still empty: the UI issue adds the theme files")
    assert [p for p in theme_files() if p.suffix in (".toml", ".tcss")], f"no .toml/.tcss theme in {THEMES}"


def test_every_theme_file_is_in_the_wheel(wheel: Path) -> None:
    files = theme_files()
    if not files:
        pytest.skip("themes/ is still empty: the UI issue adds the theme files")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for rel in files:
            arcname = f"canary_tui/themes/{rel.as_posix()}"
            assert arcname in names, f"{arcname} missing from {wheel.name}"
            assert zf.read(arcname) == (THEMES / rel).read_bytes()


def test_wheel_metadata_and_entry_point(wheel: Path) -> None:
    assert wheel.name == f"canary_tui-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist_info = f"canary_tui-{__version__}.dist-info"
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        metadata = zf.read(f"{dist_info}/METADATA").decode()
    assert "canary_tui/__init__.py" in names and "canary_tui/__main__.py" in names
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
    assert "canary-tui = canary_tui.cli:main" in entry_points
    assert "Requires-Python: >=3.11" in metadata
    for pin in ("textual==8.2.8", "textual-plotext==1.0.1", "plotext==5.3.2"):
        assert f"Requires-Dist: {pin}" in metadata


def test_installed_layout_finds_bundled_themes(wheel: Path, tmp_path: Path) -> None:
    """Unpacked like site-packages, `bundled_themes_dir()` points inside the package and holds the themes."""
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path / "site")
    code = "from canary_tui import paths; print(paths.__file__); print(paths.bundled_themes_dir())"
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    module_file, themes_dir = (Path(line) for line in done.stdout.splitlines())
    assert module_file.is_relative_to(site), "the unpacked wheel was not the copy imported"
    assert themes_dir == site / "canary_tui" / "themes"
    assert {p.relative_to(themes_dir) for p in themes_dir.rglob("*") if p.is_file()} == set(theme_files())
