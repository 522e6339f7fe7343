"""The served dashboard in a real headless chromium: it shows the target and its verdict, ignores every mutating key, and wants its token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from web_browser import CHROMIUM_ARGS, open_page, wait_for_rows, wait_for_text
from web_harness import ACCESS_TOKEN, ARTIFACTS, OPS_TOKEN, Served, descendants, process_cmdline, process_environ

from canary_tui.ui.serve_web import SESSION_COOKIE

#: the keys that change a deployment in the terminal dashboard (advance, pause, roll back, roll back all)
MUTATING_KEYS = ("A", "P", "R", "X")
#: how long `serve` may take to stop, its sessions included
STOP_TIMEOUT_S = 15
CREDENTIALS = {"http_credentials": {"username": "oncall", "password": ACCESS_TOKEN}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium (installed when missing), headless, for the module."""
    from system_packages import ensure

    executable = ensure("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=30_000)
        yield launched
        launched.close()


def _press_through_the_page(page: Any, keys: tuple[str, ...]) -> None:
    """Type `keys` into the terminal as a user would, then open help: once help shows, every key before it was handled."""
    page.locator(".xterm-helper-textarea").focus()
    for key in keys:
        page.keyboard.press(key)
    page.keyboard.press("?")
    wait_for_text(page, "hidden: read-only")


def _nothing_changed(served: Served, before: dict[str, tuple[int, bool, str]]) -> None:
    """Every simulator holds what it held, and none received anything but GETs."""
    for name, sim in served.simulators.items():
        assert sim.deployment() == before[name], name
        assert sim.counter.posts == [], f"{name} received {sim.counter.posts}"
        assert sim.counter.methods["GET"] > 0  # it was polled: the page was live


def test_the_page_shows_the_target_and_its_verdict_and_ignores_mutating_keys(serve: Callable[..., Served], browser: Any) -> None:
    served = serve(["staging"])
    before = {name: sim.deployment() for name, sim in served.simulators.items()}
    assert before["staging"] == (10, True, "v0.5.0")
    page = open_page(browser, **CREDENTIALS)
    response = page.goto(served.url, timeout=30_000)
    assert response is not None and response.status == 200
    text = wait_for_text(page, "staging", "PAUSED", "VIEW ONLY")
    header = text.splitlines()[0]
    assert header.lstrip().startswith("staging") and "canary 10%" in header and "⏸ PAUSED" in header
    page.locator(".xterm-helper-textarea").focus()  # Textual shows the footer's keys while the app has focus
    footer = wait_for_text(page, "? Help").splitlines()[-1]
    assert "Help" in footer and not any(label in footer for label in ("Advance", "Pause", "Resume", "ROLLBACK", "Checkpoint"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-dashboard.png"))
    _press_through_the_page(page, (*MUTATING_KEYS, "Control+r", "c"))
    _nothing_changed(served, before)
    sessions = [pid for pid in descendants(served.process.pid) if "--served" in process_cmdline(pid)]
    assert sessions, "no served session process found"
    for pid in sessions:  # the session holds neither the Mission Control token nor the access token
        assert not {OPS_TOKEN, ACCESS_TOKEN} & set(process_environ(pid).values())
        assert not {OPS_TOKEN, ACCESS_TOKEN} & set(process_cmdline(pid))
    html = page.content()
    assert all(secret not in html and secret not in page.url for secret in (OPS_TOKEN, ACCESS_TOKEN))
    served.process.terminate()  # with the browser still connected: serve ends its sessions before it exits
    served.process.communicate(timeout=STOP_TIMEOUT_S)
    assert served.process.returncode == 0
    assert not any(process_cmdline(pid) for pid in sessions), "a served session outlived serve"


def test_the_fleet_overview_shows_each_verdict_and_ignores_mutating_keys(serve: Callable[..., Served], browser: Any) -> None:
    served = serve(["staging", "production"])
    before = {name: sim.deployment() for name, sim in served.simulators.items()}
    page = open_page(browser, **CREDENTIALS)
    page.goto(served.url, timeout=30_000)
    wait_for_text(page, "VIEW ONLY")
    rows = wait_for_rows(page, {"staging": "⏸ PAUSED", "production": "⏸ PAUSED"})
    for row in rows.values():
        assert " 10% " in row and "v0.5.0" in row, row
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-fleet.png"))
    _press_through_the_page(page, (*MUTATING_KEYS, "y", "Enter", *MUTATING_KEYS))
    _nothing_changed(served, before)


def test_without_the_token_the_page_is_refused_and_with_it_it_loads(serve: Callable[..., Served], browser: Any) -> None:
    served = serve(["staging"])
    refused = open_page(browser)
    try:  # Chromium either shows the 401 or, having no credentials to answer the challenge with, fails the navigation
        response = refused.goto(served.url, timeout=30_000)
        assert response is not None and response.status == 401
        assert "textual-terminal" not in response.text()
    except PlaywrightError as exc:
        assert "ERR_INVALID_AUTH_CREDENTIALS" in str(exc)
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    with httpx.Client(base_url=served.url, timeout=10) as client:
        for path, headers in (("/", {}), ("/static/js/textual.js", {}), ("/ws", upgrade)):
            assert client.get(path, headers=headers).status_code == 401, path
            assert client.get(path, headers={**headers, "Authorization": "Bearer not-the-token"}).status_code == 401, path
        for path in ("/", "/static/js/textual.js"):
            assert client.get(path, headers={"Authorization": f"Bearer {ACCESS_TOKEN}"}).status_code == 200, path
        session = client.cookies.get(SESSION_COOKIE)  # earned with the token: derived from it, never the token itself
        assert session and ACCESS_TOKEN not in session
        assert client.get("/static/js/textual.js").status_code == 200  # the cookie alone lets the page's assets in
        client.cookies.set(SESSION_COOKIE, "0" * len(session))
        assert client.get("/static/js/textual.js").status_code == 401  # a forged one does not
    allowed = open_page(browser, **CREDENTIALS)
    response = allowed.goto(served.url, timeout=30_000)
    assert response is not None and response.status == 200
    wait_for_text(allowed, "staging", "VIEW ONLY")  # the websocket, too, came through
