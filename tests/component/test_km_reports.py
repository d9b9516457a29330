"""Fund supervision's reports (基金监管报告, Karamay) at audit's door, on the in-memory adapters: a June of supervision
made through the rooms' own doors — smart-review screening with a hit confirmed and one dismissed, a hospital's flight
inspection (dossier, evidence, findings, its report on time), a pharmacy's (its report a day late... four), the
agency's still open, a record sample at 40%, a lead that becomes a case with money recovered, the agency's internal
audit, credit evaluations approved, a course and a flight-inspection trip recorded — then the reports:
`km_inspection` (one inspection's pack), `km_monthly` (2024-06) and `km_term` (the term, with its written report
.docx and the materials' list with checksums), each a PNG and a workbook read back and checked against what was made,
`report.produced` published. Bad kinds and periods refused with their code and field, nothing written; roles refused;
a tenant outside the program (hz-p1) 404. The trainings door (/v1/supervision/trainings) too.

Instants (a sample's completion, a hit's finding and decision) are the rooms' wall clock: pinned here to June 2024 with
the business date, as they would be when the month is lived rather than replayed."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document
from openpyxl import load_workbook

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.consumer import EventConsumer
from chassis.events import decode, topic_for
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.audit.main import SPEC
from services.audit.record_sampling import service as record_sampling_service
from services.audit.smart_review import service as smart_review_service
from tests.conftest import auth
from tests.support.pii_scan import scan_stores
from tests.unit.audit.builders import PERSON_A, message, stored

T, OUTSIDER = "km-sv", "hz-p1"
TENANTS = (T, OUTSIDER)
BUSINESS_DATE = "2024-07-05"
JUNE_INSTANT = "2024-06-28T02:00:00+00:00"
H1, H2, P1, A1 = "KM-H001", "KM-H002", "KM-P001", "KM-A001"
TERM = events_pb2.InstitutionPeriod(start="2024-01-01", end="2026-12-31")
TEAM = [{"inspector_id": "insp-1", "name": "王检查", "profession": "医学"}, {"inspector_id": "insp-2"}]
SECRET = "参保人欧阳丽娟冒名就医"          # free text naming a person: never in a report
PDF = b"%PDF-1.4\n" + SECRET.encode() + b"\n%%EOF\n"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RECORDS = [f"ZY2024{n:05d}" for n in range(1, 201)]   # 200 records → 5 sampled


def institution(iid: str, kind: str, level: str = "") -> tuple[str, Any, str]:
    return "institution.changed", events_pb2.InstitutionChanged(
        institution_id=iid, kind=kind, level=level, name=f"样例{iid}", status="designated", step="migrated",
        version=1, district="650203", occurred_at="2024-01-02T09:00:00+08:00", terms=[TERM]), iid


class Rig:
    def __init__(self, host: ServiceHost, http: httpx.AsyncClient, root: Path) -> None:
        self.host, self.http, self.root = host, http, root

    async def post(self, path: str, body: Any = None, tenant: str = T, role: str = "inspector",
                   subject: str = "insp-1", **kw: Any) -> httpx.Response:
        if body is not None:
            kw["json"] = body
        return await self.http.post(path, headers=auth(tenant, role, subject), **kw)

    async def get(self, path: str, tenant: str = T, role: str = "inspector", subject: str = "insp-1",
                  **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params, headers=auth(tenant, role, subject))

    async def ok(self, r: httpx.Response, status: int = 200) -> Any:
        assert r.status_code == status, r.text
        return r.json()

    async def count(self, collection: str, tenant: str = T) -> int:
        return len(await self.host.store.database("audit", tenant)[collection].find({}).to_list(None))

    def files(self, tenant: str = T) -> list[Path]:
        folder = self.root / "reports" / tenant
        return sorted(folder.iterdir()) if folder.exists() else []

    async def produce(self, kind: str, period: str, tenant: str = T, role: str = "inspector") -> httpx.Response:
        return await self.post("/v1/reports", {"kind": kind, "period": period}, tenant=tenant, role=role)


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", BUSINESS_DATE)
    monkeypatch.setattr(record_sampling_service, "_now", lambda: JUNE_INSTANT)
    monkeypatch.setattr(smart_review_service, "_now", lambda: JUNE_INSTANT)
    settings = Settings(service="audit", tenants=TENANTS, data_dir=str(tmp_path))
    host = ServiceHost(SPEC, settings, MemoryBus(), MemoryStore())
    parts = SPEC.build(host.context)
    app = parts.app
    app.state.tenants, app.state.open_db, app.state.verifier = frozenset(TENANTS), host.context.db, host.verifier
    await host.bus.ensure_topics(host.topics())
    await parts.on_start()
    consumer = EventConsumer("audit", host.bus, host.store, TENANTS, parts.subscriptions,
                             batch_handler=parts.batch_handler)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit") as http:
        evs = [stored(t, p, tenant=T, key=k) for t, p, k in (
            institution(H1, "hospital", "一级"), institution(H2, "hospital", "一级"), institution(P1, "pharmacy"),
            institution(A1, "agency"))]
        await consumer.process_batch([message(e) for e in evs])
        yield Rig(host, http, tmp_path)


def error_of(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()["error"]


def claim(claim_id: str, item: str, quantity: str, price: str, day: str) -> dict[str, Any]:
    amount = f"{float(quantity) * float(price):.2f}"
    return {"claim_id": claim_id, "institution": H1, "institution_kind": "hospital", "person_id": PERSON_A,
            "sex": "M", "birth_date": "1958-03-12", "kind": "outpatient",
            "lines": [{"line_id": f"{claim_id}-1", "item_code": item, "date": day, "quantity": quantity,
                       "unit_price": price, "amount": amount}]}


async def inspection(rig: Rig, institution_id: str, method: str, started: str, ended: str | None,
                     findings: list[dict[str, Any]], reported: str | None, evidence: bool = False) -> str:
    body = {"institution_id": institution_id, "method": method, "team": TEAM, "started_on": started,
            **({"ended_on": ended} if ended else {})}
    iid = (await rig.ok(await rig.post("/v1/supervision/inspections", body), 201))["inspection_id"]
    path = f"/v1/supervision/inspections/{iid}"
    if evidence:
        await rig.ok(await rig.post(f"{path}/dossier"), 201)
        files = {"evidence": ("现场.pdf", PDF, "application/pdf")}
        added = await rig.ok(await rig.post(f"{path}/evidence", files=files, data={"note": SECRET}), 201)
        findings = [{**f, "evidence_ids": added["added"]} for f in findings]
    if findings:
        await rig.ok(await rig.post(f"{path}/findings", {"findings": findings}), 201)
    if reported:
        await rig.ok(await rig.post(f"{path}/checklist", {"others": "checked"}))
        await rig.ok(await rig.post(f"{path}/report", {"summary": SECRET, "reported_on": reported}), 201)
    return iid


async def june(rig: Rig) -> dict[str, Any]:
    """A June of supervision, through the rooms' own doors."""
    made: dict[str, Any] = {}
    # 数据提取与筛查: two over-priced lines at H1 (5.00 and 10.00); one confirmed, one dismissed.
    await rig.ok(await rig.post("/v1/review/claims", {"import_id": "km-june", "claims": [
        claim("c1", "S001", "1", "15.00", "2024-06-02"), claim("c2", "D001", "2", "40.00", "2024-06-02")]}), 201)
    hits = (await rig.ok(await rig.get("/v1/review/hits", role="reviewer")))["hits"]
    assert sorted(h["amount"] for h in hits) == ["10.00", "5.00"]
    by_amount = {h["amount"]: h["hit_id"] for h in hits}
    await rig.ok(await rig.post(f"/v1/review/hits/{by_amount['10.00']}/decision",
                                {"decision": "confirm", "note": "超标准收费属实"}, role="reviewer"))
    await rig.ok(await rig.post(f"/v1/review/hits/{by_amount['5.00']}/decision",
                                {"decision": "dismiss", "note": "物价调整"}, role="reviewer"))
    # Inspections: H1 on time with evidence, P1 a report four days late, the agency's still open.
    made["h1"] = await inspection(rig, H1, "flight_inspection", "2024-06-03", "2024-06-05",
                                  [{"code": "H01", "amount": "100.00", "description": SECRET},
                                   {"code": "H02", "amount": "20.00"}], "2024-06-07", evidence=True)
    made["p1"] = await inspection(rig, P1, "daily_patrol", "2024-06-19", "2024-06-20",
                                  [{"code": "P01", "amount": "5.00"}], "2024-06-25")
    made["a1"] = await inspection(rig, A1, "audit", "2024-06-25", None, [], None)
    # 病历抽审 at H1: 5 of 200 records, 2 problems (40%).
    population = await rig.ok(await rig.post("/v1/supervision/record-populations", {
        "institution_id": H1, "kind": "medical_records", "period_from": "2022-07-06", "period_to": "2024-07-05",
        "records": RECORDS}), 201)
    sample = await rig.ok(await rig.post("/v1/supervision/record-samples", {
        "population_id": population["population_id"], "seed": "km-june", "inspection_id": made["h1"]}), 201)
    drawn = [r["record_id"] for r in sample["records"]]
    await rig.ok(await rig.post(f"/v1/supervision/record-samples/{sample['sample_id']}/results", {"results": [
        {"record_id": r, "problem": n < 2, "code": "H01" if n < 2 else ""} for n, r in enumerate(drawn)]}))
    made["sample"], made["population_sha256"] = sample["sample_id"], population["sha256"]
    # A superior's lead on H2 → a case (opened and closed on the business date, in July) → 300.00 decided and
    # recovered on days in June.
    lead = await rig.ok(await rig.post("/v1/supervision/leads", {
        "source": "superior", "institution_id": H2, "summary": "上级交办", "received_on": "2024-06-10"},
        role="supervisor", subject="sup-1"), 201)
    await rig.ok(await rig.post(f"/v1/supervision/leads/{lead['lead_id']}/verification", {
        "outcome": "substantiated", "note": "属实", "verified_on": "2024-06-12"}))
    case = await rig.ok(await rig.post("/v1/supervision/cases", {"lead_id": lead["lead_id"]}), 201)
    cid = case["case_id"]
    docs = await rig.ok(await rig.post(f"/v1/supervision/cases/{cid}/documents",
                                       files={"receipt": ("收据.pdf", PDF + b"r", "application/pdf")}))
    receipt = docs["documents"][0]["document_id"]
    await rig.ok(await rig.post(f"/v1/supervision/cases/{cid}/findings", {"code": "H09", "amount": "300.00",
                                                                          "found_on": "2024-06-15"}))
    await rig.ok(await rig.post(f"/v1/supervision/cases/{cid}/decisions", {
        "kind": "recover", "amount": "300.00", "decided_on": "2024-06-18"}))
    await rig.ok(await rig.post(f"/v1/supervision/cases/{cid}/recoveries", {
        "amount": "300.00", "recovered_on": "2024-06-25", "receipt_document_id": receipt}))
    await rig.ok(await rig.post(f"/v1/supervision/cases/{cid}/closing", {"note": "结案"}))
    made["case"] = cid
    # The agency's internal audit, its written report out on the business date (July).
    audit = await rig.ok(await rig.post("/v1/supervision/agency-audits", {
        "title": "内部审核", "institution_id": A1, "period_from": "2024-01-01", "period_to": "2024-05-31",
        "team": ["insp-1", "insp-2"]}), 201)
    await rig.ok(await rig.post(f"/v1/supervision/agency-audits/{audit['audit_id']}/checks", {"checks": [
        {"area": "manual_reimbursement", "reference": "R-1", "result": "conforming"},
        {"area": "payment", "reference": "P-9", "result": "nonconforming", "code": "A02", "amount": "50.00",
         "note": "违规支付"}]}))
    made["audit"] = await rig.ok(await rig.post(f"/v1/supervision/agency-audits/{audit['audit_id']}/report",
                                                {"conclusion": "基本合规"}), 201)
    # Credit: the hospitals and the pharmacy evaluated for 2024 and approved.
    drafts = await rig.ok(await rig.post("/v1/supervision/credit/evaluations",
                                         {"year": 2024, "institution_ids": [H1, H2, P1]}), 201)
    for e in drafts["evaluations"]:
        await rig.ok(await rig.post(f"/v1/supervision/credit/evaluations/{e['evaluation_id']}/approval", {},
                                    role="supervisor", subject="sup-1"))
    # A course in June, a trip in May.
    await rig.ok(await rig.post("/v1/supervision/trainings", {
        "kind": "course", "title": "第一次《医疗保障基金合规使用》培训", "held_from": "2024-06-12",
        "topics": ["common_violations", "compliant_charging"], "attendees": 35, "note": SECRET}), 201)
    await rig.ok(await rig.post("/v1/supervision/trainings", {
        "kind": "flight_trip", "title": "伊犁州飞行检查", "held_from": "2024-05-20", "held_to": "2024-05-22",
        "region": "xinjiang", "destination": "伊犁州", "staff": ["km-01", "km-02"]}, role="supervisor"), 201)
    return made


async def read_files(rig: Rig, report: dict[str, Any]) -> tuple[bytes, Any]:
    rid = report["report_id"]
    chart = await rig.get(f"/v1/reports/{rid}/chart.png", role="supervisor")
    assert chart.status_code == 200 and chart.content.startswith(PNG_MAGIC)
    assert hashlib.sha256(chart.content).hexdigest() == report["files"]["chart"]["sha256"]
    xlsx = await rig.get(f"/v1/reports/{rid}/workbook.xlsx", role="finance")
    assert xlsx.status_code == 200 and hashlib.sha256(xlsx.content).hexdigest() == report["files"]["workbook"]["sha256"]
    return xlsx.content, load_workbook(io.BytesIO(xlsx.content))


def summary_of(wb: Any) -> dict[str, Any]:
    return {row[0].value: row[1].value for row in wb["Summary"].iter_rows()}


def rows_of(wb: Any, sheet: str) -> list[list[Any]]:
    return [[c.value for c in row] for row in wb[sheet].iter_rows()][1:]


# ---- the three kinds ---------------------------------------------------------------------------------------------


async def test_one_inspections_pack(rig: Rig) -> None:
    made = await june(rig)
    r = await rig.produce("km_inspection", made["h1"])
    report = await rig.ok(r, 201)
    # Due when the inspection's report was (3 calendar days after 5 June); produced in July: after its due day.
    assert (report["kind"], report["period"], report["program"], report["due_on"], report["overdue"],
            report["interim"]) == ("km_inspection", made["h1"], "km-supervision", "2024-06-08", True, False)
    assert report["deadline"] == {"due_on": "2024-06-08", "provisional": False,
                                  "calendar": "calendar days (tender 二(一)1(3): 调查结束后三日内 / 次日)"}
    f = report["figures"]
    assert (f["institution_id"], f["method"], [m["inspector_id"] for m in f["team"]]) == (
        H1, "flight_inspection", ["insp-1", "insp-2"])
    assert f["report"]["filed"] is True and f["report"]["overdue"] is False and f["report"]["days_late"] == 0
    assert f["report"]["reported_on"] == "2024-06-07" and len(f["report"]["sha256"]) == 64
    assert f["findings"]["amount"] == "120.00" and {k: v["amount"] for k, v in f["findings"]["by_code"].items()} == {
        "H01": "100.00", "H02": "20.00"}
    c = f["checklist"]
    assert c["complete"] is True and c["coverage"] == "1.0000" and c["finding"] == 2 and c["total"] == c["answered"]
    [ev] = f["evidence"]["items"]
    assert ev["sha256"] == hashlib.sha256(PDF).hexdigest() and ev["content_type"] == "application/pdf"
    assert f["dossier"]["hits"] == 2 and f["dossier"]["amount"] == "15.00"
    assert [s["sample_id"] for s in f["samples"]] == [made["sample"]]
    assert SECRET not in str(report)
    _, wb = await read_files(rig, report)
    s = summary_of(wb)
    assert (s["Kind"], s["Inspection"], s["Report due on"], s["Findings amount"], s["Evidence files"]) == (
        "km_inspection", made["h1"], "2024-06-08", 120, 1)
    assert rows_of(wb, "Evidence")[0][3] == ev["sha256"]
    assert [row[0] for row in rows_of(wb, "Findings by code")] == ["H01", "H02", "Total"]
    assert not any(SECRET in str(c.value) for ws in wb for row in ws.iter_rows() for c in row)
    # A pharmacy's pack: its report four days late.
    p1 = (await rig.ok(await rig.produce("km_inspection", made["p1"]), 201))["figures"]["report"]
    assert (p1["due_on"], p1["overdue"], p1["days_late"]) == ("2024-06-21", True, 4)
    # No written report for a pack.
    e = error_of(await rig.get(f"/v1/reports/{report['report_id']}/written-report.docx"), 404)
    assert e["code"] == "report_file_absent"


async def test_the_months_report(rig: Rig) -> None:
    made = await june(rig)
    report = await rig.ok(await rig.produce("km_monthly", "2024-06", role="ops"), 201)
    # Due by the 10th of July (a Wednesday, a working day); produced on the 5th.
    assert (report["due_on"], report["overdue"], report["interim"], report["policy_version"]) == (
        "2024-07-10", False, False, "km-violations-2024.1")
    f = report["figures"]
    cov = f["coverage"]
    assert (cov["institutions"], cov["done"], cov["rate"], cov["tender"], cov["met"]) == (4, 2, "0.5000", 161, False)
    assert cov["by_kind"]["hospital"]["tender"] == 17 and cov["by_kind"]["hospital"]["done"] == 1
    assert cov["undone_ids"] == [A1, H2]
    ins = f["inspections"]
    assert (ins["ended"], ins["started"], ins["open_at_end"]) == (2, 3, 1)
    assert ins["by_kind_and_method"]["hospital"]["flight_inspection"] == 1
    assert ins["by_kind_and_method"]["pharmacy"]["daily_patrol"] == 1
    rep = f["reports"]
    assert (rep["due"], rep["on_time"], rep["late"], rep["missing"]) == (2, 1, 1, 0)
    assert {x["inspection_id"]: x["days_late"] for x in rep["items"]} == {made["h1"]: 0, made["p1"]: 4}
    fi = f["findings"]
    assert (fi["count"], fi["amount"]) == (3, "125.00")
    assert {k: (v["count"], v["amount"]) for k, v in fi["by_code"].items()} == {
        "H01": (1, "100.00"), "H02": (1, "20.00"), "P01": (1, "5.00")}
    h = f["sampling"]["by_kind"]["hospital"]
    assert (h["sampled"], h["problems"], h["problem_rate"], h["expected_rate"], h["meets_expectation"]) == (
        5, 2, "0.4000", "0.4000", True)
    over = f["smart_review"]["by_rule"]["over_price"]
    assert (over["hits"], over["confirmed"], over["dismissed"], over["open"], over["amount"],
            over["confirmed_amount"]) == (2, 1, 1, 0, "15.00", "10.00")
    assert f["smart_review"]["decided"]["confirmed_amount"] == "10.00"
    assert (f["leads"]["received"], f["leads"]["by_source"]["superior"], f["leads"]["substantiated"]) == (1, 1, 1)
    # The case was opened (and closed) on the business date, in July; its decision and recovery are dated in June.
    assert (f["cases"]["opened"], f["cases"]["closed"], f["cases"]["open_at_end"]) == (0, 0, 0)
    assert f["money"] == {"decided_recover": "300.00", "decided_fines": "0.00", "recoveries": 1,
                          "recovered": "300.00"}
    assert f["agency_audits"]["reported"] == 0            # its report came out in July
    assert f["trainings"]["courses"]["held"] == 1 and f["trainings"]["flight_trips"]["held"] == 0
    _, wb = await read_files(rig, report)
    s = summary_of(wb)
    assert (s["Kind"], s["Period"], s["Due on"], s["Inspected so far"], s["Reports late"], s["Findings amount"],
            s["Recovered"]) == ("km_monthly", "2024-06", "2024-07-10", 2, 1, 125, 300)
    assert float(s["Hospital problem rate"]) == 0.4
    assert {row[0]: row[2] for row in rows_of(wb, "Smart review")}["over_price"] == 2
    # Listed with its kind; the event out.
    listed = await rig.ok(await rig.get("/v1/reports", kind="km_monthly", role="finance"))
    assert [x["report_id"] for x in listed] == [report["report_id"]]
    await rig.host.relay.relay_once()
    events = [decode(m.value) for m in rig.host.bus.messages(topic_for(T, "report.produced"))]  # type: ignore[attr-defined]
    assert [(e.payload.kind, e.payload.period, e.payload.due_on) for e in events] == [
        ("km_monthly", "2024-06", "2024-07-10")]


async def test_the_terms_report_written_report_and_materials(rig: Rig) -> None:
    made = await june(rig)
    pack = await rig.ok(await rig.produce("km_inspection", made["h1"]), 201)
    report = await rig.ok(await rig.produce("km_term", "term"), 201)
    assert (report["period"], report["start"], report["end"], report["due_on"], report["overdue"],
            report["interim"]) == ("2024-03-01/2024-11-20", "2024-03-01", "2024-11-20", "2024-11-20", False, True)
    f = report["figures"]
    assert f["cases"]["closed"] == 1 and f["agency_audits"]["reported"] == 1
    assert f["agency_audits"]["items"][0]["sha256"] == made["audit"]["report"]["sha256"]
    assert f["credit"]["evaluated"] == 3 and f["trainings"]["flight_trips"]["by_region"]["xinjiang"]["held"] == 1
    req = {x["code"]: x["met"] for x in f["requirements"]}
    assert req == {"coverage": False, "reports_on_time": False, "records_sampled": False, "problem_rate": True,
                   "trainings": False, "flight_trips": False, "agency_audit": True, "credit": True}
    m = f["materials"]
    mine = [x for x in m["items"] if x["inspection_id"] == made["h1"]]
    assert [x["material"] for x in mine] == ["dossier", "evidence", "inspection_report", "report_pack_chart",
                                             "report_pack_workbook", "record_sample_population"]
    by = {x["material"]: x for x in mine}
    assert by["evidence"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert by["report_pack_workbook"]["sha256"] == pack["files"]["workbook"]["sha256"]
    assert by["record_sample_population"]["sha256"] == made["population_sha256"]
    # The materials' dossier and report checksums are those of the records as their room serves them.
    assert by["inspection_report"]["sha256"] == pack["figures"]["report"]["sha256"]
    assert m["without_report"] == [made["a1"]] and m["inspections"] == 3
    content, wb = await read_files(rig, report)
    materials = rows_of(wb, "Materials")
    assert len(materials) == m["lines"] + 1 and materials[-1][0] == "Total"
    assert {row[0]: row[4] for row in rows_of(wb, "Requirements")}["agency_audit"] == "yes"
    # The written report (书面情况报告): a Word document naming the workbook that carries the materials' list.
    docx = await rig.get(f"/v1/reports/{report['report_id']}/written-report.docx", role="supervisor")
    assert docx.status_code == 200
    assert hashlib.sha256(docx.content).hexdigest() == report["files"]["written_report"]["sha256"]
    assert "km_term-2024-03-01_2024-11-20-written-report.docx" in docx.headers["content-disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "医疗保障基金监管服务书面情况报告" in text and hashlib.sha256(content).hexdigest() in text
    assert "十二、检查情况资料汇总" in text and SECRET not in text
    # Files stored with the checksums recorded; nothing personal in the clear anywhere.
    assert len(rig.files()) == 2 + 3
    found, docs = await scan_stores(rig.host.store, ["audit"], [T], [SECRET])
    assert docs > 0 and found == []


# ---- refused -----------------------------------------------------------------------------------------------------


async def test_bad_periods_roles_and_tenants_are_refused_and_nothing_is_written(rig: Rig) -> None:
    made = await june(rig)
    for kind, period, status, field, code in (
            ("km_inspection", "INS-0000000000000000", 422, "period", "unknown_inspection"),
            ("km_inspection", made["a1"], 409, "period", "inspection_not_ended"),
            ("km_monthly", "2024-13", 422, "period", "invalid_input"),
            ("km_monthly", "2024-02", 422, "period", "period_outside_term"),
            ("km_monthly", "2024-08", 422, "period", "invalid_input"),
            ("km_term", "2024", 422, "period", "invalid_input")):
        e = error_of(await rig.produce(kind, period), status)
        assert (e["field"], e["code"]) == (field, code), (kind, period, e)
    assert error_of(await rig.post("/v1/reports", {"kind": "km_weekly", "period": "2024-06"}), 422)
    for role in ("clerk", "institution", "reviewer", "supervisor", "finance"):
        assert (await rig.produce("km_monthly", "2024-06", role=role)).status_code == 403, role
    assert await rig.count("reports") == 0 and rig.files() == []
    # Another tenant: the program's kinds are not its own, and it cannot see km-sv's reports.
    assert error_of(await rig.produce("km_monthly", "2024-06", tenant=OUTSIDER), 404)["code"] == "not_found"
    assert (await rig.produce("km_inspection", made["h1"], tenant=OUTSIDER)).status_code == 404
    report = await rig.ok(await rig.produce("km_monthly", "2024-06"), 201)
    assert (await rig.get(f"/v1/reports/{report['report_id']}", tenant=OUTSIDER)).status_code == 404
    assert (await rig.get(f"/v1/reports/{report['report_id']}/chart.png", tenant=OUTSIDER)).status_code == 404
    assert (await rig.get(f"/v1/reports/{report['report_id']}", role="reviewer")).status_code == 403
    assert await rig.count("reports", OUTSIDER) == 0


# ---- the trainings door ------------------------------------------------------------------------------------------


async def test_trainings_recorded_listed_against_the_tender_and_refused(rig: Rig) -> None:
    path = "/v1/supervision/trainings"
    course = await rig.ok(await rig.post(path, {
        "kind": "course", "title": "合规使用培训", "held_from": "2024-06-12", "topics": ["regulation"],
        "attendees": 20, "note": SECRET}), 201)
    assert (course["kind"], course["held_to"], course["topics"]) == ("course", "2024-06-12", ["regulation"])
    trip = await rig.ok(await rig.post(path, {
        "kind": "flight_trip", "title": "疆外飞检", "held_from": "2024-05-06", "held_to": "2024-05-10",
        "region": "outside_xinjiang", "destination": "成都市", "staff": ["km-01", "km-02"]}, role="supervisor"), 201)
    listed = await rig.ok(await rig.get(path, role="ops"))
    assert listed["count"] == 2 and listed["term"]["courses"]["held"] == 1
    assert listed["term"]["flight_trips"]["by_region"]["outside_xinjiang"]["held"] == 1
    assert (await rig.ok(await rig.get(f"{path}/{trip['training_id']}")))["staff"] == ["km-01", "km-02"]
    assert (await rig.ok(await rig.get(path, kind="flight_trip")))["count"] == 1
    assert error_of(await rig.get(f"{path}/TR-nope"), 404)["code"] == "not_found"
    for body, field, code in (
            ({"kind": "flight_trip", "title": "x", "held_from": "2024-05-06", "region": "xinjiang",
              "staff": ["km-01"]}, "staff", "trip_staff_too_small"),
            ({"kind": "course", "title": "x", "held_from": "2024-07-06", "topics": ["regulation"], "attendees": 3},
             "held_from", "date_in_future"),
            ({"kind": "course", "title": "x", "held_from": "2024-06-06", "attendees": 3}, "topics",
             "topics_required"),
            ({"kind": "course", "title": "x", "held_from": "2024-06-06", "topics": ["regulation"]}, "attendees",
             "attendees_required"),
            ({"kind": "course", "title": "x", "held_from": "2024-06-06", "held_to": "2024-06-05",
              "topics": ["regulation"], "attendees": 3}, "held_to", "held_reversed"),
            ({"kind": "course", "title": "x", "held_from": "2024-06-06", "topics": ["regulation"], "attendees": 3,
              "staff": ["km-01"]}, "staff", "field_not_of_kind")):
        e = error_of(await rig.post(path, body), 422)
        assert (e["field"], e["code"]) == (field, code), (body, e)
    assert error_of(await rig.post(path, {"kind": "course", "title": "x", "held_from": "2024-06-06",
                                          "topics": ["cooking"], "attendees": 3}), 422)["field"].startswith("topics")
    for role in ("clerk", "ops", "finance", "reviewer", "institution"):
        assert (await rig.post(path, {"kind": "course"}, role=role)).status_code in (403, 422), role
        assert (await rig.post(path, {**course, "kind": "course", "topics": ["regulation"]},
                               role=role)).status_code == 403, role
    for role in ("clerk", "finance", "reviewer", "institution"):
        assert (await rig.get(path, role=role)).status_code == 403, role
    assert await rig.count("sv_trainings") == 2
    # Outside the program: 404 before the body is read (even a malformed one).
    r = await rig.http.post(path, content=b"{not json", headers=auth(OUTSIDER, "inspector", "insp-1"))
    assert error_of(r, 404)["code"] == "not_found"
    assert (await rig.post(path, {"kind": "course"}, tenant=OUTSIDER, role="clerk")).status_code == 404
    assert (await rig.get(path, tenant=OUTSIDER)).status_code == 404
    found, _ = await scan_stores(rig.host.store, ["audit"], [T], [SECRET])
    assert found == []
