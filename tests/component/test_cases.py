"""Leads and cases (线索与案件) at audit's door, on the in-memory adapters: a tip filed at intake (complaint.filed of
kind tip) becomes a lead once however often it is delivered; leads from a superior and a department are entered; an
inspector verifies (核查); a case opens from a substantiated lead (case.opened) or from an inspection's reported
findings; its file takes documents (sniffed, sha256), findings coded from the violation catalogue, decisions,
recoveries with receipts; it closes once all is recovered (case.closed) and exports as a zip whose manifest and
checksums verify. Each bad input is refused with its code and field, nothing written; roles are refused (403); a
tenant outside km-supervision (hz-p1) gets 404 for all of it, an upload to it before its body is read; no tip's words
in clear at rest."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from contracts.v1 import events_pb2
from services.audit.cases.domain.casefile import verify_zip
from tests.conftest import PDF, PNG
from tests.support.pii_scan import scan_stores
from tests.support.supervision_rig import KM, Rig, audit_rig, error_of, institution

BUSINESS_DATE = "2024-09-10"
TIP_WORDS = "王医生让我空刷医保卡"


def tip(complaint_id: str, institution: str = "KM-P001", kind: str = "tip") -> tuple[str, Any, str]:
    return "complaint.filed", events_pb2.ComplaintFiled(
        complaint_id=complaint_id, person_id="", kind=kind, subject="药店串换药品",
        filed_at="2024-09-02T02:00:00+00:00", due_on="2024-09-09", filed_on="2024-09-02", institution_id=institution,
        detail=TIP_WORDS if kind == "tip" else ""), complaint_id


def inspection(inspection_id: str, findings: list[tuple[str, str]]) -> tuple[str, Any, str]:
    return "inspection.reported", events_pb2.InspectionReported(
        inspection_id=inspection_id, institution_id="KM-H003", institution_kind="hospital", method="daily_patrol",
        ended_on="2024-08-20", reported_on="2024-08-22", due_on="2024-08-23", catalogue_version="km-violations-2024.1",
        findings=[events_pb2.InspectionFinding(code=c, amount=a, finding_id=f"f{n}")
                  for n, (c, a) in enumerate(findings)], reported_at="2024-08-22T03:00:00+00:00"), "KM-H003"


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", BUSINESS_DATE)
    async with audit_rig(tmp_path) as r:
        await r.feed(KM, institution("KM-H001", "hospital"), institution("KM-H002", "hospital"))
        yield r


async def substantiated_tip(rig: Rig, complaint_id: str = "cp-1") -> str:
    await rig.feed(KM, tip(complaint_id))
    lead_id = f"tip-{complaint_id}"
    r = await rig.post(f"/leads/{lead_id}/verification", {"outcome": "substantiated", "note": "现场核实属实"})
    assert r.status_code == 200, r.text
    return lead_id


async def upload(rig: Rig, case_id: str, files: dict[str, Any], tenant: str = KM) -> Any:
    return await rig.http.post(f"/v1/supervision/cases/{case_id}/documents", files=files,
                               headers=rig.headers("inspector", tenant))


# ---- the happy path ---------------------------------------------------------------------------------------------


async def test_a_tip_becomes_a_lead_a_case_and_an_exported_case_file(rig: Rig) -> None:
    # The tip, delivered twice (the same event), a consultation (no lead) and hz-p1's tip (no supervision there).
    [event_id] = await rig.feed(KM, tip("cp-1"))
    await rig.feed(KM, tip("cp-1"), event_id=event_id)
    await rig.feed(KM, tip("cp-2", kind="consultation"))
    await rig.feed("hz-p1", tip("cp-3"))
    leads = (await rig.get("/leads")).json()
    assert [(x["lead_id"], x["source"], x["institution_id"], x["detail"], x["status"]) for x in leads] == [
        ("tip-cp-1", "tip", "KM-P001", TIP_WORDS, "open")]
    assert leads[0]["complaint_id"] == "cp-1" and leads[0]["received_on"] == "2024-09-02"
    assert await rig.count("sv_leads", "hz-p1") == 0

    # A superior's and a department's leads (the agency supervisor, a clerk).
    r = await rig.post("/leads", {"source": "superior", "institution_id": "KM-H001", "summary": "市局交办",
                                  "reference": "克医保函〔2024〕12号", "origin": "克拉玛依市医疗保障局"},
                       role="supervisor", subject="sup-1")
    assert r.status_code == 201 and r.json()["received_on"] == BUSINESS_DATE and r.json()["source"] == "superior"
    r = await rig.post("/leads", {"source": "department", "institution_id": "KM-H002", "summary": "卫健委移交",
                                  "received_on": "2024-09-01"}, role="clerk", subject="clerk-1")
    assert r.status_code == 201, r.text
    department = r.json()["lead_id"]
    assert {x["source"] for x in (await rig.get("/leads", role="clerk")).json()} == {"tip", "superior",
                                                                                    "department"}
    assert [x["lead_id"] for x in (await rig.get("/leads", source="tip")).json()] == ["tip-cp-1"]

    # Verified: the tip substantiated, the department's not; only the first opens a case.
    lead_id = await substantiated_tip(rig)
    assert (await rig.get(f"/leads/{lead_id}")).json()["verification"]["outcome"] == "substantiated"
    r = await rig.post(f"/leads/{department}/verification", {"outcome": "unsubstantiated", "note": "查无实据"})
    assert r.status_code == 200
    assert error_of(await rig.post("/cases", {"lead_id": department}), 409)["code"] == "lead_not_substantiated"
    r = await rig.post("/cases", {"lead_id": lead_id})
    assert r.status_code == 201, r.text
    case = r.json()
    case_id = case["case_id"]
    assert (case["state"], case["source"], case["institution_id"], case["version"]) == ("open", "tip", "KM-P001", 1)
    assert error_of(await rig.post("/cases", {"lead_id": lead_id}), 409)["code"] == "lead_has_case"
    assert (await rig.get(f"/leads/{lead_id}")).json()["case_id"] == case_id

    # The file: documents (the same file twice is one document), a finding, decisions, recoveries.
    r = await upload(rig, case_id, {"evidence": ("购药记录.pdf", PDF, "application/pdf"),
                                    "record": ("笔录.png", PNG, "image/png")})
    assert r.status_code == 200, r.text
    docs = {d["kind"]: d for d in r.json()["documents"]}
    again = await upload(rig, case_id, {"evidence": ("copy.pdf", PDF, "application/pdf")})
    assert len(again.json()["documents"]) == 2
    got = await rig.http.get(f"/v1/supervision/cases/{case_id}/documents/{docs['evidence']['document_id']}",
                             headers=rig.headers("supervisor", subject="sup-1"))
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["x-content-sha256"] == docs["evidence"]["sha256"]
    r = await rig.post(f"/cases/{case_id}/findings", {"code": "P01", "amount": "3650.00", "description": "聚敛刷卡",
                                                      "document_ids": [docs["evidence"]["document_id"]]})
    assert r.status_code == 200, r.text
    finding = r.json()["findings"][0]
    assert (finding["name"], finding["catalogue_version"], finding["reason"]["code"]) == (
        "聚敛倒刷医保卡", "km-violations-2024.1", "violation_found")
    r = await rig.post(f"/cases/{case_id}/decisions", {"kind": "recover", "amount": "3650.00"}, role="supervisor",
                       subject="sup-1")
    assert r.status_code == 200 and r.json()["state"] == "decided", r.text
    r = await rig.post(f"/cases/{case_id}/decisions", {"kind": "suspend_agreement", "effective_from": "2024-10-01"})
    assert r.status_code == 200 and [d["kind"] for d in r.json()["decisions"]] == ["recover", "suspend_agreement"]
    e = error_of(await rig.post(f"/cases/{case_id}/closing", {"note": "结案"}), 409)
    assert (e["code"], e["params"]) == ("case_recovery_outstanding", {"outstanding": "3650.00"})
    r = await upload(rig, case_id, {"receipt": ("收据.pdf", PDF + b"receipt", "application/pdf")})
    receipt = next(d["document_id"] for d in r.json()["documents"] if d["kind"] == "receipt")
    r = await rig.post(f"/cases/{case_id}/recoveries", {"amount": "3650.00", "recovered_on": "2024-09-09",
                                                        "receipt_document_id": receipt}, role="finance")
    assert r.status_code == 200 and r.json()["totals"]["outstanding"] == "0.00", r.text
    r = await rig.post(f"/cases/{case_id}/closing", {"note": "追回到账，结案"}, role="supervisor", subject="sup-1")
    assert r.status_code == 200, r.text
    closed = r.json()
    assert (closed["state"], closed["closing"]["outcome"], closed["closing"]["closed_on"]) == (
        "closed", "violation", BUSINESS_DATE)
    assert [h["action"] for h in closed["history"]] == ["open", "add_document", "add_document", "add_finding",
                                                        "decide", "decide", "add_document", "recover", "close"]
    assert error_of(await rig.post(f"/cases/{case_id}/findings", {"code": "P01", "amount": "1"}), 409)["code"] == \
        "case_action_not_allowed"

    # Events: case.opened, case.closed with what was found, decided and recovered.
    [opened] = await rig.events(KM, "case.opened")
    assert (opened.payload.case_id, opened.payload.source, opened.payload.lead_id) == (case_id, "tip", lead_id)
    [ev] = await rig.events(KM, "case.closed")
    p = ev.payload
    assert (p.outcome, p.amount_found, p.amount_recovered, p.closed_on) == ("violation", "3650.00", "3650.00",
                                                                           BUSINESS_DATE)
    assert [(f.code, f.amount) for f in p.findings] == [("P01", "3650.00")]
    assert [(d.kind, d.amount) for d in p.decisions] == [("recover", "3650.00"), ("suspend_agreement", "")]

    # The case file: manifest and checksums verify; the same case exports the same bytes.
    r = await rig.get(f"/cases/{case_id}/export", role="ops")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    errors, manifest = verify_zip(r.content)
    assert errors == [] and manifest is not None
    assert manifest["counts"] == {"documents": 3, "findings": 1, "decisions": 2, "recoveries": 1}
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert json.loads(zf.read("case.json"))["lead"]["verification"]["outcome"] == "substantiated"
        assert zf.read(f"documents/{docs['evidence']['document_id']}.pdf") == PDF
    assert r.headers["x-content-sha256"] == __import__("hashlib").sha256(r.content).hexdigest()
    assert (await rig.get(f"/cases/{case_id}/export")).content == r.content

    # A tip's words and file names are sealed at rest.
    found, docs_read = await scan_stores(rig.host.store, ["audit"], [KM], [TIP_WORDS, "购药记录", "聚敛刷卡"])
    assert found == [] and docs_read > 5


async def test_a_case_from_an_inspection_and_one_closed_without_violation(rig: Rig) -> None:
    await rig.feed(KM, inspection("insp-1", [("H03", "820.00"), ("H06", "1500.00")]), inspection("insp-2", []))
    r = await rig.post("/cases", {"inspection_id": "insp-1"}, role="supervisor", subject="sup-1")
    assert r.status_code == 201, r.text
    case = r.json()
    assert (case["source"], case["institution_id"], case["inspection_id"]) == ("inspection", "KM-H003", "insp-1")
    assert [(f["code"], f["amount"], f["found_on"]) for f in case["findings"]] == [
        ("H03", "820.00", "2024-08-20"), ("H06", "1500.00", "2024-08-20")]
    assert case["totals"]["found"] == "2320.00"
    assert error_of(await rig.post("/cases", {"inspection_id": "insp-1"}), 409)["code"] == "inspection_has_case"
    assert error_of(await rig.post("/cases", {"inspection_id": "insp-2"}), 409)["code"] == \
        "inspection_without_findings"
    # Undecided findings do not close; a warning is a decision, nothing to recover.
    assert error_of(await rig.post(f"/cases/{case['case_id']}/closing"), 409)["code"] == "case_undecided"
    assert (await rig.post(f"/cases/{case['case_id']}/decisions", {"kind": "warning"})).status_code == 200
    r = await rig.post(f"/cases/{case['case_id']}/closing")
    assert r.status_code == 200 and r.json()["closing"]["outcome"] == "violation"

    # A substantiated lead whose investigation found nothing closes without violation.
    lead_id = await substantiated_tip(rig, "cp-9")
    other = (await rig.post("/cases", {"lead_id": lead_id})).json()
    r = await rig.post(f"/cases/{other['case_id']}/closing", {"note": "调查未发现违规"})
    assert r.status_code == 200 and r.json()["closing"]["outcome"] == "no_violation"
    listed = (await rig.get("/cases", state="closed")).json()
    assert {c["case_id"] for c in listed} == {case["case_id"], other["case_id"]}
    assert [c["source"] for c in (await rig.get("/cases", source="inspection")).json()] == ["inspection"]


# ---- bad input: a precise code and field, nothing written -------------------------------------------------------


async def test_bad_input_is_refused_with_its_code_and_nothing_is_written(rig: Rig) -> None:
    for body, code, field in (
            ({"source": "tip", "institution_id": "KM-H001", "summary": "x"}, "lead_source_entered", "source"),
            ({"source": "gossip", "institution_id": "KM-H001", "summary": "x"}, "invalid_input", "source"),
            ({"source": "superior", "institution_id": "KM-H001", "summary": ""}, "invalid_input", "summary"),
            ({"source": "superior", "institution_id": "KM-H001", "summary": "x", "received_on": "2024-09-11"},
             "date_in_future", "received_on"),
            ({"source": "superior", "institution_id": "KM-H999", "summary": "x"}, "unknown_institution",
             "institution_id")):
        e = error_of(await rig.post("/leads", body), 422)
        assert (e["code"], e["field"]) == (code, field), e
    assert await rig.count("sv_leads") == 0

    lead_id = await substantiated_tip(rig)
    assert error_of(await rig.post(f"/leads/{lead_id}/verification", {"outcome": "substantiated", "note": "x"}),
                    409)["code"] == "lead_already_verified"
    for body, status, code, field in (
            ({}, 422, "case_source_ambiguous", "lead_id"),
            ({"lead_id": lead_id, "inspection_id": "i-1"}, 422, "case_source_ambiguous", "inspection_id"),
            ({"lead_id": "nope"}, 422, "lead_unknown", "lead_id"),
            ({"inspection_id": "nope"}, 422, "inspection_unknown", "inspection_id")):
        e = error_of(await rig.post("/cases", body), status)
        assert (e["code"], e["field"]) == (code, field), e
    assert await rig.count("sv_cases") == 0

    case_id = (await rig.post("/cases", {"lead_id": lead_id})).json()["case_id"]
    for path, body, status, code, field in (
            ("findings", {"code": "X01", "amount": "1"}, 422, "unknown_violation_code", "code"),
            ("findings", {"code": "P01", "amount": "1.001"}, 422, "invalid_amount", "amount"),
            ("findings", {"code": "P01", "amount": "1", "document_ids": ["evidence-x"]}, 422, "document_unknown",
             "document_ids[0]"),
            ("decisions", {"kind": "warning"}, 409, "decision_without_findings", "kind"),
            ("recoveries", {"amount": "1", "recovered_on": "2024-09-01", "receipt_document_id": "r"}, 409,
             "case_action_not_allowed", None)):
        e = error_of(await rig.post(f"/cases/{case_id}/{path}", body), status)
        assert (e["code"], e.get("field")) == (code, field), e
    r = await rig.post(f"/cases/{case_id}/findings", {"code": "P02", "amount": "100"})
    assert r.status_code == 200
    for body, code, field in (({"kind": "recover"}, "decision_amount_required", "amount"),
                              ({"kind": "recover", "amount": "100.01"}, "recovery_above_findings", "amount"),
                              ({"kind": "terminate_agreement"}, "invalid_input", "effective_from"),
                              ({"kind": "reprimand"}, "invalid_input", "kind")):
        e = error_of(await rig.post(f"/cases/{case_id}/decisions", body), 422)
        assert (e["code"], e["field"]) == (code, field), e
    # Documents: a renamed file, an unknown kind, no file at all — refused whole.
    for files, field in (({"evidence": ("x.pdf", b"MZ\x90\x00", "application/pdf")}, "documents.evidence"),
                         ({"selfie": ("x.png", PNG, "image/png")}, "documents.selfie"),
                         ({"evidence": ("x.pdf", PDF, "application/pdf"),
                           "receipt": ("r.exe", b"MZ", "application/pdf")}, "documents.receipt")):
        e = error_of(await upload(rig, case_id, files), 422)
        assert (e["code"], e["field"]) == ("document_not_accepted", field), e
    assert error_of(await rig.http.post(f"/v1/supervision/cases/{case_id}/documents", json={"a": 1},
                                        headers=rig.headers("inspector")), 415)["code"] == "unsupported_media_type"
    after = (await rig.get(f"/cases/{case_id}")).json()
    assert (after["version"], after["documents"], after["decisions"], after["state"]) == (2, [], [], "open")
    assert await rig.count("sv_case_documents") == 0


# ---- roles and tenants --------------------------------------------------------------------------------------------


async def test_roles_are_refused(rig: Rig) -> None:
    lead_id = await substantiated_tip(rig)
    case_id = (await rig.post("/cases", {"lead_id": lead_id})).json()["case_id"]
    for role, method, path, body in (
            ("applicant", "post", "/leads", {"source": "superior", "institution_id": "KM-H001", "summary": "x"}),
            ("institution", "get", "/leads", None),
            ("clerk", "post", f"/leads/{lead_id}/verification", {"outcome": "substantiated", "note": "x"}),
            ("clerk", "post", "/cases", {"lead_id": lead_id}),
            ("clerk", "get", "/cases", None),
            ("institution", "get", f"/cases/{case_id}", None),
            ("finance", "post", f"/cases/{case_id}/findings", {"code": "P01", "amount": "1"}),
            ("clerk", "post", f"/cases/{case_id}/decisions", {"kind": "warning"}),
            ("reviewer", "post", f"/cases/{case_id}/recoveries", {}),
            ("finance", "post", f"/cases/{case_id}/closing", {}),
            ("institution", "get", f"/cases/{case_id}/export", None)):
        r = await (rig.post(path, body, role=role) if method == "post" else rig.get(path, role=role))
        assert r.status_code == 403, (role, path, r.text)
    r = await rig.http.post(f"/v1/supervision/cases/{case_id}/documents", headers=rig.headers("finance"),
                            files={"evidence": ("x.pdf", PDF, "application/pdf")})
    assert r.status_code == 403


async def test_a_tenant_outside_fund_supervision_gets_404_before_its_body_is_read(rig: Rig) -> None:
    lead_id = await substantiated_tip(rig)
    case_id = (await rig.post("/cases", {"lead_id": lead_id})).json()["case_id"]
    for method, path, body in (("post", "/leads", {"not": "a lead"}), ("get", "/leads", None),
                               ("get", f"/leads/{lead_id}", None),
                               ("post", f"/leads/{lead_id}/verification", {"outcome": "substantiated", "note": "x"}),
                               ("post", "/cases", {"lead_id": lead_id}), ("get", f"/cases/{case_id}", None),
                               ("post", f"/cases/{case_id}/findings", "not json at all"),
                               ("get", f"/cases/{case_id}/export", None), ("post", f"/cases/{case_id}/closing", {})):
        r = await (rig.post(path, body, tenant="hz-p1") if method == "post" else rig.get(path, tenant="hz-p1"))
        assert r.status_code == 404, (path, r.text)
    r = await upload(rig, case_id, {"evidence": ("x.pdf", PDF, "application/pdf")}, tenant="hz-p1")
    assert r.status_code == 404
    # Within km-sv, an unknown case's upload is 404 too (before its body is read).
    assert (await upload(rig, "no-such-case", {"evidence": ("x.pdf", PDF, "application/pdf")})).status_code == 404
    assert (await rig.get("/cases/no-such-case")).status_code == 404
    assert (await rig.get(f"/cases/{case_id}/documents/evidence-0000")).status_code == 404
