"""JSON bodies a door reads itself (chassis/bodies.py `parse_json`): what Python's json module takes but no service
can use is refused at the door as `invalid_json` naming the body (or the form field), never a 500 later — found by
tests/component/test_openapi_fuzz.py and its probes: `[[[[…]]]]` thousands deep (RecursionError) and a lone
surrogate escape `"\\ud800"` or its raw bytes (no UTF-8: UnicodeEncodeError when stored)."""

from decimal import Decimal

import pytest

from chassis.bodies import parse_json
from chassis.errors import InvalidInput


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000])
def test_nesting_beyond_the_parser_is_refused(body: bytes, exact: bool) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_json(body, exact_numbers=exact)
    assert (refused.value.code, refused.value.field) == ("invalid_json", "body")


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("body", [b'{"memo": "x\\ud800y"}', b'["\\uDFFF"]', b'{"a": {"b": ["\\udbff"]}}'])
def test_a_lone_surrogate_escape_is_refused(body: bytes, exact: bool) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_json(body, exact_numbers=exact, field="application")
    assert (refused.value.code, refused.value.field) == ("invalid_json", "application")


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("body", [b'{"note": "x\xed\xa0\x80"}', b'["\xed\xbf\xbf"]',
                                  b'{"a": "\xed\xa0\xbd\xed\xb8\x80"}'])  # a lone one, and a pair as CESU-8
def test_a_surrogate_as_raw_bytes_is_refused(body: bytes, exact: bool) -> None:
    """Not UTF-8, yet `json.loads(bytes)` decodes it ("surrogatepass"): found at audit's POST /v1/ltc/scores."""
    with pytest.raises(InvalidInput) as refused:
        parse_json(body, exact_numbers=exact)
    assert (refused.value.code, refused.value.field) == ("invalid_json", "body")


def test_a_surrogate_pair_and_an_escaped_backslash_are_text() -> None:
    assert parse_json(b'{"a": "\\ud83d\\ude00", "b": "\\\\ud800", "n": 1.50}') == {
        "a": "\U0001F600", "b": "\\ud800", "n": Decimal("1.50")}
