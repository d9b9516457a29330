"""Envelope shape, msgid, time formats, codecs, and resident ID check characters: no I/O."""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassis.errors import InvalidInput
from provincial import ids
from provincial.envelope import (
    BEIJING,
    Codec,
    MessageSequence,
    Operator,
    PlainCodec,
    build_request,
    make_msgid,
    millis_time,
    parse_response,
    signing_fields,
)
from provincial.errors import ProvincialError
from provincial.models import PersonInfo, wire_amount

from .conftest import INSTITUTION, OTHER, PERSON

MOMENT = datetime(2025, 6, 30, 16, 5, 9, 123456, tzinfo=UTC)  # 2025-07-01 00:05:09 in Beijing


def test_msgid_is_institution_beijing_time_and_sequence() -> None:
    msgid = make_msgid(INSTITUTION, MOMENT, MessageSequence())
    assert msgid == f"{INSTITUTION}20250701000509" + "0001"
    assert len(msgid) == 30


def test_msgid_refuses_an_institution_code_that_is_not_12_characters() -> None:
    with pytest.raises(ValueError, match="12 characters"):
        make_msgid("H6107", MOMENT)


def test_sequence_wraps_after_9999() -> None:
    seq = MessageSequence(start=9998)
    assert [seq.next() for _ in range(3)] == [9999, 1, 2]


def test_sequence_is_unique_across_threads() -> None:
    seq = MessageSequence()
    seen: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        mine = [seq.next() for _ in range(1000)]
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == len(set(seen)) == 8000


def test_request_envelope_shape() -> None:
    request = build_request(
        "1101", {"certno": PERSON}, fixmedins_code=INSTITUTION, fixmedins_name="汉中经办",
        operator=Operator("op001", "王经办"), mdtrtarea_admvs="610700", insuplc_admdvs="610702",
        sign_no="S1", moment=MOMENT, sequence=MessageSequence(41),
    )
    assert request["infno"] == "1101"
    assert request["msgid"] == f"{INSTITUTION}202507010005090042"
    assert request["inf_time"] == "2025-07-01 00:05:09"
    assert request["recer_sys_code"] == "YBXT" and request["infver"] == "V1.0"
    assert (request["opter_type"], request["opter"], request["opter_name"]) == ("1", "op001", "王经办")
    assert (request["mdtrtarea_admvs"], request["insuplc_admdvs"]) == ("610700", "610702")
    assert (request["fixmedins_code"], request["fixmedins_name"], request["sign_no"]) == (INSTITUTION, "汉中经办", "S1")
    assert request["input"] == {"data": {"certno": PERSON}}
    assert request["signtype"] == "" and request["cainfo"] == ""


def test_sign_in_and_upload_use_their_own_input_nodes() -> None:
    common: dict[str, Any] = {"fixmedins_code": INSTITUTION, "fixmedins_name": "x", "operator": Operator("o", "o"),
                              "mdtrtarea_admvs": "610700"}
    assert list(build_request("9001", {}, **common)["input"]) == ["signIn"]
    assert list(build_request("9101", {}, **common)["input"]) == ["fsUploadIn"]


def test_response_times_have_milliseconds_in_beijing() -> None:
    assert millis_time(MOMENT) == "20250701000509123"
    assert MOMENT.astimezone(BEIJING).utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


def test_parse_response_reads_amounts_as_decimal_and_tolerates_string_infcode() -> None:
    body = json.dumps({"infcode": "0", "inf_refmsgid": "r", "refmsg_time": "t", "respond_time": "t2",
                       "err_msg": None, "warn_msg": None, "output": {"balc": 12.34}})
    response = parse_response(body.encode(), "1101")
    assert response.ok and response.err_msg == ""
    assert response.output["balc"] == Decimal("12.34")  # never a float


@pytest.mark.parametrize("body", [b"[]", b"not json", b'{"output": {}}', b'{"infcode": "x"}'])
def test_parse_response_refuses_what_is_not_an_envelope(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_response(body, "1101")


class Base64Codec:
    """A stand-in for an SM4/SM2 codec: proves the envelope builder and parser go through the codec."""

    def encode(self, infno: str, payload: dict[str, Any]) -> Any:
        return base64.b64encode(json.dumps(payload).encode()).decode()

    def decode(self, infno: str, output: Any) -> dict[str, Any]:
        return json.loads(base64.b64decode(output))  # type: ignore[no-any-return]

    def sign(self, fields: list[tuple[str, str]]) -> tuple[str, str] | None:
        return "SM2", "sig:" + ",".join(key for key, _ in fields)


def test_codec_is_pluggable() -> None:
    codec = Base64Codec()
    assert isinstance(codec, Codec) and isinstance(PlainCodec(), Codec)
    request = build_request("1101", {"a": "b"}, fixmedins_code=INSTITUTION, fixmedins_name="x",
                            operator=Operator("o", "o"), mdtrtarea_admvs="610700", codec=codec)
    assert json.loads(base64.b64decode(request["input"]["data"])) == {"a": "b"}
    assert request["signtype"] == "SM2"
    # The signature covers the sorted envelope fields except cainfo, signtype and input.
    signed = request["cainfo"].removeprefix("sig:").split(",")
    assert signed == sorted(signed) and not {"cainfo", "signtype", "input"} & set(signed)
    assert "msgid" in signed and "sign_no" in signed
    encoded = base64.b64encode(json.dumps({"x": 1}).encode()).decode()
    assert parse_response({"infcode": 0, "output": encoded}, "1101", codec).output == {"x": 1}


def test_signing_fields_are_sorted_and_exclude_signature_and_input() -> None:
    fields = signing_fields({"infno": "1101", "cainfo": "c", "input": {}, "msgid": "m", "signtype": "s"})
    assert fields == [("infno", "1101"), ("msgid", "m")]


def test_wire_amounts_are_two_place_strings_and_never_floats() -> None:
    assert wire_amount(Decimal("12.3")) == "12.30"
    assert wire_amount(7) == "7.00"
    with pytest.raises(InvalidInput):
        wire_amount(12.3)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        wire_amount(Decimal("0.001"))


def test_business_error_message_is_precise() -> None:
    error = ProvincialError("2503", -1, "该人员已存在有效的备案信息", msgid="M1", inf_refmsgid="R1")
    assert error.message == (
        "provincial platform refused 2503 (人员慢特病备案): infcode -1: 该人员已存在有效的备案信息 "
        "[msgid M1, inf_refmsgid R1]"
    )
    assert not error.session_expired
    assert ProvincialError("1101", -1, "签到信息不存在或已过期，请重新签到").session_expired


def test_person_info_assistance_identity_must_be_valid_when_asked() -> None:
    output = {"baseinfo": {"psn_no": "P1", "certno": PERSON, "age": 67},
              "insuinfo": [{"psn_insu_stas": "1", "insuplc_admdvs": "610702", "balc": "0.00"}],
              "idetinfo": [{"psn_idet_type": "2302", "begntime": "2024-01-01 00:00:00",
                            "endtime": "2024-12-31 23:59:59"}]}
    during = PersonInfo.from_wire(output, checked_at=datetime(2024, 6, 1, tzinfo=BEIJING))
    after = PersonInfo.from_wire(output, checked_at=datetime(2025, 6, 1, tzinfo=BEIJING))
    assert during.assistance_recipient and not after.assistance_recipient
    assert during.insured and during.insured_division == "610702" and during.age == 67


# --- GB 11643 check characters ------------------------------------------------------------------------------

@pytest.mark.parametrize("cert_no", [PERSON, OTHER, OTHER.lower(), "11010519491231002X"])
def test_valid_resident_ids(cert_no: str) -> None:
    assert ids.valid_resident_id(cert_no)


@pytest.mark.parametrize("cert_no", [
    "610702195803120013",  # wrong check character
    "610702195802300012",  # February 30th
    "61070219580312001",  # 17 characters
    "61070219580312001Y",  # not a digit or X
    "",
])
def test_invalid_resident_ids(cert_no: str) -> None:
    assert not ids.valid_resident_id(cert_no)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
       st.from_regex(re.compile(r"^\d{6}$"), fullmatch=True), st.from_regex(r"^\d{3}$", fullmatch=True))
def test_check_character_round_trip(born: date, region: str, sequence: str) -> None:
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    good = first17 + ids.check_character(first17)
    assert ids.valid_resident_id(good)
    wrong = next(c for c in "0123456789X" if c != good[-1])
    assert not ids.valid_resident_id(first17 + wrong)
    assert ids.gender(good) == ("1" if int(good[16]) % 2 else "2")
