"""Strict parsers from Mission Control's wire bytes to typed values; every violation is a ContractError naming the field.

Accepts exactly mission-control-api.md: unknown fields are ignored, the optional
fields may be absent, and a null counts as absent for the optional objects and
optional numbers/strings. `paused` must be a boolean when present.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from canary_tui.core.samples import Deployment, Heartbeat, HeartbeatStatus, LatencyBuckets, Metrics, VariantMetrics
from canary_tui.mission.errors import ContractError

EXCERPT_CHARS = 80
_MISSING = object()


@dataclass(frozen=True, slots=True)
class CanaryUpdate:
    """The 200 answer of POST /api/ghost/canary: the share now in effect and the one before."""

    canary_percent: int
    previous_percent: int
    paused: bool
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The 201 answer of POST /api/ghost/rollback: a named rollback checkpoint."""

    checkpoint_id: str
    created_at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """What an error answer said, leniently read: every field None when the body is not the contract's JSON."""

    error: str | None = None
    message: str | None = None
    canary_percent: int | None = None
    updated_by: str | None = None
    excerpt: str = ""


def excerpt(body: bytes, limit_chars: int = EXCERPT_CHARS) -> str:
    """A short, printable, one-line excerpt of a body: control characters stripped, at most limit_chars."""
    text = body[: limit_chars * 4].decode("utf-8", errors="replace")
    cleaned = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit_chars:
        cleaned = cleaned[: limit_chars - 1] + "…"
    return cleaned


def _reject_constant(name: str) -> Any:
    """json.loads hook: NaN, Infinity and -Infinity are not JSON."""
    raise ValueError(f"non-finite number {name}")


def load_json(body: bytes, *, status_code: int, what: str) -> Any:
    """Decode UTF-8 JSON strictly (no NaN/Infinity, no invalid UTF-8); ContractError with an excerpt otherwise."""
    try:
        text = body.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        kind = "HTML" if body.lstrip()[:1] == b"<" else "not JSON"
        detail = "non-finite number" if "non-finite" in str(exc) else kind
        raise ContractError(f"{what} is {detail}", status_code=status_code, excerpt=excerpt(body)) from None


def _join(path: str, key: str) -> str:
    """A JSON field path: `heartbeat.metrics` + `errors`."""
    return f"{path}.{key}" if path else key


def _get(obj: dict[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
    """obj[key], or default when absent; ContractError naming path.key when required and absent."""
    if key in obj:
        return obj[key]
    if default is _MISSING:
        raise ContractError("required field missing", field=_join(path, key))
    return default


def _object(value: Any, field: str) -> dict[str, Any]:
    """The value as a JSON object."""
    if not isinstance(value, dict):
        raise ContractError(f"expected an object, got {_type_name(value)}", field=field)
    return value


def _type_name(value: Any) -> str:
    """JSON type name of a decoded value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _count(value: Any, field: str) -> int:
    """A non-negative integer counter (booleans and floats are not counters)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ContractError(f"expected a non-negative integer, got {_type_name(value)}", field=field)
    if value < 0:
        raise ContractError(f"negative counter {value}", field=field)
    return value


def _number(value: Any, field: str) -> float:
    """A finite non-negative number (booleans and strings are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ContractError(f"expected a number, got {_type_name(value)}", field=field)
    if not math.isfinite(value):
        raise ContractError("non-finite number", field=field)
    if value < 0:
        raise ContractError(f"negative value {value}", field=field)
    return float(value)


def _optional_number(obj: dict[str, Any], key: str, path: str) -> float | None:
    """An optional latency in ms: absent or null is None."""
    value = obj.get(key)
    return None if value is None else _number(value, _join(path, key))


def _string(value: Any, field: str) -> str:
    """A JSON string."""
    if not isinstance(value, str):
        raise ContractError(f"expected a string, got {_type_name(value)}", field=field)
    return value


def _boolean(value: Any, field: str) -> bool:
    """A JSON boolean."""
    if not isinstance(value, bool):
        raise ContractError(f"expected a boolean, got {_type_name(value)}", field=field)
    return value


def _percent(value: Any, field: str) -> int:
    """An integer percentage 0..100."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ContractError(f"expected an integer percent, got {_type_name(value)}", field=field)
    if not 0 <= value <= 100:
        raise ContractError(f"percent {value} outside 0..100", field=field)
    return value


def _timestamp(value: Any, field: str) -> datetime:
    """An ISO 8601 time with a UTC offset, as an aware UTC datetime."""
    text = _string(value, field)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ContractError(f"not an ISO 8601 time: {excerpt(text.encode(), 40)!r}", field=field) from None
    if parsed.tzinfo is None:
        raise ContractError("time without a UTC offset", field=field)
    return parsed.astimezone(UTC)


def _optional_timestamp(obj: dict[str, Any], key: str, path: str) -> datetime | None:
    """An optional time: absent or null is None."""
    value = obj.get(key)
    return None if value is None else _timestamp(value, _join(path, key))


def _optional_string(obj: dict[str, Any], key: str, path: str) -> str | None:
    """An optional string: absent or null is None."""
    value = obj.get(key)
    return None if value is None else _string(value, _join(path, key))


def _requests_errors(obj: dict[str, Any], path: str) -> tuple[int, int]:
    """The requests/errors counter pair, with errors <= requests."""
    requests = _count(_get(obj, "requests", path), f"{path}.requests")
    errors = _count(_get(obj, "errors", path), f"{path}.errors")
    if errors > requests:
        raise ContractError(f"errors {errors} > requests {requests}", field=f"{path}.errors")
    return requests, errors


def parse_buckets(value: Any, path: str, requests: int) -> LatencyBuckets | None:
    """Cumulative latency buckets: strictly increasing edges, non-decreasing counts, each at most requests."""
    if value is None:
        return None
    obj = _object(value, path)
    le_raw = _get(obj, "le", path)
    counts_raw = _get(obj, "counts", path)
    if not isinstance(le_raw, list):
        raise ContractError(f"expected an array, got {_type_name(le_raw)}", field=f"{path}.le")
    if not isinstance(counts_raw, list):
        raise ContractError(f"expected an array, got {_type_name(counts_raw)}", field=f"{path}.counts")
    if len(le_raw) != len(counts_raw):
        raise ContractError(f"{len(le_raw)} edges but {len(counts_raw)} counts", field=f"{path}.counts")
    edges = tuple(_number(v, f"{path}.le[{i}]") for i, v in enumerate(le_raw))
    counts = tuple(_count(v, f"{path}.counts[{i}]") for i, v in enumerate(counts_raw))
    for i in range(1, len(edges)):
        if edges[i] <= edges[i - 1]:
            raise ContractError("bucket edges not increasing", field=f"{path}.le[{i}]")
        if counts[i] < counts[i - 1]:
            raise ContractError("cumulative counts decrease", field=f"{path}.counts[{i}]")
    for i, count in enumerate(counts):
        if count > requests:
            raise ContractError(f"bucket count {count} > requests {requests}", field=f"{path}.counts[{i}]")
    return LatencyBuckets(le_ms=edges, counts=counts)


def _variant(value: Any, path: str) -> VariantMetrics | None:
    """One variant's figures, or None when absent/null."""
    if value is None:
        return None
    obj = _object(value, path)
    requests, errors = _requests_errors(obj, path)
    return VariantMetrics(
        requests=requests,
        errors=errors,
        p50_ms=_optional_number(obj, "p50", path),
        p95_ms=_optional_number(obj, "p95", path),
        p99_ms=_optional_number(obj, "p99", path),
        latency_buckets=parse_buckets(obj.get("latency_buckets"), f"{path}.latency_buckets", requests),
    )


def _metrics(value: Any, path: str) -> Metrics:
    """The metrics object: counters, window, percentiles, variants, buckets."""
    obj = _object(value, path)
    requests, errors = _requests_errors(obj, path)
    window_s = _number(_get(obj, "window_s", path), f"{path}.window_s")
    if window_s <= 0:
        raise ContractError("window must be positive", field=f"{path}.window_s")
    return Metrics(
        requests=requests,
        errors=errors,
        window_s=window_s,
        p50_ms=_optional_number(obj, "p50", path),
        p95_ms=_optional_number(obj, "p95", path),
        p99_ms=_optional_number(obj, "p99", path),
        canary=_variant(obj.get("canary"), f"{path}.canary"),
        stable=_variant(obj.get("stable"), f"{path}.stable"),
        latency_buckets=parse_buckets(obj.get("latency_buckets"), f"{path}.latency_buckets", requests),
    )


def _deployment(value: Any, path: str) -> Deployment:
    """The deployment object: versions, share, pause flag, last change."""
    obj = _object(value, path)
    return Deployment(
        id=_string(_get(obj, "id", path), f"{path}.id"),
        environment=_string(_get(obj, "environment", path), f"{path}.environment"),
        stable_version=_string(_get(obj, "stable_version", path), f"{path}.stable_version"),
        canary_version=_string(_get(obj, "canary_version", path), f"{path}.canary_version"),
        canary_percent=_percent(_get(obj, "canary_percent", path), f"{path}.canary_percent"),
        paused=_boolean(_get(obj, "paused", path, False), f"{path}.paused"),
        updated_at=_optional_timestamp(obj, "updated_at", path),
        updated_by=_optional_string(obj, "updated_by", path),
    )


def _status(value: Any, field: str) -> HeartbeatStatus:
    """The status word: ok, degraded or down."""
    text = _string(value, field)
    try:
        return HeartbeatStatus(text)
    except ValueError:
        raise ContractError(f"unknown status {excerpt(text.encode(), 20)!r}", field=field) from None


def parse_heartbeat(
    body: bytes,
    *,
    status_code: int = 200,
    fetched_at_s: float,
    response_ms: float,
    signature_valid: bool | None,
) -> Heartbeat:
    """Parse a GET /api/ghost/heartbeat body into a Heartbeat, or raise ContractError naming the field."""
    root = _object(load_json(body, status_code=status_code, what="heartbeat body"), "(root)")
    hb = _object(_get(root, "heartbeat", ""), "heartbeat")
    return Heartbeat(
        timestamp=_timestamp(_get(hb, "timestamp", "heartbeat"), "heartbeat.timestamp"),
        status=_status(_get(hb, "status", "heartbeat"), "heartbeat.status"),
        deployment=_deployment(_get(hb, "deployment", "heartbeat"), "heartbeat.deployment"),
        metrics=_metrics(_get(hb, "metrics", "heartbeat"), "heartbeat.metrics"),
        verified=_boolean(_get(root, "verified", ""), "verified"),
        signature_valid=signature_valid,
        fetched_at_s=fetched_at_s,
        response_ms=response_ms,
    )


def parse_canary_update(body: bytes, *, status_code: int = 200) -> CanaryUpdate:
    """Parse the 200 answer of POST /api/ghost/canary."""
    root = _object(load_json(body, status_code=status_code, what="canary answer"), "(root)")
    return CanaryUpdate(
        canary_percent=_percent(_get(root, "canary_percent", ""), "canary_percent"),
        previous_percent=_percent(_get(root, "previous_percent", ""), "previous_percent"),
        paused=_boolean(_get(root, "paused", "", False), "paused"),
        updated_at=_optional_timestamp(root, "updated_at", ""),
    )


def parse_checkpoint(body: bytes, *, status_code: int = 201) -> Checkpoint:
    """Parse the 201 answer of POST /api/ghost/rollback."""
    root = _object(load_json(body, status_code=status_code, what="checkpoint answer"), "(root)")
    checkpoint_id = _string(_get(root, "checkpoint_id", ""), "checkpoint_id")
    if not checkpoint_id:
        raise ContractError("empty checkpoint id", field="checkpoint_id")
    return Checkpoint(
        checkpoint_id=checkpoint_id,
        created_at=_timestamp(_get(root, "created_at", ""), "created_at"),
        note=_string(_get(root, "note", "", ""), "note"),
    )


def parse_error_body(body: bytes) -> ErrorBody:
    """Read an error answer leniently (it may be a proxy's HTML page); never raises."""
    short = excerpt(body)
    try:
        root = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return ErrorBody(excerpt=short)
    if not isinstance(root, dict):
        return ErrorBody(excerpt=short)

    def text(key: str) -> str | None:
        value = root.get(key)
        return excerpt(value.encode(), 200) if isinstance(value, str) else None

    pct = root.get("canary_percent")
    valid_pct = isinstance(pct, int) and not isinstance(pct, bool) and 0 <= pct <= 100
    return ErrorBody(
        error=text("error"),
        message=text("message"),
        canary_percent=pct if valid_pct else None,
        updated_by=text("updated_by"),
        excerpt=short,
    )
