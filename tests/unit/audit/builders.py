"""Events as the platform carries them (new_event → encode → decode), for audit's and archive's tests and
for publishing envelopes onto the in-memory bus in component tests."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message

from chassis.bus.port import BusMessage
from chassis.events import CATALOGUE, Event, decode, encode, new_event, topic_for
from contracts.v1 import common_pb2, events_pb2

PERSON_A = "610702195803120012"
PERSON_B = "61072119620425002X"
PERSON_C = "610702196001010016"

# The sample table's uncapped diseases (MT, OT, DL) and a few capped ones.
SAMPLE_DISEASES = (("HTN", "高血压病", "3600.00"), ("DM", "糖尿病", "4800.00"), ("CHD", "冠心病", "3000.00"),
                   ("MT", "恶性肿瘤门诊治疗", ""), ("OT", "器官移植抗排异治疗", ""), ("DL", "尿毒症透析", ""))


def stored(event_type: str, payload: Message, *, tenant: str = "hz-p1", key: str = "",
           occurred_at: str | None = None, event_id: str | None = None) -> dict[str, Any]:
    source = CATALOGUE[event_type][0]
    ev = new_event(event_type, tenant, key, payload, source=source, trace_context={}, event_id=event_id)
    if occurred_at:
        ev["occurred_at"] = occurred_at
    return ev


def event(event_type: str, payload: Message, **kw: Any) -> Event:
    return decode(encode(stored(event_type, payload, **kw)))


def message(ev: dict[str, Any], prefix: str = "") -> BusMessage:
    return BusMessage(topic_for(ev["tenant"], ev["type"], prefix), ev["business_key"], encode(ev),
                      {"event-type": ev["type"]})


def policy(version: str = "2025.t1", effective_from: str = "2025-01-01", program: str = "hz-chronic",
           diseases: tuple[tuple[str, str, str], ...] = SAMPLE_DISEASES) -> tuple[str, Message, str]:
    table = common_pb2.PolicyTable(program=program, version=version, effective_from=effective_from,
                                   monthly_cap_multiple=3, second_disease_weight="0.2", label="TEST table",
                                   diseases=[common_pb2.DiseasePolicy(code=c, name=n, annual_cap=cap)
                                             for c, n, cap in diseases])
    return "policy.published", events_pb2.PolicyPublished(table=table), f"policy:{version}"


def qualification(qid: str, person: str, disease: str, granted_on: str, benefit_start: str = "",
                  **extra: str) -> common_pb2.Qualification:
    return common_pb2.Qualification(qualification_id=qid, person_id=person, disease_code=disease,
                                    application_id=f"app-{qid}", case_id=f"app-{qid}", granted_on=granted_on,
                                    benefit_start=benefit_start or granted_on, status="active", **extra)


def granted(qid: str, person: str, disease: str, granted_on: str, benefit_start: str = "") -> tuple[str, Message, str]:
    q = qualification(qid, person, disease, granted_on, benefit_start)
    return "qualification.granted", events_pb2.QualificationGranted(qualification=q), person


def revoked(qid: str, person: str, disease: str, granted_on: str, revoked_on: str,
            reason: str = "moved away") -> tuple[str, Message, str]:
    q = qualification(qid, person, disease, granted_on)
    return ("qualification.revoked", events_pb2.QualificationRevoked(qualification=q, reason=reason,
                                                                       revoked_on=revoked_on), person)


def filed(qid: str, person: str, disease: str, granted_on: str, serial: str) -> tuple[str, Message, str]:
    q = qualification(qid, person, disease, granted_on)
    return ("qualification.filed", events_pb2.QualificationFiled(qualification=q, filing_serial=serial,
                                                                   filed_at=f"{granted_on}T10:00:00+08:00"), person)


def settled(person: str, institution: str, month: str, claimed: str, payable: str, statement: str = "",
            lines: int = 1) -> tuple[str, Message, str]:
    return ("benefits.settled", events_pb2.BenefitsSettled(
        person_id=person, institution_code=institution, month=month, claimed=claimed, payable=payable, lines=lines,
        policy_version="2025.t1", statement_id=statement or f"st-{institution}-{month}"), person)


def submitted(app_id: str, person: str, disease: str, at: str, name: str = "张建国") -> tuple[str, Message, str]:
    return ("application.submitted", events_pb2.ApplicationSubmitted(
        application_id=app_id, person_id=person, person_name=name, disease_code=disease, channel="window",
        submitted_at=at, program="hz-chronic",
        documents=[common_pb2.DocumentRef(document_id=f"{app_id}-d1", kind="application_form", filename="form.pdf",
                                          content_type="application/pdf", size=42, sha256="ab" * 32)]), person)


def completed(app_id: str, person: str, disease: str, on: str, name: str = "张建国") -> tuple[str, Message, str]:
    return ("application.completed", events_pb2.ApplicationCompleted(
        application_id=app_id, person_id=person, person_name=name, disease_code=disease, program="hz-chronic",
        completed_at=f"{on}T09:00:00+08:00", completed_on=on, psn_no="61000000000000001234",
        insuplc_admdvs="610702"), person)


def rejected(app_id: str, person: str, at: str, reason: str = "not insured") -> tuple[str, Message, str]:
    return ("application.rejected", events_pb2.ApplicationRejected(application_id=app_id, person_id=person,
                                                                     reason=reason, rejected_at=at), person)


def finding(fid: str, person: str, kind: str, amount: str, at: str) -> tuple[str, Message, str]:
    return ("finding.raised", events_pb2.FindingRaised(finding_id=fid, person_id=person, kind=kind,
                                                         description="checked", amount=amount, raised_at=at), person)


def concluded(case_id: str, person: str, disease: str, at: str, overdue: bool = False) -> tuple[str, Message, str]:
    return ("appraisal.concluded", events_pb2.AppraisalConcluded(
        case_id=case_id, application_id=case_id, person_id=person, disease_code=disease, outcome="approved",
        reason="ok", concluded_at=at, concluded_by="r1", overdue=overdue), person)


def build(spec: tuple[str, Message, str], tenant: str = "hz-p1", **kw: Any) -> Event:
    event_type, payload, key = spec
    return event(event_type, payload, tenant=tenant, key=key, **kw)


def build_stored(spec: tuple[str, Message, str], tenant: str = "hz-p1", **kw: Any) -> dict[str, Any]:
    event_type, payload, key = spec
    return stored(event_type, payload, tenant=tenant, key=key, **kw)


def person(i: int) -> str:
    """A distinct 18-character resident-ID-shaped person key."""
    return f"61070219600101{i:03d}X"


async def publish(bus: Any, *events: dict[str, Any], prefix: str = "") -> None:
    """Put stored events on a bus as the outbox relay would (component tests on the in-memory bus)."""
    await bus.publish([message(e, prefix) for e in events])
