"""A re-review application (复审申请) names a qualification: intake asks appraisal, which owns qualifications, over
gRPC (GetQualifications, eligibility/service.py) — never reading appraisal's store — whether the person holds it and
whether it is active; the rules below decide on the answer."""

from __future__ import annotations

from typing import Any

from chassis.errors import Conflict, InvalidInput

# Stable rule codes: a refusal names the rule it applies.
RULE_QUALIFICATION_UNKNOWN = "review_qualification_unknown"
RULE_QUALIFICATION_NOT_ACTIVE = "review_requires_active_qualification"
RULE_REVIEW_DISEASE = "review_disease_mismatch"
RULE_REVIEW_OPEN = "review_already_open"


def check_review_target(qualifications: list[Any], qualification_id: str, disease: str | None) -> Any:
    """The qualification a re-review is about, from the person's own list; refused with the rule it breaks."""
    q = next((q for q in qualifications if q.qualification_id == qualification_id), None)
    if q is None:
        raise InvalidInput(f"{RULE_QUALIFICATION_UNKNOWN}: the applicant holds no qualification {qualification_id}",
                           "application.qualification_id", code=RULE_QUALIFICATION_UNKNOWN)
    if q.status != "active":
        raise Conflict(f"{RULE_QUALIFICATION_NOT_ACTIVE}: qualification {qualification_id} is {q.status}; only an "
                       "active qualification is re-reviewed", "application.qualification_id",
                       code=RULE_QUALIFICATION_NOT_ACTIVE)
    if disease and disease != q.disease_code:
        raise InvalidInput(f"{RULE_REVIEW_DISEASE}: qualification {qualification_id} is for {q.disease_code}, "
                           f"not {disease}", "application.diseases", code=RULE_REVIEW_DISEASE)
    return q


def check_none_open(open_review: object, qualification_id: str) -> None:
    """One re-review of a qualification at a time: refused while another is still under way."""
    if open_review:
        raise Conflict(f"{RULE_REVIEW_OPEN}: a re-review of qualification {qualification_id} is already under way",
                       "application.qualification_id", code=RULE_REVIEW_OPEN)
