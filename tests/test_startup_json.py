"""The hook's JSON path (CPython's C accelerator, called directly) behaves exactly like the json module."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.trail import _startup_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300)
@given(json_values)
def test_round_trip_and_bytes_match_json_module(value: object) -> None:
    """Parsing and serialising give what json gives, byte for byte (so hashes agree with any reader)."""
    text = json.dumps(value)
    assert _startup_json.loads(text) == json.loads(text)
    assert _startup_json.loads(text.encode()) == value
    assert _startup_json.dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert _startup_json.dumps(value, ensure_ascii=True) == json.dumps(value, separators=(",", ":"))


@pytest.mark.parametrize("bad", ["", "{not json", '"abc', "[1,", "nul", "{} {}", '{"a":1}x', "\ufeff{}"])
def test_malformed_input_raises_value_error(bad: str) -> None:
    """Anything that is not exactly one JSON document raises ValueError, never another exception."""
    with pytest.raises(ValueError):
        _startup_json.loads(bad)
