"""The canonical leaf encoding: RFC 8785 vectors, refusals, and determinism."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlane.audit.leaf import (
    MAX_SAFE_INTEGER,
    AuditEntry,
    JsonValue,
    LeafError,
    canonical_json,
    decode_leaf,
    encode_leaf,
    format_time,
    parse_time,
)

# RFC 8785 Appendix B: IEEE 754 doubles (as hex bits) and their canonical text.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "text"), APPENDIX_B)
def test_rfc8785_appendix_b_numbers(bits: str, text: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits))
    assert canonical_json(value) == text.encode()


def test_rfc8785_section_3_2_4_example() -> None:
    # RFC 8785 3.2.4: the input's numbers, string and literals, and its canonical form.
    parsed = json.loads(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(parsed) == expected.encode()


def test_rfc8785_member_order_is_by_utf16_code_units() -> None:
    # RFC 8785 3.2.3's sorting example.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    encoded = canonical_json(value).decode()
    order = list(json.loads(encoded, object_pairs_hook=lambda pairs: [k for k, _ in pairs]))
    assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), 2**53, -(2**53), {1: "x"}, object(), "\ud800", b"bytes"],
)
def test_values_jcs_cannot_carry_are_refused(value: object) -> None:
    with pytest.raises(LeafError):
        canonical_json(value)


def _entry(**changes: object) -> AuditEntry:
    fields: dict[str, object] = {
        "index": 42,
        "time": datetime(2026, 12, 6, 2, 28, 37, 123456, tzinfo=UTC),
        "actor_id": 7,
        "actor_role": "admin",
        "action": "credits.adjust",
        "target_kind": "account",
        "target_id": "19",
        "before": {"credits": 1000},
        "after": {"credits": 251000},
        "justification": "refund for the lost freighter",
        "client_address": "203.0.113.9",
        "user_agent": "starlane-cli/0.1",
        "request_id": "req-1",
        "reverts": None,
    }
    fields.update(changes)
    return AuditEntry(**fields)  # type: ignore[arg-type]


def test_the_documented_leaf_bytes() -> None:
    leaf = encode_leaf(_entry())
    assert leaf == (
        b'{"action":"credits.adjust","actor_id":7,"actor_role":"admin",'
        b'"after":{"credits":251000},"before":{"credits":1000},'
        b'"client_address":"203.0.113.9","index":42,'
        b'"justification":"refund for the lost freighter","request_id":"req-1",'
        b'"reverts":null,"target_id":"19","target_kind":"account",'
        b'"time":"2026-12-06T02:28:37.123456Z","user_agent":"starlane-cli/0.1","v":1}'
    )
    assert decode_leaf(leaf) == _entry()


def test_times_are_utc_with_six_fractional_digits() -> None:
    paris = timezone(timedelta(hours=1))
    moment = datetime(2026, 12, 6, 3, 0, 0, tzinfo=paris)
    assert format_time(moment) == "2026-12-06T02:00:00.000000Z"
    assert parse_time("2026-12-06T02:00:00.000000Z") == moment
    assert encode_leaf(_entry(time=moment)) == encode_leaf(
        _entry(time=datetime(2026, 12, 6, 2, 0, tzinfo=UTC))
    )
    with pytest.raises(LeafError, match="timezone-aware"):
        format_time(datetime(2026, 12, 6))
    for bad in (
        "2026-12-06T02:00:00Z",
        "2026-12-06 02:00:00.000000Z",
        "2026-13-06T02:00:00.000000Z",
    ):
        with pytest.raises(LeafError):
            parse_time(bad)


@pytest.mark.parametrize(
    "changes",
    [
        {"index": -1},
        {"index": True},
        {"index": 2**53},
        {"actor_id": "7"},
        {"reverts": 42},
        {"reverts": 50},
        {"action": None},
        {"target_id": 19},
        {"user_agent": 3},
        {"time": "2026-12-06"},
        {"time": datetime(2026, 12, 6)},
        {"before": {"x": float("nan")}},
        {"after": {1: 2}},
    ],
)
def test_invalid_entries_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(LeafError):
        encode_leaf(_entry(**changes))


@pytest.mark.parametrize(
    "leaf",
    [
        b"\xff",
        b"[]",
        b"not json",
        b'{"v":1}',
        # not canonical: whitespace, member order, number form
        encode_leaf(_entry()).replace(b",", b", ", 1),
        encode_leaf(_entry()).replace(b'"action":"credits.adjust",', b"", 1)[:-1]
        + b',"action":"credits.adjust"}',
        encode_leaf(_entry()).replace(b'"index":42', b'"index":42.0'),
        encode_leaf(_entry()).replace(b'"v":1', b'"v":2'),
        encode_leaf(_entry()).replace(b'"v":1', b'"v":1,"v":1'),
        encode_leaf(_entry()).replace(b'"v":1', b'"v":1,"extra":0'),
        encode_leaf(_entry()).replace(b'"index":42', b'"index":NaN'),
        encode_leaf(_entry()).replace(b'"time":"', b'"time":5,"x":"'),
    ],
)
def test_non_canonical_or_foreign_leaves_are_refused(leaf: bytes) -> None:
    with pytest.raises(LeafError):
        decode_leaf(leaf)


_json: st.SearchStrategy[JsonValue] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)
_opt_text = st.none() | st.text(max_size=40)


@st.composite
def _entries(draw: st.DrawFn) -> AuditEntry:
    index = draw(st.integers(min_value=0, max_value=MAX_SAFE_INTEGER))
    return AuditEntry(
        index=index,
        time=draw(st.datetimes(timezones=st.just(UTC))),
        actor_id=draw(st.none() | st.integers(min_value=0, max_value=MAX_SAFE_INTEGER)),
        actor_role=draw(st.text(max_size=20)),
        action=draw(st.text(max_size=30)),
        target_kind=draw(st.text(max_size=20)),
        target_id=draw(st.text(max_size=20)),
        before=draw(_json),
        after=draw(_json),
        justification=draw(st.text(max_size=80)),
        client_address=draw(_opt_text),
        user_agent=draw(_opt_text),
        request_id=draw(_opt_text),
        reverts=draw(st.none() | st.integers(min_value=0, max_value=max(index - 1, 0)))
        if index > 0
        else None,
    )


@given(_entries())
def test_encoding_is_deterministic_and_decodes_back(entry: AuditEntry) -> None:
    leaf = encode_leaf(entry)
    assert encode_leaf(entry) == leaf
    decoded = decode_leaf(leaf)
    assert decoded == entry
    assert encode_leaf(decoded) == leaf
    # A parser that reads every number as a double (as JavaScript does) gets the same object:
    # JCS of it is the same bytes.
    assert canonical_json(json.loads(leaf, parse_int=float)) == leaf
