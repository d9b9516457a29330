"""Filing a long-term care application: who may file, membership, the basis and its date, the person's lot (a
district's, a city-level person's by the recorded rule), the documents it needs, and each upload checked."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from services.intake.care_applications.domain.filing import (
    Filing,
    Uploaded,
    birth_date,
    check_filing,
    check_upload,
    lot_of_person,
    required_documents,
)
from services.intake.lots.domain.routing import load_lots

TODAY = date(2026, 3, 2)
MEMBERS = ("310", "390")
LOTS = load_lots()


def resident(body17: str) -> str:
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(d) * x for d, x in zip(body17, w, strict=True)) % 11]


OLD = resident("33030319450315001")  # born 1945-03-15, sequence 001
YOUNG = resident("33030319900101002")  # born 1990-01-01


def filing(**changes: object) -> Filing:
    base: dict[str, object] = {"person_id": OLD, "district": "龙湾区", "channel": "window", "basis": "illness",
                               "insutype": "310", "disabled_since": date(2025, 6, 1)}
    return Filing(**{**base, **changes})  # type: ignore[arg-type]


def refused(code: str, field: str, f: Filing, role: str = "clerk", subject: str = "clerk-1") -> None:
    with pytest.raises(InvalidInput) as exc:
        check_filing(role, subject, f, MEMBERS, TODAY)
    assert (exc.value.code, exc.value.field) == (code, field)


def test_a_clerk_files_for_the_person_and_an_applicant_for_themself() -> None:
    check_filing("clerk", "clerk-1", filing(), MEMBERS, TODAY)
    check_filing("applicant", OLD, filing(), MEMBERS, TODAY)
    refused("applicant_not_person", "application.person_id", filing(), "applicant", YOUNG)


def test_only_the_programs_members_apply() -> None:
    check_filing("clerk", "c", filing(insutype="390"), MEMBERS, TODAY)
    refused("not_a_member", "application.insutype", filing(insutype="320"))


def test_an_agent_is_named() -> None:
    refused("agent_required", "application.agent", filing(channel="agent"))
    check_filing("clerk", "c", filing(channel="agent", agent={"name": "王", "phone": "13800000000",
                                                             "relation": "子女"}), MEMBERS, TODAY)


def test_the_basis_and_its_date_agree() -> None:
    refused("disabled_since_required", "application.disabled_since", filing(disabled_since=None))
    refused("disabled_since_out_of_range", "application.disabled_since", filing(disabled_since=date(2026, 3, 3)))
    refused("disabled_since_out_of_range", "application.disabled_since",
            filing(person_id=YOUNG, disabled_since=date(1989, 12, 31)))
    refused("disabled_since_only_for_illness", "application.disabled_since", filing(basis="old_age"))
    check_filing("clerk", "c", filing(basis="old_age", disabled_since=None), MEMBERS, TODAY)


def test_birth_date_from_the_identity_number() -> None:
    assert birth_date(OLD) == date(1945, 3, 15)


def test_a_district_goes_to_its_lot_and_a_city_level_person_by_the_sequence_code() -> None:
    lot, reason = lot_of_person(LOTS, "龙湾区", OLD)
    assert (lot.code, lot.tenant, reason.code) == ("B", "wz-b", "district_lot")
    for seq, code in (("003", "A"), ("004", "B"), ("005", "C")):
        lot, reason = lot_of_person(LOTS, "市本级", resident(f"33030319500101{seq}"))
        assert (lot.code, reason.code, reason.params["rule"]) == (code, "city_level_lot", "sequence-code-mod-3.v1")
    with pytest.raises(InvalidInput) as exc:
        lot_of_person(LOTS, "杭州市", OLD)
    assert (exc.value.code, exc.value.field) == ("unknown_district", "application.district")


def test_the_documents_an_application_needs() -> None:
    assert required_documents("illness", "online") == ["id_card", "medical_records"]
    assert required_documents("old_age", "window") == ["id_card"]
    assert required_documents("old_age", "agent") == ["id_card", "agent_authorization"]


PDF = b"%PDF-1.4\n"


@pytest.mark.parametrize(("doc", "head", "error", "code"), [
    (Uploaded("passport", "p.pdf", "application/pdf", 9), PDF, InvalidInput, "document_kind_unknown"),
    (Uploaded("id_card", "i.gif", "image/gif", 9), b"GIF89a", UnsupportedMediaType, "unsupported_media_type"),
    (Uploaded("id_card", "i.pdf", "application/pdf", 11), PDF, PayloadTooLarge, "payload_too_large"),
    (Uploaded("id_card", "i.pdf", "application/pdf", 0), b"", InvalidInput, "invalid_input"),
    (Uploaded("id_card", "i.png", "image/png", 9), PDF, UnsupportedMediaType, "unsupported_media_type"),
])
def test_each_upload_is_checked(doc: Uploaded, head: bytes, error: type[Exception], code: str) -> None:
    with pytest.raises(error) as exc:
        check_upload(doc, head, 10)
    assert exc.value.code == code  # type: ignore[attr-defined]


def test_a_good_upload_passes() -> None:
    check_upload(Uploaded("medical_records", "m.pdf", "application/pdf", 9), PDF, 10)
