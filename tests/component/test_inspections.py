"""Fund supervision's inspections (基金监管 现场检查, Karamay) at audit's door, on the in-memory adapters. The SAMPLE
roster (17 hospitals, 143 pharmacies, the agency) is imported into appraisal's registry (tenant km-sv), and the
registry's institution.changed events reach audit → the term's coverage plan reaching all 161 → a double-random draw,
reproducible → a hospital's inspection by two drawn inspectors: the dossier from its smart-review hits and anomaly
warnings, the checklist of a hospital's kind, evidence with its sha256, findings coded and priced, the end, the report
on time (inspection.reported) read by the institution itself and by no other → the coverage counts it; a pharmacy's
report late, flagged overdue before and recorded overdue after; every bad input refused with its code and field and
nothing written; roles refused; a tenant outside the program (hz-p1) 404 before its body is read; findings and notes
sealed."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.consumer import EventConsumer
from chassis.events import Event, decode, topic_for
from chassis.host import ServiceHost
from chassis.programs import PROGRAMS_DIR
from chassis.store.memory import MemoryStore
from services.appraisal.main import SPEC as APPRAISAL
from services.audit.inspections import service as inspections_service
from services.audit.inspections.domain.draws import pick
from services.audit.main import SPEC as AUDIT
from services.audit.warnings import service as warnings_service
from tests.conftest import auth
from tests.support.pii_scan import scan_stores

T, OUTSIDER = "km-sv", "hz-p1"
TENANTS = (T, OUTSIDER)
BUSINESS_DATE = "2024-06-10"
PATH = "/v1/supervision"
PDF = b"%PDF-1.4\n" + "现场检查照片 患者 欧阳丽娟".encode() + b"\n%%EOF\n"
SECRET_NOTE = "参保人欧阳丽娟冒名就医"   # free text naming a person: sealed at rest
TEAM = [{"inspector_id": "insp-1", "name": "王检查", "profession": "医学"}, {"inspector_id": "insp-2"}]
HOSPITAL, PHARMACY, AGENCY = "KM-H003", "KM-P007", "KM-A001"


def roster() -> list[dict[str, Any]]:
    data = yaml.safe_load((PROGRAMS_DIR / "km-supervision" / "institutions-sample.yaml").read_text(encoding="utf-8"))
    return data["institutions"]


class Rig:
    def __init__(self, audit: ServiceHost, appraisal: ServiceHost, consumer: EventConsumer, http: httpx.AsyncClient,
                 registry: httpx.AsyncClient) -> None:
        self.audit, self.appraisal, self.consumer, self.http, self.registry = audit, appraisal, consumer, http, registry

    async def post(self, path: str, body: Any = None, tenant: str = T, role: str = "inspector",
                   subject: str = "insp-1", **kw: Any) -> httpx.Response:
        if body is not None:
            kw["json"] = body
        return await self.http.post(f"{PATH}{path}", headers=auth(tenant, role, subject), **kw)

    async def get(self, path: str, tenant: str = T, role: str = "inspector", subject: str = "insp-1",
                  **params: Any) -> httpx.Response:
        return await self.http.get(f"{PATH}{path}", params=params, headers=auth(tenant, role, subject))

    async def ok(self, r: httpx.Response, status: int = 200) -> Any:
        assert r.status_code == status, r.text
        return r.json()

    async def registry_events(self) -> list[Any]:
        await self.appraisal.relay.relay_once()
        return self.appraisal.bus.messages(topic_for(T, "institution.changed"))  # type: ignore[attr-defined]

    async def events(self, event_type: str) -> list[Event]:
        await self.audit.relay.relay_once()
        return [decode(m.value) for m in self.audit.bus.messages(topic_for(T, event_type))]  # type: ignore[attr-defined]

    async def count(self, collection: str, tenant: str = T) -> int:
        return len(await self.audit.store.database("audit", tenant)[collection].find({}).to_list(None))

    async def inspection(self, institution_id: str = HOSPITAL, **changes: Any) -> dict[str, Any]:
        body = {"institution_id": institution_id, "method": "daily_patrol", "team": TEAM, "started_on": "2024-06-05",
                **changes}
        return await self.ok(await self.post("/inspections", body), 201)


def host(spec: Any, tmp_path: Path, name: str) -> tuple[ServiceHost, Any]:
    settings = Settings(service=name, tenants=TENANTS, data_dir=str(tmp_path / name))
    h = ServiceHost(spec, settings, MemoryBus(), MemoryStore())
    parts = spec.build(h.context)
    parts.app.state.tenants, parts.app.state.open_db, parts.app.state.verifier = (
        frozenset(TENANTS), h.context.db, h.verifier)
    return h, parts


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", BUSINESS_DATE)
    audit, audit_parts = host(AUDIT, tmp_path, "audit")
    appraisal, appraisal_parts = host(APPRAISAL, tmp_path, "appraisal")
    for h, parts in ((audit, audit_parts), (appraisal, appraisal_parts)):
        await h.bus.ensure_topics(h.topics())
        await parts.on_start()
    consumer = EventConsumer("audit", audit.bus, audit.store, TENANTS, audit_parts.subscriptions,
                             batch_handler=audit_parts.batch_handler)
    async with (httpx.AsyncClient(transport=httpx.ASGITransport(app=audit_parts.app), base_url="http://audit") as http,
                httpx.AsyncClient(transport=httpx.ASGITransport(app=appraisal_parts.app),
                                  base_url="http://appraisal") as registry):
        rig = Rig(audit, appraisal, consumer, http, registry)
        # The SAMPLE roster through the registry's import; its events reach audit as the consumer hands them over.
        r = await registry.post("/v1/institutions/import", json={"institutions": roster()},
                                headers=auth(T, "ops", "ops-1"))
        assert r.status_code == 201 and r.json()["count"] == 161, r.text
        await consumer.process_batch(await rig.registry_events())
        yield rig


def error_of(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()["error"]


# ---- the institutions, from the registry ------------------------------------------------------------------------


async def test_the_roster_reaches_supervision_with_kind_and_level(rig: Rig) -> None:
    listed = await rig.ok(await rig.get("/institutions"))
    kinds = [i["kind"] for i in listed["institutions"]]
    assert (listed["count"], kinds.count("hospital"), kinds.count("pharmacy"), kinds.count("agency")) == (
        161, 17, 143, 1)
    hospital = next(i for i in listed["institutions"] if i["institution_id"] == HOSPITAL)
    assert hospital["level"] == "一级" and hospital["terms"] == [{"start": "2024-01-01", "end": "2026-12-31"}]
    assert (await rig.ok(await rig.get("/institutions", kind="agency")))["count"] == 1
    # The registry keeps them too, with the level (appraisal's own door).
    one = (await rig.registry.get(f"/v1/institutions/{HOSPITAL}", headers=auth(T, "inspector"))).json()
    assert (one["kind"], one["level"], one["in_force"]) == ("hospital", "一级", True)
    # A redelivery changes nothing; a newer registry version replaces the institution.
    before = await rig.audit.store.database("audit", T)["sv_institutions"].find_one({"_id": HOSPITAL})
    await rig.consumer.process_batch(await rig.registry_events())
    assert await rig.audit.store.database("audit", T)["sv_institutions"].find_one({"_id": HOSPITAL}) == before
    r = await rig.registry.post(f"/v1/institutions/{HOSPITAL}/suspension", json={"reason": "约谈整改",
                                                                                "from": "2024-06-01"},
                                headers=auth(T, "reviewer", "rev-1"))
    assert r.status_code == 200, r.text
    await rig.consumer.process_batch(await rig.registry_events())
    again = await rig.ok(await rig.get("/institutions", kind="hospital"))
    assert next(i for i in again["institutions"] if i["institution_id"] == HOSPITAL)["status"] == "suspended"


async def test_the_registry_of_fund_supervision_keeps_its_kinds_only(rig: Rig) -> None:
    care = {"institution_id": "KM-C001", "kind": "care", "name": "护理院", "district": "650203",
            "modes": ["institutional"], "agreement": {"valid_from": "2024-01-01", "valid_to": "2026-12-31"}}
    no_level = {**roster()[0], "institution_id": "KM-H099", "level": None}
    for item, code, field in [(care, "kind_not_in_program", "institutions[0].kind"),
                              (no_level, "level_required", "institutions[0].level"),
                              ({**roster()[20], "institution_id": "KM-P999", "level": "一级"}, "level_not_for_kind",
                               "institutions[0].level")]:
        r = await rig.registry.post("/v1/institutions/import", json=[item], headers=auth(T, "ops"))
        error = error_of(r, 422)
        assert (error["code"], error["field"]) == (code, field)
    assert len(await rig.registry_events()) == 161  # nothing more published


# ---- plan → draw → inspection → report ----------------------------------------------------------------------------


async def test_plan_draw_inspect_and_report_on_time(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = await rig.ok(await rig.post("/coverage-plans", {"title": "2024年全覆盖检查"}, role="supervisor"), 201)
    assert (plan["plan_id"], plan["institutions"], plan["term_from"], plan["term_to"]) == (
        "CP-v1", 161, "2024-03-01", "2024-11-20")
    assert {e["month"] for e in plan["schedule"]} == {f"2024-{m:02d}" for m in range(3, 12)}
    coverage = await rig.ok(await rig.get("/coverage"))
    assert (coverage["total"], coverage["done"], coverage["rate"], coverage["met"]) == (161, 0, "0.0000", False)
    assert coverage["tender_counts"] == {"hospital": 17, "pharmacy": 143, "agency": 1}
    assert len(coverage["late"]) > 0  # March–May months have passed by June, undone

    pool = ["insp-1", "insp-2", "insp-3", "insp-4", "insp-5"]
    drawn = await rig.ok(await rig.post("/draws", {"kind": "hospital", "institutions": 3, "inspectors": 2,
                                                   "inspector_pool": pool, "seed": "km-2024-06"}), 201)
    hospitals = [f"KM-H{n:03d}" for n in range(1, 18)]
    assert drawn["institutions"] == pick("km-2024-06", "institution", hospitals, 3)
    assert drawn["inspectors"] == pick("km-2024-06", "inspector", pool, 2) and drawn["seed"] == "km-2024-06"
    assert (await rig.ok(await rig.get(f"/draws/{drawn['draw_id']}")))["reproduced"] is True
    target = drawn["institutions"][0]
    team = [{"inspector_id": i} for i in drawn["inspectors"]]
    created = await rig.inspection(target, method="double_random", draw_id=drawn["draw_id"], team=team,
                                   note=SECRET_NOTE)
    iid = created["inspection_id"]
    assert (created["state"], created["institution_kind"], created["level"], created["due_on"]) == (
        "open", "hospital", "一级", None)
    assert created["checklist"]["total"] == 27 and created["checklist"]["complete"] is False

    # 数据提取与筛查: the institution's smart-review hits (the smart_review room) and its anomaly warnings.
    async def hits(db: Any, filters: dict[str, Any], after: str | None, limit: int) -> dict[str, Any]:
        assert filters == {"institution": target}
        page = [{"hit_id": f"over_price-{n}", "rule": "over_price", "claim_id": f"c{n}", "line_ids": [f"c{n}-1"],
                 "amount": "12.50", "state": "open", "month": "2024-04", "source": "screening"} for n in range(3)]
        page.append({"hit_id": "phantom_bed-1", "rule": "phantom_bed", "claim_id": "c9", "line_ids": ["c9-2"],
                     "amount": "80.00", "state": "confirmed", "month": "2024-05", "source": "chronic"})
        return {"hits": page[:2], "next_after": "p2"} if after is None else {"hits": page[2:], "next_after": None}

    monkeypatch.setattr(inspections_service.smart_review, "hits", hits)
    await warnings_service.issue(rig.audit.context.db(T), T, {"role": "inspector", "subject": "insp-1"},
                                 f"institution_outlier|{target}|2024-05", "institution_outlier",
                                 f"{target} 次均费用高于同类机构", date(2024, 6, 3), "check", {}, subject=target,
                                 month="2024-05")
    dossier = await rig.ok(await rig.post(f"/inspections/{iid}/dossier"), 201)
    assert (dossier["hits"]["count"], dossier["hits"]["amount"]) == (4, "117.50")
    by_rule = {r["rule"]: r for r in dossier["hits"]["by_rule"]}
    assert by_rule["over_price"]["catalogue_codes"] == ["H02"] and by_rule["phantom_bed"]["states"] == {"confirmed": 1}
    assert dossier["focus_codes"] == ["H02", "H06"] and dossier["anomalies"][0]["kind"] == "institution_outlier"
    assert (await rig.ok(await rig.get(f"/inspections/{iid}/dossier")))["built_at"] == dossier["built_at"]

    evidence = await rig.ok(await rig.post(f"/inspections/{iid}/evidence", files=[
        ("evidence", ("现场.pdf", PDF, "application/pdf")), ("evidence", ("again.pdf", PDF, "application/pdf"))],
        data={"note": "病房巡查"}), 201)
    ev = evidence["added"]
    assert ev == [f"EV-{hashlib.sha256(PDF).hexdigest()[:16]}"]  # the same bytes twice are one file
    download = await rig.http.get(f"{PATH}/inspections/{iid}/evidence/{ev[0]}", headers=auth(T, "supervisor"))
    assert download.content == PDF and download.headers["x-content-sha256"] == hashlib.sha256(PDF).hexdigest()

    found = await rig.ok(await rig.post(f"/inspections/{iid}/findings", {"findings": [
        {"code": "H02", "amount": "37.50", "description": "床位费超标准收费", "evidence_ids": ev},
        {"code": "I06", "amount": "1200", "description": SECRET_NOTE}]}), 201)
    assert [f["finding_id"] for f in found["added"]] == [f"{iid}-F1", f"{iid}-F2"] and found["amount"] == "1237.50"
    checklist = await rig.ok(await rig.post(f"/inspections/{iid}/checklist", {
        "answers": [{"code": "H15", "answer": "not_applicable", "note": "无药品销售"}], "others": "checked"}))
    assert checklist["complete"] is True
    answers = {i["code"]: i["answer"] for i in checklist["items"]}
    assert (answers["H02"], answers["I06"], answers["H15"], answers["H01"]) == (
        "finding", "finding", "not_applicable", "checked")

    ended = await rig.ok(await rig.post(f"/inspections/{iid}/end", {"ended_on": "2024-06-07"}))
    assert (ended["state"], ended["due_on"], ended["overdue"]) == ("ended", "2024-06-10", False)
    report = await rig.ok(await rig.post(f"/inspections/{iid}/report", {"summary": f"调查报告：{SECRET_NOTE}"}), 201)
    assert (report["reported_on"], report["due_on"], report["overdue"], report["amount"], report["findings"]) == (
        "2024-06-10", "2024-06-10", False, "1237.50", 2)
    (event,) = await rig.events("inspection.reported")
    p = event.payload
    assert (p.inspection_id, p.institution_id, p.institution_kind, p.method, p.ended_on, p.due_on, p.overdue,
            p.amount) == (iid, target, "hospital", "double_random", "2024-06-07", "2024-06-10", False, "1237.50")
    assert [(f.code, f.amount) for f in p.findings] == [("H02", "37.50"), ("I06", "1200.00")]
    assert event.envelope.business_key == target and list(p.inspectors) == drawn["inspectors"]

    # The institution reads its own report; another institution, nothing of it.
    own = await rig.ok(await rig.get(f"/inspections/{iid}/report", role="institution", subject=target))
    assert own["institution_id"] == target and own["checklist"]["findings"] == ["H02", "I06"]
    assert error_of(await rig.get(f"/inspections/{iid}/report", role="institution", subject="KM-H999"), 404)
    assert (await rig.ok(await rig.get("/reports", role="institution", subject="KM-H999")))["count"] == 0
    assert (await rig.ok(await rig.get("/reports", role="institution", subject=target)))["count"] == 1
    assert (await rig.ok(await rig.get(f"/institutions/{target}/findings", role="institution",
                                       subject=target)))["amount"] == "1237.50"
    assert error_of(await rig.get(f"/institutions/{target}/findings", role="institution", subject="KM-P001"), 404)
    # Reported: it no longer changes.
    for path, body in ((f"/inspections/{iid}/findings", {"findings": [{"code": "H01", "amount": "1"}]}),
                       (f"/inspections/{iid}/report", {"summary": "again"}),
                       (f"/inspections/{iid}/checklist", {"others": "checked"})):
        assert error_of(await rig.post(path, body), 409)["code"] == "inspection_reported"
    coverage = await rig.ok(await rig.get("/coverage"))
    assert (coverage["done"], coverage["undone"], coverage["by_kind"]["hospital"]["done"]) == (1, 160, 1)
    assert next(r for r in coverage["institutions"] if r["institution_id"] == target)["inspections"] == [iid]

    await rig.audit.relay.relay_once()
    found_clear, docs = await scan_stores(rig.audit.store, ["audit"], [T], [SECRET_NOTE, "欧阳丽娟", "病房巡查"])
    assert docs > 0 and found_clear == []
    assert SECRET_NOTE in (await rig.ok(await rig.get(f"/inspections/{iid}")))["findings"][1]["description"]


async def test_a_pharmacys_late_report_is_flagged_overdue(rig: Rig) -> None:
    created = await rig.inspection(PHARMACY, method="undercover_visit", started_on="2024-06-07",
                                   ended_on="2024-06-08")
    iid = created["inspection_id"]
    assert (created["state"], created["due_on"], created["overdue"], created["days_late"]) == (
        "ended", "2024-06-09", True, 1)
    assert [i["inspection_id"] for i in (await rig.ok(await rig.get("/inspections", overdue="true")))[
        "inspections"]] == [iid]
    assert error_of(await rig.post(f"/inspections/{iid}/report", {"summary": "x"}), 422)["code"] == \
        "checklist_incomplete"
    await rig.ok(await rig.post(f"/inspections/{iid}/checklist", {"others": "checked"}))
    report = await rig.ok(await rig.post(f"/inspections/{iid}/report", {"summary": "无问题"}), 201)
    assert (report["overdue"], report["days_late"], report["amount"]) == (True, 1, "0.00")
    (event,) = await rig.events("inspection.reported")
    assert event.payload.overdue is True and event.payload.due_on == "2024-06-09"
    agency = await rig.inspection(AGENCY, method="audit", ended_on="2024-06-06")
    assert agency["due_on"] == "2024-06-09" and agency["checklist"]["total"] == 3


# ---- bad input writes nothing ---------------------------------------------------------------------------------


async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(rig: Rig) -> None:
    base = {"institution_id": HOSPITAL, "method": "daily_patrol", "team": TEAM, "started_on": "2024-06-05"}
    for body, code, field in [
        ({**base, "team": TEAM[:1]}, "team_too_small", "team"),
        ({**base, "team": [TEAM[0], TEAM[0]]}, "team_too_small", "team"),
        ({**base, "institution_id": "KM-H999"}, "unknown_institution", "institution_id"),
        ({**base, "method": "double_random"}, "draw_required", "draw_id"),
        ({**base, "method": "phone_call"}, "invalid_input", "method"),
        ({**base, "started_on": "2024-06-11"}, "date_in_future", "started_on"),
        ({**base, "ended_on": "2024-06-04"}, "ended_before_start", "ended_on"),
        ({**base, "draw_id": "DR-none", "method": "double_random"}, "unknown_draw", "draw_id"),
    ]:
        error = error_of(await rig.post("/inspections", body), 422)
        assert (error["code"], error["field"]) == (code, field), body
    assert await rig.count("sv_inspections") == 0

    iid = (await rig.inspection(PHARMACY))["inspection_id"]
    before = await rig.ok(await rig.get(f"/inspections/{iid}"))
    for body, code, field in [
        ({"findings": [{"amount": "10"}]}, "finding_code_required", "findings[0].code"),
        ({"findings": [{"code": "P01", "amount": "1"}, {"code": "H06", "amount": "1"}]}, "finding_code_invalid",
         "findings[1].code"),
        ({"findings": [{"code": "P01", "amount": "1.234"}]}, "invalid_amount", "findings[0].amount"),
        ({"findings": [{"code": "P01", "evidence_ids": ["EV-0000"]}]}, "unknown_evidence",
         "findings[0].evidence_ids[0]"),
        ({"findings": []}, "invalid_input", "findings"),
    ]:
        error = error_of(await rig.post(f"/inspections/{iid}/findings", body), 422)
        assert (error["code"], error["field"]) == (code, field), body
    for body, code, field in [
        ({"answers": [{"code": "H01", "answer": "checked"}]}, "checklist_code_invalid", "answers[0].code"),
        ({"answers": [{"code": "P01", "answer": "unsure"}]}, "invalid_input", "answers.0.answer"),
    ]:
        error = error_of(await rig.post(f"/inspections/{iid}/checklist", body), 422)
        assert (error["code"], error["field"]) == (code, field), body
    error = error_of(await rig.post(f"/inspections/{iid}/report", {"summary": "太早"}), 409)
    assert (error["code"], error["field"]) == ("inspection_not_ended", "ended_on")
    for body, code, field in [({"ended_on": "2024-06-04"}, "ended_before_start", "ended_on"),
                              ({"ended_on": "2024-06-11"}, "date_in_future", "ended_on")]:
        error = error_of(await rig.post(f"/inspections/{iid}/end", body), 422)
        assert (error["code"], error["field"]) == (code, field)
    for files, field in [([("evidence", ("x.pdf", b"MZ\x90\x00", "application/pdf"))], "evidence[0]"),
                         ([("evidence", ("x.png", PDF, "image/png"))], "evidence[0]"),
                         ([("photo", ("x.pdf", PDF, "application/pdf"))], "evidence[0]")]:
        error = error_of(await rig.post(f"/inspections/{iid}/evidence", files=files), 422)
        assert (error["code"], error["field"]) == ("evidence_not_accepted", field)
    assert (await rig.post(f"/inspections/{iid}/evidence", json={"x": 1})).status_code == 415
    assert await rig.ok(await rig.get(f"/inspections/{iid}")) == before
    assert await rig.count("sv_evidence") == 0

    for body, code, field in [
        ({"schedule": [{"institution_id": HOSPITAL, "month": "2024-05"}]}, "plan_incomplete", "schedule"),
        ({"term_from": "2024-11-20", "term_to": "2024-03-01"}, "term_reversed", "term_to"),
    ]:
        error = error_of(await rig.post("/coverage-plans", body), 422)
        assert (error["code"], error["field"]) == (code, field)
    for body, code, field in [
        ({"institutions": 2, "inspectors": 1, "inspector_pool": ["a", "b"]}, "team_too_small", "inspectors"),
        ({"institutions": 2, "inspectors": 2, "inspector_pool": ["a"]}, "pool_too_small", "inspectors"),
        ({"kind": "agency", "institutions": 2, "inspectors": 2, "inspector_pool": ["a", "b"]}, "pool_too_small",
         "institutions"),
        ({"institutions": 1, "inspectors": 2, "inspector_pool": ["a", "b"], "institution_pool": ["KM-X001"]},
         "unknown_institution", "institution_pool[0]"),
        ({"kind": "pharmacy", "institutions": 1, "inspectors": 2, "inspector_pool": ["a", "b"],
          "institution_pool": [HOSPITAL]}, "institution_not_of_kind", "institution_pool[0]"),
        ({"institutions": 1, "inspectors": 2, "inspector_pool": ["a", "b"], "seed": "a b"}, "invalid_input", "seed"),
    ]:
        error = error_of(await rig.post("/draws", body), 422)
        assert (error["code"], error["field"]) == (code, field), body
    assert await rig.count("sv_coverage_plans") == 0 and await rig.count("sv_draws") == 0
    # The draw's own rules on the inspection carrying it out.
    drawn = await rig.ok(await rig.post("/draws", {"kind": "pharmacy", "institutions": 1, "inspectors": 2,
                                                   "inspector_pool": ["a", "b", "c"], "seed": "s1"}), 201)
    other = next(f"KM-P{n:03d}" for n in range(1, 144) if f"KM-P{n:03d}" not in drawn["institutions"])
    chosen = [{"inspector_id": i} for i in drawn["inspectors"]]
    for body, code, field in [
        ({**base, "institution_id": other, "method": "double_random", "draw_id": drawn["draw_id"], "team": chosen},
         "institution_not_drawn", "institution_id"),
        ({**base, "institution_id": drawn["institutions"][0], "method": "double_random",
          "draw_id": drawn["draw_id"], "team": [chosen[0], {"inspector_id": "zz"}]}, "inspector_not_drawn",
         "team[1].inspector_id"),
        ({**base, "institution_id": drawn["institutions"][0], "draw_id": drawn["draw_id"], "team": chosen},
         "draw_method_mismatch", "method"),
    ]:
        error = error_of(await rig.post("/inspections", body), 422)
        assert (error["code"], error["field"]) == (code, field), body
    assert await rig.count("sv_inspections") == 1


# ---- roles and tenants ------------------------------------------------------------------------------------------


async def test_roles_are_refused(rig: Rig) -> None:
    iid = (await rig.inspection())["inspection_id"]
    body = {"institution_id": HOSPITAL, "method": "daily_patrol", "team": TEAM, "started_on": "2024-06-05"}
    for role in ("supervisor", "clerk", "reviewer", "finance", "institution", "ops"):
        assert error_of(await rig.post("/inspections", body, role=role), 403)["code"] == "forbidden"
        assert (await rig.post(f"/inspections/{iid}/end", {"ended_on": "2024-06-06"}, role=role)).status_code == 403
        assert (await rig.post(f"/inspections/{iid}/evidence", files=[
            ("evidence", ("x.pdf", PDF, "application/pdf"))], role=role)).status_code == 403
    for role in ("clerk", "reviewer", "finance", "institution", "ops"):
        assert (await rig.post("/coverage-plans", {}, role=role)).status_code == 403
        assert (await rig.post("/draws", {"institutions": 1, "inspectors": 2, "inspector_pool": ["a", "b"]},
                               role=role)).status_code == 403
    for role in ("clerk", "reviewer", "finance", "institution"):
        assert (await rig.get("/inspections", role=role)).status_code == 403
        assert (await rig.get(f"/inspections/{iid}", role=role)).status_code == 403
        assert (await rig.get("/coverage", role=role)).status_code == 403
    for role in ("supervisor", "ops"):
        assert (await rig.get(f"/inspections/{iid}", role=role)).status_code == 200
    assert (await rig.post("/coverage-plans", {}, role="supervisor")).status_code == 201


async def test_a_tenant_outside_the_program_gets_404_before_its_body_is_read(rig: Rig) -> None:
    iid = (await rig.inspection())["inspection_id"]
    for method, path, kw in [
        ("GET", "/institutions", {}), ("GET", f"/institutions/{HOSPITAL}/findings", {}),
        ("POST", "/coverage-plans", {"content": b"{not json"}), ("GET", "/coverage-plans", {}),
        ("GET", "/coverage", {}), ("POST", "/draws", {"content": b"\xff"}), ("GET", "/draws", {}),
        ("POST", "/inspections", {"json": {"institution_id": HOSPITAL}}), ("GET", "/inspections", {}),
        ("GET", f"/inspections/{iid}", {}), ("POST", f"/inspections/{iid}/dossier", {}),
        ("POST", f"/inspections/{iid}/checklist", {"content": b"["}),
        ("POST", f"/inspections/{iid}/evidence", {"files": [("evidence", ("x.pdf", PDF, "application/pdf"))]}),
        ("POST", f"/inspections/{iid}/findings", {"json": {}}), ("POST", f"/inspections/{iid}/end", {"json": {}}),
        ("POST", f"/inspections/{iid}/report", {"json": {}}), ("GET", f"/inspections/{iid}/report", {}),
        ("GET", "/reports", {}),
    ]:
        for role in ("inspector", "supervisor", "institution"):
            r = await rig.http.request(method, f"{PATH}{path}", headers=auth(OUTSIDER, role), **kw)
            assert error_of(r, 404)["code"] == "not_found", (method, path, role)
    assert await rig.count("sv_inspections", OUTSIDER) == 0
    # km-sv's own inspection is untouched, and a missing one answers the same 404.
    assert error_of(await rig.get("/inspections/INS-0000"), 404)["code"] == "not_found"
    assert error_of(await rig.post("/inspections/INS-0000/evidence", files=[
        ("evidence", ("x.pdf", PDF, "application/pdf"))]), 404)["code"] == "not_found"
