"""Pane markup to Content, parsing each distinct line once: the panes redraw every poll, but most lines repeat."""

from __future__ import annotations

from functools import lru_cache

from textual.content import Content
from textual.widgets import Static

_NEWLINE = Content("\n")


@lru_cache(maxsize=1024)
def line_content(markup: str) -> Content:
    """One line of markup parsed (Content is immutable: safe to share; theme variables resolve at render)."""
    return Content.from_markup(markup)


def content_of(markup: str) -> Content:
    """Markup whose tags close on each line, as Content; unchanged lines come from the cache."""
    return _NEWLINE.join([line_content(line) for line in markup.split("\n")])


def show_markup(widget: Static, shown: str, markup: str) -> str:
    """Put `markup` on a fixed-height pane (no relayout) unless `shown`, what is on it now, is the same; returns it.

    A view can change where the text does not (a data age between two whole seconds): such a redraw would repaint
    the same cells.
    """
    if markup != shown:
        widget.update(content_of(markup), layout=False)
    return markup
