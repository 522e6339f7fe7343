"""The strict heartbeat/answer parsers accept exactly the contract and name the offending field otherwise."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from mission_wire import drop_path, encode, heartbeat_doc, set_path

from canary_tui.core.samples import HeartbeatStatus
from canary_tui.mission.errors import ContractError
from canary_tui.mission.parse import (
    excerpt,
    parse_canary_update,
    parse_checkpoint,
    parse_error_body,
    parse_heartbeat,
)


def parse(body: bytes, status_code: int = 200):
    """parse_heartbeat with fixed observation values."""
    return parse_heartbeat(body, status_code=status_code, fetched_at_s=100.0, response_ms=12.5, signature_valid=None)


def test_contract_example_parses_into_typed_values() -> None:
    hb = parse(encode(heartbeat_doc()))
    assert hb.timestamp == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert hb.status is HeartbeatStatus.OK
    assert hb.deployment.canary_percent == 10 and hb.deployment.updated_by == "alice@laptop"
    assert hb.deployment.stable_version == "v0.4.1" and hb.deployment.canary_version == "v0.5.0"
    assert hb.metrics.requests == 1000 and hb.metrics.errors == 5 and hb.metrics.window_s == 60.0
    assert (hb.metrics.p50_ms, hb.metrics.p95_ms, hb.metrics.p99_ms) == (25.0, 287.4, 150.0)
    assert hb.metrics.canary is not None and hb.metrics.canary.p99_ms == 410.0
    assert hb.metrics.stable is not None and hb.metrics.stable.requests == 900
    assert hb.metrics.latency_buckets is not None
    assert hb.metrics.latency_buckets.slower_than(500, hb.metrics.requests) == 40
    assert hb.verified is True and hb.signature_valid is None
    assert (hb.fetched_at_s, hb.response_ms) == (100.0, 12.5)


def test_optional_fields_may_be_absent_or_null() -> None:
    doc = heartbeat_doc()
    for path in ("heartbeat.metrics.p50", "heartbeat.metrics.canary", "heartbeat.metrics.stable",
                 "heartbeat.metrics.latency_buckets", "heartbeat.deployment.paused"):
        drop_path(doc, path)
    set_path(doc, "heartbeat.metrics.p95", None)
    set_path(doc, "heartbeat.deployment.updated_at", None)
    set_path(doc, "heartbeat.deployment.updated_by", None)
    hb = parse(encode(doc))
    assert hb.metrics.p50_ms is None and hb.metrics.p95_ms is None and hb.metrics.p99_ms == 150.0
    assert hb.metrics.canary is None and hb.metrics.stable is None and hb.metrics.latency_buckets is None
    assert hb.deployment.paused is False
    assert hb.deployment.updated_at is None and hb.deployment.updated_by is None


def test_unknown_fields_are_ignored() -> None:
    doc = heartbeat_doc()
    doc["extra"] = {"anything": [1, 2]}
    set_path(doc, "heartbeat.metrics.p999", "not-checked")
    set_path(doc, "heartbeat.deployment.region", 7)
    assert parse(encode(doc)).metrics.p95_ms == 287.4


def test_offsets_are_converted_to_utc() -> None:
    doc = set_path(heartbeat_doc(), "heartbeat.timestamp", "2026-11-26T14:00:00+02:00")
    assert parse(encode(doc)).timestamp == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


BAD_VALUES: list[tuple[str, Any, str]] = [
    ("heartbeat.metrics.requests", "1000", "heartbeat.metrics.requests"),
    ("heartbeat.metrics.requests", 1000.0, "heartbeat.metrics.requests"),
    ("heartbeat.metrics.requests", True, "heartbeat.metrics.requests"),
    ("heartbeat.metrics.requests", -1, "heartbeat.metrics.requests"),
    ("heartbeat.metrics.errors", -5, "heartbeat.metrics.errors"),
    ("heartbeat.metrics.errors", 1001, "heartbeat.metrics.errors"),
    ("heartbeat.metrics.errors", None, "heartbeat.metrics.errors"),
    ("heartbeat.metrics.canary.errors", 101, "heartbeat.metrics.canary.errors"),
    ("heartbeat.metrics.stable.requests", "900", "heartbeat.metrics.stable.requests"),
    ("heartbeat.metrics.p95", "287.4", "heartbeat.metrics.p95"),
    ("heartbeat.metrics.p99", False, "heartbeat.metrics.p99"),
    ("heartbeat.metrics.p50", -3.0, "heartbeat.metrics.p50"),
    ("heartbeat.metrics.canary.p95", [1], "heartbeat.metrics.canary.p95"),
    ("heartbeat.metrics.window_s", 0, "heartbeat.metrics.window_s"),
    ("heartbeat.metrics.window_s", "60", "heartbeat.metrics.window_s"),
    ("heartbeat.metrics.canary", [], "heartbeat.metrics.canary"),
    ("heartbeat.status", "sideways", "heartbeat.status"),
    ("heartbeat.status", 1, "heartbeat.status"),
    ("heartbeat.timestamp", "yesterday", "heartbeat.timestamp"),
    ("heartbeat.timestamp", "2026-11-26T12:00:00", "heartbeat.timestamp"),
    ("heartbeat.deployment.canary_percent", 101, "heartbeat.deployment.canary_percent"),
    ("heartbeat.deployment.canary_percent", -1, "heartbeat.deployment.canary_percent"),
    ("heartbeat.deployment.canary_percent", 10.0, "heartbeat.deployment.canary_percent"),
    ("heartbeat.deployment.canary_percent", 10.5, "heartbeat.deployment.canary_percent"),
    ("heartbeat.deployment.canary_percent", "10", "heartbeat.deployment.canary_percent"),
    ("heartbeat.deployment.paused", "false", "heartbeat.deployment.paused"),
    ("heartbeat.deployment.paused", None, "heartbeat.deployment.paused"),
    ("heartbeat.deployment.updated_by", 42, "heartbeat.deployment.updated_by"),
    ("heartbeat.deployment.id", None, "heartbeat.deployment.id"),
    ("heartbeat.deployment", "dep", "heartbeat.deployment"),
    ("verified", "true", "verified"),
    ("verified", 1, "verified"),
    ("heartbeat.metrics.latency_buckets.counts", [400, 700], "heartbeat.metrics.latency_buckets.counts"),
    ("heartbeat.metrics.latency_buckets.counts", [400, 300, 900, 960, 980, 990, 995, 999, 1000],
     "heartbeat.metrics.latency_buckets.counts[1]"),
    ("heartbeat.metrics.latency_buckets.counts", [400, 700, 900, 960, 980, 990, 995, 999, 1001],
     "heartbeat.metrics.latency_buckets.counts[8]"),
    ("heartbeat.metrics.latency_buckets.le", [50, 40, 250, 500, 750, 1000, 1500, 2500, 5000],
     "heartbeat.metrics.latency_buckets.le[1]"),
    ("heartbeat.metrics.latency_buckets.le", "50,100", "heartbeat.metrics.latency_buckets.le"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD_VALUES)
def test_contract_violations_name_the_field(path: str, value: Any, field: str) -> None:
    body = encode(set_path(heartbeat_doc(), path, value))
    with pytest.raises(ContractError) as info:
        parse(body)
    assert info.value.field == field
    assert field in str(info.value)


@pytest.mark.parametrize("path", [
    "heartbeat", "verified", "heartbeat.timestamp", "heartbeat.status", "heartbeat.deployment",
    "heartbeat.metrics", "heartbeat.metrics.requests", "heartbeat.metrics.window_s",
    "heartbeat.deployment.canary_percent", "heartbeat.metrics.canary.requests",
    "heartbeat.metrics.latency_buckets.le",
])
def test_required_fields_missing_are_named(path: str) -> None:
    with pytest.raises(ContractError) as info:
        parse(encode(drop_path(heartbeat_doc(), path)))
    assert info.value.field == path


def test_variant_bucket_counts_bounded_by_variant_requests() -> None:
    doc = set_path(heartbeat_doc(), "heartbeat.metrics.canary.latency_buckets", {"le": [500, 1000], "counts": [90, 101]})
    with pytest.raises(ContractError) as info:
        parse(encode(doc))
    assert info.value.field == "heartbeat.metrics.canary.latency_buckets.counts[1]"


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_numbers_are_refused(literal: bytes) -> None:
    body = encode(heartbeat_doc()).replace(b'"p95": 287.4', b'"p95": ' + literal)
    assert literal in body
    with pytest.raises(ContractError) as info:
        parse(body)
    assert "non-finite" in str(info.value)


@pytest.mark.parametrize("body", [
    b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    b"not json at all",
    b"",
    b"\xff\xfe\x00garbage",
    b"[" * 100_000,
])
def test_non_json_reports_status_and_short_clean_excerpt(body: bytes) -> None:
    with pytest.raises(ContractError) as info:
        parse(body, status_code=200)
    err = info.value
    assert err.status_code == 200 and "HTTP 200" in str(err)
    assert len(err.excerpt) <= 80
    assert all(ch.isprintable() for ch in err.excerpt)


def test_html_is_called_html() -> None:
    with pytest.raises(ContractError, match="HTML"):
        parse(b"  <!doctype html><p>Service Unavailable</p>")


@pytest.mark.parametrize("doc", [[], "ok", 3, None, {"heartbeat": []}])
def test_wrong_root_shapes_are_contract_errors(doc: Any) -> None:
    with pytest.raises(ContractError):
        parse(encode(doc))


def test_excerpt_strips_control_characters_and_is_bounded() -> None:
    text = excerpt(b"\x1b[31mred\x1b[0m\r\n\ttab\x00" + b"x" * 500)
    assert "\x1b" not in text and "\x00" not in text and "\n" not in text
    assert text.startswith("[31mred[0m tabxx") and len(text) == 80 and text.endswith("…")


def test_canary_update_parses_and_is_strict() -> None:
    update = parse_canary_update(b'{"canary_percent": 50, "previous_percent": 10, "paused": false, "updated_at": "2026-11-26T12:00:00Z", "x": 1}')
    assert (update.canary_percent, update.previous_percent, update.paused) == (50, 10, False)
    assert update.updated_at == datetime(2026, 11, 26, 12, tzinfo=UTC)
    with pytest.raises(ContractError) as info:
        parse_canary_update(b'{"canary_percent": "50", "previous_percent": 10, "paused": false, "updated_at": null}')
    assert info.value.field == "canary_percent"
    with pytest.raises(ContractError) as info:
        parse_canary_update(b'{"canary_percent": 50, "paused": false}')
    assert info.value.field == "previous_percent"


def test_checkpoint_parses_and_is_strict() -> None:
    ckpt = parse_checkpoint(b'{"checkpoint_id": "ckpt-0007", "created_at": "2026-11-26T12:00:00Z", "note": "pre-v0.5.0"}')
    assert (ckpt.checkpoint_id, ckpt.note) == ("ckpt-0007", "pre-v0.5.0")
    with pytest.raises(ContractError) as info:
        parse_checkpoint(b'{"checkpoint_id": 7, "created_at": "2026-11-26T12:00:00Z", "note": ""}')
    assert info.value.field == "checkpoint_id"
    with pytest.raises(ContractError) as info:
        parse_checkpoint(b'{"checkpoint_id": "c", "created_at": "soon", "note": ""}')
    assert info.value.field == "created_at"


def test_error_bodies_are_read_leniently() -> None:
    conflict = parse_error_body(b'{"error": "conflict", "canary_percent": 0, "updated_by": "bob@pager"}')
    assert (conflict.error, conflict.canary_percent, conflict.updated_by) == ("conflict", 0, "bob@pager")
    bad = parse_error_body(b'{"error": "invalid_percent", "message": "percent must be 0..100"}')
    assert (bad.error, bad.message) == ("invalid_percent", "percent must be 0..100")
    html = parse_error_body(b"<html>\x1b[2J oops</html>")
    assert html.error is None and html.excerpt == "<html>[2J oops</html>"
    odd = parse_error_body(b'{"error": 5, "canary_percent": true, "updated_by": null}')
    assert odd == parse_error_body(b"{}").__class__(excerpt=odd.excerpt)
