"""critical's door parsers refuse what they cannot read with a 422 naming the field, never a 500 (found by
tests/component/test_openapi_fuzz.py and its probes): a provincial record's `med_type` of another JSON type (an
object was looked up in a dict), an assistance CSV the reader cannot read (a field over its size limit)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.settlement.critical.api import parse_assistance_csv, parse_provincial

RECORD = {"setl_id": "S1", "psn_no": "P1", "setl_time": "2025-03-01 10:00:00", "med_type": "21",
          "medfee_sumamt": "100.00", "psn_part_amt": "50.00", "fulamt_ownpay_amt": "0.00",
          "mdtrt_admdvs": "330802", "fixmedins_code": "H001"}


def test_a_well_formed_record_is_read() -> None:
    (claim,) = parse_provincial({"records": [RECORD]})
    assert claim.care == "inpatient" and claim.area == "in_area"


@pytest.mark.parametrize("med_type", [{"a": 1}, ["21"], 21, 2.5e-289, True, None])
def test_med_type_of_any_other_json_type_is_refused_with_its_field(med_type: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_provincial({"records": [{**RECORD, "med_type": med_type}]})
    assert refused.value.field == "records[0].med_type"
    assert [f["field"] for f in refused.value.fields] == ["records[0].med_type"]


def test_an_assistance_csv_the_reader_cannot_read_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_assistance_csv(f"person_id,effective_from\n{'x' * 200_000},2025-01-01\n".encode())
    assert refused.value.field == "body"
    assert parse_assistance_csv(b"person_id,effective_from\rP1,2025-01-01\r") == [
        ("P1", date(2025, 1, 1), True)]
