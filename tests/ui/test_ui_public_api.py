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


def test_the_crash_report_writes_the_log_and_tells_the_operator_once(tmp_path: Path, capsys) -> None:
    from canary_tui.ui.crash import crash_console

    crashes: list[bool] = []
    console = crash_console(lambda: crashes.append(True), tmp_path / "logs" / "crash.log")
    console.print("Traceback (most recent call last): boom")
    console.print("second renderable")
    text = (tmp_path / "logs" / "crash.log").read_text()
    assert "boom" in text and "second renderable" in text and "\x1b[" not in text
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" in err and str(tmp_path / "logs" / "crash.log") in err and "boom" not in err
    assert crashes == [True]


def test_an_unwritable_log_still_gives_the_one_line(tmp_path: Path, capsys) -> None:
    from canary_tui.ui.crash import crash_console

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    crash_console(lambda: None, blocker / "crash.log").print("boom")
    err = capsys.readouterr().err
    assert "details in the log directory" in err and "the ramp was not touched" in err and "boom" not in err
