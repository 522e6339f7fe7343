"""The releases screen (h): the target's releases from its audit log, Enter opens one as a timeline."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from fleet_builders import fleet
from textual.widgets import DataTable, Static
from ui_builders import FakeController, snapshot, until

from canary_tui.ui.app import CanaryApp
from canary_tui.ui.screens.dashboard_screen import DashboardScreen
from canary_tui.ui.screens.releases_screen import ReleasesScreen, ReleaseTimelineScreen

BUNDLED = Path(__file__).resolve().parents[2] / "themes"


def rec(minute: int, action: str, frm: int, to: int, version: str, **extra: object) -> dict[str, object]:
    return {"time": f"2026-11-18T11:{minute:02d}:00Z", "environment": "staging", "target": "staging", "actor": "alice@laptop",
            "action": action, "from": frm, "to": to, "trigger": "key", "outcome": "ok", "note": None,
            "canary_version": version, "stable_version": "v0.4.1", **extra}


RECORDS = [
    rec(0, "checkpoint", 0, 0, "v0.5.0", checkpoint_id="ckpt-0001"),
    rec(1, "set-percent", 0, 10, "v0.5.0", trigger="cli", actor="cli@ci"),
    rec(5, "advance", 10, 50, "v0.5.0"),
    rec(9, "rollback", 50, 0, "v0.5.0", trigger="auto", note="auto-rollback: error rate > 5% on evidence",
        at_trigger={"window_canary_errors": 40, "window_canary_requests": 200, "canary_p95_ms": 310.0}),
    rec(20, "set-percent", 0, 10, "v0.5.1"),
    rec(30, "advance", 10, 50, "v0.5.1"),
    rec(40, "advance", 50, 100, "v0.5.1"),
    rec(50, "set-percent", 0, 10, "v0.6.0"),
    rec(51, "pause", 10, 10, "v0.6.0"),
]


def app_with_audit(tmp_path: Path, records: list[dict[str, object]] | None = RECORDS) -> CanaryApp:
    """A dashboard on a fixed snapshot whose controller audits into a file holding `records` (None: no audit log, as the demo)."""
    controller = FakeController(snapshot("healthy"))
    if records is not None:
        path = tmp_path / "staging.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        controller.audit = SimpleNamespace(path=path, target="staging")  # type: ignore[attr-defined]
    return CanaryApp(controller, poll=False, theme_dirs=[BUNDLED])


async def open_releases(pilot) -> ReleasesScreen:
    """Press h and wait (bounded) until the screen has read the audit log."""
    await pilot.pause()
    await pilot.press("h")
    for _ in range(200):
        screen = pilot.app.screen
        if isinstance(screen, ReleasesScreen) and screen.loaded:
            break
        await pilot.pause(0.01)
    screen = pilot.app.screen
    assert isinstance(screen, ReleasesScreen) and screen.loaded
    await pilot.pause()
    return screen


async def test_h_lists_releases_newest_first_and_enter_opens_the_timeline(tmp_path) -> None:
    app = app_with_audit(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_releases(pilot)
        table = screen.query_one("#releases-table", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [(r[1], r[2], r[3]) for r in rows] == [
            ("v0.6.0", "10%", "… in progress"), ("v0.5.1", "10%→50%→100%", "✔ completed"), ("v0.5.0", "10%→50%", "✖ rolled back"),
        ]
        assert rows[2][4] == "ckpt-0001"
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        timeline = app.screen
        assert isinstance(timeline, ReleaseTimelineScreen) and timeline.release.canary_version == "v0.5.0"
        steps = timeline.query_one("#timeline-table", DataTable)
        texts = [tuple(steps.get_row_at(i)) for i in range(steps.row_count)]
        assert texts[0][1] == "checkpoint ckpt-0001" and texts[1][1:4] == ("stage 10% entered (0% → 10%)", "cli@ci", "CLI")
        assert texts[-1][1:4] == ("rollback 50% → 0%", "alice@laptop", "auto")
        note = str(timeline.query_one("#timeline-note", Static).render())
        assert "canary errors 40/200" in note and "canary P95 310 ms" in note and "Rollback (auto, alice@laptop): auto-rollback: error rate" in note
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReleasesScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_without_an_audit_log_the_screen_says_so(tmp_path) -> None:
    app = app_with_audit(tmp_path, records=None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_releases(pilot)
        assert screen.query_one("#releases-table", DataTable).row_count == 0
        assert "no releases of this target" in str(screen.query_one("#releases-note", Static).render())
        await pilot.press("enter")  # nothing to open: stays
        assert app.screen is screen


def test_releases_screen_snapshot(snap_compare, tmp_path) -> None:
    assert snap_compare(app_with_audit(tmp_path), terminal_size=(80, 24), run_before=open_releases)


def test_release_timeline_snapshot(snap_compare, tmp_path) -> None:
    async def open_rolled_back(pilot) -> None:
        await open_releases(pilot)
        await pilot.press("down", "down", "enter")
        await pilot.pause()

    assert snap_compare(app_with_audit(tmp_path), terminal_size=(80, 24), run_before=open_rolled_back)


async def test_fleet_h_opens_the_selected_targets_releases(tmp_path) -> None:
    app, controllers = fleet({"production/eu-west-1": "critical"})
    path = tmp_path / "eu.jsonl"
    path.write_text("".join(json.dumps({**r, "target": "production/eu-west-1"}) + "\n" for r in RECORDS))
    controllers[2].audit = SimpleNamespace(path=path, target="production/eu-west-1")  # type: ignore[attr-defined]
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.selection_settled and app.selected == "production/eu-west-1")
        screen = await open_releases(pilot)
        assert screen.target == "production/eu-west-1" and screen.query_one("#releases-table", DataTable).row_count == 3
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ReleasesScreen)
