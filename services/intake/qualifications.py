"""A re-review application (复审申请) names a qualification: intake asks appraisal, which owns qualifications, over
gRPC (GetQualifications) — never reading appraisal's store — whether the person holds it and whether it is active."""

from __future__ import annotations

from typing import Any

from chassis.errors import Conflict, InvalidInput
from contracts.v1 import appraisal_pb2, appraisal_pb2_grpc

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
                           "application.qualification_id")
    if q.status != "active":
        raise Conflict(f"{RULE_QUALIFICATION_NOT_ACTIVE}: qualification {qualification_id} is {q.status}; only an "
                       "active qualification is re-reviewed", "application.qualification_id")
    if disease and disease != q.disease_code:
        raise InvalidInput(f"{RULE_REVIEW_DISEASE}: qualification {qualification_id} is for {q.disease_code}, "
                           f"not {disease}", "application.diseases")
    return q


async def person_qualifications(peers: Any, tenant: str, person_id: str) -> list[Any]:
    """The person's qualifications in the tenant (the tenant travels in the service token)."""
    stub = appraisal_pb2_grpc.AppraisalServiceStub(peers.channel("appraisal"))
    answer = await stub.GetQualifications(appraisal_pb2.GetQualificationsRequest(person_id=person_id),
                                          metadata=peers.metadata(tenant), timeout=10)
    return list(answer.qualifications)
