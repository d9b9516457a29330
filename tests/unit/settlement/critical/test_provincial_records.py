"""Provincial settlement records (结算信息) at the door: a field of the wrong JSON type is a 422 naming the record's
field, never a 500 (found by tests/component/test_openapi_fuzz.py: a `med_type` object was looked up in a dict)."""

from __future__ import annotations

from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.settlement.critical.api import parse_provincial

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
