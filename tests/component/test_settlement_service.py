"""settlement on the embedded platform (in-memory bus and store, real HTTP and gRPC doors): policies as data,
holdings from qualification events, month-end uploads (JSON and CSV) with line-level errors, adjudication equal
to the domain's, real-time settlement and gRPC Adjudicate on the same account, statements closed, reconciled
against the provincial simulator and paid, and tenant isolation on every endpoint and RPC."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import yaml

from chassis.bus.port import BusMessage
from chassis.events import decode, derived_event_id, encode, new_event, topic_for
from contracts.v1 import common_pb2, events_pb2, settlement_pb2, settlement_pb2_grpc
from jingban.embedded import EmbeddedPlatform
from services.settlement.chronic.domain.benefits import Claim, Holding, Line, YearAccount, adjudicate
from services.settlement.policies.domain.policy import parse_policy
from tests.conftest import auth, eventually
from tests.support import tokens
from tests.support.review import reviewed

# Data of fund year 2025, paid "today": the date these tests were written on (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fixture_business_date")

SAMPLE = Path(__file__).resolve().parents[2] / "programs" / "hz-chronic" / "policy-2025.yaml"
CARRIER = "H61070000001"  # hz-p1's registered code (programs/hz-chronic/program.yaml)
HOSPITAL = "H610702001"
PHARMACY = "P610702002"


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    """The embedded platform runs the provincial simulator in-process and points the services at it."""
    p = EmbeddedPlatform(env={}, port_offset=random.randint(71, 199) * 10)
    await p.start()
    yield p
    await p.stop()


def codes(line: dict[str, Any]) -> list[str]:
    """A claim line's reason codes, as the answer gives them (reason_codes), never read out of the sentences."""
    return [r["code"] for r in line["reason_codes"]]


@pytest.fixture(scope="module")
def simulator(platform: EmbeddedPlatform) -> Any:
    """The simulator's memory (what the platform holds), to configure its settlement totals."""
    assert platform.simulator is not None
    return platform.simulator.config.app.state.simulator


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


@pytest.fixture(scope="module")
async def policy_loaded(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> dict[str, Any]:
    r = await http.post(f"{platform.url('settlement')}/v1/policies", content=SAMPLE.read_bytes(),
                        headers={**auth("hz-p1", "ops"), "content-type": "application/yaml"})
    assert r.status_code in (200, 201), r.text
    return r.json()


def sample_policy() -> Any:
    return parse_policy(yaml.safe_load(SAMPLE.read_text(encoding="utf-8")))


def md(tenant: str, role: str = "clerk", subject: str = "test") -> tuple[tuple[str, str], ...]:
    return tokens.user_metadata(tenant, role, subject)


async def grant(platform: EmbeddedPlatform, tenant: str, person: str, disease: str, granted_on: str) -> str:
    """A qualification.granted as appraisal publishes it, straight onto the in-memory bus."""
    qid = f"q-{person}-{disease}-{granted_on}"
    q = common_pb2.Qualification(qualification_id=qid, person_id=person, disease_code=disease, granted_on=granted_on,
                                 benefit_start=granted_on, status="active")
    ev = new_event("qualification.granted", tenant, person, events_pb2.QualificationGranted(qualification=q),
                   source="appraisal", trace_context={})
    await platform.bus.publish([BusMessage(topic_for(tenant, "qualification.granted"), person, encode(ev))])
    return qid


async def revoke(platform: EmbeddedPlatform, tenant: str, person: str, disease: str, granted_on: str,
                 revoked_on: str) -> None:
    qid = f"q-{person}-{disease}-{granted_on}"
    q = common_pb2.Qualification(qualification_id=qid, person_id=person, disease_code=disease, granted_on=granted_on,
                                 status="revoked")
    ev = new_event("qualification.revoked", tenant, person,
                   events_pb2.QualificationRevoked(qualification=q, reason="re-review failed", revoked_on=revoked_on),
                   source="appraisal", trace_context={})
    await platform.bus.publish([BusMessage(topic_for(tenant, "qualification.revoked"), person, encode(ev))])


async def holds(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str, person: str, n: int) -> None:
    async def probe() -> bool:
        r = await http.get(f"{platform.url('settlement')}/v1/persons/{person}/accumulators",
                           params={"year": 2025}, headers=auth(tenant, "finance"))
        return r.status_code == 200 and len(r.json()["accounts"]) >= n

    await eventually(probe, what=f"{person} holds {n} diseases")


def line(claim: str, person: str, day: str, disease: str, amount: str, covered: bool = True,
         item: str = "X01", desc: str = "药品") -> dict[str, Any]:
    return {"claim_id": claim, "person_id": person, "date": day, "disease": disease, "amount": amount,
            "covered": covered, "item_code": item, "description": desc}


async def upload(platform: EmbeddedPlatform, http: httpx.AsyncClient, month: str, lines: list[dict[str, Any]],
                 tenant: str = "hz-p1", institution: str = HOSPITAL, **extra: Any) -> httpx.Response:
    """An upload; an accepted one is waited for until audit's smart review answered (nothing of it closes before)."""
    r = await http.post(f"{platform.url('settlement')}/v1/claims/batches",
                        json={"month": month, "lines": lines, **extra},
                        headers=auth(tenant, "institution", institution))
    if r.status_code in (200, 201):
        await reviewed(http, platform.url("settlement"), r.json()["batch_id"], tenant)
    return r


def expected(holdings: list[tuple[str, str]], lines: list[dict[str, Any]],
             account: YearAccount | None = None) -> tuple[dict[str, Decimal], YearAccount]:
    """What the domain pays for these lines (grouped into claims by claim_id), from an empty account."""
    claims: dict[str, list[dict[str, Any]]] = {}
    for ln in lines:
        claims.setdefault(ln["claim_id"], []).append(ln)
    domain = [Claim(cid, date.fromisoformat(ls[0]["date"]),
                    tuple(Line(x["disease"], Decimal(x["amount"]), x["covered"], x["item_code"]) for x in ls))
              for cid, ls in claims.items()]
    results, after = adjudicate(sample_policy(), [Holding(d, date.fromisoformat(g)) for d, g in holdings], domain,
                                account or YearAccount(2025))
    return {r.id: r.payable for r in results}, after


async def claims_of(platform: EmbeddedPlatform, http: httpx.AsyncClient, **query: str) -> dict[str, dict[str, Any]]:
    r = await http.get(f"{platform.url('settlement')}/v1/claims", params={**query, "limit": 1000},
                       headers=auth("hz-p1", "finance"))
    assert r.status_code == 200, r.text
    return {c["claim_id"]: c for c in r.json()["claims"]}


async def counts(platform: EmbeddedPlatform, tenant: str = "hz-p1") -> dict[str, int]:
    db = platform.store.database("settlement", tenant)
    names = [n for n in await db.list_collection_names()
             if n.startswith("claims_") or n in ("batches", "statements", "person_states")]
    return {name: await db[name].count_documents({}) for name in names}


# ---- policies -------------------------------------------------------------------------------------------------


async def test_policy_versions_and_the_one_in_force(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                    policy_loaded: dict[str, Any]) -> None:
    base = f"{platform.url('settlement')}/v1/policies"
    assert policy_loaded["version"] == "2025.sample.1"
    again = await http.post(base, content=SAMPLE.read_bytes(),
                            headers={**auth("hz-p1", "finance"), "content-type": "text/yaml"})
    assert again.status_code == 200 and again.json()["created"] is False  # the same table: idempotent

    r = await http.get(f"{base}/hz-chronic", params={"on": "2025-06-15"}, headers=auth("hz-p1", "clerk"))
    assert r.status_code == 200 and r.json()["version"] == "2025.sample.1"
    assert {d["code"] for d in r.json()["diseases"]} >= {"HTN", "DM", "MT"}
    assert (await http.get(f"{base}/hz-chronic", params={"on": "2024-06-15"}, headers=auth("hz-p1", "clerk"))
            ).status_code == 404

    table = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    overlapping = {**table, "version": "2025.b", "effective_from": "2025-07-01"}
    r = await http.post(base, json=overlapping, headers=auth("hz-p1", "ops"))
    assert r.status_code == 409 and "overlap" in r.json()["error"]["message"]
    changed = {**table, "label": "changed"}
    assert (await http.post(base, json=changed, headers=auth("hz-p1", "ops"))).status_code == 409

    older = {**table, "version": "2024.1", "effective_from": "2024-01-01", "effective_to": "2024-12-31",
             "diseases": [d for d in table["diseases"] if d["code"] != "MT"]}
    r = await http.post(base, json=older, headers=auth("hz-p1", "ops"))
    assert r.status_code == 201, r.text
    r = await http.get(f"{base}/hz-chronic", params={"on": "2024-06-15"}, headers=auth("hz-p1", "clerk"))
    assert r.json()["version"] == "2024.1" and "MT" not in {d["code"] for d in r.json()["diseases"]}
    versions = (await http.get(f"{base}/hz-chronic/versions", headers=auth("hz-p1", "clerk"))).json()["versions"]
    assert [v["version"] for v in versions] == ["2024.1", "2025.sample.1"]

    # Every version published is an event (policy.published) with the table.
    async def published() -> list[str] | None:
        got = [decode(m.value).payload.table.version
               for m in platform.bus.messages(topic_for("hz-p1", "policy.published"))]
        return got if {"2024.1", "2025.sample.1"} <= set(got) else None

    assert sorted(set(await eventually(published, what="policy.published"))) == ["2024.1", "2025.sample.1"]

    async with grpc.aio.insecure_channel(platform.grpc_target("settlement")) as ch:
        stub = settlement_pb2_grpc.SettlementServiceStub(ch)
        got = await stub.GetPolicy(settlement_pb2.GetPolicyRequest(program="hz-chronic", on_date="2025-03-01"),
                                   metadata=md("hz-p1"))
        assert got.version == "2025.sample.1" and got.monthly_cap_multiple == 3
        assert {d.code: d.annual_cap for d in got.diseases}["MT"] == ""  # uncapped
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetPolicy(settlement_pb2.GetPolicyRequest(program="hz-chronic", on_date="2023-01-01"),
                                 metadata=md("hz-p1"))
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetPolicy(settlement_pb2.GetPolicyRequest(program="hz-chronic", on_date="15/06/2025"),
                                 metadata=md("hz-p1"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetPolicy(settlement_pb2.GetPolicyRequest(), metadata=md("hz-p1"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(("body", "content_type", "role", "status", "field"), [
    (b"program: [unclosed", "application/yaml", "ops", 422, "body"),
    (b"{}", "text/plain", "ops", 415, "content-type"),
    (b"{}", "application/json", "clerk", 403, None),
    (json.dumps({"program": "hz-chronic", "version": "x", "effective_from": "2025-01-01",
                 "monthly_cap_multiple": 3, "second_disease_weight": "0.2",
                 "diseases": [{"code": "HTN", "name": "n", "category": "c", "annual_cap": "100.00",
                               "deductible": "0.00", "ratio": "1.5", "start": "next_month"}]}).encode(),
     "application/json", "ops", 422, "diseases[0].ratio"),
    (json.dumps({"program": "no-such-program", "version": "x", "effective_from": "2025-01-01",
                 "monthly_cap_multiple": 3, "second_disease_weight": "0.2",
                 "diseases": [{"code": "HTN", "name": "n", "category": "c", "annual_cap": "100.00",
                               "deductible": "0.00", "ratio": "0.5", "start": "next_month"}]}).encode(),
     "application/json", "ops", 422, "program"),
])
async def test_bad_policies_get_precise_errors(platform: EmbeddedPlatform, http: httpx.AsyncClient, body: bytes,
                                               content_type: str, role: str, status: int, field: str | None) -> None:
    r = await http.post(f"{platform.url('settlement')}/v1/policies", content=body,
                        headers={**auth("hz-p1", role), "content-type": content_type})
    assert r.status_code == status, r.text
    if field:
        assert field in [f["field"] for f in r.json()["error"]["fields"]]


# ---- month-end batches ----------------------------------------------------------------------------------------


async def test_json_batch_pays_what_the_domain_pays(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                    policy_loaded: dict[str, Any]) -> None:
    p1, p2, stranger = "610702196001010011", "610702196001010027", "610702196001010035"
    await grant(platform, "hz-p1", p1, "HTN", "2025-03-10")
    await grant(platform, "hz-p1", p2, "HTN", "2025-01-20")
    await grant(platform, "hz-p1", p2, "DM", "2025-04-02")
    await grant(platform, "hz-p1", p2, "DM", "2025-04-02")  # a redelivery adds nothing
    await holds(platform, http, "hz-p1", p1, 1)
    await holds(platform, http, "hz-p1", p2, 2)

    lines_p1 = [line("J1", p1, "2025-06-03", "HTN", "800.00"), line("J1", p1, "2025-06-03", "HTN", "60.50"),
                line("J2", p1, "2025-06-20", "HTN", "900.00"), line("J3", p1, "2025-06-21", "HTN", "30.00", False)]
    lines_p2 = [line("J4", p2, "2025-06-02", "DM", "500.00"), line("J5", p2, "2025-06-09", "HTN", "1200.00"),
                line("J5", p2, "2025-06-09", "DM", "333.33")]
    lines_x = [line("J6", stranger, "2025-06-05", "HTN", "100.00")]
    r = await upload(platform, http, "2025-06", lines_p1 + lines_x + lines_p2)
    assert r.status_code == 201, r.text
    batch = r.json()
    assert batch["status"] == "done" and batch["lines"] == 8 and batch["claims"] == 6 and batch["persons"] == 3
    assert batch["policy_versions"] == ["2025.sample.1"] and batch["claimed"] == "3923.83"

    want1, acc1 = expected([("HTN", "2025-03-10")], lines_p1)
    want2, acc2 = expected([("HTN", "2025-01-20"), ("DM", "2025-04-02")], lines_p2)
    stored = await claims_of(platform, http, batch_id=batch["batch_id"])
    assert {k: Decimal(v["payable"]) for k, v in stored.items()} == {**want1, **want2, "J6": Decimal("0.00")}
    assert Decimal(batch["payable"]) == sum(want1.values()) + sum(want2.values())
    assert codes(stored["J6"]["lines"][0])[0] == "disease_not_held"
    assert "not_covered" in codes(stored["J3"]["lines"][0])
    assert all(c["policy_version"] == "2025.sample.1" for c in stored.values())
    assert [ln["line"] for ln in stored["J1"]["lines"]] == [1, 2]

    acc = (await http.get(f"{platform.url('settlement')}/v1/persons/{p2}/accumulators", params={"year": 2025},
                          headers=auth("hz-p1", "clerk"))).json()
    assert Decimal(acc["paid"]) == acc2.paid and Decimal(acc["deductible_used"]) == acc2.deductible_used
    assert acc["year_cap"] and acc["monthly_cap"] and acc["policy_version"] == "2025.sample.1"
    by_disease = {a["disease_code"]: Decimal(a["paid"]) for a in acc["accounts"]}
    assert sum(by_disease.values()) == acc2.paid and set(by_disease) == {"HTN", "DM"}

    # The same upload again: the same answer, nothing applied twice.
    again = await upload(platform, http, "2025-06", lines_p1 + lines_x + lines_p2)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["payable"] == batch["payable"]
    acc_again = (await http.get(f"{platform.url('settlement')}/v1/persons/{p1}/accumulators",
                                params={"year": 2025}, headers=auth("hz-p1", "clerk"))).json()
    assert Decimal(acc_again["paid"]) == acc1.paid
    # ... also under an explicit batch id reused for other content: refused.
    r = await upload(platform, http, "2025-06", lines_x, batch_id=batch["batch_id"])
    assert r.status_code == 409


async def test_csv_batch_by_a_clerk(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                    policy_loaded: dict[str, Any]) -> None:
    person = "610702196001010043"
    await grant(platform, "hz-p1", person, "MT", "2025-05-18")  # immediate start, uncapped
    await holds(platform, http, "hz-p1", person, 1)
    csv = ("claim_id,person_id,date,disease,amount,covered,item_code,description\n"
           f"K1,{person},2025-05-20,MT,1000.00,true,Y1,\"化疗, 门诊\"\n"
           f"K1,{person},2025-05-20,MT,250,yes,Y2,检查\n"
           f"K2,{person},2025-05-17,MT,400.00,1,Y3,before the grant\n")
    r = await http.post(f"{platform.url('settlement')}/v1/claims/batches", content=csv.encode(),
                        params={"month": "2025-05", "institution_code": PHARMACY, "batch_id": "csv-2025-05-a"},
                        headers={**auth("hz-p1", "clerk"), "content-type": "text/csv"})
    assert r.status_code == 201, r.text
    assert r.json()["batch_id"] == "csv-2025-05-a" and r.json()["statement_id"] == f"{PHARMACY}-2025-05"
    rows = [line("K1", person, "2025-05-20", "MT", "1000.00"), line("K1", person, "2025-05-20", "MT", "250.00"),
            line("K2", person, "2025-05-17", "MT", "400.00")]
    want, _ = expected([("MT", "2025-05-18")], rows)
    stored = await claims_of(platform, http, batch_id="csv-2025-05-a")
    assert {k: Decimal(v["payable"]) for k, v in stored.items()} == want
    assert stored["K1"]["lines"][0]["description"] == "化疗, 门诊"
    assert codes(stored["K2"]["lines"][0])[0] == "before_benefit_start"
    # A clerk must say which institution; an institution may not upload for another.
    r = await http.post(f"{platform.url('settlement')}/v1/claims/batches", content=csv.encode(),
                        params={"month": "2025-05"}, headers={**auth("hz-p1", "clerk"), "content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "institution_code"
    r = await upload(platform, http, "2025-05", rows, institution_code="OTHER1")
    assert r.status_code == 403


BAD_LINES: list[tuple[dict[str, Any], str, str]] = [
    (line("B1", "P1", "2025-13-01", "HTN", "1.00"), "date", "not a date"),
    (line("B2", "P1", "2025-07-01", "HTN", "1.00"), "date", "outside the month"),
    (line("B3", "P1", "2025-06-01", "HTN", "-5.00"), "amount", "negative"),
    (line("B4", "P1", "2025-06-01", "HTN", "abc"), "amount", "not a number"),
    (line("B5", "P1", "2025-06-01", "HTN", "1.005"), "amount", "more than two decimals"),
    (line("B6", "P1", "2025-06-01", "FLU", "1.00"), "disease", "not in the policy"),
    (line("D1", "610702196001010051", "2025-06-03", "HTN", "1.00"), "claim_id", "duplicate"),  # stored before
    ({**line("B7", "P1", "2025-06-01", "HTN", "1.00"), "covered": "maybe"}, "covered", "true or false"),
    ({**line("B8", "", "2025-06-01", "HTN", "1.00")}, "person_id", "required"),
]


async def test_bad_json_lines_are_all_reported_and_nothing_is_stored(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, policy_loaded: dict[str, Any]) -> None:
    stored = await upload(platform, http, "2025-06", [line("D1", "610702196001010051", "2025-06-03", "HTN", "5.00")])
    assert stored.status_code == 201, stored.text
    good = [line("G1", "610702196001010051", "2025-06-04", "HTN", "10.00")]
    dup_in_batch = [{**line("G2", "P9", "2025-06-04", "HTN", "1.00"), "line": 1},
                    {**line("G2", "P9", "2025-06-04", "HTN", "2.00"), "line": 1}]
    body = good + [b for b, _, _ in BAD_LINES] + dup_in_batch + [line("G3", "P9", "2025-06-04", "HTN", "12.345")]
    before = await counts(platform)
    r = await upload(platform, http, "2025-06", body)
    assert r.status_code == 422, r.text
    errors = r.json()["error"]["fields"]
    by_line = {e["line"]: e for e in errors}
    for i, (_, field, words) in enumerate(BAD_LINES, start=2):
        assert by_line[i]["field"] == field and words in by_line[i]["message"], (i, by_line.get(i))
    n_dup = len(BAD_LINES) + 3
    assert by_line[n_dup]["field"] == "line" and "already given" in by_line[n_dup]["message"]
    assert by_line[n_dup + 1]["field"] == "amount"
    assert 1 not in by_line and n_dup - 1 not in by_line
    assert await counts(platform) == before

    # A claim is one person's visit on one day.
    r = await upload(platform, http, "2025-06", [line("M1", "P1", "2025-06-01", "HTN", "1.00"),
                                                 line("M1", "P2", "2025-06-01", "HTN", "1.00")])
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["line"] == 2
    for body_json, field in (({"month": "2025-6", "lines": good}, "month"), ({"month": "2025-06", "lines": []},
                                                                             "lines")):
        r = await http.post(f"{platform.url('settlement')}/v1/claims/batches", json=body_json,
                            headers=auth("hz-p1", "institution", HOSPITAL))
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == field
    r = await http.post(f"{platform.url('settlement')}/v1/claims/batches", content=b"{nope",
                        headers={**auth("hz-p1", "institution", HOSPITAL), "content-type": "application/json"})
    assert r.status_code == 422
    r = await http.post(f"{platform.url('settlement')}/v1/claims/batches", content=b"x",
                        headers={**auth("hz-p1", "institution", HOSPITAL), "content-type": "text/plain"})
    assert r.status_code == 415
    assert (await http.post(f"{platform.url('settlement')}/v1/claims/batches", json={"month": "2025-06",
            "lines": good}, headers=auth("hz-p1", "finance"))).status_code == 403
    assert await counts(platform) == before


async def test_bad_csv_rows_are_all_reported(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                             policy_loaded: dict[str, Any]) -> None:
    before = await counts(platform)
    header = "claim_id,person_id,date,disease,amount,covered,item_code,description\n"
    csv = (header + "C1,P1,2025-06-01,HTN,10.00,true,Y1,ok\n"
           "C2,P1,2025-06-01,HTN,10.00,true\n"               # too few columns
           "C3,P1,2025-06-01,HTN,10.00,true,Y1,ok,extra\n"   # too many
           "C4,P1,2025-06-31,HTN,10.00,true,Y1,ok\n")        # no such day
    r = await http.post(f"{platform.url('settlement')}/v1/claims/batches", content=csv.encode(),
                        params={"month": "2025-06"},
                        headers={**auth("hz-p1", "institution", HOSPITAL), "content-type": "text/csv"})
    assert r.status_code == 422, r.text
    errors = r.json()["error"]["fields"]
    assert [(e["line"], e["field"]) for e in errors] == [(2, "row"), (3, "row"), (4, "date")]
    assert "columns" in errors[0]["message"]
    r = await http.post(f"{platform.url('settlement')}/v1/claims/batches", content=b"claim_id,amount\nC1,1\n",
                        params={"month": "2025-06"},
                        headers={**auth("hz-p1", "institution", HOSPITAL), "content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "header"
    assert await counts(platform) == before


async def test_revoked_qualification_stops_paying_from_the_revocation(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, policy_loaded: dict[str, Any]) -> None:
    person = "610702196001010060"
    await revoke(platform, "hz-p1", person, "COPD", "2025-01-05", "2025-06-15")  # may arrive before the grant
    await grant(platform, "hz-p1", person, "COPD", "2025-01-05")
    await holds(platform, http, "hz-p1", person, 1)
    r = await upload(platform, http, "2025-06", [line("R1", person, "2025-06-14", "COPD", "100.00"),
                                                 line("R2", person, "2025-06-15", "COPD", "100.00")],
                     institution="H610702003")
    assert r.status_code == 201, r.text
    stored = await claims_of(platform, http, batch_id=r.json()["batch_id"])
    assert stored["R1"]["payable"] == "70.00"
    assert stored["R2"]["payable"] == "0.00" and codes(stored["R2"]["lines"][0])[0] == "disease_not_held"


# ---- real time --------------------------------------------------------------------------------------------------


async def test_realtime_and_grpc_adjudicate_continue_the_batch_account(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, policy_loaded: dict[str, Any]) -> None:
    a, b = "610702196001010078", "610702196001010086"  # same holdings; a mixes paths, b is all batch
    for person in (a, b):
        await grant(platform, "hz-p1", person, "HF", "2024-11-02")
        await grant(platform, "hz-p1", person, "HTN", "2025-02-11")
        await holds(platform, http, "hz-p1", person, 2)
    day = ["2025-07-02", "2025-07-09", "2025-07-15", "2025-07-20", "2025-07-28"]
    spec = [[("HF", "900.00"), ("HTN", "120.00")], [("HF", "2500.00")], [("HTN", "300.00", False)],
            [("HF", "1800.00"), ("HTN", "999.99")], [("HF", "700.00")]]

    def lines_for(person: str, prefix: str, i: int) -> list[dict[str, Any]]:
        return [line(f"{prefix}{i}", person, day[i], d, amt, *rest) for d, amt, *rest in spec[i]]

    r = await upload(platform, http, "2025-07", [x for i in range(3) for x in lines_for(a, "A", i)])
    assert r.status_code == 201, r.text
    settle_url = f"{platform.url('settlement')}/v1/visits/settle"
    visit = {"claim_id": "A3", "person_id": a, "date": day[3],
             "lines": [{"disease": d, "amount": amt, "covered": True, "item_code": "I", "description": ""}
                       for d, amt in spec[3]]}
    r = await http.post(settle_url, json=visit, headers=auth("hz-p1", "institution", HOSPITAL))
    assert r.status_code == 201, r.text
    http_result = r.json()
    assert http_result["policy_version"] == "2025.sample.1" and len(http_result["lines"]) == 2
    assert Decimal(http_result["payable"]) + Decimal(http_result["patient_pays"]) == Decimal("2799.99")
    again = await http.post(settle_url, json=visit, headers=auth("hz-p1", "institution", HOSPITAL))
    assert again.status_code == 200 and again.json()["payable"] == http_result["payable"]  # idempotent

    async with grpc.aio.insecure_channel(platform.grpc_target("settlement")) as ch:
        stub = settlement_pb2_grpc.SettlementServiceStub(ch)
        req = settlement_pb2.AdjudicateRequest(
            person_id=a, claim_id="A4", date=day[4], institution_code=HOSPITAL,
            lines=[settlement_pb2.ClaimLine(disease="HF", amount="700.00", covered=True, item_code="I")])
        grpc_result = await stub.Adjudicate(req, metadata=md("hz-p1", "institution", HOSPITAL))
        assert grpc_result.policy_version == "2025.sample.1"
        replay = await stub.Adjudicate(req, metadata=md("hz-p1", "institution", HOSPITAL))
        assert replay.payable == grpc_result.payable
        for result in grpc_result.lines:  # the reasons as data beside the sentences, as over HTTP
            assert list(result.reasons) == [f"{r.code}: {r.detail}" if r.detail else r.code
                                            for r in result.reason_codes]

    r = await upload(platform, http, "2025-07", [x for i in range(5) for x in lines_for(b, "B", i)])
    assert r.status_code == 201, r.text
    only_b = await claims_of(platform, http, statement_id=f"{HOSPITAL}-2025-07", person_id=b)
    assert http_result["payable"] == only_b["B3"]["payable"]
    assert grpc_result.payable == only_b["B4"]["payable"]
    assert [ln["payable"] for ln in http_result["lines"]] == [ln["payable"] for ln in only_b["B3"]["lines"]]
    assert [ln["reason_codes"] for ln in http_result["lines"]] == [ln["reason_codes"] for ln in only_b["B3"]["lines"]]
    want, after = expected([("HF", "2024-11-02"), ("HTN", "2025-02-11")],
                           [x for i in range(5) for x in lines_for(b, "B", i)])
    assert {k: Decimal(v["payable"]) for k, v in only_b.items()} == want
    for person in (a, b):
        acc = (await http.get(f"{platform.url('settlement')}/v1/persons/{person}/accumulators",
                              params={"year": 2025}, headers=auth("hz-p1", "finance"))).json()
        assert Decimal(acc["paid"]) == after.paid and Decimal(acc["deductible_used"]) == after.deductible_used
    async with grpc.aio.insecure_channel(platform.grpc_target("settlement")) as ch:
        got = await settlement_pb2_grpc.SettlementServiceStub(ch).GetAccumulators(
            settlement_pb2.GetAccumulatorsRequest(person_id=a, year=2025), metadata=md("hz-p1"))
        assert Decimal(got.paid) == after.paid and {x.disease_code for x in got.accounts} == {"HF", "HTN"}
        assert sum(x.paid_fen for x in got.accounts) == int(after.paid * 100)

    # A batch claim id cannot be settled again in real time, nor a visit re-uploaded in a batch.
    r = await http.post(settle_url, json={**visit, "claim_id": "A0"}, headers=auth("hz-p1", "institution", HOSPITAL))
    assert r.status_code == 409
    r = await upload(platform, http, "2025-07", lines_for(a, "A", 3))
    assert r.status_code == 422 and "real time" in r.json()["error"]["fields"][0]["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({"person_id": "P1", "date": "2025-07-01", "lines": [{"disease": "HTN", "amount": "1.00", "covered": True}]},
     "claim_id"),
    ({"claim_id": "V1", "person_id": "P1", "date": "2025-07-01", "lines": []}, "lines"),
    ({"claim_id": "V1", "person_id": "P1", "date": "2025-07-01",
      "lines": [{"disease": "HTN", "amount": 1.555, "covered": True}]}, "lines[0].amount"),
    ({"claim_id": "V1", "person_id": "P1", "date": "2025-07-01",
      "lines": [{"disease": "HTN", "amount": "1.00", "covered": True}, {"disease": "FLU", "amount": "1.00",
                                                                      "covered": True}]}, "lines[1].disease"),
    ({"claim_id": "V1", "person_id": "P1", "date": "2099-07-01",
      "lines": [{"disease": "HTN", "amount": "1.00", "covered": True}]}, "date"),
    ({"claim_id": "V1", "person_id": "P1", "date": "2023-07-01",
      "lines": [{"disease": "HTN", "amount": "1.00", "covered": True}]}, "date"),
])
async def test_bad_visits_get_precise_errors(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                             policy_loaded: dict[str, Any], body: dict[str, Any], field: str) -> None:
    r = await http.post(f"{platform.url('settlement')}/v1/visits/settle", json=body,
                        headers=auth("hz-p1", "institution", HOSPITAL))
    assert r.status_code == 422, r.text
    assert field in [f["field"] for f in r.json()["error"]["fields"]]


async def test_visit_roles_and_grpc_errors(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                           policy_loaded: dict[str, Any]) -> None:
    body = {"claim_id": "V9", "person_id": "P1", "date": "2025-07-01",
            "lines": [{"disease": "HTN", "amount": "1.00", "covered": True}]}
    url = f"{platform.url('settlement')}/v1/visits/settle"
    assert (await http.post(url, json=body)).status_code == 401
    assert (await http.post(url, json=body, headers=auth("hz-p1", "clerk"))).status_code == 403
    async with grpc.aio.insecure_channel(platform.grpc_target("settlement")) as ch:
        stub = settlement_pb2_grpc.SettlementServiceStub(ch)
        ok_line = [settlement_pb2.ClaimLine(disease="HTN", amount="1.00", covered=True)]
        cases = [
            (settlement_pb2.AdjudicateRequest(person_id="P1", claim_id="V9", date="2025-07-01", lines=ok_line),
             md("hz-p1", "clerk"), grpc.StatusCode.PERMISSION_DENIED),
            (settlement_pb2.AdjudicateRequest(person_id="P1", claim_id="V9", date="2025-07-01", lines=ok_line),
             tokens.service_metadata("intake", "hz-p1"), grpc.StatusCode.PERMISSION_DENIED),  # no service adjudicates
            (settlement_pb2.AdjudicateRequest(person_id="P1", claim_id="V9", date="2025-07-01",
                                              institution_code=HOSPITAL,
                                              lines=[settlement_pb2.ClaimLine(disease="HTN", amount="x")]),
             md("hz-p1", "institution", HOSPITAL), grpc.StatusCode.INVALID_ARGUMENT),
            (settlement_pb2.AdjudicateRequest(person_id="P1", claim_id="V9", date="2025-07-01", lines=ok_line,
                                              institution_code="SOMEONE-ELSE"),
             md("hz-p1", "institution", HOSPITAL), grpc.StatusCode.PERMISSION_DENIED),
            (settlement_pb2.AdjudicateRequest(person_id="P1", claim_id="V9", date="2025-07-01", lines=ok_line),
             (), grpc.StatusCode.UNAUTHENTICATED),
        ]
        for request, metadata, code in cases:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.Adjudicate(request, metadata=metadata)
            assert err.value.code() == code, (request, err.value.details())


# ---- statements ---------------------------------------------------------------------------------------------------


async def test_statement_close_reconcile_and_pay_once(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                      simulator: Any,
                                                      policy_loaded: dict[str, Any]) -> None:
    inst, month = "H610702009", "2025-08"
    sid = f"{inst}-{month}"
    people = ["610702196001010094", "610702196001010107"]
    for person in people:
        await grant(platform, "hz-p1", person, "SCZ", "2025-01-03")
        await holds(platform, http, "hz-p1", person, 1)
    r = await upload(platform, http, month, [line("S1", people[0], "2025-08-04", "SCZ", "400.00"),
                                             line("S1", people[0], "2025-08-04", "SCZ", "100.00"),
                                             line("S2", people[1], "2025-08-05", "SCZ", "250.00")], institution=inst)
    assert r.status_code == 201, r.text
    r = await http.post(f"{platform.url('settlement')}/v1/visits/settle", headers=auth("hz-p1", "institution", inst),
                        json={"claim_id": "S3", "person_id": people[1], "date": "2025-08-20",
                              "lines": [{"disease": "SCZ", "amount": "50.00", "covered": True}]})
    assert r.status_code == 201, r.text
    base = f"{platform.url('settlement')}/v1/statements"
    st = (await http.get(f"{base}/{sid}", headers=auth("hz-p1", "finance"))).json()
    assert st["status"] == "open" and st["claimed"] == "800.00" and st["payable"] == "640.00"
    assert (st["lines"], st["claims"], st["persons"], st["policy_version"]) == (4, 3, 2, "2025.sample.1")
    # 月结清算时限 (programs/hz-chronic/program.yaml): 20 working days after 2025-08-31; long past and unpaid.
    assert st["settlement_deadline"] == "2025-09-26" and st["overdue"] is True
    assert st["deadline"]["provisional"] is False and "monthly_deadline_working_days" in st["deadline"]["basis"]
    listed = (await http.get(base, params={"month": month}, headers=auth("hz-p1", "clerk"))).json()["statements"]
    assert [s["statement_id"] for s in listed] == [sid]

    # Not closed: no reconciliation, no payment; only finance closes.
    assert (await http.post(f"{base}/{sid}/reconcile", headers=auth("hz-p1", "finance"))).status_code == 409
    assert (await http.post(f"{base}/{sid}/payments", headers=auth("hz-p1", "finance"))).status_code == 409
    assert (await http.post(f"{base}/{sid}/close", headers=auth("hz-p1", "clerk"))).status_code == 403
    r = await http.post(f"{base}/{sid}/close", headers=auth("hz-p1", "finance", "fin-1"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["payable"] == "640.00" and r.json()["closed_by"] == "fin-1"
    assert (await http.post(f"{base}/{sid}/close", headers=auth("hz-p1", "finance"))).status_code == 409

    async def closed_events() -> tuple[list[Any], list[Any]] | None:
        closed = [decode(m.value) for m in platform.bus.messages(topic_for("hz-p1", "statement.closed"))]
        settled = [decode(m.value) for m in platform.bus.messages(topic_for("hz-p1", "benefits.settled"))]
        closed = [e for e in closed if e.payload.statement_id == sid]
        settled = [e for e in settled if e.payload.statement_id == sid]
        return (closed, settled) if closed and len(settled) == 2 else None

    closed, settled = await eventually(closed_events, what="statement.closed and benefits.settled")
    assert len(closed) == 1 and closed[0].payload.payable == "640.00" and closed[0].payload.persons == 2
    assert closed[0].payload.lines == 4
    assert {e.payload.person_id: e.payload.payable for e in settled} == {people[0]: "400.00", people[1]: "240.00"}
    assert {e.envelope.business_key for e in settled} == set(people)
    # their ids are derived from each person's keyed pseudonym, not from the identity number (chassis/pii.py)
    assert all(e.id != derived_event_id(sid, "benefits.settled", e.payload.person_id) for e in settled)

    # Closed: nothing more for that month.
    r = await upload(platform, http, month, [line("S9", people[0], "2025-08-30", "SCZ", "1.00")], institution=inst)
    assert r.status_code == 409 and "closed" in r.json()["error"]["message"]
    r = await http.post(f"{platform.url('settlement')}/v1/visits/settle", headers=auth("hz-p1", "institution", inst),
                        json={"claim_id": "S10", "person_id": people[1], "date": "2025-08-21",
                              "lines": [{"disease": "SCZ", "amount": "5.00", "covered": True}]})
    assert r.status_code == 409

    # The platform holds other totals: not balanced, said so, the result kept and published.
    sim = simulator
    sim.record_settlements(CARRIER, date(2025, 8, 1), date(2025, 8, 31), medical_fee_total=Decimal("800.00"),
                           fund_paid_total=Decimal("600.00"), count=3)
    r = await http.post(f"{base}/{sid}/reconcile", headers=auth("hz-p1", "finance"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_balanced", r.text
    assert "基金支付总额不符" in r.json()["error"]["message"]
    st = (await http.get(f"{base}/{sid}", headers=auth("hz-p1", "finance"))).json()
    assert st["status"] == "closed" and st["reconciliation"]["balanced"] is False
    assert (await http.post(f"{base}/{sid}/payments", headers=auth("hz-p1", "finance"))).status_code == 409

    sim.record_settlements(CARRIER, date(2025, 8, 1), date(2025, 8, 31), medical_fee_total=Decimal("800.00"),
                           fund_paid_total=Decimal("640.00"), count=3)
    r = await http.post(f"{base}/{sid}/reconcile", headers=auth("hz-p1", "finance"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "reconciled" and r.json()["reconciliation"]["balanced"] is True
    assert (await http.post(f"{base}/{sid}/reconcile", headers=auth("hz-p1", "finance"))).status_code == 409

    # The dedicated account holds no fund money yet: the carrier advances it (垫付, services/settlement/fund.py).
    r = await http.post(f"{platform.url('settlement')}/v1/fund/advances", headers=auth("hz-p1", "finance"),
                        json={"advance_id": f"adv-{sid}", "date": "2025-08-31", "amount": "640.00"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{base}/{sid}/payments", headers=auth("hz-p1", "finance", "fin-2"))
    assert r.status_code == 201, r.text
    payment = r.json()
    assert payment["amount"] == "640.00" and payment["statement_id"] == sid and payment["issued_by"] == "fin-2"
    again = await http.post(f"{base}/{sid}/payments", headers=auth("hz-p1", "finance"))
    assert again.status_code == 409 and "already paid" in again.json()["error"]["message"]
    paid = (await http.get(f"{platform.url('settlement')}/v1/payments", params={"month": month},
                           headers=auth("hz-p1", "finance"))).json()["payments"]
    assert [p["payment_id"] for p in paid] == [payment["payment_id"]]

    async def events() -> dict[str, list[Any]] | None:
        got = {t: [decode(m.value) for m in platform.bus.messages(topic_for("hz-p1", t))]
               for t in ("statement.reconciled", "payment.issued")}
        got = {t: [e for e in evs if e.payload.statement_id == sid] for t, evs in got.items()}
        return got if len(got["statement.reconciled"]) == 2 and got["payment.issued"] else None

    got = await eventually(events, what="reconciled and paid events")
    assert [e.payload.balanced for e in got["statement.reconciled"]] == [False, True]
    assert [e.payload.amount for e in got["payment.issued"]] == ["640.00"]
    final = (await http.get(f"{base}/{sid}", headers=auth("hz-p1", "institution", inst))).json()
    assert final["status"] == "paid" and final["payment_id"] == payment["payment_id"]
    assert final["overdue"] is True and final["settlement_deadline"] == "2025-09-26"  # paid, but after it


# ---- tenant isolation -----------------------------------------------------------------------------------------


async def test_tenants_never_see_each_other(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                            policy_loaded: dict[str, Any]) -> None:
    inst, month = "H610702010", "2025-09"
    person = "610702196001010115"
    await grant(platform, "hz-p1", person, "HTN", "2025-01-03")
    await holds(platform, http, "hz-p1", person, 1)
    r = await upload(platform, http, month, [line("T1", person, "2025-09-04", "HTN", "100.00")], institution=inst)
    assert r.status_code == 201
    bid = r.json()["batch_id"]
    sid = f"{inst}-{month}"
    s = platform.url("settlement")

    async def same_as_missing(method: str, template: str, real: str, role: str = "finance",
                              subject: str = "u1") -> None:
        got = await http.request(method, s + template.format(real), headers=auth("hz-p2", role, subject))
        missing = await http.request(method, s + template.format("nope"), headers=auth("hz-p2", role, subject))
        assert got.status_code == missing.status_code == 404, (template, got.text)
        assert got.json()["error"]["message"].replace(real, "X") == missing.json()["error"]["message"].replace(
            "nope", "X")  # no hint that it exists elsewhere

    for method, template in (("GET", "/v1/statements/{}"), ("POST", "/v1/statements/{}/close"),
                             ("POST", "/v1/statements/{}/reconcile"), ("POST", "/v1/statements/{}/payments")):
        await same_as_missing(method, template, sid)
    await same_as_missing("GET", "/v1/statements/{}", sid, "institution", inst)
    await same_as_missing("GET", "/v1/claims/batches/{}", bid, "clerk")
    # Another institution of the same tenant sees hz-p1's statement as missing too.
    r = await http.get(f"{s}/v1/statements/{sid}", headers=auth("hz-p1", "institution", "H999"))
    assert r.status_code == 404
    assert (await http.get(f"{s}/v1/statements", params={"month": month}, headers=auth("hz-p2", "finance"))
            ).json()["statements"] == []
    assert (await http.get(f"{s}/v1/claims", params={"statement_id": sid}, headers=auth("hz-p2", "finance"))
            ).json()["claims"] == []
    other_institution = auth("hz-p1", "institution", "H999")
    assert (await http.get(f"{s}/v1/claims", params={"statement_id": sid}, headers=other_institution)
            ).json()["claims"] == []
    assert (await http.get(f"{s}/v1/payments", params={"month": "2025-08"}, headers=auth("hz-p2", "finance"))
            ).json()["payments"] == []
    acc = (await http.get(f"{s}/v1/persons/{person}/accumulators", params={"year": 2025},
                          headers=auth("hz-p2", "finance"))).json()
    assert acc["accounts"] == [] and acc["paid"] == "0.00"
    # Policies as stored: hz-p2 has published none.
    assert (await http.get(f"{s}/v1/policies/hz-chronic", headers=auth("hz-p2", "clerk"))).status_code == 404
    assert (await http.get(f"{s}/v1/policies/hz-chronic/versions", headers=auth("hz-p2", "clerk"))).status_code == 404
    # hz-p2 cannot upload either until it loads its own table.
    r = await upload(platform, http, month, [line("T1", person, "2025-09-04", "HTN", "100.00")], tenant="hz-p2",
                     institution=inst)
    assert r.status_code == 422 and "no policy" in r.json()["error"]["fields"][0]["message"]

    async with grpc.aio.insecure_channel(platform.grpc_target("settlement")) as ch:
        stub = settlement_pb2_grpc.SettlementServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetPolicy(settlement_pb2.GetPolicyRequest(program="hz-chronic"), metadata=md("hz-p2"))
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        got = await stub.GetAccumulators(settlement_pb2.GetAccumulatorsRequest(person_id=person, year=2025),
                                         metadata=md("hz-p2"))
        assert list(got.accounts) == [] and got.paid == "0.00"
        with pytest.raises(grpc.aio.AioRpcError) as err:  # no table in hz-p2: hz-p1's is not used
            await stub.Adjudicate(settlement_pb2.AdjudicateRequest(
                person_id=person, claim_id="T1", date="2025-09-04", institution_code=inst,
                lines=[settlement_pb2.ClaimLine(disease="HTN", amount="100.00", covered=True)]),
                metadata=md("hz-p2", "institution", inst))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "no policy" in err.value.details()

    # With its own table, hz-p2 settles its own claim T1 from zero: nothing of hz-p1's account or claim is seen.
    table = SAMPLE.read_bytes()
    r = await http.post(f"{s}/v1/policies", content=table, headers={**auth("hz-p2", "ops"),
                                                                    "content-type": "application/yaml"})
    assert r.status_code == 201
    r = await http.post(f"{s}/v1/visits/settle", headers=auth("hz-p2", "institution", inst),
                        json={"claim_id": "T1", "person_id": "610721196001010011", "date": "2025-09-04",
                              "lines": [{"disease": "HTN", "amount": "100.00", "covered": True}]})
    assert r.status_code == 201 and r.json()["payable"] == "0.00", r.text
    # hz-p1's person never reached an hz-p2 database.
    db = platform.store.database("settlement", "hz-p2")
    for name in await db.list_collection_names():
        assert await db[name].count_documents({"person_id": person}) == 0


async def test_accumulator_input_errors(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    s = platform.url("settlement")
    assert (await http.get(f"{s}/v1/persons/P1/accumulators", params={"year": 1900},
                           headers=auth("hz-p1", "finance"))).status_code == 422
    assert (await http.get(f"{s}/v1/persons/P1/accumulators", params={"year": 2025},
                           headers=auth("hz-p1", "applicant"))).status_code == 403
    assert (await http.get(f"{s}/v1/statements", params={"month": "2025-13"},
                           headers=auth("hz-p1", "finance"))).status_code == 422
    assert (await http.get(f"{s}/v1/claims", headers=auth("hz-p1", "finance"))).status_code == 422
    assert (await http.get(f"{s}/v1/claims", params={"person_id": "P1"}, headers=auth("hz-p1", "finance"))
            ).status_code == 422


# ---- payment runs (批量支付) ----------------------------------------------------------------------------------------


async def test_a_payment_run_pays_the_months_reconciled_statements_at_once(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, simulator: Any, policy_loaded: dict[str, Any]) -> None:
    month, paid_inst, closed_inst = "2025-10", "H610702011", "H610702012"
    person = "610702196001010123"
    await grant(platform, "hz-p1", person, "SCZ", "2025-01-03")
    await holds(platform, http, "hz-p1", person, 1)
    # (a drug and a service: the same drug from two hospitals on one day would be held as duplicate medication)
    for inst, cid, amount, item in ((paid_inst, "R1", "400.00", "X01"), (closed_inst, "R2", "100.00", "T102")):
        r = await upload(platform, http, month, [line(cid, person, "2025-10-06", "SCZ", amount, item=item)],
                         institution=inst)
        assert r.status_code == 201, r.text
    s, fin = platform.url("settlement"), auth("hz-p1", "finance", "fin-run")
    base = f"{s}/v1/statements"
    sid, other = f"{paid_inst}-{month}", f"{closed_inst}-{month}"
    for x in (sid, other):
        closed = await http.post(f"{base}/{x}/close", headers=fin)
        assert closed.status_code == 200, closed.text
    st = (await http.get(f"{base}/{sid}", headers=fin)).json()
    simulator.record_settlements(CARRIER, date(2025, 10, 1), date(2025, 10, 31),
                                 medical_fee_total=Decimal(st["claimed"]), fund_paid_total=Decimal(st["payable"]),
                                 count=st["claims"])
    r = await http.post(f"{base}/{sid}/reconcile", headers=fin)
    assert r.status_code == 200 and r.json()["status"] == "reconciled", r.text
    due = Decimal(st["payable"])
    bank = Decimal((await http.get(f"{s}/v1/fund/balance", params={"on": "2026-12-31", "year": 2025},
                                   headers=fin)).json()["balances"]["bank"])
    assert bank < due - 1, "the books of hz-p1 2025 hold more than this test expects"
    r = await http.post(f"{s}/v1/fund/advances", headers=fin, json={
        "advance_id": "adv-run-2025-10", "date": "2025-10-31", "amount": f"{due - bank - 1:.2f}"})
    assert r.status_code == 201, r.text

    # One short of the run: refused whole, naming the shortfall; nothing written.
    r = await http.post(f"{base}/payments", headers=fin, json={"month": month})
    assert r.status_code == 409 and r.json()["error"]["code"] == "insufficient_funds", r.text
    assert "short by 1.00" in r.json()["error"]["message"] and r.json()["error"]["fields"][0]["field"] == "amount"
    # what finance acts on, as data (yuan, two decimals): the shortfall to advance, what the run needs, the balance
    assert r.json()["error"]["params"] == {"short": "1.00", "needed": f"{due:.2f}", "balance": f"{due - 1:.2f}",
                                           "account": "bank", "account_name": "专户存款", "tenant": "hz-p1",
                                           "year": "2025"}
    assert (await http.get(f"{s}/v1/payments", params={"month": month}, headers=fin)).json()["payments"] == []
    r = await http.post(f"{s}/v1/fund/advances", headers=fin, json={
        "advance_id": "adv-run-2025-10b", "date": "2025-10-31", "amount": "1.00"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{base}/payments", headers=fin, json={"month": month})
    assert r.status_code == 201, r.text
    run = r.json()
    assert [(p["statement_id"], p["amount"], p["issued_by"]) for p in run["paid"]] == [(sid, f"{due:.2f}", "fin-run")]
    assert run["skipped"] == [{"id": other, "status": "closed", "reason": "not_reconciled"}]
    assert (await http.get(f"{base}/{sid}", headers=fin)).json()["status"] == "paid"
    ledger = (await http.get(f"{s}/v1/fund/ledger", params={"year": 2025}, headers=fin)).json()["entries"]
    assert [e["amount"] for e in ledger if e["reference"] == f"PAY-{sid}"] == [f"{due:.2f}"]

    # A retry pays nothing more; the single endpoint refuses the statement as paid; named, a closed one is a 409.
    again = await http.post(f"{base}/payments", headers=fin, json={"month": month})
    assert again.status_code == 200 and again.json()["already_paid"] == [sid] and again.json()["count"] == 0
    twice = await http.post(f"{base}/{sid}/payments", headers=fin)
    assert twice.status_code == 409 and "already paid" in twice.json()["error"]["message"]
    r = await http.post(f"{base}/payments", headers=fin, json={"statement_ids": [sid, other]})
    assert r.status_code == 409 and r.json()["error"]["fields"][0]["field"] == "statement_ids[1]"

    # Finance only; another tenant finds nothing of hz-p1's; a bad month names the field.
    assert (await http.post(f"{base}/payments", headers=auth("hz-p1", "clerk"), json={"month": month})
            ).status_code == 403
    r = await http.post(f"{base}/payments", headers=auth("hz-p2", "finance"), json={"statement_ids": [sid]})
    assert r.status_code == 404 and r.json()["error"]["fields"][0]["field"] == "statement_ids[0]"
    r = await http.post(f"{base}/payments", headers=auth("hz-p2", "finance"), json={"month": month})
    assert r.status_code == 200 and r.json()["paid"] == [] and r.json()["already_paid"] == []
    r = await http.post(f"{base}/payments", headers=fin, json={"month": "2025-10-01"})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "month"
