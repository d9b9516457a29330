"""The agency's internal audit (经办机构内部审核) at audit's door, on the in-memory adapters: an audit by two inspectors
of the agency's manual reimbursements and payments, linked to a record-sampling sample, its checks (a nonconforming
one coded with an agency item of the catalogue, its amount and note), the written report generated as a Word document
whose sha256 is recorded and checked when it is read; a one-inspector audit and every other bad input refused with
its code and field, nothing written; roles refused; hz-p1 (outside km-supervision) 404."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from tests.support.pii_scan import scan_stores
from tests.support.supervision_rig import KM, Rig, audit_rig, error_of, institution

BUSINESS_DATE = "2024-09-10"
AUDIT = {"title": "2024年上半年经办机构内部审核", "institution_id": "KM-A001", "period_from": "2024-01-01",
         "period_to": "2024-06-30", "team": ["insp-1", "insp-2"], "scope": "抽审手工报销申报材料与基金支付凭证"}
NOTE = "参保人张三的发票重复报销"


def check(reference: str, result: str = "conforming", **extra: Any) -> dict[str, Any]:
    return {"area": "manual_reimbursement", "reference": reference, "result": result, **extra}


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", BUSINESS_DATE)
    async with audit_rig(tmp_path) as r:
        await r.feed(KM, institution("KM-A001", "agency"), institution("KM-H001", "hospital"))
        yield r


async def agency_sample(rig: Rig) -> dict[str, Any]:
    """A sample of the agency's manual-reimbursement files (病历抽审, record_sampling's doors): 80 files, 2 drawn."""
    r = await rig.post("/record-populations", {"institution_id": "KM-A001", "kind": "manual_reimbursements",
                                               "period_from": "2022-09-11", "period_to": "2024-09-10",
                                               "records": [f"MR-{n:04d}" for n in range(80)]})
    assert r.status_code == 201, r.text
    r = await rig.post("/record-samples", {"population_id": r.json()["population_id"], "seed": "agency-2024"})
    assert r.status_code == 201, r.text
    return r.json()


async def test_an_audit_its_checks_and_its_written_report(rig: Rig) -> None:
    sample = await agency_sample(rig)
    r = await rig.post("/agency-audits", {**AUDIT, "sample_id": sample["sample_id"]})
    assert r.status_code == 201, r.text
    audit = r.json()
    audit_id = audit["audit_id"]
    assert (audit["state"], audit["sample_id"], audit["team"]) == ("open", sample["sample_id"], ["insp-1", "insp-2"])
    r = await rig.post(f"/agency-audits/{audit_id}/checks", {"checks": [
        check("MR-2024-001"), check("MR-2024-002", "nonconforming", code="A02", amount="1860.40", note=NOTE,
                                    record_id="MR-2024-002"),
        {"area": "payment", "reference": "PAY-0615", "result": "nonconforming", "code": "A01", "amount": "0",
         "note": "支付审批缺少复核签字"},
        {"area": "payment", "reference": "PAY-0616", "result": "conforming"}]})
    assert r.status_code == 200, r.text
    figures = r.json()["figures"]
    assert figures["areas"]["manual_reimbursement"] == {"checked": 2, "conforming": 1, "nonconforming": 1,
                                                        "amount": "1860.40", "rate": "0.5000"}
    assert (figures["checked"], figures["nonconforming"], figures["amount"]) == (4, 2, "1860.40")
    assert [c["check_id"] for c in r.json()["checks"]] == ["C0001", "C0002", "C0003", "C0004"]

    r = await rig.post(f"/agency-audits/{audit_id}/report", {"conclusion": "经办机构手工报销存在重复报销1笔",
                                                             "recommendations": "追回重复报销款并完善复核"})
    assert r.status_code == 201, r.text
    report = r.json()["report"]
    assert r.json()["state"] == "reported" and report["size"] > 1000 and len(report["sha256"]) == 64
    assert (report["sample"]["sample_id"], report["sample"]["size"], report["sample"]["kind"]) == (
        sample["sample_id"], 2, "manual_reimbursements")

    got = await rig.get(f"/agency-audits/{audit_id}/report", role="supervisor", subject="sup-1")
    assert got.status_code == 200 and got.headers["x-content-sha256"] == report["sha256"]
    assert hashlib.sha256(got.content).hexdigest() == report["sha256"]
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    doc = Document(io.BytesIO(got.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "经办机构手工报销存在重复报销1笔" in text and "KM-A001" in text
    assert f"{sample['sample_id']}（抽取 2 份" in text
    rows = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert ["C0002", "手工报销", "MR-2024-002", "A02", "违规支付医保费用", "1860.40", NOTE] in rows

    # Reported: no more checks, reported once; listed as reported.
    e = error_of(await rig.post(f"/agency-audits/{audit_id}/checks", {"checks": [check("MR-9")]}), 409)
    assert e["code"] == "agency_audit_reported"
    assert error_of(await rig.post(f"/agency-audits/{audit_id}/report", {"conclusion": "x"}), 409)["code"] == \
        "agency_audit_reported"
    assert [a["audit_id"] for a in (await rig.get("/agency-audits", role="ops", state="reported")).json()] == [
        audit_id]

    # The checks' notes and the report's bytes are sealed at rest.
    found, _ = await scan_stores(rig.host.store, ["audit"], [KM], [NOTE, "张三"])
    assert found == []


async def test_bad_input_is_refused_with_its_code_and_nothing_is_written(rig: Rig) -> None:
    for change, code, field in (({"team": ["insp-1"]}, "audit_team_too_small", "team"),
                                ({"period_to": "2023-12-31"}, "audit_period_reversed", "period_to"),
                                ({"period_to": "2024-09-11"}, "date_in_future", "period_to"),
                                ({"period_from": "2024-1-1"}, "invalid_input", "period_from"),
                                ({"institution_id": ""}, "invalid_input", "institution_id"),
                                ({"institution_id": "KM-A404"}, "unknown_institution", "institution_id"),
                                ({"institution_id": "KM-H001"}, "audit_institution_not_agency", "institution_id"),
                                ({"sample_id": "RS-nope"}, "sample_unknown", "sample_id")):
        e = error_of(await rig.post("/agency-audits", {**AUDIT, **change}), 422)
        assert (e["code"], e["field"]) == (code, field), e
    assert await rig.count("sv_agency_audits") == 0

    audit_id = (await rig.post("/agency-audits", AUDIT)).json()["audit_id"]
    assert error_of(await rig.post(f"/agency-audits/{audit_id}/report", {"conclusion": "x"}), 409)["code"] == \
        "agency_audit_without_checks"
    for item, code, field in (
            (check("MR-1", "nonconforming", amount="10", note="x"), "check_details_required", "checks[1].code"),
            (check("MR-1", "nonconforming", code="H01", amount="10", note="x"), "check_code_not_agency",
             "checks[1].code"),
            (check("MR-1", "nonconforming", code="A02", amount="10.001", note="x"), "invalid_amount",
             "checks[1].amount"),
            (check("MR-0"), "check_reference_repeated", "checks[1].reference"),
            (check("MR-1", "maybe"), "invalid_input", "checks.1.result")):
        e = error_of(await rig.post(f"/agency-audits/{audit_id}/checks", {"checks": [check("MR-0"), item]}), 422)
        assert (e["code"], e["field"]) == (code, field), e
    after = (await rig.get(f"/agency-audits/{audit_id}")).json()
    assert (after["checks"], after["version"]) == ([], 1)


async def test_roles_and_tenants(rig: Rig) -> None:
    audit_id = (await rig.post("/agency-audits", AUDIT)).json()["audit_id"]
    for role, method, path, body in (("supervisor", "post", "/agency-audits", AUDIT),
                                     ("clerk", "get", "/agency-audits", None),
                                     ("institution", "get", f"/agency-audits/{audit_id}", None),
                                     ("finance", "post", f"/agency-audits/{audit_id}/checks", {"checks": []}),
                                     ("ops", "post", f"/agency-audits/{audit_id}/report", {"conclusion": "x"}),
                                     ("institution", "get", f"/agency-audits/{audit_id}/report", None)):
        r = await (rig.post(path, body, role=role) if method == "post" else rig.get(path, role=role))
        assert r.status_code == 403, (role, path, r.text)
    for method, path, body in (("post", "/agency-audits", {"garbage": True}), ("get", "/agency-audits", None),
                               ("get", f"/agency-audits/{audit_id}", None),
                               ("post", f"/agency-audits/{audit_id}/checks", {"checks": [check("MR-1")]}),
                               ("get", f"/agency-audits/{audit_id}/report", None)):
        r = await (rig.post(path, body, tenant="hz-p1") if method == "post" else rig.get(path, tenant="hz-p1"))
        assert r.status_code == 404, (path, r.text)
    assert (await rig.get("/agency-audits/nope")).status_code == 404
    assert (await rig.get(f"/agency-audits/{audit_id}/report")).status_code == 404  # no report yet
