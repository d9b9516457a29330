"""A loss the carrier caused, through the embedded platform: an inspector raises a finding marked carrier-caused
(audit), `finding.raised` reaches settlement, and the loss is booked once as `carrier_liability` in that carrier's
dedicated account — never in another's. Bad input is refused at audit's door naming the field, and nothing is
written anywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chassis.calendar import today_cn
from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually

PERSON = "610702196001010310"
GOOD = {"kind": "desk_review", "person_id": PERSON, "description": "复核发现审核不严: 材料不全仍予认定",
        "amount": "1200.00", "carrier_caused": True, "carrier_reason": "lax_review"}


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(tmp_path_factory.mktemp("data"))},
                         port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def ledger(platform: EmbeddedPlatform, http: httpx.AsyncClient, caller: str, **params: Any) -> httpx.Response:
    return await http.get(f"{platform.url('settlement')}/v1/fund/ledger", headers=auth(caller, "finance"),
                          params={"year": today_cn().year, **params})


async def test_a_carrier_caused_finding_is_booked_in_that_carriers_account_only(platform: EmbeddedPlatform,
                                                                                http: httpx.AsyncClient) -> None:
    r = await http.post(f"{platform.url('audit')}/v1/findings", json=GOOD, headers=auth("hz-p1", "inspector"))
    assert r.status_code == 201, r.text
    found = r.json()
    assert (found["carrier_caused"], found["carrier_reason"], found["fund_year"]) == (True, "lax_review",
                                                                                      today_cn().year)

    async def booked() -> list[dict[str, Any]] | None:
        entries = (await ledger(platform, http, "hz-p1")).json()["entries"]
        return [e for e in entries if e["kind"] == "carrier_liability"] or None

    [entry] = await eventually(booked, timeout=60, what="carrier_liability booked by settlement")
    assert (entry["entry_id"], entry["amount"], entry["reference"]) == (
        f"carrier_liability:{found['finding_id']}", "1200.00", found["finding_id"])
    assert {p["account"]: (p["debit"], p["credit"]) for p in entry["postings"]} == {
        "bank": ("1200.00", "0.00"), "carrier_liability": ("0.00", "1200.00")}
    assert entry["balances_after"]["carrier_liability"] == "1200.00"
    # hz-p2's books hold nothing of it, and hz-p2's finance cannot open hz-p1's.
    theirs = await ledger(platform, http, "hz-p2")
    assert theirs.status_code == 200 and not [e for e in theirs.json()["entries"] if e["kind"] == "carrier_liability"]
    assert (await ledger(platform, http, "hz-p2", tenant="hz-p1")).status_code == 404


@pytest.mark.parametrize("change, field", [
    ({"amount": "0.00"}, "amount"),            # a carrier-caused finding names its loss
    ({"amount": "-5.00"}, "amount"),
    ({"amount": "12.345"}, "amount"),
    ({"carrier_reason": None}, "carrier_reason"),
    ({"carrier_reason": "bad_luck"}, "carrier_reason"),
    ({"carrier_caused": False}, "carrier_reason"),  # a reason without carrier_caused
    ({"fund_year": 2001}, "fund_year"),
])
async def test_bad_input_names_the_field_and_writes_nothing(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                            change: dict[str, Any], field: str) -> None:
    audit = f"{platform.url('audit')}/v1/findings"
    before = len((await http.get(audit, headers=auth("hz-p2", "inspector"))).json())
    r = await http.post(audit, json={**GOOD, **change}, headers=auth("hz-p2", "inspector"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["fields"][0]["field"] == field
    assert len((await http.get(audit, headers=auth("hz-p2", "inspector"))).json()) == before
    assert not [e for e in (await ledger(platform, http, "hz-p2")).json()["entries"]
                if e["kind"] == "carrier_liability"]


async def test_only_inspectors_raise_findings(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    r = await http.post(f"{platform.url('audit')}/v1/findings", json=GOOD, headers=auth("hz-p1", "finance"))
    assert r.status_code == 403
