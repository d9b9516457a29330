"""Critical illness insurance (大病保险) on the embedded platform: assistance recipients, institution uploads,
provincial imports and manual reimbursements settled on year accounts, reviews selected under the quotas, their
outcomes, the dashboard, events through the outbox; bad uploads store nothing; re-uploads are idempotent;
tenants and institutions are kept apart."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chassis.events import decode, topic_for
from jingban.embedded import EmbeddedPlatform
from tests.conftest import PDF, PNG, auth, embedded_port_offset, eventually

T = "qz-ci"
HOSP = "H330802001"
OTHER = "H330803009"


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={}, port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


def claim(cid: str, person: str, day: str, self_pay: str, total: str, area: str = "in_area",
          networked: bool = True, care: str = "inpatient", **extra: Any) -> dict[str, Any]:
    return {"claim_id": cid, "person_id": person, "date": day, "care": care, "area": area, "networked": networked,
            "total_cost": total, "self_pay": self_pay, **extra}


async def upload(platform: EmbeddedPlatform, http: httpx.AsyncClient, claims: list[dict[str, Any]],
                 tenant: str = T, inst: str = HOSP) -> httpx.Response:
    return await http.post(f"{platform.url('settlement')}/v1/critical/claims", json={"claims": claims},
                           headers=auth(tenant, "institution", inst))


def url(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('settlement')}/v1/critical{path}"


async def test_upload_account_review_outcome_dashboard(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    claims = [claim("c-a1", "PA", "2025-02-01", "12000.00", "30000.00"),
              claim("c-a2", "PA", "2025-03-01", "20000.00", "40000.00", disease="C34"),
              claim("c-d1", "PD", "2025-04-01", "30000.00", "60000.00", area="out_of_area", networked=False)]
    r = await upload(platform, http, claims)
    assert r.status_code == 201, r.text
    body = r.json()
    assert [c["payable"] for c in body["claims"]] == ["0.00", "9800.00", "8400.00"]
    assert body["total_payable"] == "18200.00"
    assert [r["code"] for r in body["claims"][0]["reason_codes"]][:1] == ["deductible"]
    assert body["claims"][1]["stratum"] == "in_area_large" and body["claims"][1]["review_required"]
    assert body["claims"][2]["stratum"] == "out_of_area_50k" and body["claims"][2]["review_required"]
    assert body["claims"][0]["stratum"] is None  # paid nothing: not a paid person

    acc = await http.get(url(platform, "/persons/PA/account"), params={"year": 2025}, headers=auth(T, "clerk"))
    assert acc.status_code == 200, acc.text
    a = acc.json()
    assert (a["cumulative_self_pay"], a["cumulative_paid"]) == ("32000.00", "9800.00")
    assert [c["claim_id"] for c in a["claims"]] == ["c-a1", "c-a2"] and a["policy_versions"] == ["2025.1"]

    # idempotent re-upload: 200, the same results; another claim under a used id: 409, nothing changes
    again = await upload(platform, http, claims)
    assert again.status_code == 200 and again.json()["claims"] == body["claims"]
    clash = await upload(platform, http, [claim("c-a1", "PA", "2025-02-01", "13000.00", "30000.00")])
    assert clash.status_code == 409
    acc2 = await http.get(url(platform, "/persons/PA/account"), params={"year": 2025}, headers=auth(T, "clerk"))
    assert acc2.json()["cumulative_self_pay"] == "32000.00"

    open_ = await http.get(url(platform, "/reviews"), params={"status": "open"}, headers=auth(T, "reviewer"))
    ids = {rv["review_id"]: rv for rv in open_.json()["reviews"]}
    a2, d1 = f"R-{HOSP}~c-a2", f"R-{HOSP}~c-d1"  # reviews are named by the claim's key: its id within its institution
    assert {a2, d1} <= set(ids) and ids[a2]["why"] == "quota"

    too_much = await http.post(url(platform, f"/reviews/{a2}/outcome"),
                               json={"outcome": "adjusted", "recovered": "9800.01", "note": "x"},
                               headers=auth(T, "reviewer"))
    assert too_much.status_code == 422 and too_much.json()["error"]["fields"][0]["field"] == "recovered"
    done = await http.post(url(platform, f"/reviews/{a2}/outcome"),
                           json={"outcome": "adjusted", "recovered": "1200.00", "note": "重复收费"},
                           headers=auth(T, "reviewer"))
    assert done.status_code == 200 and done.json()["status"] == "completed"
    same = await http.post(url(platform, f"/reviews/{a2}/outcome"),
                           json={"outcome": "adjusted", "recovered": "1200.00", "note": "重复收费"},
                           headers=auth(T, "reviewer"))
    assert same.status_code == 200 and same.json()["replayed"]
    other = await http.post(url(platform, f"/reviews/{a2}/outcome"),
                            json={"outcome": "confirmed", "recovered": "0.00"}, headers=auth(T, "reviewer"))
    assert other.status_code == 409

    q = await http.get(url(platform, "/quotas"), params={"year": 2025}, headers=auth(T, "supervisor"))
    rows = {row["stratum"]: row for row in q.json()["strata"]}
    assert rows["in_area_large"]["population"] == 1 and rows["in_area_large"]["reviewed"] == 1
    assert rows["in_area_large"]["met"] and rows["out_of_area_50k"]["selected"] == 1
    assert not rows["out_of_area_50k"]["met"]  # selected, not yet reviewed

    async def settled() -> list[Any]:
        msgs = [decode(m.value) for m in platform.bus.messages(topic_for(T, "critical_claim.settled"))]
        return [e.payload for e in msgs if e.payload.claim_id in ("c-a1", "c-a2", "c-d1")]

    events = await eventually(lambda: _at_least(settled, 3), what="critical_claim.settled")
    by_id = {e.claim_id: e for e in events}
    assert by_id["c-a2"].payable == "9800.00" and by_id["c-a2"].review_required
    assert by_id["c-a2"].policy_version == "2025.1" and by_id["c-a2"].cumulative_self_pay == "32000.00"

    async def completed() -> list[Any]:
        return [decode(m.value).payload for m in platform.bus.messages(topic_for(T, "critical_review.completed"))]

    reviews = await eventually(completed, what="critical_review.completed")
    assert reviews[0].recovered == "1200.00" and reviews[0].outcome == "adjusted"


async def _at_least(probe: Any, n: int) -> list[Any] | None:
    found = await probe()
    return found if len(found) >= n else None


async def test_bad_upload_stores_nothing(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    r = await upload(platform, http, [claim("c-ok", "PB", "2025-02-01", "30000.00", "40000.00"),
                                      claim("c-bad", "PB", "2025-02-02", "1.001", "40000.00"),
                                      claim("c-bad2", "PB", "2025-02-02", "10.00", "40000.00", care="dental")])
    assert r.status_code == 422
    fields = [f["field"] for f in r.json()["error"]["fields"]]
    assert fields == ["claims[1].self_pay", "claims[2].care"]
    acc = await http.get(url(platform, "/persons/PB/account"), params={"year": 2025}, headers=auth(T, "clerk"))
    assert acc.status_code == 404
    foreign = await upload(platform, http, [claim("c-f", "PB", "2025-02-01", "1.00", "2.00",
                                                  institution_code=OTHER)])
    assert foreign.status_code == 422 and foreign.json()["error"]["fields"][0]["field"] == "claims[0].institution_code"


async def test_assistance_recipients_get_their_tier(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    put = await http.put(url(platform, "/persons/PS"), json={"assistance_recipient": True,
                                                             "effective_from": "2025-01-01"},
                         headers=auth(T, "clerk"))
    assert put.status_code == 200 and put.json()["periods"][0]["assistance_recipient"] is True
    csv_body = b"person_id,effective_from\nPT,2025-06-01\n"
    imp = await http.post(url(platform, "/persons/import"), content=csv_body,
                          headers={**auth(T, "clerk"), "content-type": "text/csv"})
    assert imp.status_code == 200 and imp.json() == {"rows": 1, "persons": 1}
    r = await upload(platform, http, [claim("c-s1", "PS", "2025-03-01", "12000.00", "15000.00"),
                                      claim("c-t1", "PT", "2025-03-01", "12000.00", "15000.00"),
                                      claim("c-t2", "PT", "2025-07-01", "10000.00", "15000.00")])
    assert r.status_code == 201, r.text
    got = {c["claim_id"]: c for c in r.json()["claims"]}
    assert got["c-s1"]["payable"] == "2400.00" and got["c-s1"]["tier"] == "assistance" and got["c-s1"]["cap"] is None
    # PT becomes a recipient in June: benefit under 9,000/80% on 22,000 = 10,400, nothing paid before
    assert got["c-t1"]["payable"] == "0.00" and got["c-t2"]["payable"] == "10400.00"
    assert got["c-t2"]["tier"] == "assistance"


async def test_provincial_import_and_manual_claim(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    rec = {"setl_id": "S2025001", "psn_no": "PP", "setl_time": "2025-05-06 10:11:12", "med_type": "21",
           "medfee_sumamt": "52000.00", "psn_part_amt": "30000.00", "fulamt_ownpay_amt": "4000.00",
           "overlmt_selfpay": "1000.00", "fixmedins_code": HOSP, "mdtrt_admdvs": "330802", "dise_codg": "C16"}
    r = await http.post(url(platform, "/imports"), json=[rec], headers=auth(T, "clerk"))
    assert r.status_code == 201, r.text
    c = r.json()["claims"][0]
    assert (c["self_pay"], c["payable"], c["source"], c["area"]) == ("25000.00", "4900.00", "provincial", "in_area")
    bad = await http.post(url(platform, "/imports"), json=[{**rec, "setl_id": "S2", "med_type": "99"}],
                          headers=auth(T, "clerk"))
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "records[0].med_type"

    form = {"claim": (None, json.dumps({"person_id": "PM", "date": "2025-06-01", "care": "inpatient",
                                        "area": "out_of_area", "total_cost": "30000.00", "self_pay": "28000.00"})),
            "invoice": ("inv.pdf", PDF, "application/pdf"),
            "discharge_summary": ("ds.png", PNG, "image/png"),
            "expense_list": ("list.pdf", PDF, "application/pdf")}
    m = await http.post(url(platform, "/manual-claims"), files=form, headers=auth(T, "clerk"))
    assert m.status_code == 201, m.text
    mc = m.json()
    assert mc["networked"] is False and mc["payable"] == "7000.00" and mc["stratum"] == "out_of_area_20k_50k"
    assert mc["review_required"]  # the first paid person of its stratum: the quota needs it
    assert len(mc["documents"]) == 3 and all(len(d["sha256"]) == 64 for d in mc["documents"])
    again = await http.post(url(platform, "/manual-claims"), files=form, headers=auth(T, "clerk"))
    assert again.status_code == 200 and again.json()["claim_id"] == mc["claim_id"]
    missing = {k: v for k, v in form.items() if k != "discharge_summary"}
    miss = await http.post(url(platform, "/manual-claims"), files=missing, headers=auth(T, "clerk"))
    assert miss.status_code == 422 and miss.json()["error"]["fields"][0]["field"] == "documents.discharge_summary"
    fake = {**form, "invoice": ("inv.pdf", b"MZ not a pdf", "application/pdf")}
    f = await http.post(url(platform, "/manual-claims"), files=fake, headers=auth(T, "clerk"))
    assert f.status_code == 422 and f.json()["error"]["fields"][0]["field"] == "documents.invoice"


async def test_tenants_and_institutions_are_kept_apart(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    r = await upload(platform, http, [claim("c-i1", "PI", "2025-02-01", "30000.00", "50000.00")])
    assert r.status_code == 201
    for path, params in (("/persons/PI/account", {"year": 2025}), ("/reviews", {"status": "open"}),
                         ("/quotas", {"year": 2025})):
        other = await http.get(url(platform, path), params=params, headers=auth("hz-p1", "supervisor"))
        assert other.status_code == 404, (path, other.text)
    out = await http.post(url(platform, f"/reviews/R-{HOSP}~c-i1/outcome"), json={"outcome": "confirmed",
                                                                          "recovered": "0.00"},
                          headers=auth("hz-p1", "reviewer"))
    assert out.status_code == 404
    up = await upload(platform, http, [claim("c-i2", "PI", "2025-02-01", "1.00", "2.00")], tenant="hz-p1")
    assert up.status_code == 404
    own = await http.get(url(platform, "/persons/PI/account"), params={"year": 2025},
                         headers=auth(T, "institution", HOSP))
    assert own.status_code == 200 and [c["claim_id"] for c in own.json()["claims"]] == ["c-i1"]
    stranger = await http.get(url(platform, "/persons/PI/account"), params={"year": 2025},
                              headers=auth(T, "institution", OTHER))
    assert stranger.status_code == 404
    denied = await http.get(url(platform, "/reviews"), headers=auth(T, "institution", HOSP))
    assert denied.status_code == 403
