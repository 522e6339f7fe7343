"""Pane markup to Content, parsing each distinct line once: the panes redraw every poll, but most lines repeat."""

from __future__ import annotations

from functools import lru_cache

from textual.content import Content

_NEWLINE = Content("\n")


@lru_cache(maxsize=1024)
def line_content(markup: str) -> Content:
    """One line of markup parsed (Content is immutable: safe to share; theme variables resolve at render)."""
    return Content.from_markup(markup)


def content_of(markup: str) -> Content:
    """Markup whose tags close on each line, as Content; unchanged lines come from the cache."""
    return _NEWLINE.join([line_content(line) for line in markup.split("\n")])
