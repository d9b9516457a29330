"""A claim line's number in an upload: a JSON object or list, or a number beyond the store's integers, is refused
naming the field `line` — found by tests/component/test_openapi_fuzz.py (POST /v1/claims/batches answered 500:
`int({})` raised TypeError, and 10**30 reached the store, which holds 8-byte integers only)."""

from decimal import Decimal
from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.settlement.chronic.domain.uploads import MAX_LINE_NO, Upload, parse_line_no, validate_lines

LINE = {"claim_id": "c1", "person_id": "610702195803120012", "date": "2025-03-02", "disease": "HTN",
        "amount": "10.00", "covered": True, "item_code": "X1", "description": "d"}


@pytest.mark.parametrize("value", [{"a": 1}, [1], 10**30, "99999999999999999999", MAX_LINE_NO + 1, 0, -1, 1.0,
                                   Decimal("2"), True, "x"])
def test_a_line_number_of_another_kind_or_beyond_the_bound_is_refused(value: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_line_no(value)
    assert refused.value.field == "line"


@pytest.mark.parametrize(("value", "number"), [(1, 1), ("4", 4), (" 7 ", 7), (MAX_LINE_NO, MAX_LINE_NO),
                                               (None, None), ("", None)])
def test_whole_numbers_from_json_or_a_csv_cell_are_read(value: Any, number: int | None) -> None:
    assert parse_line_no(value) == number


def test_the_upload_names_the_line_and_field_and_keeps_nothing() -> None:
    upload = Upload(month="2025-03", institution="H1", batch_id="b", raw=[(1, {**LINE, "line": {"a": 1}})])
    assert validate_lines(upload, lambda day: {"HTN"}) == []
    assert [(e["line"], e["field"]) for e in upload.errors] == [(1, "line")]
