"""The one registry of designated institutions (定点协议管理) at appraisal's door, on the in-memory adapters: an
application with its documents → document review → on-site acceptance → expert review → agreement (designated) →
renewal; steps out of order and after a failure refused with stable codes; suspension, resumption and termination
(the agency supervisor across its program's lots); a violation interview with its minutes' checksum; the one file
per institution (一机构一档); the fast import; roles; an institution reading its own only; wz-a against wz-b, and
a tenant of another program (hz-p1) keeping a registry of its own; bad input writing nothing and publishing nothing;
the contact and the files sealed at rest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.events import Event, decode, topic_for
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from services.appraisal.main import SPEC
from tests.conftest import auth
from tests.support.pii_scan import scan_stores

TENANTS = ("wz-a", "wz-b", "wz-c", "hz-p1")
BUSINESS_DATE = "2026-11-30"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CONTACT_NAME, CONTACT_PHONE = "欧阳丽娟", "13698765432"
LICENCE = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8 + f"执业许可证 负责人 {CONTACT_NAME}".encode()
MINUTES = b"%PDF-1.4\n" + "约谈记录 出席 司马相如".encode() + b"\n%%EOF\n"
INST = "WZB-C001"
PATH = "/v1/institutions"


def particulars(iid: str = INST, **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"institution_id": iid, "kind": "care", "name": "龙湾颐养院", "district": "330303",
                           "modes": ["institutional", "home_visit"], "beds": 120,
                           "staff": {"nurses": 12, "caregivers": 40, "doctors": 2},
                           "contact": {"name": CONTACT_NAME, "phone": CONTACT_PHONE}}
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


def application_form(body: dict[str, Any] | None = None,
                     licence: tuple[str, bytes, str] | None = ("许可证.png", LICENCE, "image/png"),
                     **files: tuple[str, bytes, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"institution": (None, json.dumps(body or particulars(), ensure_ascii=False))}
    if licence:
        out["licence"] = licence
    out.update(files)
    return out


def imported(iid: str, district: str = "330303", valid_from: str = "2026-01-01", valid_to: str = "2028-12-31",
             **changes: Any) -> dict[str, Any]:
    return {**particulars(iid, district=district, **changes), "agreement": {"valid_from": valid_from,
                                                                            "valid_to": valid_to}}


class Rig:
    def __init__(self, host: ServiceHost, http: httpx.AsyncClient) -> None:
        self.host, self.http = host, http

    async def apply(self, tenant: str = "wz-b", role: str = "clerk", subject: str = "clerk-1",
                    **kw: Any) -> httpx.Response:
        return await self.http.post(PATH, files=application_form(**kw), headers=auth(tenant, role, subject))

    async def post(self, path: str, tenant: str = "wz-b", role: str = "reviewer", subject: str = "rev-1",
                   program: str = "", params: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        return await self.http.post(f"{PATH}{path}", headers=auth(tenant, role, subject, program), params=params,
                                    **kw)

    async def step(self, iid: str, step: str, outcome: str = "pass", tenant: str = "wz-b", role: str = "reviewer",
                   **extra: Any) -> httpx.Response:
        if step == "expert_reviewed":
            extra.setdefault("experts", ["EXP-01", "EXP-02", "EXP-03"])
        return await self.post(f"/{iid}/steps", tenant, role, json={"step": step, "outcome": outcome, **extra})

    async def get(self, path: str = "", tenant: str = "wz-b", role: str = "clerk", subject: str = "clerk-1",
                  program: str = "", params: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.get(f"{PATH}{path}", params=params, headers=auth(tenant, role, subject, program))

    async def file(self, iid: str = INST, tenant: str = "wz-b") -> dict[str, Any]:
        r = await self.get(f"/{iid}/file", tenant)
        assert r.status_code == 200, r.text
        return r.json()

    async def designated(self, iid: str = INST, tenant: str = "wz-b", district: str = "330303") -> None:
        r = await self.post("/import", tenant, "ops", json=[imported(iid, district)])
        assert r.status_code == 201, r.text

    async def events(self, tenant: str, event_type: str = "institution.changed") -> list[Event]:
        await self.host.relay.relay_once()
        return [decode(m.value) for m in self.host.bus.messages(topic_for(tenant, event_type))]  # type: ignore[attr-defined]

    async def count(self, tenant: str, collection: str) -> int:
        return len(await self.host.store.database("appraisal", tenant)[collection].find({}).to_list(None))


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", BUSINESS_DATE)
    settings = Settings(service="appraisal", tenants=TENANTS, data_dir=str(tmp_path))
    host = ServiceHost(SPEC, settings, MemoryBus(), MemoryStore())
    parts = SPEC.build(host.context)
    app = parts.app
    # What ServiceHost.start gives the app: the tenants served and how a door's TenantScope opens a database.
    app.state.tenants, app.state.open_db, app.state.verifier = frozenset(TENANTS), host.context.db, host.verifier
    await host.bus.ensure_topics(host.topics())
    assert parts.on_start is not None
    await parts.on_start()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://appraisal") as http:
        yield Rig(host, http)


def error_of(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()["error"]


# ---- the happy path ---------------------------------------------------------------------------------------------


async def test_the_whole_chain_to_designated_then_renewed_with_its_file(rig: Rig) -> None:
    # The institution applies for itself (its token's subject is its id), with its licence and floor plan.
    r = await rig.apply(role="institution", subject=INST, floor_plan=("plan.pdf", PDF, "application/pdf"))
    assert r.status_code == 201, r.text
    app = r.json()
    assert (app["status"], app["next_step"], app["tenant"], app["round"]) == ("applied", "documents_reviewed",
                                                                               "wz-b", 1)
    assert app["contact"] == {"name": CONTACT_NAME, "phone": CONTACT_PHONE} and app["modes"] == [
        "institutional", "home_visit"]
    docs = {d["kind"]: d for d in app["applications"][0]["documents"]}
    assert docs["licence"]["sha256"] == hashlib.sha256(LICENCE).hexdigest() and docs["floor_plan"]["size"] == len(PDF)

    # 资料审核 by a clerk (the window), 现场验收 with evidence (multipart), 专家评审 by a panel of three.
    assert (await rig.step(INST, "documents_reviewed", role="clerk")).status_code == 200
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * 16
    r = await rig.post(f"/{INST}/steps", files={
        "step": (None, json.dumps({"step": "accepted_on_site", "outcome": "pass", "note": "床位与申报一致"})),
        "evidence": ("site.jpg", photo, "image/jpeg")})
    assert r.status_code == 200, r.text
    r = await rig.step(INST, "expert_reviewed", experts=["EXP-01", "EXP-02", "EXP-03", "EXP-02"])
    assert r.status_code == 200 and r.json()["status"] == "expert_reviewed" and r.json()["next_step"] is None

    # 签订协议: designated, in force today (2026-11-30).
    r = await rig.post(f"/{INST}/agreement", json={"valid_from": "2026-01-01", "valid_to": "2028-12-31"})
    assert r.status_code == 200, r.text
    one = (await rig.get(f"/{INST}", role="finance")).json()
    assert (one["status"], one["step"], one["in_force"]) == ("designated", "designated", True)
    assert one["agreement"] == {"agreement_id": f"{INST}-A1", "kind": "initial", "valid_from": "2026-01-01",
                                "valid_to": "2028-12-31"}

    # 续签: a term that overlaps is refused (the field named), the next one kept beside the first.
    over = await rig.post(f"/{INST}/agreement", json={"valid_from": "2028-06-01", "valid_to": "2029-12-31"})
    assert (error_of(over, 422)["code"], over.json()["error"]["field"]) == ("agreement_overlaps", "valid_from")
    r = await rig.post(f"/{INST}/agreement", json={"valid_from": "2029-01-01", "valid_to": "2031-12-31"})
    assert r.status_code == 200 and r.json()["step"] == "renewed"

    # 一机构一档: the application, every step (experts, evidence), both terms, the history in order.
    f = await rig.file()
    assert [s["step"] for s in f["steps"]] == ["documents_reviewed", "accepted_on_site", "expert_reviewed"]
    assert f["steps"][0]["by"] == "clerk:rev-1" and f["steps"][1]["by"] == "reviewer:rev-1"
    assert f["steps"][1]["evidence"][0]["sha256"] == hashlib.sha256(photo).hexdigest()
    assert f["steps"][2]["experts"] == ["EXP-01", "EXP-02", "EXP-03"]
    assert [(a["kind"], a["valid_from"]) for a in f["agreements"]] == [("initial", "2026-01-01"),
                                                                      ("renewal", "2029-01-01")]
    assert [h["code"] for h in f["history"]] == ["applied", "step_passed", "step_passed", "step_passed",
                                                 "designated", "renewed"]
    assert f["history"][0]["by"] == f"institution:{INST}" and f["version"] == 6

    # Every change published institution.changed, in order; the last carries both terms.
    changed = [e.payload for e in await rig.events("wz-b")]
    assert [e.step for e in changed] == ["applied", "documents_reviewed", "accepted_on_site", "expert_reviewed",
                                         "designated", "renewed"]
    last = changed[-1]
    assert (last.institution_id, last.kind, last.status, last.district, list(last.modes)) == (
        INST, "care", "designated", "330303", ["institutional", "home_visit"])
    assert (last.agreement_from, last.agreement_to, last.version) == ("2026-01-01", "2028-12-31", 6)
    assert [(t.start, t.end) for t in last.terms] == [("2026-01-01", "2028-12-31"), ("2029-01-01", "2031-12-31")]
    assert changed[1].outcome == "pass" and changed[4].effective_on == "2026-01-01"

    # The documents' bytes, as handed in, with their checksum.
    d = await rig.get(f"/{INST}/documents/{docs['licence']['document_id']}", role="institution", subject=INST)
    assert d.status_code == 200 and d.content == LICENCE
    assert d.headers["x-content-sha256"] == docs["licence"]["sha256"]
    evidence = f["steps"][1]["evidence"][0]["document_id"]
    assert (await rig.get(f"/{INST}/documents/{evidence}", role="inspector")).content == photo


async def test_steps_out_of_order_or_after_a_failure_are_refused(rig: Rig) -> None:
    assert (await rig.apply(body=particulars("WZB-C002"))).status_code == 201
    early = await rig.step("WZB-C002", "accepted_on_site")
    assert error_of(early, 409)["code"] == "step_out_of_order"
    assert early.json()["error"]["params"] == {"expected": "documents_reviewed", "step": "accepted_on_site"}
    assert error_of(await rig.post("/WZB-C002/agreement", json={"valid_from": "2026-01-01",
                                                                "valid_to": "2026-12-31"}), 409)["code"] == (
        "steps_incomplete")
    # A failure says why; then it rejects the application, and nothing follows.
    assert error_of(await rig.step("WZB-C002", "documents_reviewed", "fail"), 422)["field"] == "note"
    r = await rig.step("WZB-C002", "documents_reviewed", "fail", note="许可证过期")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    for step in ("documents_reviewed", "accepted_on_site"):
        assert error_of(await rig.step("WZB-C002", step), 409)["code"] == "application_rejected"
    assert error_of(await rig.post("/WZB-C002/agreement", json={"valid_from": "2026-01-01",
                                                                "valid_to": "2026-12-31"}), 409)["code"] == (
        "application_rejected")
    events = [e.payload for e in await rig.events("wz-b")]
    assert [(e.step, e.status, e.outcome, e.reason) for e in events][-1] == ("documents_reviewed", "rejected",
                                                                             "fail", "许可证过期")
    # A rejected institution applies again: a new round, its first round kept in the file.
    again = await rig.apply(body=particulars("WZB-C002"))
    assert again.status_code == 201 and again.json()["round"] == 2 and len(again.json()["applications"]) == 2
    assert error_of(await rig.apply(body=particulars("WZB-C002")), 409)["code"] == "institution_exists"

    # The expert review names its panel (three at least, SAMPLE); a clerk records the document review only.
    assert (await rig.apply(body=particulars("WZB-C003"))).status_code == 201
    assert (await rig.step("WZB-C003", "documents_reviewed")).status_code == 200
    assert error_of(await rig.step("WZB-C003", "accepted_on_site", role="clerk"), 403)["code"] == "step_not_for_role"
    assert (await rig.step("WZB-C003", "accepted_on_site")).status_code == 200
    two = await rig.step("WZB-C003", "expert_reviewed", experts=["EXP-01", "EXP-02"])
    assert (error_of(two, 422)["code"], two.json()["error"]["params"]) == ("too_few_experts", {"minimum": "3"})
    assert (await rig.file("WZB-C003"))["status"] == "accepted_on_site"


async def test_suspension_resumption_and_termination_with_the_supervisor_across_lots(rig: Rig) -> None:
    await rig.designated("WZB-C010")
    assert error_of(await rig.post("/WZB-C010/resumption", json={}), 409)["code"] == "not_suspended"
    out = await rig.post("/WZB-C010/suspension", json={"reason": "虚记服务", "from": "2025-12-01"})
    assert (error_of(out, 422)["code"], out.json()["error"]["field"]) == ("date_outside_term", "from")
    r = await rig.post("/WZB-C010/suspension", json={"reason": "虚记服务", "from": "2026-11-01"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["in_force"]) == ("suspended", False)
    assert r.json()["suspended_from"] == "2026-11-01"
    again = await rig.post("/WZB-C010/suspension", json={"reason": "again", "from": "2026-11-02"})
    assert error_of(again, 409)["code"] == "already_suspended"
    early = await rig.post("/WZB-C010/resumption", json={"on": "2026-11-01"})
    assert error_of(early, 422)["code"] == "resumption_before_suspension"
    r = await rig.post("/WZB-C010/resumption", json={"on": "2026-11-20", "note": "整改完成"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["in_force"]) == ("designated", True)

    # The agency supervisor (wz-ltc's, its token of lot A) terminates lot B's agreement, naming the lot.
    agency = {"tenant": "wz-a", "role": "supervisor", "subject": "agency-1", "program": "wz-ltc"}
    r = await rig.post("/WZB-C010/termination", params={"tenant": "wz-b"}, json={"reason": "拒不整改",
                                                                                  "on": "2026-12-01"}, **agency)
    assert r.status_code == 200 and r.json()["status"] == "terminated" and r.json()["tenant"] == "wz-b"
    for path, body in (("termination", {"reason": "x", "on": "2026-12-02"}), ("resumption", {}),
                       ("suspension", {"reason": "x", "from": "2026-12-02"})):
        assert error_of(await rig.post(f"/WZB-C010/{path}", json=body), 409)["code"] == "institution_terminated"
    # A supervisor without the program claim, or another program's, reaches lot B's no more than a stranger.
    for who in ({"tenant": "wz-a", "role": "supervisor"},
                {"tenant": "hz-p1", "role": "supervisor", "program": "hz-chronic"}):
        r = await rig.post("/WZB-C010/suspension", params={"tenant": "wz-b"}, json={"reason": "x",
                                                                                    "from": "2026-11-01"}, **who)
        assert error_of(r, 404)["code"] == "not_found"

    events = [e.payload for e in await rig.events("wz-b")]
    assert [e.step for e in events] == ["migrated", "suspended", "resumed", "terminated"]
    assert events[1].reason == "虚记服务" and events[1].effective_on == "2026-11-01"
    last = events[-1]
    assert (last.terminated_on, [(t.start, t.end) for t in last.terms]) == ("2026-12-01",
                                                                           [("2026-01-01", "2026-11-30")])
    assert [(s.start, s.end) for s in last.suspensions] == [("2026-11-01", "2026-11-19")]
    f = await rig.file("WZB-C010")
    assert f["terminations"][0]["by"] == "supervisor:agency-1" and f["suspensions"][0]["ended_by"] == "resumption"


async def test_a_violation_interview_keeps_its_minutes_checksum(rig: Rig) -> None:
    await rig.designated("WZB-C011")
    body = {"held_on": "2026-11-28", "attendees": ["司马相如", "卓文君"], "violations": ["V03", "超计划服务"],
            "outcome": "rectification", "rectify_by": "2026-12-31", "note": "限期整改"}
    r = await rig.post("/WZB-C011/interviews", role="inspector", subject="ins-1", files={
        "interview": (None, json.dumps(body, ensure_ascii=False)), "minutes": ("约谈记录.pdf", MINUTES,
                                                                              "application/pdf")})
    assert r.status_code == 201, r.text
    held = r.json()["interview"]
    sha = hashlib.sha256(MINUTES).hexdigest()
    assert held["minutes"]["sha256"] == sha and held["attendees"] == ["司马相如", "卓文君"]
    assert (held["interview_id"], held["outcome"], r.json()["status"]) == ("WZB-C011-V1", "rectification",
                                                                         "designated")
    [event] = [e.payload for e in await rig.events("wz-b", "institution.interviewed")]
    assert (event.institution_id, event.interview_id, event.minutes_sha256, list(event.violations)) == (
        "WZB-C011", "WZB-C011-V1", sha, ["V03", "超计划服务"])
    f = await rig.file("WZB-C011")
    assert f["interviews"][0]["minutes"]["sha256"] == sha and f["history"][-1]["code"] == "interviewed"
    d = await rig.get(f"/WZB-C011/documents/{held['minutes']['document_id']}", role="supervisor")
    assert d.content == MINUTES and d.headers["x-content-sha256"] == sha

    # Bad interviews write nothing: no minutes, minutes that are not what they say, a day after today.
    def form(minutes: tuple[str, bytes, str] | None, **changes: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"interview": (None, json.dumps({**body, **changes}, ensure_ascii=False))}
        if minutes:
            out["minutes"] = minutes
        return out

    for files, code, field in (
            (form(None), "documents_missing", "documents.minutes"),
            (form(("m.pdf", b"MZ\x90\x00", "application/pdf")), "document_not_accepted", "documents.minutes"),
            (form(("m.pdf", MINUTES, "application/pdf"), held_on="2026-12-01"), "held_on_in_future", "held_on"),
            (form(("m.pdf", MINUTES, "application/pdf"), outcome="fine"), "invalid_input", "interview.outcome"),
            (form(("m.pdf", MINUTES, "application/pdf"), attendees=[]), "invalid_input", "interview.attendees")):
        error = error_of(await rig.post("/WZB-C011/interviews", role="inspector", files=files), 422)
        assert (error["code"], error["field"]) == (code, field)
    assert len((await rig.file("WZB-C011"))["interviews"]) == 1
    assert len(await rig.events("wz-b", "institution.interviewed")) == 1
    # Not designated: nothing to interview about.
    assert (await rig.apply(body=particulars("WZB-C012"))).status_code == 201
    r = await rig.post("/WZB-C012/interviews", role="reviewer", files=form(("m.pdf", MINUTES, "application/pdf")))
    assert error_of(r, 409)["code"] == "not_designated"


# ---- who may do what, and whose -------------------------------------------------------------------------------


async def test_roles(rig: Rig) -> None:
    await rig.designated()
    refused = [
        (await rig.apply(role="inspector")),
        (await rig.apply(role="applicant", subject="330303194503150014")),
        (await rig.step(INST, "documents_reviewed", role="institution")),
        (await rig.step(INST, "documents_reviewed", role="inspector")),
        (await rig.post(f"/{INST}/agreement", role="clerk", json={"valid_from": "2029-01-01",
                                                                  "valid_to": "2029-12-31"})),
        (await rig.post(f"/{INST}/agreement", role="supervisor", program="wz-ltc",
                        json={"valid_from": "2029-01-01", "valid_to": "2029-12-31"})),
        (await rig.post(f"/{INST}/suspension", role="inspector", json={"reason": "x", "from": "2026-11-01"})),
        (await rig.post(f"/{INST}/termination", role="institution", subject=INST,
                        json={"reason": "x", "on": "2026-11-01"})),
        (await rig.post(f"/{INST}/interviews", role="clerk", files={"interview": (None, "{}")})),
        (await rig.post("/import", role="finance", json=[imported("WZB-C099")])),
        (await rig.get(f"/{INST}", role="applicant")),
        (await rig.get(f"/{INST}/file", role="expert")),
        (await rig.get("", role="applicant")),
    ]
    for r in refused:
        assert error_of(r, 403)["code"] == "forbidden"
    for role in ("clerk", "reviewer", "inspector", "supervisor", "ops", "finance"):
        assert (await rig.get(f"/{INST}/file", role=role)).status_code == 200, role
    assert (await rig.http.get(f"{PATH}/{INST}")).status_code == 401


async def test_an_institution_reads_its_own_only(rig: Rig) -> None:
    r = await rig.apply(role="institution", subject=INST)
    licence = r.json()["applications"][0]["documents"][0]["document_id"]
    assert (await rig.apply(body=particulars("WZB-C002"))).status_code == 201
    mine = {"role": "institution", "subject": INST}
    assert (await rig.get(f"/{INST}", **mine)).status_code == 200
    assert (await rig.get(f"/{INST}/file", **mine)).status_code == 200
    listed = (await rig.get("", **mine)).json()["institutions"]
    assert [i["institution_id"] for i in listed] == [INST]
    assert len((await rig.get("")).json()["institutions"]) == 2
    other = {"role": "institution", "subject": "WZB-C002"}
    for path in (f"/{INST}", f"/{INST}/file", f"/{INST}/documents/{licence}"):
        assert error_of(await rig.get(path, **other), 404)["code"] == "not_found"
    # Nor does it apply for another.
    r = await rig.apply(role="institution", subject="WZB-C002", body=particulars("WZB-C005"))
    assert (error_of(r, 422)["code"], r.json()["error"]["field"]) == ("not_own_institution",
                                                                     "institution.institution_id")
    assert error_of(await rig.get("/WZB-C005"), 404)["code"] == "not_found"


async def test_lots_keep_their_registries_apart_and_the_agency_reads_across(rig: Rig) -> None:
    await rig.designated()
    for role in ("clerk", "reviewer"):
        assert error_of(await rig.get(f"/{INST}", "wz-a", role), 404)["code"] == "not_found"
        assert error_of(await rig.get(f"/{INST}", "wz-a", role, params={"tenant": "wz-b"}), 404)["code"] == "not_found"
    assert error_of(await rig.step(INST, "documents_reviewed", tenant="wz-a"), 404)["code"] == "not_found"
    assert error_of(await rig.post(f"/{INST}/suspension", "wz-a", json={"reason": "x", "from": "2026-11-01"}),
                    404)["code"] == "not_found"
    assert (await rig.get("", "wz-a")).json()["institutions"] == []
    # The same id in another lot is another institution (each lot its own registry).
    await rig.designated(INST, "wz-a", district="330302")
    assert (await rig.get(f"/{INST}", "wz-a")).json()["district"] == "330302"

    agency = {"role": "supervisor", "subject": "agency-1", "program": "wz-ltc"}
    rows = (await rig.get("", "wz-c", **agency)).json()["institutions"]
    assert sorted((i["tenant"], i["institution_id"]) for i in rows) == [("wz-a", INST), ("wz-b", INST)]
    assert (await rig.get(f"/{INST}/file", "wz-c", params={"tenant": "wz-b"}, **agency)).json()["district"] == "330303"
    # Hanzhong's carrier (another program) keeps a registry of its own: a hospital; wz-b sees none of it.
    r = await rig.post("/import", "hz-p1", "clerk", json={"institutions": [
        imported("H610702001", district="610702", kind="hospital", modes=[], name="汉中市中心医院")]})
    assert r.status_code == 201 and r.json()["imported"] == ["H610702001"]
    assert (await rig.get("/H610702001", "hz-p1", "finance")).json()["kind"] == "hospital"
    assert error_of(await rig.get("/H610702001", "wz-b"), 404)["code"] == "not_found"
    hz = {"role": "supervisor", "program": "hz-chronic"}
    assert error_of(await rig.get(f"/{INST}", "hz-p1", params={"tenant": "wz-b"}, **hz), 404)["code"] == "not_found"
    assert [i["institution_id"] for i in (await rig.get("", "hz-p1", **hz)).json()["institutions"]] == [
        "H610702001"]


# ---- the fast import ----------------------------------------------------------------------------------------


async def test_the_import_designates_each_and_publishes_once(rig: Rig) -> None:
    items = [imported(f"WZC-C{n:03d}", district="330304" if n % 2 else "330327",
                      modes=["home_visit"] if n % 3 else ["institutional"]) for n in range(1, 41)]
    items[5].pop("contact")  # migration data may lack a contact
    r = await rig.post("/import", "wz-c", "ops", json={"institutions": items})
    assert r.status_code == 201 and r.json()["count"] == 40
    events = [e.payload for e in await rig.events("wz-c")]
    assert len(events) == 40 and {(e.step, e.status) for e in events} == {("migrated", "designated")}
    assert events[0].agreement_from == "2026-01-01" and events[0].agreement_to == "2028-12-31"
    listed = (await rig.get("", "wz-c", params={"status": "designated", "kind": "care", "limit": 100})).json()
    assert listed["count"] == 40 and all(i["in_force"] for i in listed["institutions"])
    assert (await rig.get("", "wz-c", params={"district": "330327"})).json()["count"] == 20
    f = await rig.file("WZC-C001", "wz-c")
    assert f["steps"][0]["step"] == "migrated" and f["agreements"][0]["kind"] == "migrated"
    # Again: already registered, left as they are, nothing published.
    again = await rig.post("/import", "wz-c", "ops", json=items[:3])
    assert again.status_code == 200 and again.json()["already_registered"] == ["WZC-C001", "WZC-C002", "WZC-C003"]
    assert len(await rig.events("wz-c")) == 40


# ---- bad input writes nothing ---------------------------------------------------------------------------------


async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(rig: Rig) -> None:
    bad_applications = [
        (dict(licence=None), "documents_missing", "documents.licence"),
        (dict(body=particulars(institution_id="wzb-c001")), "invalid_input", "institution.institution_id"),
        (dict(body=particulars(kind="nursing_home")), "invalid_input", "institution.kind"),
        (dict(body=particulars(modes=[])), "modes_required", "institution.modes"),
        (dict(body=particulars(kind="pharmacy")), "modes_not_for_kind", "institution.modes"),
        (dict(body=particulars(district="330302")), "district_not_in_lot", "institution.district"),  # 鹿城: lot A
        (dict(body=particulars(contact={"name": CONTACT_NAME, "phone": "12"})), "invalid_input",
         "institution.contact.phone"),
        (dict(body=particulars(beds=-1)), "invalid_input", "institution.beds"),
        (dict(licence=("l.png", PDF, "image/png")), "document_not_accepted", "documents.licence"),
        (dict(selfie=("s.png", LICENCE, "image/png")), "document_not_accepted", "documents.selfie"),
    ]
    for kw, code, field in bad_applications:
        error = error_of(await rig.apply(**kw), 422)
        assert (error["code"], error["field"]) == (code, field), kw
    no_json = await rig.http.post(PATH, files={"licence": ("l.png", LICENCE, "image/png")},
                                  headers=auth("wz-b", "clerk"))
    assert error_of(no_json, 422)["field"] == "institution"
    garbled = await rig.http.post(PATH, files={"institution": (None, "{not json"),
                                               "licence": ("l.png", LICENCE, "image/png")},
                                  headers=auth("wz-b", "clerk"))
    assert error_of(garbled, 422)["code"] == "invalid_json"
    assert error_of(await rig.http.post(PATH, json=particulars(), headers=auth("wz-b", "clerk")),
                    415)["code"] == "unsupported_media_type"
    assert await rig.count("wz-b", "institutions") == 0 and await rig.count("wz-b", "institution_documents") == 0
    assert await rig.events("wz-b") == []

    # A bad agreement term, a bad step body, a bad suspension: 422 naming the field, the file unchanged.
    await rig.designated()
    before = await rig.file()
    for path, body, code, field in (
            ("agreement", {"valid_from": "2029-01-01", "valid_to": "2032-01-01"}, "agreement_term_too_long",
             "valid_to"),
            ("agreement", {"valid_from": "2029-01-01", "valid_to": "2028-12-31"}, "invalid_input", "valid_to"),
            ("agreement", {"valid_from": "2029-02-30", "valid_to": "2029-12-31"}, "invalid_input", "valid_from"),
            ("steps", {"step": "inspected", "outcome": "pass"}, "invalid_input", "step"),
            ("steps", {"step": "documents_reviewed", "outcome": "maybe"}, "invalid_input", "outcome"),
            ("suspension", {"reason": " ", "from": "2026-11-01"}, "invalid_input", "reason"),
            ("termination", {"reason": "x"}, "invalid_input", "on")):
        error = error_of(await rig.post(f"/{INST}/{path}", json=body), 422)
        assert (error["code"], error["field"]) == (code, field), (path, body)
    assert await rig.file() == before and len(await rig.events("wz-b")) == 1

    # An import with one bad item stores none of them; an id listed twice is refused.
    for items, code, field in (
            ([imported("WZB-C100"), imported("WZB-C101", valid_to="2030-01-01")], "agreement_term_too_long",
             "institutions[1].agreement.valid_to"),
            ([imported("WZB-C100"), {**imported("WZB-C101"), "agreement": None}], "invalid_input",
             "institutions[1].agreement"),
            ([imported("WZB-C100"), imported("WZB-C100")], "duplicate_institution", "institutions[1].institution_id"),
            ([imported("WZB-C100"), imported("WZB-C102", district="330304")], "district_not_in_lot",
             "institutions[1].district")):
        error = error_of(await rig.post("/import", role="ops", json=items), 422)
        assert (error["code"], error["field"]) == (code, field)
    assert error_of(await rig.post("/import", role="ops", json=[]), 422)["field"] == "institutions"
    assert await rig.count("wz-b", "institutions") == 1 and len(await rig.events("wz-b")) == 1


async def test_the_contact_attendees_and_files_are_sealed_at_rest(rig: Rig) -> None:
    assert (await rig.apply()).status_code == 201
    await rig.designated("WZB-C011")
    r = await rig.post("/WZB-C011/interviews", role="inspector", files={
        "interview": (None, json.dumps({"held_on": "2026-11-28", "attendees": ["司马相如"], "violations": ["V01"],
                                        "outcome": "warning"}, ensure_ascii=False)),
        "minutes": ("约谈记录-司马相如.pdf", MINUTES, "application/pdf")})
    assert r.status_code == 201, r.text
    found, docs = await scan_stores(rig.host.store, ["appraisal"], ["wz-b"],
                                    [CONTACT_NAME, CONTACT_PHONE, "司马相如", "许可证"])
    assert docs >= 4 and found == []
    # ... while the doors answer them clear to a reader.
    f = await rig.file()
    assert f["contact"]["phone"] == CONTACT_PHONE and f["applications"][0]["documents"][0]["filename"] == "许可证.png"
