"""An institution's particulars (domain/registration.py) and its files (domain/documents.py): what a kind needs,
where a care institution belongs, an institution applying for itself, files sniffed and required."""

from __future__ import annotations

import hashlib

import pytest

from chassis.errors import InvalidInput
from services.appraisal.institutions.domain.documents import (
    File,
    checked_files,
    reference,
    require_documents,
    require_one,
)
from services.appraisal.institutions.domain.registration import check_applicant, check_particulars

COUNTIES = {"330302": "wz-a", "330303": "wz-b"}
PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8


def particulars(**extra: object) -> dict[str, object]:
    return {"institution_id": "WZB-C001", "kind": "care", "name": "龙湾颐养院", "district": "330303",
            "modes": ["home_visit", "institutional", "home_visit"], "contact": {"name": "王芳", "phone": "138"},
            **extra}


def test_a_care_institution_names_its_modes_in_the_catalogue_order() -> None:
    kept = check_particulars(particulars(), "wz-b", COUNTIES)
    assert kept["modes"] == ["institutional", "home_visit"] and kept["beds"] is None
    with pytest.raises(InvalidInput) as exc:
        check_particulars(particulars(modes=[]), "wz-b", COUNTIES)
    assert (exc.value.code, exc.value.field) == ("modes_required", "institution.modes")


@pytest.mark.parametrize("kind", ["hospital", "pharmacy"])
def test_hospitals_and_pharmacies_name_no_care_modes_and_register_anywhere(kind: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_particulars(particulars(kind=kind), "wz-b", COUNTIES)
    assert exc.value.code == "modes_not_for_kind"
    kept = check_particulars(particulars(kind=kind, modes=[], district="330302"), "wz-b", COUNTIES)
    assert kept["modes"] == []


def test_a_care_institution_registers_with_its_own_districts_lot() -> None:
    with pytest.raises(InvalidInput) as exc:
        check_particulars(particulars(district="330302"), "wz-b", COUNTIES, prefix="institutions[2]")
    assert (exc.value.code, exc.value.field) == ("district_not_in_lot", "institutions[2].district")
    assert exc.value.params == {"district": "330302", "lot": "wz-a"}
    with pytest.raises(InvalidInput) as exc:
        check_particulars(particulars(district="330100"), "wz-b", COUNTIES)
    assert exc.value.params["lot"] == ""
    # A program that routes no districts takes any.
    assert check_particulars(particulars(district="330100"), "xy-c", {})["district"] == "330100"


def test_an_institution_applies_for_itself_only() -> None:
    check_applicant("institution", "WZB-C001", "WZB-C001")
    check_applicant("clerk", "u1", "WZB-C001")
    with pytest.raises(InvalidInput) as exc:
        check_applicant("institution", "WZB-C002", "WZB-C001")
    assert (exc.value.code, exc.value.field) == ("not_own_institution", "institution.institution_id")


def test_files_are_sniffed_hashed_and_the_same_file_is_one_document() -> None:
    docs = checked_files([File("licence", "l.pdf", "application/pdf", PDF),
                          File("licence", "copy.pdf", "application/pdf", PDF),
                          File("floor_plan", "p.png", "image/png; charset=x", PNG)], ("licence", "floor_plan"), 1000)
    assert [d["kind"] for d in docs] == ["licence", "floor_plan"]
    sha = hashlib.sha256(PDF).hexdigest()
    assert docs[0]["sha256"] == sha and docs[0]["document_id"] == f"licence-{sha[:16]}"
    assert reference(docs[0]) == {"document_id": f"licence-{sha[:16]}", "kind": "licence", "filename": "l.pdf",
                                  "content_type": "application/pdf", "size": len(PDF), "sha256": sha}
    require_documents(docs)


@pytest.mark.parametrize(("file", "field"), [
    (File("licence", "l.pdf", "application/pdf", PNG), "documents.licence"),       # bytes are not a PDF
    (File("licence", "l.exe", "application/octet-stream", PDF), "documents.licence"),
    (File("licence", "l.pdf", "application/pdf", b""), "documents.licence"),
    (File("licence", "l.pdf", "application/pdf", PDF * 100), "documents.licence"),  # over the limit
    (File("selfie", "s.png", "image/png", PNG), "documents.selfie"),                # not a field taken
    (File("licence", None, "", b"", is_file=False), "documents.licence"),           # a text field
])
def test_a_refused_file_refuses_the_upload(file: File, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        checked_files([File("floor_plan", "p.png", "image/png", PNG), file], ("licence", "floor_plan"), 1000)
    assert (exc.value.code, exc.value.field) == ("document_not_accepted", field)


def test_the_licence_and_the_minutes_are_required() -> None:
    with pytest.raises(InvalidInput) as exc:
        require_documents(checked_files([File("floor_plan", "p.png", "image/png", PNG)], ("floor_plan",), 1000))
    assert (exc.value.code, exc.value.field) == ("documents_missing", "documents.licence")
    with pytest.raises(InvalidInput) as exc:
        require_one([], "minutes")
    assert (exc.value.code, exc.value.field) == ("documents_missing", "documents.minutes")
    two = checked_files([File("minutes", "a.pdf", "application/pdf", PDF),
                         File("minutes", "b.png", "image/png", PNG)], ("minutes",), 1000)
    with pytest.raises(InvalidInput) as exc:
        require_one(two, "minutes")
    assert exc.value.code == "document_not_accepted"
