"""The applicant is checked against the provincial platform (1101 人员信息获取) before review; a re-review's
qualification is looked up at appraisal (GetQualifications), never in appraisal's store."""

from __future__ import annotations

from typing import Any

from chassis.programs import load_program
from contracts.v1 import appraisal_pb2, appraisal_pb2_grpc


async def check_person(provincial_url: str, program_code: str, tenant: str, person_id: str,
                       name: str) -> dict[str, Any]:
    """Ask 1101 who the person is and whether they are insured; the answer is kept on the application."""
    from provincial.client import ProvincialClient, ProvincialError

    program = load_program(program_code)
    carrier = next(t for t in program.tenants if t.tenant == tenant)
    client = ProvincialClient(provincial_url, carrier.fixmedins_code, carrier.name, f"intake-{tenant}",
                              division=program.division)
    try:
        info = await client.person_info(person_id, name)
    except ProvincialError as exc:
        return {"checked": True, "insured": False, "error": str(exc)}
    finally:
        await client.aclose()
    return {"checked": True, "insured": bool(info.insured), "psn_no": info.psn_no,
            "insuplc_admdvs": info.insuplc_admdvs, "insutype": info.insutype, "error": ""}


async def person_qualifications(peers: Any, tenant: str, person_id: str) -> list[Any]:
    """The person's qualifications in the tenant (the tenant travels in the service token)."""
    stub = appraisal_pb2_grpc.AppraisalServiceStub(peers.channel("appraisal"))
    answer = await stub.GetQualifications(appraisal_pb2.GetQualificationsRequest(person_id=person_id),
                                          metadata=await peers.metadata(tenant), timeout=10)
    return list(answer.qualifications)
