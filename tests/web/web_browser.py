"""Debian's chromium driven by Playwright (no browser download), and the text xterm.js draws on its canvas."""

from __future__ import annotations

from typing import Any

#: flags for a root, headless, offline run
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

#: textual-serve draws the terminal with xterm.js on a canvas, so the page's DOM holds no text. This hook, run before
#: the page's scripts, notes each xterm.js Terminal as it is built (its constructor sets `_addonManager`), and
#: `__screenText()` reads the rows the terminal shows from its screen buffer: exactly what the canvas is drawn from.
XTERM_TEXT_HOOK = """
(() => {
  window.__xterms = [];
  Object.defineProperty(Object.prototype, '_addonManager', {
    configurable: true,
    set(value) {
      Object.defineProperty(this, '_addonManager', {value, writable: true, configurable: true, enumerable: true});
      window.__xterms.push(this);
    },
  });
  window.__screenText = () => {
    const terminal = window.__xterms.find((t) => t.buffer && t.buffer.active);
    if (!terminal) return '';
    const buffer = terminal.buffer.active;
    const rows = [];
    for (let y = 0; y < terminal.rows; y++) {
      const line = buffer.getLine(buffer.viewportY + y);
      rows.push(line ? line.translateToString(true) : '');
    }
    return rows.join('\\n');
  };
})();
"""


def open_page(browser: Any, **context_options: Any) -> Any:
    """A page with the xterm hook, a fixed viewport, and the stock template's web-font request refused (closed network)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, **context_options)
    page = context.new_page()
    page.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    page.add_init_script(XTERM_TEXT_HOOK)
    return page


def screen_text(page: Any) -> str:
    """The terminal's rows as text."""
    return str(page.evaluate("window.__screenText()"))


def wait_for_text(page: Any, *needles: str, timeout_ms: int = 30_000) -> str:
    """Until every needle is on the terminal; the text then."""
    page.wait_for_function(
        "(needles) => { const text = window.__screenText ? window.__screenText() : ''; return needles.every((n) => text.includes(n)); }",
        arg=list(needles), timeout=timeout_ms, polling=100,
    )
    return screen_text(page)


def wait_for_rows(page: Any, rows: dict[str, str], timeout_ms: int = 30_000) -> dict[str, str]:
    """Until, for every name, one terminal row shows the name and its word (a fleet row and its verdict); those rows."""
    page.wait_for_function(
        "(pairs) => { const lines = (window.__screenText ? window.__screenText() : '').split('\\n');"
        " return pairs.every(([name, word]) => lines.some((line) => line.includes(` ${name} `) && line.includes(word))); }",
        arg=list(rows.items()), timeout=timeout_ms, polling=100,
    )
    lines = screen_text(page).splitlines()
    return {name: next(line for line in lines if f" {name} " in line and word in line) for name, word in rows.items()}
