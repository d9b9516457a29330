"""Long-term care supervision (长护险监管巡查) at audit's door, on the in-memory adapters: the populations arrive as
events (designated institutions, disabled persons, a quarter's care services) → the written plan → the quarter's
sample meeting 20% and the year's pace, reproducible from its seed, re-planning only adding → a patrol of two
inspectors (one nursing) checking the sample and visiting every designated institution → attainment met, the
findings' suggestions shown, patrol.completed naming the persons checked; a one-inspector patrol and every other
broken rule refused with its code and field, nothing written; status surveys; the statistics (JSON and Excel); roles;
wz-a against wz-b; a tenant outside the program (hz-p1) 404; no identity number in clear at rest. A care service is
(institution, month, record id) — two institutions' `P0-01` are two services, sampled and checked apart."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.consumer import EventConsumer
from chassis.events import Event, decode, topic_for
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.audit.main import SPEC
from services.audit.patrols.domain.sampling import rank
from services.audit.patrols.domain.services import service_id
from tests.conftest import auth
from tests.support.pii_scan import scan_stores
from tests.unit.audit.builders import message, stored

TENANTS = ("wz-a", "wz-b", "hz-p1")
BUSINESS_DATE = "2026-11-30"
T = "wz-b"
PERSONS = ["330303194801020017", "330303195203040026", "33032619500607003X"]
OUTSIDER = "330303196001010011"  # never concluded disabled
TERM = events_pb2.InstitutionPeriod(start="2025-01-01", end="2027-12-31")
TEAM = [{"inspector_id": "insp-1", "background": "nursing", "degree": "college"},
        {"inspector_id": "insp-2", "background": "other", "degree": "bachelor"}]
SUPERVISOR = {"program": "wz-ltc"}


def institution(iid: str, status: str = "designated", **extra: Any) -> tuple[str, Any, str]:
    return "institution.changed", events_pb2.InstitutionChanged(
        institution_id=iid, kind="care", name=f"护理院{iid}", status=status, step=status, version=2,
        occurred_at="2025-01-02T09:00:00+08:00", terms=[TERM], **extra), iid


def concluded(n: int, person: str, eligible: bool = True) -> tuple[str, Any, str]:
    return "disability.concluded", events_pb2.DisabilityConcluded(
        assessment_id=f"as-{n}", application_id=f"app-{n}", person_id=person, grade=4, eligible=eligible,
        concluded_at="2025-01-15T10:00:00+08:00", round=1, kind="initial", scale_version="sample-2021"), person


def services(batch: str, iid: str, month: str, records: list[tuple[str, str, str]]) -> tuple[str, Any, str]:
    return "care_services.recorded", events_pb2.CareServicesRecorded(
        batch_id=batch, institution_id=iid, month=month, records=[
            events_pb2.CareServiceRecord(record_id=r, person_id=p, caregiver_id=f"cg-{iid}", date=d, items=["bath"],
                                         start="09:00", end="10:00", plan_id="plan-1") for r, p, d in records]), iid


C01 = [(f"r1-{i}", PERSONS[i % 2], f"2025-04-{i + 1:02d}") for i in range(6)]
C02 = [(f"r2-{i}", PERSONS[2], f"2025-05-{i + 1:02d}") for i in range(4)]
SERVICES = [*(service_id("C01", "2025-04", r) for r, _, _ in C01),
            *(service_id("C02", "2025-05", r) for r, _, _ in C02)]


class Rig:
    def __init__(self, host: ServiceHost, consumer: EventConsumer, http: httpx.AsyncClient) -> None:
        self.host, self.consumer, self.http = host, consumer, http

    async def feed(self, tenant: str, *specs: tuple[str, Any, str]) -> None:
        evs = [stored(t, p, tenant=tenant, key=k) for t, p, k in specs]
        await self.consumer.process_batch([message(e) for e in evs])

    async def post(self, path: str, body: dict[str, Any], tenant: str = T, role: str = "inspector",
                   subject: str = "insp-1", program: str = "") -> httpx.Response:
        return await self.http.post(f"/v1/ltc{path}", json=body, headers=auth(tenant, role, subject, program))

    async def get(self, path: str, tenant: str = T, role: str = "inspector", program: str = "",
                  **params: Any) -> httpx.Response:
        return await self.http.get(f"/v1/ltc{path}", params=params, headers=auth(tenant, role, "u1", program))

    async def events(self, tenant: str, event_type: str) -> list[Event]:
        await self.host.relay.relay_once()
        return [decode(m.value) for m in self.host.bus.messages(topic_for(tenant, event_type))]  # type: ignore[attr-defined]

    async def count(self, tenant: str, collection: str) -> int:
        return len(await self.host.store.database("audit", tenant)[collection].find({}).to_list(None))


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", BUSINESS_DATE)
    settings = Settings(service="audit", tenants=TENANTS, data_dir=str(tmp_path))
    host = ServiceHost(SPEC, settings, MemoryBus(), MemoryStore())
    parts = SPEC.build(host.context)
    app = parts.app
    app.state.tenants, app.state.open_db, app.state.verifier = frozenset(TENANTS), host.context.db, host.verifier
    await host.bus.ensure_topics(host.topics())
    assert parts.on_start is not None
    await parts.on_start()
    consumer = EventConsumer("audit", host.bus, host.store, TENANTS, parts.subscriptions,
                             batch_handler=parts.batch_handler)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit") as http:
        rig = Rig(host, consumer, http)
        await rig.feed(T, institution("C01"), institution("C02"),
                       institution("C03", "suspended", suspensions=[events_pb2.InstitutionPeriod(start="2025-03-01")]),
                       *(concluded(n, p) for n, p in enumerate(PERSONS)),
                       services("b1", "C01", "2025-04", C01), services("b2", "C02", "2025-05", C02))
        await rig.feed("wz-a", institution("A01"), services("a1", "A01", "2025-04", [("ra-1", PERSONS[0],
                                                                                       "2025-04-03")]))
        yield rig


def error_of(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()["error"]


def patrol(sample: list[str], **changes: Any) -> dict[str, Any]:
    return {"quarter": "2025-Q2", "date": "2025-06-18", "inspectors": TEAM, "institution_ids": ["C01", "C02"],
            "checked_record_ids": sample,
            "findings": [{"code": "overbilling", "institution_id": "C01",
                          "record_id": next((r for r in sample if r.startswith("C01:")), None),
                          "detail": "bathing billed twice"}], **changes}


PLAN = {"year": 2025, "title": "2025年B片区长护险监管巡查方案",
        "measures": "每季度抽查不少于20%; 每季度现场巡查全部定点机构",
        "quarters": [{"quarter": f"Q{n}", "sample_percent": 30 if n == 2 else 20, "survey_percent": 25}
                     for n in (1, 2, 3, 4)]}


# ---- the happy path ---------------------------------------------------------------------------------------------


async def test_events_in_sample_patrol_attainment_met(rig: Rig) -> None:
    before = (await rig.get("/patrols/attainment", quarter="2025-Q2")).json()
    assert (before["services"]["delivered"], before["services"]["required"], before["services"]["met"]) == (10, 2,
                                                                                                            False)
    assert before["institutions"]["missing"] == ["C01", "C02"] and before["institutions"]["required"] == 2
    assert (before["status_surveys"]["required"], before["status_surveys"]["missing_count"]) == (3, 3)

    # The written plan (the agency supervisor or an inspector), a new version each time.
    r = await rig.post("/patrol-plans", PLAN, role="supervisor", subject="sup-1", **SUPERVISOR)
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["quarters"][1]["sample_percent"]) == (1, 30)
    r = await rig.post("/patrol-plans", {**PLAN, "title": "修订"})
    assert r.status_code == 201 and r.json()["version"] == 2
    plans = (await rig.get("/patrol-plans", year=2025)).json()
    assert plans["current"]["title"] == "修订" and [v["version"] for v in plans["versions"]] == [1, 2]

    # The sample: the plan's 30% of the quarter's 10 (3), the year's pace half of the 10 known so far (5).
    r = await rig.post("/samples", {"quarter": "2025-Q2", "seed": "wzb-2025-q2"})
    assert r.status_code == 201, r.text
    planned = r.json()
    rnd = planned["round"]
    assert (rnd["own_required"], rnd["pace_required"], rnd["drawn"], rnd["drawn_quota"], rnd["percent"]) == (
        3, 5, 5, 3, 30)
    assert planned["seed"] == "wzb-2025-q2" and planned["size"] == 5 and "HMAC-SHA256" in planned["method"]
    expected = [r for _, r in sorted((rank("wzb-2025-q2", "2025-Q2", r), r) for r in SERVICES)][:5]
    got = (await rig.get("/samples", quarter="2025-Q2")).json()
    assert sorted(e["service_id"] for e in got["entries"]) == sorted(expected)
    assert all(e["service_id"] == service_id(e["institution_id"], e["month"], e["record_id"]) for e in got["entries"])
    assert all(not e["checked"] and e["person_id"] in PERSONS for e in got["entries"])
    # Re-planning adds nothing new; the seed is kept; another seed is refused.
    again = await rig.post("/samples", {"quarter": "2025-Q2"})
    assert again.status_code == 201 and again.json()["round"]["drawn"] == 0 and again.json()["size"] == 5
    assert error_of(await rig.post("/samples", {"quarter": "2025-Q2", "seed": "other"}), 409)["code"] == \
        "sample_seed_fixed"

    # The patrol: two inspectors (one nursing), every designated institution on site, the sample checked.
    r = await rig.post("/patrols", patrol(expected))
    assert r.status_code == 201, r.text
    done = r.json()
    assert done["persons_checked"] == len({e["person_id"] for e in got["entries"]})
    assert done["findings"][0]["suggestion"] and done["findings"][0]["name"] == "超标准、超频次或重复结算服务费用"
    assert done["suggestions"][0]["institution_id"] == "C01"
    assert [a["action"] for a in done["suggestions"][0]["actions"]] == ["recover", "interview"]
    assert (await rig.get(f"/patrols/{done['patrol_id']}")).json()["findings"][0]["detail"] == "bathing billed twice"

    after = (await rig.get("/patrols/attainment", quarter="2025-Q2")).json()
    assert (after["services"]["checked"], after["services"]["met"], after["services"]["shortfall"]) == (5, True, 0)
    assert after["services"]["plan_percent"] == 30 and after["services"]["selection_met"] is True
    assert (after["institutions"]["met"], after["institutions"]["missing"]) == (True, [])
    assert after["met"] is True
    assert (after["year_to_date"]["required"], after["year_to_date"]["done"], after["year_to_date"]["met"]) == (
        10, 5, False)
    assert after["year_to_date"]["pace"]["met"] is True
    flags = (await rig.get("/samples", quarter="2025-Q2")).json()
    assert flags["checked"] == 5 and all(e["checked"] and e["patrol_ids"] == [done["patrol_id"]]
                                         for e in flags["entries"])

    # patrol.completed names the persons of the services checked (the archive files it in each file).
    evs = await rig.events(T, "patrol.completed")
    assert len(evs) == 1
    p = evs[0].payload
    assert (p.patrol_id, p.quarter, p.date, list(p.findings)) == (done["patrol_id"], "2025-Q2", "2025-06-18",
                                                                  ["overbilling"])
    assert sorted(p.record_ids) == sorted(expected) and set(p.person_ids) <= set(PERSONS)
    assert list(p.inspectors) == ["insp-1", "insp-2"]

    # A later upload of the quarter: re-planning tops the sample up, never dropping what was checked.
    await rig.feed(T, services("b3", "C02", "2025-06", [(f"r3-{i}", PERSONS[2], f"2025-06-{i + 1:02d}")
                                                        for i in range(10)]))
    more = (await rig.post("/samples", {"quarter": "2025-Q2"})).json()
    assert more["round"]["own_required"] == 6 and more["round"]["pace_required"] == 10
    assert more["size"] == 10 and more["checked"] == 5

    # The statistics (巡查工作统计表), JSON and Excel.
    stats = (await rig.get("/patrols/statistics", year=2025)).json()
    lot = stats["lots"][0]
    assert lot["tenant"] == T and lot["quarters"][1]["checked"] == 5 and lot["patrols"] == 1
    assert lot["findings_by_code"] == {"overbilling": 1} and stats["total"]["year_delivered"] == 20
    xlsx = await rig.get("/patrols/statistics", year=2025, format="xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content))["巡查工作统计表"]
    assert [c.value for c in sheet[1]][:3] == ["片区", "季度", "护理服务数"]


async def test_two_institutions_same_record_ids_are_two_services_sampled_and_checked_apart(rig: Rig) -> None:
    # Settlement takes a record id as the institution's own within its month: C01 and C02 both send P0-01 and P0-02
    # for October, C01 P0-01 again for November, family care (no institution) a P0-01 of its own — six services.
    same = [("P0-01", PERSONS[0], "2025-10-02"), ("P0-02", PERSONS[1], "2025-10-03")]
    family = services("f1", "", "2025-10", [("P0-01", PERSONS[2], "2025-10-04")])
    await rig.feed(T, services("s1", "C01", "2025-10", same), services("s2", "C02", "2025-10", same),
                   services("s3", "C01", "2025-11", [("P0-01", PERSONS[0], "2025-11-02")]),
                   (family[0], family[1], "family"))
    q4 = (await rig.get("/patrols/attainment", quarter="2025-Q4")).json()
    assert (q4["services"]["delivered"], q4["year_to_date"]["delivered"]) == (6, 16)
    stats = (await rig.get("/patrols/statistics", year=2025)).json()["lots"][0]
    assert {i["institution_id"]: i["delivered"] for i in stats["by_institution"]} == {"C01": 9, "C02": 6,
                                                                                     "FAMILY": 1}

    # The fourth quarter's pace takes every service of the year: each of the four P0-01 is its own entry.
    r = await rig.post("/samples", {"quarter": "2025-Q4", "seed": "q4"})
    assert r.status_code == 201 and r.json()["size"] == 16, r.text
    entries = (await rig.get("/samples", quarter="2025-Q4")).json()["entries"]
    p001 = {e["service_id"]: (e["institution_id"], e["month"], e["person_id"]) for e in entries
            if e["record_id"] == "P0-01"}
    assert p001 == {"C01:2025-10:P0-01": ("C01", "2025-10", PERSONS[0]),
                    "C01:2025-11:P0-01": ("C01", "2025-11", PERSONS[0]),
                    "C02:2025-10:P0-01": ("C02", "2025-10", PERSONS[0]),
                    "FAMILY:2025-10:P0-01": ("FAMILY", "2025-10", PERSONS[2])}
    c02 = (await rig.get("/samples", quarter="2025-Q4", institution_id="C02")).json()["entries"]
    assert {e["service_id"] for e in c02} >= {"C02:2025-10:P0-01", "C02:2025-10:P0-02"}
    assert {e["institution_id"] for e in c02} == {"C02"}
    page = (await rig.get("/samples", quarter="2025-Q4", limit=3)).json()
    assert page["next_after"] == page["entries"][-1]["service_id"]
    rest = (await rig.get("/samples", quarter="2025-Q4", after=page["next_after"])).json()["entries"]
    assert [e["service_id"] for e in [*page["entries"], *rest]] == sorted(e["service_id"] for e in entries)

    # C01's P0-01 without its month names two services: refused, naming the months.
    body = {"quarter": "2025-Q4", "date": "2025-11-20", "inspectors": TEAM, "institution_ids": ["C02"],
            "checked_services": [{"institution_id": "C02", "record_id": "P0-01"},
                                 {"institution_id": "C01", "record_id": "P0-01"}]}
    e = error_of(await rig.post("/patrols", body), 422)
    assert (e["code"], e["field"], e["params"]) == ("service_ambiguous", "checked_services[1].month",
                                                    {"months": ["2025-10", "2025-11"]})
    assert await rig.count(T, "ltc_patrol_records") == 0

    # Checked: C02's P0-01 (by institution and record id), C01's November P0-01 (with its month), family care's by
    # service id; a finding on C02's P0-01 by its record id. C01's October P0-01 stays unchecked.
    body["checked_services"][1]["month"] = "2025-11"
    body["checked_record_ids"] = ["FAMILY:2025-10:P0-01"]
    body["findings"] = [{"code": "overbilling", "institution_id": "C02", "record_id": "P0-01"}]
    r = await rig.post("/patrols", body)
    assert r.status_code == 201, r.text
    done = r.json()
    checked = ["FAMILY:2025-10:P0-01", "C02:2025-10:P0-01", "C01:2025-11:P0-01"]
    assert done["checked_record_ids"] == checked and done["persons_checked"] == 2
    assert [(c["institution_id"], c["month"], c["record_id"]) for c in done["checked_services"]] == [
        ("FAMILY", "2025-10", "P0-01"), ("C02", "2025-10", "P0-01"), ("C01", "2025-11", "P0-01")]
    assert (done["findings"][0]["record_id"], done["findings"][0]["service_id"]) == ("P0-01", "C02:2025-10:P0-01")
    flags = {e["service_id"]: e["checked"] for e in (await rig.get("/samples", quarter="2025-Q4")).json()["entries"]}
    assert [sid for sid, c in flags.items() if c] == sorted(checked)
    assert flags["C01:2025-10:P0-01"] is False and flags["C02:2025-10:P0-02"] is False
    after = (await rig.get("/patrols/attainment", quarter="2025-Q4")).json()
    assert (after["services"]["checked"], after["year_to_date"]["done"]) == (3, 3)
    stats = (await rig.get("/patrols/statistics", year=2025)).json()["lots"][0]
    assert {i["institution_id"]: i["checked"] for i in stats["by_institution"]} == {"C01": 1, "C02": 1, "FAMILY": 1}

    # patrol.completed names the services by service id.
    [ev] = await rig.events(T, "patrol.completed")
    assert list(ev.payload.record_ids) == checked and sorted(ev.payload.person_ids) == sorted(PERSONS[::2])


async def test_status_surveys(rig: Rig) -> None:
    body = {"person_id": PERSONS[0], "year": 2025, "status": "unchanged", "surveyed_on": "2025-03-02", "note": "入户"}
    r = await rig.post("/status-surveys", body)
    assert r.status_code == 201, r.text
    r = await rig.post("/status-surveys", {**body, "person_id": PERSONS[2].lower(), "status": "deceased"},
                       role="clerk", subject="clerk-1")
    assert r.status_code == 201 and r.json()["person_id"] == PERSONS[2]
    att = (await rig.get("/patrols/attainment", quarter="2025-Q1")).json()["status_surveys"]
    assert (att["required"], att["done"], att["met"], att["missing_count"], att["shortfall"]) == (3, 2, False, 1, 1)
    listed = (await rig.get("/status-surveys", role="clerk", year=2025)).json()["surveys"]
    assert [s["person_id"] for s in listed] == [PERSONS[0], PERSONS[2]]
    evs = await rig.events(T, "status_survey.recorded")
    assert [(e.payload.person_id, e.payload.status) for e in evs] == [(PERSONS[0], "unchanged"),
                                                                      (PERSONS[2], "deceased")]
    # Found deceased in 2025: out of 2026's population.
    assert (await rig.get("/patrols/attainment", quarter="2026-Q1")).json()["status_surveys"]["required"] == 2

    for changes, code, field in (
            ({"person_id": OUTSIDER}, "survey_person_not_disabled", "person_id"),
            ({"surveyed_on": "2024-12-31"}, "survey_date_outside_year", "surveyed_on"),
            ({"year": 2026, "surveyed_on": "2026-12-01"}, "date_in_future", "surveyed_on"),
            ({"person_id": PERSONS[2], "year": 2026, "surveyed_on": "2026-02-01"}, "survey_person_not_disabled",
             "person_id"),
            ({"status": "asleep"}, "invalid_input", "status")):
        e = error_of(await rig.post("/status-surveys", {**body, **changes}), 422)
        assert (e["code"], e["field"]) == (code, field)
        assert PERSONS[0] not in e["message"] and OUTSIDER not in e["message"]
    assert await rig.count(T, "ltc_patrol_surveys") == 2


# ---- bad input: a precise code and field, nothing written -----------------------------------------------------


async def test_a_patrol_breaking_a_rule_is_refused_whole(rig: Rig) -> None:
    assert (await rig.post("/samples", {"quarter": "2025-Q2"})).status_code == 201
    sample = [e["service_id"] for e in (await rig.get("/samples", quarter="2025-Q2")).json()["entries"]]
    assert len(sample) == 5
    not_sampled = next(r for r in SERVICES if r not in sample)
    n = len(sample)
    cases = [
        ({"inspectors": TEAM[:1]}, "patrol_team_too_small", "inspectors"),
        ({"inspectors": [{**TEAM[0], "background": "other"}, TEAM[1]]}, "patrol_team_without_medical", "inspectors"),
        ({"inspectors": [TEAM[0], {**TEAM[1], "degree": "secondary"}]}, "inspector_degree", "inspectors[1].degree"),
        ({"checked_record_ids": [*sample, not_sampled]}, "record_not_in_sample", f"checked_record_ids[{n}]"),
        ({"checked_record_ids": [*sample, "C01:2025-05:r1-0"]}, "service_unknown", f"checked_record_ids[{n}]"),
        ({"checked_record_ids": [*sample, "r1-0"]}, "service_id_invalid", f"checked_record_ids[{n}]"),
        ({"checked_services": [{"institution_id": "C02", "record_id": "r1-0"}]}, "service_unknown",
         "checked_services[0].record_id"),
        ({"checked_services": [{"institution_id": "C02", "record_id": "r2-0", "month": "2025-04"}]},
         "service_unknown", "checked_services[0].record_id"),
        ({"institution_ids": ["C01", "X99"]}, "unknown_institution", "institution_ids[1]"),
        ({"date": "2025-07-01"}, "patrol_date_outside_quarter", "date"),
        ({"findings": [{"code": "littering", "institution_id": "C01"}]}, "unknown_finding_code", "findings[0].code"),
        ({"institution_ids": [], "checked_record_ids": [], "findings": []}, "patrol_empty", "institution_ids"),
        ({"inspectors": [TEAM[0], {**TEAM[1], "background": "lawyer"}]}, "invalid_input", "inspectors.1.background"),
        ({"quarter": "2025-Q5"}, "invalid_input", "quarter"),
    ]
    for changes, code, field in cases:
        e = error_of(await rig.post("/patrols", patrol(sample, **changes)), 422)
        assert (e["code"], e["field"]) == (code, field), (changes, e)
    # a service of wz-a's sample is unknown to wz-b
    await rig.post("/samples", {"quarter": "2025-Q2"}, tenant="wz-a")
    e = error_of(await rig.post("/patrols", patrol(["A01:2025-04:ra-1"], institution_ids=["C01"], findings=[])), 422)
    assert (e["code"], e["field"]) == ("service_unknown", "checked_record_ids[0]")
    assert await rig.count(T, "ltc_patrol_records") == 0
    assert await rig.events(T, "patrol.completed") == []
    for body, code in (({**PLAN, "quarters": PLAN["quarters"][:3]}, "plan_quarters_incomplete"),
                       ({**PLAN, "quarters": [{**PLAN["quarters"][0], "sample_percent": 10}, *PLAN["quarters"][1:]]},
                        "plan_sample_below_quota")):
        assert error_of(await rig.post("/patrol-plans", body), 422)["code"] == code
    assert error_of(await rig.post("/samples", {"quarter": "2025-13"}), 422)["field"] == "quarter"
    assert await rig.count(T, "ltc_patrol_plans") == 0


# ---- roles, tenants, programs ---------------------------------------------------------------------------------


async def test_roles(rig: Rig) -> None:
    sample = {"quarter": "2025-Q2"}
    for role in ("clerk", "finance", "supervisor", "applicant", "institution", "reviewer", "expert", "ops"):
        assert (await rig.post("/samples", sample, role=role)).status_code == 403, role
        assert (await rig.post("/patrols", patrol([]), role=role)).status_code == 403, role
    for role in ("clerk", "finance", "applicant", "institution", "ops"):
        assert (await rig.post("/patrol-plans", PLAN, role=role)).status_code == 403, role
    for role in ("finance", "supervisor", "applicant", "institution", "ops"):
        body = {"person_id": PERSONS[0], "year": 2025, "status": "unchanged", "surveyed_on": "2025-03-02"}
        assert (await rig.post("/status-surveys", body, role=role)).status_code == 403, role
    for role in ("clerk", "finance", "applicant", "institution", "reviewer"):
        assert (await rig.get("/patrols/attainment", role=role, quarter="2025-Q2")).status_code == 403, role
        assert (await rig.get("/samples", role=role, quarter="2025-Q2")).status_code == 403, role
        assert (await rig.get("/patrols/statistics", role=role, year=2025)).status_code == 403, role
    assert (await rig.get("/status-surveys", role="clerk", year=2025)).status_code == 200
    assert (await rig.get("/status-surveys", role="finance", year=2025)).status_code == 403
    for role in ("ops", "supervisor"):
        assert (await rig.get("/patrols/attainment", role=role, quarter="2025-Q2")).status_code == 200, role


async def test_wz_a_cannot_see_or_touch_wz_b(rig: Rig) -> None:
    await rig.post("/samples", {"quarter": "2025-Q2", "seed": "s"})
    sample = [e["service_id"] for e in (await rig.get("/samples", quarter="2025-Q2")).json()["entries"]]
    done = (await rig.post("/patrols", patrol(sample))).json()
    assert (await rig.get(f"/patrols/{done['patrol_id']}", tenant="wz-a")).status_code == 404
    a = (await rig.get("/patrols/attainment", tenant="wz-a", quarter="2025-Q2")).json()
    assert (a["tenant"], a["services"]["delivered"], a["institutions"]["missing"]) == ("wz-a", 1, ["A01"])
    assert (await rig.get("/samples", tenant="wz-a", quarter="2025-Q2")).json()["entries"] == []
    # an inspector of wz-a naming wz-b: 404, like a lot that does not exist
    r = await rig.http.get("/v1/ltc/patrols/attainment", params={"quarter": "2025-Q2", "tenant": T},
                           headers=auth("wz-a", "inspector"))
    assert r.status_code == 404
    # wz-a's patrol cannot check wz-b's records nor visit its institutions
    e = error_of(await rig.post("/patrols", patrol(sample), tenant="wz-a"), 422)
    assert e["code"] == "unknown_institution"
    # the agency's supervisor (token of wz-a, claim wz-ltc) reads wz-b's lot, and the statistics of every lot
    r = await rig.http.get(f"/v1/ltc/patrols/{done['patrol_id']}", params={"tenant": T},
                           headers=auth("wz-a", "supervisor", "sup-1", "wz-ltc"))
    assert r.status_code == 200 and r.json()["patrol_id"] == done["patrol_id"]
    stats = (await rig.http.get("/v1/ltc/patrols/statistics", params={"year": 2025},
                                headers=auth("wz-a", "supervisor", "sup-1", "wz-ltc"))).json()
    assert [lot["tenant"] for lot in stats["lots"]] == ["wz-a", "wz-b"] and stats["total"]["patrols"] == 1
    # ... but not another program's tenant, and without the claim only its own
    r = await rig.http.get("/v1/ltc/patrols/attainment", params={"quarter": "2025-Q2", "tenant": "hz-p1"},
                           headers=auth("wz-a", "supervisor", "sup-1", "wz-ltc"))
    assert r.status_code == 404
    r = await rig.http.get("/v1/ltc/patrols/attainment", params={"quarter": "2025-Q2", "tenant": T},
                           headers=auth("wz-a", "supervisor", "sup-1"))
    assert r.status_code == 404


async def test_a_tenant_outside_the_program_gets_404_before_its_body_is_read(rig: Rig) -> None:
    for path, body in (("/patrols", {"nonsense": True}), ("/samples", {"quarter": "bad"}),
                       ("/status-surveys", {}), ("/patrol-plans", {"year": 1})):
        r = await rig.post(path, body, tenant="hz-p1")
        assert r.status_code == 404, (path, r.text)
    for path, params in (("/patrols/attainment", {"quarter": "2025-Q2"}), ("/samples", {"quarter": "x"}),
                         ("/patrols/statistics", {"year": 2025}), ("/patrols/p1", {}),
                         ("/status-surveys", {"year": 2025}), ("/patrol-plans", {"year": 2025})):
        assert (await rig.get(path, tenant="hz-p1", **params)).status_code == 404, path
    # and events of another program's tenant leave no population here
    await rig.feed("hz-p1", services("h1", "H01", "2025-04", [("rh-1", PERSONS[0], "2025-04-03")]))
    assert await rig.count("hz-p1", "ltc_patrol_batches") == 0


async def test_redelivered_events_change_nothing_and_nothing_personal_is_clear_at_rest(rig: Rig) -> None:
    await rig.feed(T, services("b1", "C01", "2025-04", C01), concluded(0, PERSONS[0]))  # new event ids, same facts
    assert (await rig.get("/patrols/attainment", quarter="2025-Q2")).json()["services"]["delivered"] == 10
    assert await rig.count(T, "ltc_patrol_batches") == 2
    await rig.post("/samples", {"quarter": "2025-Q2"})
    sample = [e["service_id"] for e in (await rig.get("/samples", quarter="2025-Q2")).json()["entries"]]
    assert (await rig.post("/patrols", patrol(sample))).status_code == 201
    body = {"person_id": PERSONS[1], "year": 2025, "status": "worsened", "surveyed_on": "2025-05-02",
            "note": f"家属代答, 身份证 {PERSONS[1]}"}
    assert (await rig.post("/status-surveys", body)).status_code == 201
    await rig.host.relay.relay_once()  # published: nothing pending in clear in the outbox
    found, docs = await scan_stores(rig.host.store, ["audit"], [T], [*PERSONS, "cg-C01"])
    assert docs > 0 and found == []
