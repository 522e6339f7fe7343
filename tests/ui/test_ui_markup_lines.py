"""Pane markup parsed line by line (cached) gives the same Content as parsing it whole."""

from __future__ import annotations

from textual.content import Content

from canary_tui.ui.widgets.markup_lines import content_of
from canary_tui.ui.widgets.markup_lines import line_content as _line

MARKUP = "Heartbeat [$status-healthy]● OK[/] 28 ms · [b]signed[/]\nrequests [dim]12.0/s[/] · errors 0 (0.0/s)\n\n[reverse $status-warning] ◌ HOLD [/] why"


def test_same_text_and_styles_as_a_whole_parse() -> None:
    whole, lines = Content.from_markup(MARKUP), content_of(MARKUP)
    assert lines.plain == whole.plain
    assert [(s.start, s.end, str(s.style)) for s in lines.spans] == [(s.start, s.end, str(s.style)) for s in whole.spans]


def test_unchanged_lines_are_parsed_once() -> None:
    content_of(MARKUP)
    before = _line.cache_info()
    changed = MARKUP.replace("28 ms", "29 ms")
    assert "29 ms" in content_of(changed).plain
    after = _line.cache_info()
    assert after.misses - before.misses == 1  # only the line that changed
    assert after.hits - before.hits == MARKUP.count("\n")
