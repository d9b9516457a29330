"""Record sampling (病历抽审, Karamay tender 二(一)4) at audit's door, on the in-memory adapters: a hospital's records
of the last two years uploaded (JSON, and CSV) → a sample of ceil(2.5% × N), its seed kept and the draw redone from it →
results per sampled record, a problem's violation code of a hospital's checklist → completed with
record_sample.completed, the problem-record rate against the 40% expectation; the agency's manual-reimbursement files
without one; every bad input refused with its code and field and nothing written; roles refused; a tenant outside the
program (hz-p1) 404 before its body is read; the results' notes sealed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.consumer import EventConsumer
from chassis.events import Event, decode, topic_for
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.audit.main import SPEC
from services.audit.record_sampling.domain.sampling import draw, sample_size
from tests.conftest import auth
from tests.support.pii_scan import scan_stores
from tests.unit.audit.builders import message, stored

T, OUTSIDER = "km-sv", "hz-p1"
TENANTS = (T, OUTSIDER)
BUSINESS_DATE = "2024-11-20"
PATH = "/v1/supervision"
TERM = events_pb2.InstitutionPeriod(start="2024-01-01", end="2026-12-31")
HOSPITAL, PHARMACY, AGENCY = "KM-H001", "KM-P001", "KM-A001"
RECORDS = [f"ZY2023{n:05d}" for n in range(1, 1001)]   # 1,000 records → 25 sampled
SECRET = "患者欧阳丽娟病历缺失手术记录"


def institution(iid: str, kind: str, level: str = "") -> tuple[str, Any, str]:
    return "institution.changed", events_pb2.InstitutionChanged(
        institution_id=iid, kind=kind, level=level, name=f"样例{iid}", status="designated", step="migrated",
        version=1, district="650203", occurred_at="2024-01-02T09:00:00+08:00", terms=[TERM]), iid


class Rig:
    def __init__(self, host: ServiceHost, consumer: EventConsumer, http: httpx.AsyncClient) -> None:
        self.host, self.consumer, self.http = host, consumer, http

    async def post(self, path: str, body: Any = None, tenant: str = T, role: str = "inspector",
                   **kw: Any) -> httpx.Response:
        if body is not None:
            kw["json"] = body
        return await self.http.post(f"{PATH}{path}", headers=auth(tenant, role, "insp-1"), **kw)

    async def get(self, path: str, tenant: str = T, role: str = "inspector", **params: Any) -> httpx.Response:
        return await self.http.get(f"{PATH}{path}", params=params, headers=auth(tenant, role, "insp-1"))

    async def ok(self, r: httpx.Response, status: int = 200) -> Any:
        assert r.status_code == status, r.text
        return r.json()

    async def events(self) -> list[Event]:
        await self.host.relay.relay_once()
        return [decode(m.value) for m in self.host.bus.messages(  # type: ignore[attr-defined]
            topic_for(T, "record_sample.completed"))]

    async def count(self, collection: str, tenant: str = T) -> int:
        return len(await self.host.store.database("audit", tenant)[collection].find({}).to_list(None))

    async def population(self, institution_id: str = HOSPITAL, kind: str = "medical_records",
                         records: list[Any] | None = None) -> dict[str, Any]:
        body = {"institution_id": institution_id, "kind": kind, "period_from": "2022-11-21",
                "period_to": "2024-11-20", "records": RECORDS if records is None else records}
        return await self.ok(await self.post("/record-populations", body), 201)


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", BUSINESS_DATE)
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
        rig = Rig(host, consumer, http)
        evs = [stored(t, p, tenant=T, key=k) for t, p, k in (
            institution(HOSPITAL, "hospital", "一级"), institution(PHARMACY, "pharmacy"),
            institution(AGENCY, "agency"))]
        await consumer.process_batch([message(e) for e in evs])
        yield rig


def error_of(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()["error"]


async def test_a_hospitals_records_sampled_reproducibly_and_rated_against_40_percent(rig: Rig) -> None:
    population = await rig.population()
    assert (population["count"], population["institution_kind"], population["period_from"]) == (
        1000, "hospital", "2022-11-21")
    pid = population["population_id"]
    drawn = await rig.ok(await rig.post("/record-samples", {"population_id": pid, "seed": "km-bl-1"}), 201)
    expected = [r for r, _ in draw("km-bl-1", RECORDS, 25)]
    assert (drawn["size"], drawn["population"], drawn["rate"], drawn["seed"]) == (25, 1000, "0.025", "km-bl-1")
    assert [r["record_id"] for r in drawn["records"]] == expected and drawn["expected_rate"] == "0.40"
    sid = drawn["sample_id"]
    # Asked again (same seed, or none): the same sample; another seed: refused, the sample stands.
    again = await rig.post("/record-samples", {"population_id": pid, "seed": "km-bl-1"})
    assert again.status_code == 200 and again.json()["sample_id"] == sid
    assert (await rig.post("/record-samples", {"population_id": pid})).status_code == 200
    assert error_of(await rig.post("/record-samples", {"population_id": pid, "seed": "other"}), 409)["code"] == \
        "population_sampled"
    verified = await rig.ok(await rig.get(f"/record-samples/{sid}/verification"))
    assert verified["reproduced"] is True and verified["population_sha256"] == population["sha256"]

    problems = [{"record_id": r, "problem": True, "code": "H05" if n % 2 else "D03", "note": SECRET}
                for n, r in enumerate(expected[:11])]
    fine = [{"record_id": r, "problem": False} for r in expected[11:24]]
    partial = await rig.ok(await rig.post(f"/record-samples/{sid}/results", {"results": [*problems, *fine]}))
    assert (partial["state"], partial["answered"], partial["problems"]) == ("open", 24, 11)
    assert await rig.events() == []
    # A correction before the last result, then the last one completes it.
    await rig.ok(await rig.post(f"/record-samples/{sid}/results", {"results": [
        {"record_id": expected[0], "problem": True, "code": "H10", "note": "伪造"}]}))
    done = await rig.ok(await rig.post(f"/record-samples/{sid}/results", {"results": [
        {"record_id": expected[24], "problem": False}]}))
    assert (done["state"], done["problems"], done["problem_rate"], done["problem_rate_percent"],
            done["meets_expectation"]) == (
        "completed", 11, "0.4400", "44.00%", True)
    assert done["problems_by_code"] == {"H10": 1, "H05": 5, "D03": 5}
    (event,) = await rig.events()
    p = event.payload
    assert (p.sample_id, p.institution_id, p.population, p.sampled, p.problems, p.rate, p.expected_rate) == (
        sid, HOSPITAL, 1000, 25, 11, "0.4400", "0.40")
    assert error_of(await rig.post(f"/record-samples/{sid}/results", {"results": [
        {"record_id": expected[1], "problem": False}]}), 409)["code"] == "sample_completed"
    listed = await rig.ok(await rig.get("/record-samples", institution_id=HOSPITAL))
    assert listed["count"] == 1 and "records" not in listed["samples"][0]
    read = await rig.ok(await rig.get(f"/record-samples/{sid}", role="supervisor"))
    assert read["records"][1]["note"] == SECRET
    found, docs = await scan_stores(rig.host.store, ["audit"], [T], [SECRET])
    assert docs > 0 and found == []


async def test_the_agencys_manual_reimbursements_by_csv_and_small_populations_round_up(rig: Rig) -> None:
    csv = "record_id,date\n" + "".join(f"SG{n:04d},2024-0{1 + n % 9}-15\n" for n in range(41))
    r = await rig.http.post(f"{PATH}/record-populations", content=csv.encode(), params={
        "institution_id": AGENCY, "kind": "manual_reimbursements", "period_from": "2023-01-01",
        "period_to": "2024-10-31"}, headers={**auth(T, "inspector"), "content-type": "text/csv"})
    population = await rig.ok(r, 201)
    assert population["count"] == 41 and sample_size(41, Decimal("0.025")) == 2
    drawn = await rig.ok(await rig.post("/record-samples", {"population_id": population["population_id"]}), 201)
    assert drawn["size"] == 2 and drawn["expected_rate"] is None and len(drawn["seed"]) == 32
    one = await rig.population(HOSPITAL, records=["ZY1"])
    small = await rig.ok(await rig.post("/record-samples", {"population_id": one["population_id"], "rate": "0.5"}),
                         201)
    assert small["size"] == 1 and small["rate"] == "0.5"
    ids = [r["record_id"] for r in drawn["records"]]
    error = error_of(await rig.post(f"/record-samples/{drawn['sample_id']}/results", {"results": [
        {"record_id": ids[0], "problem": True, "code": "H01"}]}), 422)
    assert (error["code"], error["field"]) == ("problem_code_invalid", "results[0].code")
    done = await rig.ok(await rig.post(f"/record-samples/{drawn['sample_id']}/results", {"results": [
        {"record_id": ids[0], "problem": True, "code": "A02"}, {"record_id": ids[1], "problem": False}]}))
    assert (done["state"], done["problem_rate"], done["meets_expectation"]) == ("completed", "0.5000", None)


async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(rig: Rig) -> None:
    base = {"institution_id": HOSPITAL, "kind": "medical_records", "period_from": "2022-11-21",
            "period_to": "2024-11-20", "records": ["ZY1", "ZY2"]}
    for body, code, field in [
        ({**base, "institution_id": "KM-H999"}, "unknown_institution", "institution_id"),
        ({**base, "institution_id": PHARMACY}, "population_kind_mismatch", "kind"),
        ({**base, "kind": "manual_reimbursements"}, "population_kind_mismatch", "kind"),
        ({**base, "kind": "x_rays"}, "invalid_input", "kind"),
        ({**base, "period_from": "2022-11-20"}, "period_too_long", "period_from"),
        ({**base, "period_to": "2024-11-21"}, "date_in_future", "period_to"),
        ({**base, "period_to": "2022-11-20"}, "period_reversed", "period_to"),
        ({**base, "records": []}, "population_empty", "records"),
        ({**base, "records": ["ZY1", "ZY1"]}, "duplicate_record", "records[1].record_id"),
        ({**base, "records": ["ZY1", "病历 2"]}, "record_id_invalid", "records[1].record_id"),
        ({**base, "records": [{"record_id": "ZY1", "date": "2021-01-01"}]}, "record_outside_period",
         "records[0].date"),
        ({**base, "records": "ZY1"}, "invalid_input", "records"),
        ({k: v for k, v in base.items() if k != "period_from"}, "invalid_input", "period_from"),
    ]:
        error = error_of(await rig.post("/record-populations", body), 422)
        assert (error["code"], error["field"]) == (code, field), body
    bad_csv = await rig.http.post(f"{PATH}/record-populations", content=b"id\nZY1\n", params={
        "institution_id": HOSPITAL, "kind": "medical_records", "period_from": "2023-01-01",
        "period_to": "2024-10-31"}, headers={**auth(T, "inspector"), "content-type": "text/csv"})
    assert error_of(bad_csv, 422)["field"] == "records"
    plain = await rig.http.post(f"{PATH}/record-populations", content=b"x",
                                headers={**auth(T, "inspector"), "content-type": "text/plain"})
    assert error_of(plain, 415)["code"] == "unsupported_media_type"
    assert await rig.count("sv_record_populations") == 0 and await rig.count("sv_record_population_chunks") == 0

    pid = (await rig.population(records=["ZY1", "ZY2", "ZY3"]))["population_id"]
    for body, code, field in [({"population_id": pid, "rate": "0.02"}, "rate_below_minimum", "rate"),
                              ({"population_id": pid, "rate": "1.5"}, "invalid_input", "rate"),
                              ({"population_id": "POP-none"}, "unknown_population", "population_id"),
                              ({"population_id": pid, "seed": "a b"}, "invalid_input", "seed"),
                              ({"population_id": pid, "inspection_id": "INS-none"}, "not_found", None)]:
        r = await rig.post("/record-samples", body)
        error = error_of(r, 404 if code == "not_found" else 422)
        assert (error["code"], error.get("field")) == (code, field), body
    assert await rig.count("sv_record_samples") == 0
    sample = await rig.ok(await rig.post("/record-samples", {"population_id": pid, "seed": "s"}), 201)
    rid = sample["records"][0]["record_id"]
    before = await rig.ok(await rig.get(f"/record-samples/{sample['sample_id']}"))
    for results, code, field in [
        ([{"record_id": "ZY9", "problem": False}], "record_not_sampled", "results[0].record_id"),
        ([{"record_id": rid, "problem": True}], "problem_code_required", "results[0].code"),
        ([{"record_id": rid, "problem": True, "code": "P01"}], "problem_code_invalid", "results[0].code"),
        ([{"record_id": rid, "problem": False, "code": "H01"}], "code_without_problem", "results[0].code"),
        ([{"record_id": rid, "problem": False}] * 2, "duplicate_result", "results[1].record_id"),
        ([], "invalid_input", "results"),
    ]:
        error = error_of(await rig.post(f"/record-samples/{sample['sample_id']}/results", {"results": results}), 422)
        assert (error["code"], error["field"]) == (code, field), results
    assert await rig.ok(await rig.get(f"/record-samples/{sample['sample_id']}")) == before


async def test_roles_and_a_tenant_outside_the_program(rig: Rig) -> None:
    pid = (await rig.population(records=["ZY1", "ZY2"]))["population_id"]
    sid = (await rig.ok(await rig.post("/record-samples", {"population_id": pid}), 201))["sample_id"]
    for role in ("supervisor", "clerk", "reviewer", "finance", "institution", "ops"):
        assert (await rig.post("/record-populations", {"records": []}, role=role)).status_code == 403
        assert (await rig.post("/record-samples", {"population_id": pid}, role=role)).status_code == 403
        assert (await rig.post(f"/record-samples/{sid}/results", {"results": []}, role=role)).status_code == 403
    for role in ("clerk", "reviewer", "finance", "institution"):
        assert (await rig.get(f"/record-samples/{sid}", role=role)).status_code == 403
        assert (await rig.get("/record-populations", role=role)).status_code == 403
    for role in ("supervisor", "ops"):
        assert (await rig.get(f"/record-samples/{sid}", role=role)).status_code == 200
    for method, path, kw in [
        ("POST", "/record-populations", {"content": b"{not json"}), ("GET", "/record-populations", {}),
        ("GET", f"/record-populations/{pid}", {}), ("POST", "/record-samples", {"content": b"\xff"}),
        ("GET", "/record-samples", {}), ("GET", f"/record-samples/{sid}", {}),
        ("GET", f"/record-samples/{sid}/verification", {}),
        ("POST", f"/record-samples/{sid}/results", {"json": {"results": []}}),
    ]:
        r = await rig.http.request(method, f"{PATH}{path}", headers=auth(OUTSIDER, "inspector"), **kw)
        assert error_of(r, 404)["code"] == "not_found", (method, path)
    assert error_of(await rig.get("/record-samples/RS-none"), 404)["code"] == "not_found"
    assert await rig.count("sv_record_populations", OUTSIDER) == 0
