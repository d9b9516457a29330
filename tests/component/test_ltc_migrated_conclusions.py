"""Conclusions made before the platform (迁移导入: 既往失能等级评定结论) at appraisal's door, on the in-memory adapters:
a lot's book of assessed persons comes over as concluded assessments of kind `migrated`, each with its
`disability.concluded` dated on its own day (the person is covered from it), the cover decided by the same rule as a
live conclusion, the fee only when one is still to settle; imported again it changes nothing; a person of another lot
(district, or the city-level sequence-code rule), a non-member, a future day, a severe illness without its start —
each refused naming `conclusions[i].<field>`, nothing written; roles; wz-a against wz-b; hz-p1 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.events import decode, encode
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from services.appraisal.disability.store import ASSESSMENTS, DisabilityStore
from services.appraisal.main import SPEC
from tests.conftest import auth

TENANTS = ("hz-p1", "wz-a", "wz-b")
T = "wz-b"
URL = "/v1/ltc/assessments/import"
SEVERE = "330303194805120019"     # 龙湾区 (lot B)
MILD = "330326195203170026"       # 平阳县 (lot B)
CITY_B = "330300195001010047"     # 市本级, sequence 004 → 4 mod 3 = 1 → lot B
CITY_A = "330300195001010039"     # 市本级, sequence 003 → lot A


def row(source: str, person: str, **changes: Any) -> dict[str, Any]:
    out = {"source_id": source, "person_id": person, "district": "330303", "basis": "illness", "insutype": "310",
           "grade": 4, "concluded_on": "2026-05-10", "disabled_since": "2025-06-01",
           "scale_version": "GB-LTC-2021", "care_institution_id": "WZB-C001"}
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


@pytest.fixture
async def http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", "2026-11-30")
    host = ServiceHost(SPEC, Settings(service="appraisal", tenants=TENANTS, data_dir=str(tmp_path)), MemoryBus(),
                       MemoryStore())
    app = SPEC.build(host.context).app
    app.state.tenants, app.state.open_db, app.state.verifier = frozenset(TENANTS), host.context.db, host.verifier
    for tenant in TENANTS:
        await DisabilityStore(host.context.db(tenant)).ensure_indexes()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://appraisal") as client:
        yield client, host


async def staged(host: Any, tenant: str = T) -> list[Any]:
    out = []
    for doc in await host.context.db(tenant)[ASSESSMENTS].find({}).to_list(None):
        out += [decode(encode(e)).payload for e in doc.get("_outbox", []) if e["type"] == "disability.concluded"]
    return out


async def test_a_lots_book_comes_over_covered_from_each_conclusions_day(
        http: tuple[httpx.AsyncClient, Any]) -> None:
    client, host = http
    book = [row("WZ-2026-001", SEVERE, assessment_fee="200.00"),
            row("WZ-2026-002", MILD, district="330326", grade=2, disabled_since=None, insutype="390"),
            row("WZ-2026-003", CITY_B, district="330300", basis="old_age", disabled_since=None, grade=5,
                concluded_on="2026-10-20")]
    r = await client.post(URL, json={"conclusions": book}, headers=auth(T, "ops"))
    assert r.status_code == 201, r.text
    done = r.json()
    assert (done["imported"], done["already"]) == (3, 0)
    by_source = {c["source_id"]: c for c in done["conclusions"]}
    assert (by_source["WZ-2026-001"]["eligible"], by_source["WZ-2026-001"]["recheck_due"]) == (True, "2027-05-10")
    assert (by_source["WZ-2026-002"]["eligible"], by_source["WZ-2026-002"]["recheck_due"]) == (False, None)
    assert by_source["WZ-2026-003"]["eligible"] is True  # old age: no waiting time

    one = (await client.get(f"/v1/ltc/assessments/{by_source['WZ-2026-001']['assessment_id']}",
                            headers=auth(T, "clerk"))).json()
    c = one["conclusion"]
    assert (one["kind"], one["status"], one["lot"], one["assessors"], one["draws"]) == ("migrated", "concluded", "B",
                                                                                        [], [])
    assert (c["grade_name"], c["scale_version"], c["concluded_on"], c["assessment_fee"]) == (
        "重度失能II级", "GB-LTC-2021", "2026-05-10", "200.00")
    assert {x["code"] for x in c["reason_codes"]} >= {"migrated", "severe", "lasting", "recheck_due"}
    listed = (await client.get("/v1/ltc/assessments", params={"kind": "migrated"}, headers=auth(T, "clerk"))).json()
    assert len(listed) == 3

    events = {e.assessment_id: e for e in await staged(host)}
    ev = events[by_source["WZ-2026-001"]["assessment_id"]]
    assert (ev.kind, ev.concluded_at, ev.eligible, ev.grade, ev.assessment_fee, ev.lot) == (
        "migrated", "2026-05-10T12:00:00+08:00", True, 4, "200.00", "B")
    city = events[by_source["WZ-2026-003"]["assessment_id"]]
    assert (city.city_level, city.assessment_fee) == (True, "")   # no fee still to settle: none charged again

    again = await client.post(URL, json={"conclusions": book[:1]}, headers=auth(T, "clerk"))
    assert again.status_code == 200 and (again.json()["imported"], again.json()["already"]) == (0, 1)
    assert len(await staged(host)) == 3


@pytest.mark.parametrize(("changes", "status", "code", "field"), [
    ({"district": "330302"}, 422, "wrong_lot", "conclusions[1].district"),            # 鹿城区: lot A
    ({"district": "330300", "person_id": CITY_A}, 422, "wrong_lot", "conclusions[1].district"),
    ({"insutype": "320"}, 422, "not_a_member", "conclusions[1].insutype"),
    ({"concluded_on": "2026-12-01"}, 422, "invalid_input", "conclusions[1].concluded_on"),
    ({"disabled_since": None}, 422, "missing_item", "conclusions[1].disabled_since"),
    ({"disabled_since": "2026-06-01"}, 422, "invalid_input", "conclusions[1].disabled_since"),
    ({"source_id": "WZ-1"}, 422, "invalid_input", "conclusions[1].source_id"),         # twice in the import
    ({"grade": 6}, 422, "invalid_input", "conclusions[1].grade"),
    ({"person_id": "33030319480512001"}, 422, "invalid_input", "conclusions[1].person_id"),
    ({"items": {"eating": 5}}, 422, "invalid_input", "conclusions[1].items"),
])
async def test_a_bad_row_refuses_the_import_naming_it(http: tuple[httpx.AsyncClient, Any], changes: dict[str, Any],
                                                     status: int, code: str, field: str) -> None:
    client, host = http
    body = {"conclusions": [row("WZ-1", MILD, district="330326"), row("WZ-2", SEVERE, **changes)]}
    r = await client.post(URL, json=body, headers=auth(T, "ops"))
    assert r.status_code == status, r.text
    assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field)
    assert await host.context.db(T)[ASSESSMENTS].count_documents({}) == 0


async def test_roles_lots_and_programs(http: tuple[httpx.AsyncClient, Any]) -> None:
    client, _ = http
    body = {"conclusions": [row("WZ-9", SEVERE)]}
    for role in ("expert", "reviewer", "applicant", "finance"):
        assert (await client.post(URL, json=body, headers=auth(T, role))).status_code == 403, role
    assert (await client.post(URL, content=b"{", headers={**auth("hz-p1", "ops"),
                                                          "content-type": "application/json"})).status_code == 404
    r = await client.post(URL, json=body, headers=auth(T, "ops"))
    aid = r.json()["conclusions"][0]["assessment_id"]
    assert (await client.get(f"/v1/ltc/assessments/{aid}", headers=auth("wz-a", "clerk"))).status_code == 404
    assert (await client.post(URL, json=body, headers=auth("wz-a", "ops"))).json()["error"]["code"] == "wrong_lot"


async def test_a_migrated_conclusion_is_not_pushed_back_to_the_agency() -> None:
    """It came from the agency's system: the feed files no LTC01 for it (a live conclusion's it does)."""
    from contracts.v1 import events_pb2
    from services.settlement.agency_feed import service as feed
    from tests.unit.audit.builders import event

    db = MemoryStore().database("settlement", T)

    def concluded(kind: str, aid: str) -> Any:
        return event("disability.concluded", events_pb2.DisabilityConcluded(
            assessment_id=aid, application_id=f"MIG-{aid}", person_id=SEVERE, grade=4, eligible=True,
            scale_version="GB-LTC-2021", concluded_at="2026-05-10T12:00:00+08:00", round=1, lot="B", kind=kind),
            tenant=T, key=SEVERE)
    assert await feed.record(db, concluded("migrated", "m1")) == 0
    assert await feed.record(db, concluded("initial", "a1")) == 1
