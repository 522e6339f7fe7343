"""The dashboard stands on Textual's public API: no private App attributes for crash handling or keymaps."""

from __future__ import annotations

import re
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "canary_tui" / "ui"
#: Textual internals the dashboard once reached into; each has a public way (error_console, set_keymap, the app's own records)
PRIVATE = re.compile(r"(\.|getattr\([^,]+,\s*[\"'])_(print_error_renderables|exit_renderables|keymap|handle_exception|fatal_error|bindings|notifications)\b")


def test_no_textual_private_attributes_in_the_ui() -> None:
    found = [
        f"{path.relative_to(UI.parent.parent)}:{number}: {line.strip()}"
        for path in sorted(UI.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_check_catches_a_private_attribute() -> None:
    assert PRIVATE.search("keymap = getattr(self, '_keymap', {})")
    assert PRIVATE.search("for r in self._exit_renderables:")
    assert PRIVATE.search("self._keymap.get('rollback')")
    assert PRIVATE.search("self.keymap_problems") is None and PRIVATE.search("self._bindings_key = key") is None
