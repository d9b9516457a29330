"""The envelope of the agency's system (agency/envelope.py) and the transactions' wire data (agency/messages.py)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from agency import envelope as env
from agency.messages import (
    MAX_RECORDS_PER_MESSAGE,
    AssessmentConclusion,
    ServiceRecord,
    Settlement,
    split_batch,
    wire_date,
    wire_time,
)
from tests.unit.agency.conftest import PERSON, SENDER


def test_a_request_carries_every_envelope_field_and_the_data_under_input() -> None:
    moment = datetime(2026, 2, 3, 10, 15, 0, tzinfo=env.BEIJING)
    request = env.build_request("LTC01", {"asmt_id": "x"}, sender=SENDER, sender_name="B", lot="B",
                                admdvs="330300", operator="op", moment=moment)
    assert all(request[name] not in (None, "", {}) for name in env.REQUIRED_REQUEST_FIELDS)
    assert request["send_time"] == "2026-02-03 10:15:00"
    assert request["input"] == {"data": {"asmt_id": "x"}}
    assert re.fullmatch(rf"{SENDER}20260203101500\d{{4}}", request["msgid"])


def test_msgids_are_30_characters_and_differ_within_a_second() -> None:
    moment = datetime(2026, 2, 3, 10, 15, 0, tzinfo=env.BEIJING)
    ids = {env.make_msgid(SENDER, moment) for _ in range(100)}
    assert len(ids) == 100 and all(len(i) == 30 for i in ids)
    with pytest.raises(ValueError, match="12 characters"):
        env.make_msgid("SHORT")


@pytest.mark.parametrize("body, problem", [
    (b"[]", "not a JSON object"), (b"{}", "no code"), (b'{"code": "x"}', "non-numeric"),
])
def test_a_response_that_is_not_an_envelope_is_named(body: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        env.parse_response(body, "LTC01")


def test_a_refusal_has_no_output() -> None:
    answer = env.parse_response(b'{"code": 2001, "err_msg": "x", "output": {"a": 1}}', "LTC01")
    assert not answer.ok and answer.code == 2001 and answer.output == {}


def test_times_go_in_beijing_time_and_unreadable_values_as_they_came() -> None:
    assert wire_time("2026-01-05T02:00:00+00:00") == "2026-01-05 10:00:00"
    assert wire_time("2026-01-05T23:30:00Z") == "2026-01-06 07:30:00"
    assert wire_time("2026-01-05") == "2026-01-05 00:00:00"
    assert wire_time("soon") == "soon" and wire_time("") == ""
    assert wire_date("2027-01-05") == "2027-01-05"
    assert wire_date("2026-01-05T20:00:00+00:00") == "2026-01-06"


def test_an_assessment_conclusion_on_the_wire() -> None:
    wire = AssessmentConclusion("as1", "ap1", PERSON, 4, "重度失能II级", 3, 2, 1, True, "v1", "2026-01-05",
                                "2027-01-05", 2, "objection", ("x1", "x2"), True, "200.00").to_wire()
    assert wire["certno"] == PERSON and wire["psn_cert_type"] == "01"
    assert (wire["dsbl_lv"], wire["adl_lv"], wire["cogn_lv"], wire["perc_lv"]) == (4, 3, 2, 1)
    assert (wire["elig_flag"], wire["asmt_type"], wire["city_lv_flag"], wire["rechk_date"]) == ("1", "2", "1",
                                                                                             "2027-01-05")


def test_an_upload_is_split_into_messages_of_at_most_500_records() -> None:
    records = [ServiceRecord(f"r{i}", PERSON, "cg", "2026-01-02", ("basic_care",), "08:00", "09:00")
               for i in range(1201)]
    parts = split_batch("b1", "WZB-C001", "2026-01", records)
    assert [len(p.records) for p in parts] == [500, 500, 201]
    assert [(p.part, p.parts) for p in parts] == [(1, 3), (2, 3), (3, 3)]
    assert [r.record_id for p in parts for r in p.records] == [r.record_id for r in records]
    wire = parts[2].to_wire()
    assert wire["rec_cnt"] == 201 and wire["reclist"][0]["certno"] == PERSON
    assert len(split_batch("b2", "I", "2026-01", [])) == 1  # the system learns an empty upload came
    assert MAX_RECORDS_PER_MESSAGE == 500


def test_a_settlement_lists_its_persons() -> None:
    wire = Settlement("s1", "WZB-C001", "2026-01", "1234.50", 40, (PERSON,), "2026-02-10T02:00:00+00:00").to_wire()
    assert wire["psn_cnt"] == 1 and wire["psn_list"] == [{"psn_cert_type": "01", "certno": PERSON}]
    assert wire["pay_time"] == "2026-02-10 10:00:00"
