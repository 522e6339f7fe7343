"""Contract-exact wire bodies shared by the mission tests."""

from __future__ import annotations

import copy
import json
from typing import Any

VALID_HEARTBEAT: dict[str, Any] = {
    "heartbeat": {
        "timestamp": "2026-11-26T12:00:00Z",
        "status": "ok",
        "deployment": {
            "id": "dep-7f3a",
            "environment": "staging",
            "stable_version": "v0.4.1",
            "canary_version": "v0.5.0",
            "canary_percent": 10,
            "paused": False,
            "updated_at": "2026-11-26T09:00:00Z",
            "updated_by": "alice@laptop",
        },
        "metrics": {
            "requests": 1000,
            "errors": 5,
            "window_s": 60,
            "p50": 25.0,
            "p95": 287.4,
            "p99": 150.0,
            "canary": {"requests": 100, "errors": 2, "p50": 31.0, "p95": 300.1, "p99": 410.0},
            "stable": {"requests": 900, "errors": 3, "p50": 24.0, "p95": 280.2, "p99": 390.5},
            "latency_buckets": {
                "le": [50, 100, 250, 500, 750, 1000, 1500, 2500, 5000],
                "counts": [400, 700, 900, 960, 980, 990, 995, 999, 1000],
            },
        },
    },
    "verified": True,
}


def heartbeat_doc() -> dict[str, Any]:
    """A fresh deep copy of the contract's example heartbeat."""
    return copy.deepcopy(VALID_HEARTBEAT)


def encode(doc: Any) -> bytes:
    """JSON bytes of doc (allow_nan so tests can build NaN bodies on purpose)."""
    return json.dumps(doc).encode("utf-8")


def set_path(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set a dotted path in doc and return doc."""
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[key]
    node[last] = value
    return doc


def drop_path(doc: dict[str, Any], path: str) -> dict[str, Any]:
    """Delete a dotted path from doc and return doc."""
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[key]
    del node[last]
    return doc
