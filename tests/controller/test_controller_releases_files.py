"""Releases read from the audit files: an environment means all its regions; a report is of one target."""

from __future__ import annotations

import json

import pytest

from canary_tui.controller.reports import NoRelease, ReportRequest, all_releases, make_report

RECORDS = [
    {"time": "2026-12-07T10:01:00Z", "actor": "alice", "action": "set-percent", "from": 0, "to": 10, "trigger": "cli", "outcome": "ok",
     "canary_version": "v2", "stable_version": "v1"},
    {"time": "2026-12-07T10:09:00Z", "actor": "alice", "action": "rollback", "from": 10, "to": 0, "trigger": "key", "outcome": "ok",
     "canary_version": "v2", "stable_version": "v1"},
]


def test_an_environment_lists_the_releases_of_its_regions_and_a_report_names_them(tmp_path):
    for region in ("us-east-1", "eu-west-1"):
        target = f"production/{region}"
        lines = [json.dumps({**r, "target": target, "environment": "production"}) for r in RECORDS]
        (tmp_path / f"production_{region}.jsonl").write_text("\n".join(lines) + "\n")
    releases = all_releases(tmp_path, "production")
    assert sorted(r.target for r in releases) == ["production/eu-west-1", "production/us-east-1"]
    assert all_releases(tmp_path, "production/eu-west-1")[0].target == "production/eu-west-1"
    with pytest.raises(NoRelease, match="a report is of one target: production/eu-west-1, production/us-east-1"):
        make_report(ReportRequest("production", audit_dir=tmp_path))
