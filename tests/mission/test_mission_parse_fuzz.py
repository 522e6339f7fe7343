"""Hypothesis: whatever bytes arrive, the parsers return a value or raise ContractError, nothing else."""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mission_wire import encode, heartbeat_doc

from canary_tui.mission.errors import ContractError
from canary_tui.mission.parse import parse_canary_update, parse_checkpoint, parse_error_body, parse_heartbeat

#: MISSION_FUZZ_EXAMPLES=4000 for a long run (20 000 examples over the five tests passed)
FUZZ = settings(max_examples=int(os.environ.get("MISSION_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=10), inner, max_size=5)),
    max_leaves=25,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a decoded JSON document."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, prefix + (index,))
    return found


VALID_PATHS = _paths(heartbeat_doc())


def _only_contract_errors(body: bytes) -> None:
    """Run every parser on body; any exception other than ContractError fails the test."""
    for parser in (
        lambda: parse_heartbeat(body, fetched_at_s=0.0, response_ms=0.0, signature_valid=None),
        lambda: parse_canary_update(body),
        lambda: parse_checkpoint(body),
    ):
        try:
            parser()
        except ContractError as err:
            assert len(err.excerpt) <= 80
    parse_error_body(body)  # never raises


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(body: bytes) -> None:
    _only_contract_errors(body)


@FUZZ
@given(json_values)
def test_random_json(doc: Any) -> None:
    _only_contract_errors(json.dumps(doc).encode())


@FUZZ
@given(st.dictionaries(st.sampled_from(["heartbeat", "verified", "x"]), json_values, max_size=3))
def test_random_json_with_contract_keys(doc: Any) -> None:
    _only_contract_errors(json.dumps(doc).encode())


@FUZZ
@given(st.sampled_from(VALID_PATHS), json_values, st.booleans())
def test_mutations_of_a_valid_heartbeat(path: tuple[Any, ...], value: Any, delete: bool) -> None:
    doc = heartbeat_doc()
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    _only_contract_errors(encode(doc))


@FUZZ
@given(st.data())
def test_byte_flips_of_a_valid_heartbeat(data: st.DataObject) -> None:
    body = bytearray(encode(heartbeat_doc()))
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(body) - 1))
        body[index] = data.draw(st.integers(0, 255))
    _only_contract_errors(bytes(body))
