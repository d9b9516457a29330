import pytest
from pydantic import ValidationError

from chassis.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from services.intake.domain.application import (
    ApplicationIn,
    UploadedDocument,
    check_document,
    sniff_matches,
    valid_resident_id,
)


def test_resident_id_check_digit_and_birth_date() -> None:
    assert valid_resident_id("61072119620425002X")
    assert valid_resident_id("610702195803120012")
    assert not valid_resident_id("610702195803120013")  # wrong check digit
    assert not valid_resident_id("610702195802300010")  # 30 February
    assert not valid_resident_id("6107021958031200")


def test_application_fields_are_checked_all_at_once() -> None:
    with pytest.raises(ValidationError) as err:
        ApplicationIn.model_validate({"person_id": "1", "person_name": "", "disease_code": "htn", "channel": "fax"})
    assert {e["loc"][0] for e in err.value.errors()} == {"person_id", "person_name", "disease_code", "channel"}


def test_documents_kind_type_size() -> None:
    check_document(UploadedDocument("medical_record", "r.pdf", "application/pdf", 10), 100)
    with pytest.raises(InvalidInput):
        check_document(UploadedDocument("selfie", "r.pdf", "application/pdf", 10), 100)
    with pytest.raises(UnsupportedMediaType):
        check_document(UploadedDocument("medical_record", "r.exe", "application/x-msdownload", 10), 100)
    with pytest.raises(PayloadTooLarge):
        check_document(UploadedDocument("medical_record", "r.pdf", "application/pdf", 101), 100)
    with pytest.raises(InvalidInput):
        check_document(UploadedDocument("medical_record", "r.pdf", "application/pdf", 0), 100)


def test_content_must_match_declared_type() -> None:
    assert sniff_matches("application/pdf", b"%PDF-1.7")
    assert sniff_matches("image/png", b"\x89PNG\r\n\x1a\n....")
    assert not sniff_matches("image/jpeg", b"MZ\x90\x00")
