"""Right people, right rows (issue 11, item 7) on an embedded platform that serves hz-p1 and qz-ci only — one of
Hanzhong's two carriers:

- the year end of Hanzhong's program, shared by hz-p1 and hz-p2, is closed only by the agency supervisor, decided
  from the program's carriers and not from what this deployment serves: hz-p1's finance is refused (403
  `shared_year_closed_by_agency`) although hz-p1 is the only Hanzhong carrier here; Quzhou's one carrier closes
  its own;
- an institution sees its own claims and nothing of a person beyond them: no person lookups (403
  `person_lookup_refused`), no year totals or assistance status, no other institution's claims;
- critical claim ids are namespaced by institution: two hospitals using the same id settle two claims."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset

QZ_HOSP, QZ_OTHER = "H330802001", "H330803009"


@pytest.fixture(scope="module")
async def platform(fixture_business_date: str) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_TENANTS": "hz-p1,qz-ci"}, port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def error_of(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()["error"]


async def test_a_shared_year_is_closed_by_the_agency_only_whatever_is_served(platform: EmbeddedPlatform,
                                                                            http: httpx.AsyncClient) -> None:
    fund = f"{platform.url('settlement')}/v1/fund"
    finance = auth("hz-p1", "finance")
    r = await http.post(f"{fund}/years/2025/close", headers=finance, json={"date": "2026-01-20"})
    error = error_of(r, 403)
    assert error["code"] == "shared_year_closed_by_agency"
    assert error["params"] == {"program": "hz-chronic", "carriers": "hz-p1,hz-p2"}
    assert (await http.get(f"{fund}/years/2025", headers=finance)).json()["status"] == "open"
    ledger = (await http.get(f"{fund}/ledger", params={"year": 2025}, headers=finance)).json()
    assert "year_end" not in [e["kind"] for e in ledger["entries"]]

    # The agency supervisor passes the door (this deployment keeps only hz-p1's books: the total is asked for).
    agency = auth("hz-p1", "supervisor", "agency-1", program="hz-chronic")
    r = await http.post(f"{fund}/years/2025/close", headers=agency, json={"date": "2026-01-20"})
    assert error_of(r, 422)["field"] == "total_reimbursement"
    # Quzhou's program has one carrier: its finance closes its own year (here: the corridor asks its admin cost).
    r = await http.post(f"{fund}/years/2025/close", headers=auth("qz-ci", "finance"), json={"date": "2026-01-20"})
    assert error_of(r, 422)["field"] == "admin_cost"


def claim(cid: str, self_pay: str, person: str = "P-NS", day: str = "2025-03-01") -> dict[str, Any]:
    return {"claim_id": cid, "person_id": person, "date": day, "care": "inpatient", "area": "in_area",
            "networked": True, "total_cost": "60000.00", "self_pay": self_pay}


async def test_two_hospitals_may_use_one_claim_id_and_each_sees_its_own(platform: EmbeddedPlatform,
                                                                        http: httpx.AsyncClient) -> None:
    base = f"{platform.url('settlement')}/v1/critical"
    first = await http.post(f"{base}/claims", json={"claims": [claim("SAME-1", "30000.00")]},
                            headers=auth("qz-ci", "institution", QZ_HOSP))
    second = await http.post(f"{base}/claims", json={"claims": [claim("SAME-1", "25000.00")]},
                             headers=auth("qz-ci", "institution", QZ_OTHER))
    assert first.status_code == 201 and second.status_code == 201, (first.text, second.text)
    reviews = [c["review_id"] for r in (first, second) for c in r.json()["claims"] if c["review_id"]]
    assert all(rid.startswith((f"R-{QZ_HOSP}~", f"R-{QZ_OTHER}~")) for rid in reviews)

    clerk = await http.get(f"{base}/persons/P-NS/account", params={"year": 2025}, headers=auth("qz-ci", "clerk"))
    whole = clerk.json()
    assert whole["cumulative_self_pay"] == "55000.00"
    assert [(c["claim_id"], c["institution_code"], c["self_pay"]) for c in whole["claims"]] == [
        ("SAME-1", QZ_HOSP, "30000.00"), ("SAME-1", QZ_OTHER, "25000.00")]

    own = await http.get(f"{base}/persons/P-NS/account", params={"year": 2025},
                         headers=auth("qz-ci", "institution", QZ_HOSP))
    view = own.json()
    assert own.status_code == 200 and [c["institution_code"] for c in view["claims"]] == [QZ_HOSP]
    assert not {"cumulative_self_pay", "cumulative_paid", "assistance", "policy"} & set(view)

    # the first hospital sending its claim again: answered from what it sent, the other's untouched
    again = await http.post(f"{base}/claims", json={"claims": [claim("SAME-1", "30000.00")]},
                            headers=auth("qz-ci", "institution", QZ_HOSP))
    assert again.status_code == 200 and again.json()["claims"] == first.json()["claims"]
    clash = await http.post(f"{base}/claims", json={"claims": [claim("SAME-1", "31000.00")]},
                            headers=auth("qz-ci", "institution", QZ_HOSP))
    assert (clash.status_code, clash.json()["error"]["field"]) == (409, "claims[0].claim_id")
    after = await http.get(f"{base}/persons/P-NS/account", params={"year": 2025}, headers=auth("qz-ci", "clerk"))
    assert after.json() == whole


async def test_institutions_are_refused_person_lookups(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    s = platform.url("settlement")
    put = await http.put(f"{s}/v1/critical/persons/P-LOOK", headers=auth("qz-ci", "clerk"),
                         json={"assistance_recipient": True, "effective_from": "2025-01-01"})
    assert put.status_code == 200, put.text
    r = await http.get(f"{s}/v1/critical/persons/P-LOOK", headers=auth("qz-ci", "institution", QZ_HOSP))
    assert (error_of(r, 403)["code"], error_of(r, 403)["field"]) == ("person_lookup_refused", "person_id")
    assert (await http.get(f"{s}/v1/critical/persons/P-LOOK", headers=auth("qz-ci", "clerk"))).status_code == 200

    person = "610702195803120012"
    r = await http.get(f"{s}/v1/persons/{person}/accumulators", params={"year": 2025},
                       headers=auth("hz-p1", "institution", "H61070000001"))
    assert (error_of(r, 403)["code"], error_of(r, 403)["field"]) == ("person_lookup_refused", "person_id")
    clerk = await http.get(f"{s}/v1/persons/{person}/accumulators", params={"year": 2025},
                           headers=auth("hz-p1", "clerk"))
    assert clerk.status_code != 403
