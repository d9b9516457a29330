"""Long-term care services and their settlement (护理服务管理, 待遇支付审核结算) on the embedded platform, lot B (wz-b):

appraisal's disability conclusions and the institution registry's changes reach settlement as events; institutions
draft care plans checked by grade against the (SAMPLE) catalogue, a clerk signs a family-care agreement; uploads of
service records are checked whole (one bad record: 422 naming it, nothing stored; overlapping caregivers, a deceased
person, over the month's frequency); the month's statements are built, closed and paid from wz-b's dedicated account
(refused while the money is not there, nothing written; paid twice refused); the month's assessment fees with a
city-level person's fee shared by A, B and C; roles; an institution sees only its own; wz-a cannot see wz-b's work;
hz-p1 (another program) gets 404; and no identity number is left in clear at rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from chassis.bus.port import BusMessage
from chassis.events import decode, encode, new_event, topic_for
from contracts.v1 import events_pb2
from jingban.embedded import EmbeddedPlatform
from services.settlement.care.store import CareStore
from tests.conftest import auth, embedded_port_offset, eventually
from tests.support import tokens
from tests.support.pii_scan import scan_stores
from tests.support.review import care_statement_reviewed

pytestmark = pytest.mark.usefixtures("fixture_business_date")   # today: 2026-11-30

T, OTHER = "wz-b", "wz-a"
INST, INST2, FAR = "WZB-C001", "WZB-C002", "WZB-X009"
P1 = "330303195001011235"     # grade 4, home visits with INST
P2 = "330303194803052216"     # grade 5, institutional care with INST2
P3 = "330326194011113331"     # family care
P4 = "330303195507074415"     # ineligible (grade 2)
P5 = "330303193902023312"     # grade 3, dies on 2026-03-20
CITY = "330300194512121019"   # a city-level person, assessed by lot B
PERSONS = (P1, P2, P3, P4, P5, CITY)
MONTH = "2026-03"
FIN = auth(T, "finance")
CLERK = auth(T, "clerk")
SHA = "ab" * 32


def sup(tenant: str = T) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens.user_token(tenant, 'supervisor', 'agency', program='wz-ltc')}"}


def inst(code: str = INST, tenant: str = T) -> dict[str, str]:
    return auth(tenant, "institution", code)


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={}, port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def url(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('settlement')}/v1{path}"


def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), \
        f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text[:1500]}"
    return response.json()


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code}: {response.text[:1500]}"
    return dict(response.json()["error"])


async def publish(platform: EmbeddedPlatform, tenant: str, event_type: str, key: str, payload: Any,
                  source: str) -> None:
    ev = new_event(event_type, tenant, key, payload, source=source, trace_context={})
    await platform.bus.publish([BusMessage(topic_for(tenant, event_type), key, encode(ev))])


async def conclude(platform: EmbeddedPlatform, person: str, aid: str, grade: int, eligible: bool = True,
                   on: str = "2026-02-10", city_level: bool = False, fee: str = "200.00", tenant: str = T) -> None:
    await publish(platform, tenant, "disability.concluded", person, events_pb2.DisabilityConcluded(
        assessment_id=aid, application_id=f"app-{aid}", person_id=person, grade=grade, eligible=eligible,
        scale_version="sample", concluded_at=f"{on}T10:00:00+08:00", recheck_due="2027-02-10", round=1,
        lot="B", city_level=city_level, kind="initial", assessment_fee=fee), "appraisal")


async def designate(platform: EmbeddedPlatform, code: str, modes: list[str], status: str = "designated",
                    tenant: str = T) -> None:
    await publish(platform, tenant, "institution.changed", code, events_pb2.InstitutionChanged(
        institution_id=code, kind="care", name=f"护理院 {code}", status=status, step=status,
        agreement_from="2026-01-01", agreement_to="2027-12-31", modes=modes,
        occurred_at=datetime.now(UTC).isoformat()), "appraisal")


async def known(platform: EmbeddedPlatform, http: httpx.AsyncClient, person: str, conclusions: int = 1) -> None:
    async def probe() -> bool:
        r = await http.get(url(platform, f"/ltc/persons/{person}"), headers=CLERK)
        return r.status_code == 200 and len(r.json()["conclusions"]) >= conclusions
    await eventually(probe, what="the conclusion reaches settlement")


def plan_body(person: str, mode: str = "home_visit", institution: str | None = INST, items: Any = None,
              **extra: Any) -> dict[str, Any]:
    return {"person_id": person, "mode": mode, "institution_id": institution, "valid_from": "2026-03-01",
            "valid_to": "2026-12-31", "items": items or [{"code": "bathing", "per_month": 2},
                                                         {"code": "pressure_care", "per_month": 8}], **extra}


def rec(rid: str, person: str, day: int, start: str = "09:00", end: str = "10:00", items: Any = None,
        caregiver: str = "CG01", **extra: Any) -> dict[str, Any]:
    return {"record_id": rid, "person_id": person, "caregiver_id": caregiver, "date": f"{MONTH}-{day:02d}",
            "start": start, "end": end, "items": items or ["pressure_care"], **extra}


async def upload(platform: EmbeddedPlatform, http: httpx.AsyncClient, records: list[dict[str, Any]],
                 headers: dict[str, str] | None = None, month: str = MONTH) -> httpx.Response:
    return await http.post(url(platform, "/ltc/service-records"), json={"month": month, "records": records},
                           headers=headers or inst())


async def records_of(platform: EmbeddedPlatform, key: str = INST) -> list[dict[str, Any]]:
    """The records stored for the institution's month, read from the store itself (as the statements read them)."""
    return await CareStore(platform.store.database("settlement", T)).month_records(key, MONTH)


PLANS: dict[str, str] = {}


async def test_plans_are_checked_by_grade_against_the_catalogue(platform: EmbeddedPlatform,
                                                               http: httpx.AsyncClient) -> None:
    await designate(platform, INST, ["institutional", "home_visit"])
    await designate(platform, INST2, ["institutional"])
    await conclude(platform, P1, "AS-1", 4)
    await conclude(platform, P2, "AS-2", 5)
    await conclude(platform, P3, "AS-3", 4)
    await conclude(platform, P4, "AS-4", 2, eligible=False)
    await conclude(platform, P5, "AS-5", 3)
    await conclude(platform, CITY, "AS-6", 4, city_level=True, on="2026-03-05")
    for person in PERSONS:
        await known(platform, http, person)

    # Over the grade's frequency (bathing: 8 a month at grade 4); an item not for grade 3; not eligible; not designated.
    err = error(await http.post(url(platform, "/ltc/plans"), headers=inst(),
                                json=plan_body(P1, items=[{"code": "bathing", "per_month": 9}])), 422)
    assert (err["code"], err["field"]) == ("invalid_plan", "items[0].per_month")
    err = error(await http.post(url(platform, "/ltc/plans"), headers=inst(),
                                json=plan_body(P5, items=[{"code": "tube_care", "per_month": 1}])), 422)
    assert (err["code"], err["field"]) == ("invalid_plan", "items[0].code")
    err = error(await http.post(url(platform, "/ltc/plans"), headers=inst(), json=plan_body(P4)), 422)
    assert (err["code"], err["field"]) == ("person_not_eligible", "person_id")
    assert P4 not in err["message"]
    err = error(await http.post(url(platform, "/ltc/plans"), headers=inst(), json=plan_body(
        P1, valid_from="2026-02-01")), 422)
    assert err["code"] == "person_not_eligible"        # cover begins at the conclusion (2026-02-10)
    err = error(await http.post(url(platform, "/ltc/plans"), headers=inst(FAR), json=plan_body(
        P1, institution=FAR)), 409)
    assert (err["code"], err["field"]) == ("institution_not_designated", "institution_id")
    err = error(await http.post(url(platform, "/ltc/plans"), headers=inst(INST2), json=plan_body(
        P1, institution=INST2)), 409)                   # INST2 offers no home visits
    assert err["code"] == "institution_not_designated"
    assert (await http.post(url(platform, "/ltc/plans"), headers=inst(INST2), json=plan_body(P1))).status_code == 403
    err = error(await http.post(url(platform, "/ltc/plans"), headers=CLERK, json=plan_body(
        P3, mode="family", institution=None, items=[{"code": "family_care_day", "per_month": 31}])), 422)
    assert (err["code"], err["field"]) == ("invalid_plan", "agreement")

    made = ok(await http.post(url(platform, "/ltc/plans"), headers=inst(), json=plan_body(P1)), 201)
    assert (made["grade"], made["mode"], made["catalogue_version"]) == (4, "home_visit", "wz-ltc-care-sample.1")
    assert made["in_force"] == {"from": "2026-03-01", "to": "2026-12-31"}
    again = ok(await http.post(url(platform, "/ltc/plans"), headers=inst(), json=plan_body(P1)), 200)
    assert again["plan_id"] == made["plan_id"]
    PLANS[P1] = made["plan_id"]
    PLANS[P2] = ok(await http.post(url(platform, "/ltc/plans"), headers=inst(INST2), json=plan_body(
        P2, mode="institutional", institution=INST2, items=[{"code": "basic_care", "per_month": 31}])))["plan_id"]
    PLANS[P5] = ok(await http.post(url(platform, "/ltc/plans"), headers=inst(), json=plan_body(
        P5, items=[{"code": "pressure_care", "per_month": 8}])))["plan_id"]
    family = ok(await http.post(url(platform, "/ltc/plans"), headers=CLERK, json=plan_body(
        P3, mode="family", institution=None, items=[{"code": "family_care_day", "per_month": 31}],
        agreement={"signed_on": "2026-02-20", "caregiver_id": "FAM-P3-1", "sha256": SHA})), 201)
    assert (family["institution_id"], family["agreement"]["sha256"]) == (None, SHA)
    PLANS[P3] = family["plan_id"]

    async def approved() -> Any:
        found = [decode(m.value) for m in platform.bus.messages(topic_for(T, "care_plan.approved"))]
        return found if len(found) == len(PLANS) else None
    events = await eventually(approved, what="care_plan.approved of each plan")
    assert len(events) == 4
    assert {e.payload.plan_id for e in events} == set(PLANS.values())
    assert next(e for e in events if e.payload.plan_id == PLANS[P1]).payload.mode == "home_visit"

    # Many plans at once (an institution's residents): all or none, every refused plan named.
    many = [plan_body(CITY, items=[{"code": "bathing", "per_month": 1}], valid_from="2026-03-05"), plan_body(P4),
            plan_body(CITY, items=[{"code": "rehab", "per_month": 9}], valid_from="2026-03-05")]
    err = error(await http.post(url(platform, "/ltc/plans/batches"), json={"plans": many}, headers=inst()), 422)
    assert [(f["index"], f["code"], f["field"]) for f in err["fields"]] == [
        (1, "person_not_eligible", "plans[1].person_id"), (2, "invalid_plan", "plans[2].items[0].per_month")]
    assert (await http.post(url(platform, "/ltc/plans/batches"), json={"plans": many[:1]},
                            headers=inst(INST2))).status_code == 403      # another institution's plan
    batch = ok(await http.post(url(platform, "/ltc/plans/batches"), json={"plans": [many[0], plan_body(P1)]},
                               headers=inst()), 201)
    assert (batch["approved"], batch["replayed"], batch["plans"][1]["plan_id"]) == (1, 1, PLANS[P1])
    assert ok(await http.post(url(platform, "/ltc/plans/batches"), json={"plans": [many[0]]}, headers=inst()),
              200)["approved"] == 0

    # An institution reads its own plans only; a clerk reads the person's.
    assert ok(await http.get(url(platform, "/ltc/plans"), params={"person_id": P1}, headers=inst(INST2)))[
        "plans"] == []
    assert (await http.get(url(platform, f"/ltc/plans/{PLANS[P1]}"), headers=inst(INST2))).status_code == 404
    assert [p["plan_id"] for p in ok(await http.get(url(platform, "/ltc/plans"), params={"person_id": P1},
                                                    headers=CLERK))["plans"]] == [PLANS[P1]]


async def test_one_bad_record_refuses_the_upload_with_every_refusal_named(platform: EmbeddedPlatform,
                                                                        http: httpx.AsyncClient) -> None:
    good = [rec("R1", P1, 2), rec("R2", P1, 3, items=["bathing", "pressure_care"]),
            rec("R3", P1, 4, caregiver="CG02"), rec("R4", P5, 2, "10:00", "11:00")]
    bad = [*good, rec("R5", P1, 5, items=["rehab"]),                      # not in the plan
           rec("R6", P4, 5, "13:00", "14:00"),                              # no plan (not eligible)
           rec("R7", P1, 6, "09:30", "10:30", caregiver="CG02"),
           rec("R8", P5, 6, "10:00", "10:45", caregiver="CG02")]            # CG02 overlaps R7
    err = error(await upload(platform, http, bad), 422)
    assert err["code"] == "records_refused"
    assert [(f["index"], f["record_id"], f["code"], f["field"]) for f in err["fields"]] == [
        (4, "R5", "outside_plan", "records[4].items[0]"), (5, "R6", "no_plan", "records[5].person_id"),
        (7, "R8", "caregiver_overlap", "records[7].start")]
    assert all(P4 not in f["message"] and P1 not in f["message"] for f in err["fields"])
    assert await records_of(platform) == []

    stored = ok(await upload(platform, http, good), 201)
    assert (stored["accepted"], stored["replayed"]) == (4, False)
    replay = ok(await upload(platform, http, good), 200)
    assert (replay["batch_id"], replay["replayed"]) == (stored["batch_id"], True)
    assert len(await records_of(platform)) == 4
    async def recorded() -> Any:
        return [decode(m.value) for m in platform.bus.messages(topic_for(T, "care_services.recorded"))] or None
    events = await eventually(recorded, what="care_services.recorded")
    assert [len(e.payload.records) for e in events] == [4]
    assert {r.plan_id for r in events[0].payload.records} == {PLANS[P1], PLANS[P5]}

    # The same id with other content; a caregiver overlapping a stored record; over the month's frequency.
    err = error(await upload(platform, http, [rec("R1", P1, 2, "09:00", "09:45")]), 409)
    assert (err["code"], err["field"]) == ("record_conflict", "records[0].record_id")
    err = error(await upload(platform, http, [rec("R9", P5, 2, "09:30", "09:50")]), 422)
    assert [(f["code"], f["field"]) for f in err["fields"]] == [("caregiver_overlap", "records[0].start")]
    err = error(await upload(platform, http, [rec("R10", P1, 20, items=["bathing"]),
                                              rec("R11", P1, 21, items=["bathing"])]), 422)
    assert [(f["record_id"], f["code"]) for f in err["fields"]] == [("R11", "over_frequency")]
    # Malformed records are named, each with its field, before any rule.
    err = error(await upload(platform, http, [rec("R12", P1, 7, "10:00", "09:00"), rec("R13", "123", 32)]), 422)
    assert err["code"] == "invalid_record"
    assert [f["field"] for f in err["fields"]] == ["records[0].end", "records[1].person_id", "records[1].date"]
    err = error(await upload(platform, http, [rec("R14", P1, 7, caregiver=P2)]), 422)
    assert err["fields"][0]["field"] == "records[0].caregiver_id"


async def test_death_ends_the_cover_and_family_care_is_the_clerks(platform: EmbeddedPlatform,
                                                                  http: httpx.AsyncClient) -> None:
    person = ok(await http.put(url(platform, f"/ltc/persons/{P5}/death"), json={"date": "2026-03-20"},
                               headers=CLERK))
    assert (person["died_on"], person["covered_today"]) == ("2026-03-20", False)
    assert (await http.put(url(platform, f"/ltc/persons/{P5}/death"), json={"date": "2026-03-20"},
                           headers=inst())).status_code == 403
    nobody = "330303196001019998"
    assert error(await http.put(url(platform, f"/ltc/persons/{nobody}/death"), json={"date": "2026-03-20"},
                                headers=CLERK), 404)["field"] == "person_id"
    err = error(await http.put(url(platform, f"/ltc/persons/{P5}/death"), json={"date": "2027-01-01"},
                               headers=CLERK), 422)
    assert err["field"] == "date"
    err = error(await upload(platform, http, [rec("D1", P5, 20, "14:00", "15:00"), rec("D2", P5, 25)]), 422)
    assert [(f["record_id"], f["code"], f["field"]) for f in err["fields"]] == [
        ("D2", "person_deceased", "records[1].date")]
    ok(await upload(platform, http, [rec("D1", P5, 20, "14:00", "15:00")]), 201)

    # A status survey that found a person deceased ends the cover the same way (audit's event).
    await publish(platform, T, "status_survey.recorded", P2, events_pb2.StatusSurveyRecorded(
        survey_id="SV-1", person_id=P2, year=2026, status="deceased", surveyed_on="2026-03-28"), "audit")

    async def surveyed() -> bool:
        r = await http.get(url(platform, f"/ltc/persons/{P2}"), headers=CLERK)
        return r.json()["died_on"] == "2026-03-28"
    await eventually(surveyed, what="the survey reaches settlement")
    days = [rec(f"N{d}", P2, d, "08:00", "08:30", items=["basic_care"], caregiver="NUR1") for d in (26, 27, 28, 29)]
    err = error(await upload(platform, http, days, headers=inst(INST2)), 422)
    assert [f["record_id"] for f in err["fields"]] == ["N29"]
    ok(await upload(platform, http, days[:3], headers=inst(INST2)), 201)

    # Family care: the clerk's (an institution cannot), under the person's agreement; CSV like JSON.
    family = [rec(f"F{d}", P3, d, "08:00", "20:00", items=["family_care_day"], caregiver="FAM-P3-1")
              for d in range(1, 11)]
    assert (await upload(platform, http, family, headers=inst())).status_code == 422   # INST has no family plan
    ok(await upload(platform, http, family[:5], headers=CLERK), 201)
    csv = "record_id,person_id,caregiver_id,date,start,end,items,evidence\n" + "".join(
        f"F{d},{P3},FAM-P3-1,{MONTH}-{d:02d},08:00,20:00,family_care_day,photo:{SHA}\n" for d in range(11, 16))
    r = await http.post(url(platform, "/ltc/service-records"), params={"month": MONTH}, content=csv.encode(),
                        headers={**CLERK, "content-type": "text/csv"})
    assert ok(r, 201)["accepted"] == 5
    assert len(await records_of(platform, "FAMILY")) == 10


async def test_statements_are_built_closed_and_paid_from_wz_bs_account(platform: EmbeddedPlatform,
                                                                       http: httpx.AsyncClient) -> None:
    built = ok(await http.post(url(platform, "/ltc/statements"), json={"month": MONTH}, headers=FIN))
    by_id = {s["statement_id"]: s for s in built["statements"]}
    sid, sid2, fam = f"LTC-{INST}-{MONTH}", f"LTC-{INST2}-{MONTH}", f"LTC-FAMILY-{MONTH}"
    assert set(by_id) == {sid, sid2, fam}
    # INST: P1's 3 visits at grade 4 (90.00 each) + P5's 2 visits at grade 3 (80.00); INST2: 3 days of grade 5
    # (70.00); family: 10 days at grade 4 (25.00).
    assert [(by_id[s]["records"], by_id[s]["persons"], by_id[s]["amount"]) for s in (sid, sid2, fam)] == [
        (5, 2, "430.00"), (3, 1, "210.00"), (10, 1, "250.00")]
    assert by_id[fam]["family_care"] and by_id[fam]["institution_id"] is None
    detail = ok(await http.get(url(platform, f"/ltc/statements/{sid}"), headers=FIN))
    line = next(ln for ln in detail["lines"] if ln["person_id"] == P1)
    assert (line["units"], line["per"], line["amount"], line["benefits_version"]) == (
        3, "visit", "270.00", "wz-ltc-benefits-sample-2026.1")
    assert [c["code"] for c in line["reason_codes"]] == ["benefit_priced"]

    # An institution sees its own statement only; the supervisor reads wz-b's with ?tenant=.
    assert [s["statement_id"] for s in ok(await http.get(url(platform, "/ltc/statements"), params={
        "month": MONTH}, headers=inst()))["statements"]] == [sid]
    assert (await http.get(url(platform, f"/ltc/statements/{sid2}"), headers=inst())).status_code == 404
    assert len(ok(await http.get(url(platform, "/ltc/statements"), params={"month": MONTH, "tenant": T},
                                 headers=sup(OTHER)))["statements"]) == 3

    err = error(await http.post(url(platform, f"/ltc/statements/{sid}/payments"), headers=FIN), 409)
    assert err["code"] == "not_closed"
    detail = await care_statement_reviewed(http, platform.url("settlement"), sid, T)  # smart review answered
    assert (detail["review"]["held_lines"], detail["refused_records"], detail["refused"]) == (0, 0, "0.00")
    closed = ok(await http.post(url(platform, f"/ltc/statements/{sid}/close"), headers=FIN))
    assert (closed["status"], closed["amount"]) == ("closed", "430.00")
    err = error(await upload(platform, http, [rec("L1", P1, 30, "15:00", "16:00")]), 409)
    assert err["code"] == "statement_closed"

    # The account is empty: refused, nothing written.
    err = error(await http.post(url(platform, f"/ltc/statements/{sid}/payments"), headers=FIN), 409)
    assert err["code"] == "insufficient_funds" and "430.00" in err["message"]
    assert {k: err["params"][k] for k in ("short", "needed", "balance", "tenant")} == {
        "short": "430.00", "needed": "430.00", "balance": "0.00", "tenant": T}
    ledger = ok(await http.get(url(platform, "/fund/ledger"), params={"year": 2026}, headers=FIN))
    assert ledger["entries"] == []
    # The agency allocates into the five lots' accounts by their shares: wz-b's 22.71% of 10,000.00.
    alloc = ok(await http.post(url(platform, "/fund/allocations"), headers=sup(), json={
        "allocation_id": "WZ2026-1", "year": 2026, "kind": "initial", "amount": "10000.00",
        "date": "2026-03-01"}), 201)
    assert {e["tenant"]: e["amount"] for e in alloc["entries"]}[T] == "2271.00"
    paid = ok(await http.post(url(platform, f"/ltc/statements/{sid}/payments"), headers=FIN), 201)
    assert (paid["payment_id"], paid["amount"], paid["entry_id"]) == (f"PAY-{sid}", "430.00", f"payment:PAY-{sid}")
    err = error(await http.post(url(platform, f"/ltc/statements/{sid}/payments"), headers=FIN), 409)
    assert err["code"] == "already_paid"
    balance = ok(await http.get(url(platform, "/fund/balance"), params={"on": "2026-11-30", "year": 2026},
                                headers=FIN))["balances"]
    assert (balance["bank"], balance["benefits_paid"]) == ("1841.00", "430.00")

    async def paid_event() -> Any:
        found = [decode(m.value) for m in platform.bus.messages(topic_for(T, "care_statement.paid"))]
        return found or None
    event = (await eventually(paid_event, what="care_statement.paid"))[0].payload
    assert (event.statement_id, event.amount, event.records, sorted(event.person_ids)) == (
        sid, "430.00", 5, sorted([P1, P5]))


async def test_assessment_fees_with_a_city_level_share(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    built = ok(await http.post(url(platform, "/ltc/assessment-fees/statements"), json={"month": MONTH},
                               headers=FIN), 201)
    # Only CITY's assessment was concluded in March (the others in February): February's fees, not yet on a
    # statement, join it as late.
    assert (built["statement_id"], built["assessments"], built["amount"]) == ("AF-2026-03", 6, "1200.00")
    city = next(ln for ln in built["lines"] if ln["assessment_id"] == "AS-6")
    assert (city["city_level"], city["own_share"], city["due_from"], city["late"]) == (
        True, "66.67", {"wz-a": "66.67", "wz-c": "66.66"}, False)
    assert [c["code"] for c in city["reason_codes"]] == ["assessment_fee", "fee_shared"]
    assert (built["own_share"], built["due_from"], built["fund_booking"]) == (
        "1066.67", {"wz-a": "66.67", "wz-c": "66.66"}, None)
    paid = ok(await http.post(url(platform, "/ltc/assessment-fees/statements/AF-2026-03/payments"), headers=FIN),
              201)
    assert paid["status"] == "paid"
    err = error(await http.post(url(platform, "/ltc/assessment-fees/statements/AF-2026-03/payments"),
                                headers=FIN), 409)
    assert err["code"] == "already_paid"
    # Not the fund's money: the ledger holds the allocation and the care payment only.
    ledger = ok(await http.get(url(platform, "/fund/ledger"), params={"year": 2026}, headers=FIN))["entries"]
    assert sorted(e["kind"] for e in ledger) == ["allocation", "payment"]

    async def fee_event() -> Any:
        found = [decode(m.value) for m in platform.bus.messages(topic_for(T, "assessment_fees.paid"))]
        return found or None
    event = (await eventually(fee_event, what="assessment_fees.paid"))[0].payload
    assert (event.amount, event.assessments, dict(event.due_from)) == ("1200.00", 6, {"wz-a": "66.67",
                                                                                     "wz-c": "66.66"})
    # A later month's statement takes only what is not on one yet.
    later = ok(await http.post(url(platform, "/ltc/assessment-fees/statements"), json={"month": "2026-04"},
                               headers=FIN), 201)
    assert later["assessments"] == 0
    err = error(await http.post(url(platform, "/ltc/assessment-fees/statements/AF-2026-11/payments"),
                                headers=FIN), 404)
    assert err["code"] == "not_found"


async def test_roles_are_kept(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    sid = f"LTC-{INST2}-{MONTH}"
    for method, path, headers in [
            ("POST", "/ltc/statements", CLERK), ("POST", f"/ltc/statements/{sid}/close", inst(INST2)),
            ("POST", f"/ltc/statements/{sid}/payments", auth(T, "supervisor")),
            ("POST", "/ltc/service-records", auth(T, "inspector")), ("POST", "/ltc/plans", FIN),
            ("GET", "/ltc/assessment-fees/statements", inst()), ("GET", f"/ltc/persons/{P1}", inst()),
            ("POST", "/ltc/assessment-fees/statements", auth(T, "ops"))]:
        r = await http.request(method, url(platform, path), json={"month": MONTH}, headers=headers)
        assert r.status_code == 403, (method, path, r.status_code, r.text)
    assert (await http.get(url(platform, "/ltc/statements"), params={"month": MONTH},
                           headers=auth(T, "ops"))).status_code == 200


async def test_other_tenants_see_nothing(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    sid = f"LTC-{INST}-{MONTH}"
    a_fin, a_clerk = auth(OTHER, "finance"), auth(OTHER, "clerk")
    assert (await http.get(url(platform, f"/ltc/statements/{sid}"), headers=a_fin)).status_code == 404
    assert ok(await http.get(url(platform, "/ltc/statements"), params={"month": MONTH}, headers=a_fin))[
        "statements"] == []
    assert (await http.get(url(platform, f"/ltc/plans/{PLANS[P1]}"), headers=a_clerk)).status_code == 404
    assert (await http.get(url(platform, f"/ltc/persons/{P1}"), headers=a_clerk)).status_code == 404
    assert (await http.post(url(platform, f"/ltc/statements/{sid}/payments"), headers=a_fin)).status_code == 404
    assert (await http.get(url(platform, "/ltc/assessment-fees/statements/AF-2026-03"),
                           headers=a_fin)).status_code == 404
    # wz-a's institution with the same code holds no plan of wz-b's person.
    err = error(await upload(platform, http, [rec("X1", P1, 2)], headers=inst(INST, OTHER)), 409)
    assert err["code"] == "institution_not_designated"
    # Outside the program: 404 before the body is read.
    for method, path, role in [("POST", "/ltc/plans", "clerk"), ("POST", "/ltc/service-records", "institution"),
                               ("POST", "/ltc/statements", "finance"), ("GET", f"/ltc/persons/{P1}", "clerk"),
                               ("GET", "/ltc/statements?month=2026-03", "finance"),
                               ("POST", "/ltc/assessment-fees/statements", "finance")]:
        r = await http.request(method, url(platform, path), content=b"not json",
                               headers={**auth("hz-p1", role, INST), "content-type": "application/json"})
        assert r.status_code == 404, (method, path, r.status_code, r.text)


async def test_no_identity_number_at_rest(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    async def drained() -> bool:
        db = platform.store.database("settlement", T)
        for name in await db.list_collection_names():
            if await db[name].count_documents({"_outbox_pending": {"$gt": 0}}):
                return False
        return True
    await eventually(drained, what="the relay publishes every pending event")
    needles = [*PERSONS, *(p.lower() for p in PERSONS)]
    found, docs = await scan_stores(platform.store, ["settlement"], [T], needles)
    assert docs > 0 and found == []


@pytest.mark.parametrize(("path", "body"), [
    ("/ltc/service-records", {"month": MONTH, "records": [1, "x", None, [], {"items": "basic_care"}]}),
    ("/ltc/service-records", {"month": MONTH, "records": [rec("G1", P1, 3, evidence=[{"kind": "photo"}, 7])]}),
    ("/ltc/service-records", {"month": "2026-13", "records": []}),
    ("/ltc/service-records", [rec("G2", P1, 3)]),
    ("/ltc/plans", {"person_id": P1, "mode": "home_visit", "institution_id": INST, "valid_from": 20260301,
                    "valid_to": "2026-12-31", "items": [{"code": "bathing", "per_month": "3"}]}),
    ("/ltc/plans", {"person_id": P1, "mode": "home_visit", "institution_id": INST, "valid_from": "2026-03-01",
                    "valid_to": "2026-12-31", "items": ["bathing"]}),
    ("/ltc/plans", {"person_id": P1, "mode": "family", "valid_from": "2026-03-01", "valid_to": "2026-12-31",
                    "items": [{"code": "family_care_day", "per_month": 3}], "agreement": "signed"}),
    ("/ltc/plans/batches", {"plans": [None, 3, {"person_id": 5}]}),
    ("/ltc/statements", {"month": None}),
    ("/ltc/assessment-fees/statements", {"month": ["2026-03"]}),
])
async def test_garbage_is_refused_with_its_field(platform: EmbeddedPlatform, http: httpx.AsyncClient, path: str,
                                                 body: Any) -> None:
    role = "finance" if "statements" in path else "institution"
    r = await http.post(url(platform, path), json=body, headers=auth(T, role, INST))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"]
