import pytest
from pydantic import ValidationError

from chassis.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from services.intake.applications.api import ApplicationIn
from services.intake.applications.domain.application import (
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
    assert not valid_resident_id("６１０７０２１９５８０３１２００１２")  # full-width: the same number, another string
    assert not valid_resident_id("610702195803120012\n")


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


# ---- several diseases (申请两种及以上病种), re-review (复审) ---------------------------------------------------


def _form(**extra: object) -> ApplicationIn:
    return ApplicationIn.model_validate({"person_id": "610702195803120012", "person_name": "张建国", **extra})


def test_the_diseases_of_an_application() -> None:
    from services.intake.applications.domain.application import applied_diseases

    assert applied_diseases(_form(disease_code="HTN"), several_allowed=True) == ["HTN"]  # the one-disease form
    assert applied_diseases(_form(diseases=["DM", "HTN", "DM"]), True) == ["DM", "HTN"]
    assert applied_diseases(_form(disease_code="HTN", diseases=["DM", "HTN"]), True) == ["HTN", "DM"]
    for bad, field in ((_form(), "application.diseases"),
                       (_form(disease_code="HTN", qualification_id="q1"), "application.qualification_id"),
                       (_form(kind="review"), "application.qualification_id"),
                       (_form(kind="review", qualification_id="q1", diseases=["HTN", "DM"]), "application.diseases")):
        with pytest.raises(InvalidInput) as err:
            applied_diseases(bad, True)
        assert err.value.field == field
    with pytest.raises(InvalidInput) as err:
        applied_diseases(_form(diseases=["HTN", "DM"]), several_allowed=False)
    assert "one disease per application" in err.value.message
    assert applied_diseases(_form(kind="review", qualification_id="q1"), True) == []
    with pytest.raises(ValidationError):
        _form(diseases=["htn"])


def test_the_checklist_of_several_diseases_is_the_union() -> None:
    from services.intake.applications.domain.application import checklist_union

    assert checklist_union([["application_form", "medical_record"], ["medical_record", "id_card"], []]) == [
        "application_form", "medical_record", "id_card"]


def test_one_status_sums_up_the_diseases() -> None:
    from services.intake.applications.domain.application import overall_status

    diseases = ["HTN", "DM"]
    assert overall_status(["HTN"], {"HTN": "approved"}, "approved") == "approved"  # one disease: as stored
    assert overall_status(diseases, {}, "complete") == "complete"
    assert overall_status(diseases, {"HTN": "approved"}, "approved") == "in_appraisal"  # DM not concluded yet
    assert overall_status(diseases, {"HTN": "approved", "DM": "approved"}, "approved") == "approved"
    assert overall_status(diseases, {"HTN": "filed", "DM": "not_approved"}, "filed") == "decided"


def test_a_re_review_names_an_active_qualification_the_person_holds() -> None:
    from types import SimpleNamespace

    from chassis.errors import Conflict
    from services.intake.applications.domain.re_review import check_review_target

    held = [SimpleNamespace(qualification_id="q1", status="active", disease_code="HTN"),
            SimpleNamespace(qualification_id="q2", status="revoked", disease_code="DM")]
    assert check_review_target(held, "q1", None).disease_code == "HTN"
    assert check_review_target(held, "q1", "HTN").qualification_id == "q1"
    with pytest.raises(InvalidInput) as unknown:
        check_review_target(held, "q9", None)
    assert unknown.value.code == "review_qualification_unknown"
    with pytest.raises(Conflict) as revoked:
        check_review_target(held, "q2", None)
    assert revoked.value.code == "review_requires_active_qualification"
    with pytest.raises(InvalidInput) as other:
        check_review_target(held, "q1", "DM")
    assert other.value.code == "review_disease_mismatch"


def test_what_the_applicant_sees_of_each_appraisal_event() -> None:
    from chassis.events import decode, encode, new_event
    from contracts.v1 import common_pb2, events_pb2
    from services.intake.applications.domain.outcomes import outcome

    def event(kind: str, payload: object) -> object:
        return decode(encode(new_event(kind, "hz-p1", "p", payload, source="appraisal", trace_context={})))

    q = common_pb2.Qualification(qualification_id="q1", application_id="first", disease_code="HTN",
                                 review_due="2028-06-30")
    renewed = event("qualification.renewed", events_pb2.QualificationRenewed(
        qualification=q, previous_review_due="2025-06-30", renewed_on="2025-06-20", application_id="again"))
    assert outcome(renewed) == ("again", "renewed", "benefits continue; next re-review 2028-06-30", "renewed",
                                {"disease": "HTN", "review_due": "2028-06-30"}, "HTN")
    concluded = event("appraisal.concluded", events_pb2.AppraisalConcluded(
        application_id="again", disease_code="HTN", outcome="revoke", reason="不再符合", kind="review"))
    assert outcome(concluded)[1:4] == ("review_failed", "不再符合", None)  # told by qualification.revoked
    assigned = event("experts.assigned", events_pb2.ExpertsAssigned(application_id="a", disease_code="DM",
                                                                     expert_ids=["e1"]))
    assert outcome(assigned)[:2] == ("a", "in_appraisal") and outcome(assigned)[5] == "DM"
