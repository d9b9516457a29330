"""Personal data at rest (PIPL, chassis/pii.py) in settlement and audit, on the embedded platform.

hz-p1 (门诊慢特病): a person holds a qualification, is paid by a hospital's month-end batch and by a pharmacy's
real-time visit, both statements close (benefits.settled to audit); audit samples the person, calls them back,
inspects their case, raises a finding and a warning from the anomaly checks, each with notes naming them and their
phone. qz-ci (大病保险): another person becomes an assistance recipient, is paid by a hospital's claims (one
selected for review, its outcome noted) and by a manual reimbursement with documents and a bank account.

Then every document of every collection of settlement's and audit's databases of both tenants is read raw: none
holds either identity number (either case of its check letter), the name or the phone in clear — while the doors
still answer clear values to an authorised reader and every lookup by person still finds them (and only them)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chassis.bus.port import BusMessage
from chassis.events import encode, new_event, topic_for
from contracts.v1 import common_pb2, events_pb2
from jingban.embedded import EmbeddedPlatform
from tests.component.test_settlement_service import SAMPLE, holds, line, upload
from tests.conftest import PDF, PNG, auth, embedded_port_offset, eventually
from tests.support.pii_scan import clear_in, scan_stores

pytestmark = pytest.mark.usefixtures("fixture_business_date")

CHRONIC, CRITICAL = "hz-p1", "qz-ci"
PERSON = "61070219731205008X"   # a valid resident id whose check character is X
CI_PERSON = "33080219650312004X"
OTHER = "610702196001010094"    # paid beside them: lookups must keep to whom they ask for
NAME, PHONE = "欧阳明辉", "13912345678"
CLEAR = (PERSON, PERSON.lower(), CI_PERSON, CI_PERSON.lower(), NAME, PHONE)
HOSPITAL, PHARMACY, MONTH = "H610702001", "P610702002", "2025-08"
CI_HOSPITAL = "H330802001"
SERVICES = ("settlement", "audit")


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(tmp_path_factory.mktemp("pii-settlement"))},
                         port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def grant(platform: EmbeddedPlatform, person: str, qualification_id: str) -> None:
    """A qualification.granted as appraisal publishes it (its id names the qualification, not the person)."""
    q = common_pb2.Qualification(qualification_id=qualification_id, person_id=person, disease_code="SCZ",
                                 granted_on="2025-01-03", benefit_start="2025-01-03", status="active")
    ev = new_event("qualification.granted", CHRONIC, person, events_pb2.QualificationGranted(qualification=q),
                   source="appraisal", trace_context={})
    await platform.bus.publish([BusMessage(topic_for(CHRONIC, "qualification.granted"), person, encode(ev))])


def _ok(r: httpx.Response, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json()


async def _chronic(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> dict[str, Any]:
    settlement = f"{platform.url('settlement')}/v1"
    _ok(await http.post(f"{settlement}/policies", content=SAMPLE.read_bytes(),
                        headers={**auth(CHRONIC, "ops"), "content-type": "application/yaml"}), 200, 201)
    for n, person in enumerate((PERSON, OTHER)):
        await grant(platform, person, f"Q-SCZ-{n:04d}")
        await holds(platform, http, CHRONIC, person, 1)
    _ok(await upload(platform, http, MONTH, [line("S1", PERSON, "2025-08-04", "SCZ", "400.00"),
                                             line("S1", PERSON, "2025-08-04", "SCZ", "100.00"),
                                             line("S2", OTHER, "2025-08-05", "SCZ", "250.00")],
                     tenant=CHRONIC, institution=HOSPITAL))
    _ok(await http.post(f"{settlement}/visits/settle", headers=auth(CHRONIC, "institution", PHARMACY),
                        json={"claim_id": "V1", "person_id": PERSON, "date": "2025-08-20",
                              "lines": [{"disease": "SCZ", "amount": "300.00", "covered": True}]}))
    for inst in (HOSPITAL, PHARMACY):
        _ok(await http.post(f"{settlement}/statements/{inst}-{MONTH}/close", headers=auth(CHRONIC, "finance")))

    audit = f"{platform.url('audit')}/v1"

    async def settled_in_audit() -> bool:  # both institutions' months of the person folded into the read model
        r = await http.post(f"{audit}/warnings/checks/anomalies", headers=auth(CHRONIC, "inspector", "insp-1"),
                            json={"month": MONTH, "thresholds": {"person_institutions": "2"}})
        hits = r.json().get("hits", []) if r.status_code == 200 else []
        return any(h["check"] == "person_pattern" for h in hits)

    await eventually(settled_in_audit, 30, "benefits.settled of both institutions in audit's read model")
    warnings = _ok(await http.get(f"{audit}/warnings", headers=auth(CHRONIC, "inspector")))
    pattern = next(w for w in warnings if w["kind"] == "person_pattern")
    _ok(await http.post(f"{audit}/warnings/{pattern['warning_id']}/report", headers=auth(CHRONIC, "inspector"),
                        json={"report": f"已约谈{NAME}（{PHONE}），两家机构同月取药", "sent_to": "医保局"}))

    async def case_known() -> bool:
        r = await http.get(f"{audit}/cases", headers=auth(CHRONIC, "inspector"))
        return r.status_code == 200 and len(r.json()["cases"]) >= 2

    await eventually(case_known, 30, "the cases in audit's read model")
    plan = _ok(await http.post(f"{audit}/sampling-plans", headers=auth(CHRONIC, "inspector", "insp-1"),
                               json={"period": MONTH, "seed": "pii", "uncapped_ratio": "1.00",
                                     "other_ratio": "1.00"}))
    callbacks = _ok(await http.post(f"{audit}/callbacks", headers=auth(CHRONIC, "inspector"),
                                    json={"plan_id": plan["plan_id"], "person_ids": [PERSON]}))["callbacks"]
    _ok(await http.post(f"{audit}/callbacks/{callbacks[0]['callback_id']}/result",
                        headers=auth(CHRONIC, "inspector"),
                        json={"reached": True, "confirmed_treatment": False, "notes": f"{NAME}说没去过药店"}))
    tasks = _ok(await http.get(f"{audit}/sampling-plans/{plan['plan_id']}/tasks",
                               headers=auth(CHRONIC, "inspector")))
    mine = next(t for t in tasks if t["person_id"] == PERSON)
    _ok(await http.post(f"{audit}/inspection-tasks/{mine['task_id']}/result", headers=auth(CHRONIC, "inspector"),
                        json={"outcome": "problem", "notes": f"处方签名不是{NAME}本人", "amount": "0.00"}))
    finding = _ok(await http.post(f"{audit}/findings", headers=auth(CHRONIC, "inspector", "insp-1"),
                                  json={"kind": "desk_review", "person_id": PERSON, "amount": "0.00",
                                        "description": f"{NAME}（{PHONE}）重复取药"}))
    return {"plan": plan, "callback": callbacks[0], "finding": finding, "warning": pattern}


async def _critical(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> dict[str, Any]:
    critical = f"{platform.url('settlement')}/v1/critical"
    _ok(await http.put(f"{critical}/persons/{CI_PERSON}", headers=auth(CRITICAL, "clerk"),
                       json={"assistance_recipient": True, "effective_from": "2025-01-01"}))
    claims = [{"claim_id": "c-1", "person_id": CI_PERSON, "date": "2025-03-01", "care": "inpatient",
               "area": "in_area", "networked": True, "total_cost": "40000.00", "self_pay": "20000.00"},
              {"claim_id": "c-2", "person_id": OTHER, "date": "2025-03-02", "care": "inpatient",
               "area": "in_area", "networked": True, "total_cost": "3000.00", "self_pay": "1000.00"}]
    uploaded = _ok(await http.post(f"{critical}/claims", json={"claims": claims},
                                   headers=auth(CRITICAL, "institution", CI_HOSPITAL)))
    review = next(c["review_id"] for c in uploaded["claims"] if c["review_required"])
    _ok(await http.post(f"{critical}/reviews/{review}/outcome", headers=auth(CRITICAL, "reviewer"),
                        json={"outcome": "adjusted", "recovered": "100.00", "note": f"{NAME}的床位费重复收取"}))
    form = {"claim": (None, json.dumps({
                "person_id": CI_PERSON, "date": "2025-06-01", "care": "inpatient", "area": "out_of_area",
                "total_cost": "30000.00", "self_pay": "28000.00",
                "bank_account": {"bank_name": "中国银行", "account_name": NAME, "account_no": "6217000012345678"}})),
            "invoice": (f"{NAME}-发票.pdf", PDF, "application/pdf"),
            "discharge_summary": (f"{CI_PERSON}.png", PNG, "image/png"),
            "expense_list": ("list.pdf", PDF, "application/pdf")}
    manual = _ok(await http.post(f"{critical}/manual-claims", files=form, headers=auth(CRITICAL, "clerk")))

    async def in_audit() -> bool:  # the claims and the review's outcome recorded by audit
        r = await http.get(f"{platform.url('audit')}/v1/trail", params={"business_key": CI_PERSON},
                           headers=auth(CRITICAL, "inspector"))
        types = {e["type"] for e in r.json()["entries"]} if r.status_code == 200 else set()
        return {"critical_claim.settled", "critical_review.completed"} <= types

    await eventually(in_audit, 30, "the critical claims and the review in audit's trail")
    return {"review": review, "manual": manual}


@pytest.fixture(scope="module")
async def flow(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> dict[str, Any]:
    return {**await _chronic(platform, http), **await _critical(platform, http)}


async def _scan(platform: EmbeddedPlatform) -> tuple[list[str], int]:
    return await scan_stores(platform.store, SERVICES, (CHRONIC, CRITICAL), CLEAR)


async def test_nothing_personal_is_stored_in_clear(platform: EmbeddedPlatform, flow: dict[str, Any]) -> None:
    # Pending events ride in their documents until the relay publishes them (a moment): wait for it.
    async def clean() -> tuple[list[str], int] | None:
        found, docs = await _scan(platform)
        return None if found else (found, docs)

    try:
        _, docs = await eventually(clean, 30, "no personal data in clear")
    except AssertionError:
        found, _ = await _scan(platform)
        raise AssertionError("personal data stored in clear:\n" + "\n".join(found[:60])) from None
    assert docs > 40
    settlement = platform.store.database("settlement", CHRONIC)
    (snapshot, *_) = await settlement.person_states.find({}).to_list(None)
    index, version = snapshot["_id"].rsplit("#", 1)
    assert len(index) == 64 and version.isdigit() and snapshot["person_id"].startswith("pii:1:pii/hz-p1/v")
    (line_doc, *_) = await settlement[f"claims_{HOSPITAL}-{MONTH}"].find({}).to_list(None)
    assert line_doc["person_id"].startswith("pii:1:") and len(line_doc["person_bi"]) == 64
    ci = platform.store.database("settlement", CRITICAL)
    for name in ("ci_persons", "ci_accounts", "ci_claims", "ci_quota_members"):
        for doc in await ci[name].find({}).to_list(None):
            assert doc["person_id"].startswith("pii:1:pii/qz-ci/v") and len(doc["person_bi"]) == 64, name
    audit = platform.store.database("audit", CHRONIC)
    (entry, *_) = await audit.trail.find({"type": "benefits.settled"}).to_list(None)
    assert entry["business_key"].startswith("pii:1:") and len(entry["business_bi"]) == 64


async def test_the_doors_answer_clear_values_to_authorised_readers(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, flow: dict[str, Any]) -> None:
    settlement, audit = f"{platform.url('settlement')}/v1", f"{platform.url('audit')}/v1"
    acc = _ok(await http.get(f"{settlement}/persons/{PERSON}/accumulators", params={"year": 2025},
                             headers=auth(CHRONIC, "finance")))
    assert acc["person_id"] == PERSON and acc["accounts"]
    claims = _ok(await http.get(f"{settlement}/claims", params={"statement_id": f"{HOSPITAL}-{MONTH}"},
                                headers=auth(CHRONIC, "finance")))["claims"]
    assert {c["person_id"] for c in claims} == {PERSON, OTHER}
    st = _ok(await http.get(f"{settlement}/statements/{HOSPITAL}-{MONTH}", headers=auth(CHRONIC, "finance")))
    assert (st["status"], st["persons"]) == ("closed", 2)

    critical = f"{settlement}/critical"
    account = _ok(await http.get(f"{critical}/persons/{CI_PERSON}/account", params={"year": 2025},
                                 headers=auth(CRITICAL, "finance")))
    assert account["person_id"] == CI_PERSON and account["assistance"][0]["assistance_recipient"] is True
    assert {c["person_id"] for c in account["claims"]} == {CI_PERSON}
    own = _ok(await http.get(f"{critical}/persons/{CI_PERSON}/account", params={"year": 2025},
                             headers=auth(CRITICAL, "institution", CI_HOSPITAL)))  # the institution: its own claims
    assert [c["claim_id"] for c in own["claims"]] == ["c-1"] and own["person_id"] == CI_PERSON
    person = _ok(await http.get(f"{critical}/persons/{CI_PERSON}", headers=auth(CRITICAL, "clerk")))
    assert person["person_id"] == CI_PERSON and person["periods"]
    reviews = _ok(await http.get(f"{critical}/reviews", headers=auth(CRITICAL, "reviewer")))["reviews"]
    reviewed = next(r for r in reviews if r["review_id"] == flow["review"])
    assert reviewed["person_id"] == CI_PERSON and NAME in reviewed["note"]
    statements = _ok(await http.get(f"{critical}/statements", params={"month": "2025-03"},
                                    headers=auth(CRITICAL, "finance")))["statements"]
    lines = _ok(await http.get(f"{critical}/statements/{statements[0]['statement_id']}/lines",
                               headers=auth(CRITICAL, "finance")))
    assert CI_PERSON in json.dumps(lines)
    payables = _ok(await http.get(f"{critical}/person-payables", headers=auth(CRITICAL, "finance")))
    assert CI_PERSON in json.dumps(payables, ensure_ascii=False)

    finding = _ok(await http.get(f"{audit}/findings/{flow['finding']['finding_id']}",
                                 headers=auth(CHRONIC, "inspector")))
    assert finding["person_id"] == PERSON and PHONE in finding["description"]
    callback = _ok(await http.get(f"{audit}/callbacks/{flow['callback']['callback_id']}",
                                  headers=auth(CHRONIC, "inspector")))
    assert callback["person_id"] == PERSON and NAME in callback["attempts"][0]["notes"]
    tasks = _ok(await http.get(f"{audit}/sampling-plans/{flow['plan']['plan_id']}/tasks",
                               headers=auth(CHRONIC, "inspector")))
    assert {t["person_id"] for t in tasks} == {PERSON, OTHER} and any(NAME in (t["notes"] or "") for t in tasks)
    warning = _ok(await http.get(f"{audit}/warnings/{flow['warning']['warning_id']}",
                                 headers=auth(CHRONIC, "inspector")))
    assert warning["status"] == "reported" and PHONE in warning["report"]
    assert json.dumps(warning["evidence"]).count(PERSON) == 1  # the evidence names the person (clear, to them)


async def test_lookups_by_person_find_them_and_only_them(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                         flow: dict[str, Any]) -> None:
    settlement, audit = f"{platform.url('settlement')}/v1", f"{platform.url('audit')}/v1"
    mine = _ok(await http.get(f"{settlement}/claims", params={"statement_id": f"{HOSPITAL}-{MONTH}",
                                                              "person_id": PERSON},
                              headers=auth(CHRONIC, "finance")))["claims"]
    assert [c["claim_id"] for c in mine] == ["S1"]
    # the stores index the number as given: the other case of its check letter is another string, found by nobody
    assert _ok(await http.get(f"{settlement}/claims", params={"statement_id": f"{HOSPITAL}-{MONTH}",
                                                              "person_id": PERSON.lower()},
                              headers=auth(CHRONIC, "finance")))["claims"] == []
    cases = _ok(await http.get(f"{audit}/cases", params={"person_id": PERSON}, headers=auth(CHRONIC, "inspector")))
    assert [c["person_id"] for c in cases["cases"]] == [PERSON]
    findings = _ok(await http.get(f"{audit}/findings", params={"person_id": PERSON},
                                  headers=auth(CHRONIC, "inspector")))
    assert len(findings) == 3 and {f["person_id"] for f in findings} == {PERSON}  # callback, inspection, by hand
    assert _ok(await http.get(f"{audit}/findings", params={"person_id": OTHER},
                              headers=auth(CHRONIC, "inspector"))) == []
    trail = _ok(await http.get(f"{audit}/trail", params={"business_key": PERSON},
                               headers=auth(CHRONIC, "inspector")))["entries"]
    types = {e["type"] for e in trail}
    assert {"qualification.granted", "benefits.settled"} <= types and {e["business_key"] for e in trail} == {PERSON}
    checked = await http.get(f"{audit}/trail/verify", headers=auth(CHRONIC, "inspector"))
    assert checked.status_code in (200, 503)  # 503: no archive answer in time; the MACs are checked in unit tests
    if checked.status_code == 200:
        assert checked.json()["valid"], checked.json()
    # critical: the account is found again on a second claim of the person (the same account, not a new one)
    again = _ok(await http.post(f"{settlement}/critical/claims", headers=auth(CRITICAL, "institution", CI_HOSPITAL),
                                json={"claims": [{"claim_id": "c-3", "person_id": CI_PERSON, "date": "2025-09-01",
                                                  "care": "inpatient", "area": "in_area", "networked": True,
                                                  "total_cost": "2000.00", "self_pay": "1000.00"}]}))
    assert again["claims"][0]["cumulative_self_pay"] == "49000.00"  # 20,000 + 28,000 (manual) + 1,000


def test_the_scan_sees_what_it_looks_for() -> None:
    found: list[str] = []
    clear_in({"a": [f"x{PERSON.lower()}y", {"k": NAME.encode()}]}, "probe", CLEAR, found)
    assert len(found) == 2
