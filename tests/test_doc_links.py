"""The project stands alone: README and docs link only inside the repository, and every relative link resolves."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: the judgment page: links to it are checked like every other, and it must exist
JUDGMENT = REPO / "docs" / "judgment.md"

_INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)
_FENCE = re.compile(r"^```.*?^```", re.M | re.S)
_WEB = ("https://", "http://", "mailto:")


def markdown_files() -> list[Path]:
    """README.md, everything under docs/, and any Markdown file inside the package."""
    files = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md")), *sorted((REPO / "canary_tui").rglob("*.md"))]
    return [f for f in files if f.is_file()]


def links(markdown: str) -> list[str]:
    """Link targets of inline links, images and reference definitions, outside fenced code blocks."""
    prose = _FENCE.sub("", markdown)
    return _INLINE_LINK.findall(prose) + _REFERENCE_DEF.findall(prose)


def anchors(markdown: str) -> set[str]:
    """GitHub-style anchors of the headings: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", _FENCE.sub("", markdown), re.M):
        text = re.sub(r"[`*_]", "", heading).strip().lower()
        out.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return out


def problem(source: Path, target: str) -> str | None:
    """Why a link target is not acceptable, or None when it stays in the repository and resolves."""
    if target.startswith(_WEB):
        return None  # a public web page (e.g. a library's documentation): every reader has it
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
        return f"{target}: only relative links and web pages are allowed"
    path_part, _, fragment = target.partition("#")
    resolved = (source.parent / path_part).resolve() if path_part else source
    if not resolved.is_relative_to(REPO):
        return f"{target}: leaves the repository"
    if not resolved.exists():
        return f"{target}: {resolved.relative_to(REPO)} does not exist"
    if fragment and resolved.suffix == ".md" and fragment not in anchors(resolved.read_text(encoding="utf-8")):
        return f"{target}: no heading #{fragment} in {resolved.relative_to(REPO)}"
    return None


def all_links() -> list[tuple[Path, str]]:
    """(file, target) for every link in the checked Markdown files."""
    return [(f, t) for f in markdown_files() for t in links(f.read_text(encoding="utf-8"))]


def _to_judgment(source: Path, target: str) -> bool:
    path_part = target.partition("#")[0]
    return bool(path_part) and not target.startswith(_WEB) and (source.parent / path_part).resolve() == JUDGMENT


def test_the_checked_files_have_links() -> None:
    """Not vacuous: README and docs are there and the extractor finds their links."""
    names = {f.relative_to(REPO).as_posix() for f in markdown_files()}
    assert {"README.md", "docs/ARCHITECTURE.md", "docs/mission-control-api.md"} <= names
    assert len(all_links()) >= 5


def test_no_text_points_at_files_outside_the_repository() -> None:
    """Not even as code spans: `../shared/…` and friends name files no user has."""
    for f in markdown_files():
        text = f.read_text(encoding="utf-8")
        assert "../shared" not in text, f"{f.relative_to(REPO)} mentions ../shared"


def test_every_link_stays_inside_the_repository_and_resolves() -> None:
    bad = [f"{f.relative_to(REPO)}: {why}" for f, t in all_links() if (why := problem(f, t)) is not None]
    assert not bad, "\n".join(bad)


def test_the_judgment_page_exists_and_the_readme_links_into_it() -> None:
    """README's "How it judges" points at docs/judgment.md, headings included, and those links resolve."""
    assert JUDGMENT.is_file()
    targets = [(f, t) for f, t in all_links() if _to_judgment(f, t)]
    assert any(f.name == "README.md" and "#" in t for f, t in targets), targets
    bad = [f"{f.relative_to(REPO)}: {why}" for f, t in targets if (why := problem(f, t)) is not None]
    assert not bad, "\n".join(bad)


def test_the_checker_catches_bad_links(tmp_path: Path) -> None:
    """Each kind of bad link is caught: outside the repo, missing file, missing heading, another scheme."""
    source = REPO / "docs" / "ARCHITECTURE.md"
    assert problem(source, "../../shared/mission-control-api.md") is not None
    assert problem(source, "../shared/DESIGN.md") is not None
    assert problem(source, "no-such-page.md") is not None
    assert problem(source, "mission-control-api.md#no-such-heading") is not None
    assert problem(source, "file:///etc/passwd") is not None
    assert problem(source, "mission-control-api.md#errors") is None
    assert links("see [a](b.md) and ![c](d.png)\n\n```\n[x](y.md)\n```\n[r]: e.md\n") == ["b.md", "d.png", "e.md"]
