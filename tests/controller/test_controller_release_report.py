"""A release the controller rolled back by itself (error-spike, over loopback, injected clock): its audit records carry the
metrics at the trigger and the versions, and the report built from the audit log and the history store shows them."""

from __future__ import annotations

from controller_harness import make_client, make_controller, poll

from canary_tui.controller.audit import AuditLog
from canary_tui.controller.model import Trigger
from canary_tui.controller.recording import attach_store
from canary_tui.controller.reports import ReportRequest, make_report, releases_of
from canary_tui.core.clock import ManualClock
from canary_tui.core.report_markdown import render_markdown


async def test_auto_rollback_records_its_trips_and_the_report_shows_them(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="error-spike", token="test-token", seed=7, clock=clock)
    audit_dir, store_path = tmp_path / "audit", tmp_path / "history.sqlite3"
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, checkpoint_for=None)
        ctl.audit = AuditLog("staging", path=audit_dir / "staging.jsonl", clock=clock)
        ctl.runner.audit.audit = ctl.audit
        assert attach_store(ctl, "staging", store_path) is not None
        await poll(ctl, clock, 10.0, 8)  # stable before the ramp: 8 polls at 0%
        assert (await ctl.checkpoint("before v0.5.0", Trigger.CLI)).ok
        assert (await ctl.set_percent(10, Trigger.CLI)).ok
        for _ in range(16):
            clock.advance(30.0)
            await ctl.refresh()
            if ctl.action_in_flight == "rollback":
                break
        await ctl.wait_idle()
        assert sim.state.canary_percent == 0
        await ctl.aclose()  # the store's writer commits what it queued

    (release,) = releases_of("staging", audit_dir)
    assert release.outcome == "rolled back" and release.canary_version == "v0.5.0" and release.stable_version == "v0.4.1"
    rollback = release.rollback
    assert rollback is not None and rollback.trigger == "auto" and rollback.at_trigger is not None
    trips = rollback.at_trigger["trips"]
    assert isinstance(trips, list) and trips[0]["kind"] == "seed-errors" and trips[0]["count"] > 0

    report = make_report(ReportRequest("staging", store_path=store_path, audit_dir=audit_dir), clock=clock)
    incident = report["incident"]
    assert isinstance(incident, dict) and incident["trigger"] == "auto" and incident["checkpoint_id"] == release.checkpoint_id
    before, canary = report["comparison"]["columns"]  # type: ignore[index]
    assert before["samples"] >= 6 and before["figures"]["error_rate"]["count"] > 0
    assert canary["samples"] > 0 and canary["figures"]["error_rate"]["level"] in ("warning", "critical")
    text = render_markdown(report)
    assert "| trip seed-errors |" in text and "error rate > 5% on evidence" in text and str(release.checkpoint_id) in text
