"""Smart review (智能审核) of long-term care service records, settlement and audit together on the embedded platform
(lot B, wz-b): an upload's records are sent to audit (claim_lines.submitted, source `care`, each record a claim of
its items valued at its plan's rate), reviewed with wz-ltc's rule set; the same item recorded twice for a person on
one day is held (重复收费) and the month's statement does not close (409 `review_pending`); a reviewer confirms it →
the record is left out of the month's pricing (拒付, reason `smart_review_refused`) and the statement closes paying
the rest, showing the refused amount and record."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chassis.events import decode, topic_for
from jingban.embedded import EmbeddedPlatform
from tests.component.test_ltc_care import (
    FIN,
    INST,
    MONTH,
    P1,
    T,
    conclude,
    designate,
    error,
    known,
    ok,
    plan_body,
    rec,
    upload,
    url,
)
from tests.conftest import auth, embedded_port_offset, eventually
from tests.support.review import care_statement_reviewed

pytestmark = pytest.mark.usefixtures("fixture_business_date")   # today: 2026-11-30


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


async def test_a_record_charged_twice_is_held_then_refused_and_the_rest_paid(
        platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    await designate(platform, INST, ["home_visit"])
    await conclude(platform, P1, "AS-1", 4)
    await known(platform, http, P1)
    ok(await http.post(url(platform, "/ltc/plans"), json=plan_body(P1), headers=auth(T, "institution", INST)), 201)
    records = [rec("D1", P1, 2), rec("D2", P1, 2, "14:00", "15:00", caregiver="CG02"), rec("D3", P1, 3)]
    stored = ok(await upload(platform, http, records), 201)
    assert stored["review"] == {"state": "pending", "parts": 1}

    async def submitted() -> list[Any] | None:
        sent = [decode(m.value) for m in platform.bus.messages(topic_for(T, "claim_lines.submitted"))]  # type: ignore[attr-defined]
        return [e for e in sent if e.payload.batch_id == stored["batch_id"]] or None

    (event,) = await eventually(submitted, what="claim_lines.submitted")
    assert (event.payload.source, event.payload.program, event.payload.institution_id) == ("care", "wz-ltc", INST)
    d1 = next(c for c in event.payload.claims if c.claim_id == "D1")
    assert [(ln.line_id, ln.item_code, ln.amount) for ln in d1.lines] == [("D1|pressure_care", "pressure_care",
                                                                           "90.00")]
    assert (d1.sex, d1.birth_date) == ("M", "1950-01-01")

    sid = f"LTC-{INST}-{MONTH}"
    ok(await http.post(url(platform, "/ltc/statements"), json={"month": MONTH}, headers=FIN))
    detail = await care_statement_reviewed(http, platform.url("settlement"), sid, T)
    assert detail["review"]["held_lines"] == 1 and detail["review"]["open_hits"] == 1
    err = error(await http.post(url(platform, f"/ltc/statements/{sid}/close"), headers=FIN), 409)
    assert err["code"] == "review_pending" and err["params"]["held_lines"] == "1"

    hits = ok(await http.get(f"{platform.url('audit')}/v1/review/hits", params={"source": "care"},
                             headers=auth(T, "reviewer")))["hits"]
    (hit,) = hits
    assert (hit["rule"], hit["held_line_ids"], hit["amount"]) == ("duplicate_charge", ["D2|pressure_care"], "90.00")
    ok(await http.post(f"{platform.url('audit')}/v1/review/hits/{hit['hit_id']}/decision",
                       json={"decision": "confirm", "note": "同日重复记录"}, headers=auth(T, "reviewer")))

    async def released() -> dict[str, Any] | None:
        s = ok(await http.get(url(platform, f"/ltc/statements/{sid}"), headers=FIN))
        return s if s["review"]["held_lines"] == 0 and s["review"]["refused_lines"] == 1 else None

    await eventually(released, what="the decision at settlement")
    closed = ok(await http.post(url(platform, f"/ltc/statements/{sid}/close"), headers=FIN))
    assert (closed["status"], closed["records"], closed["amount"], closed["refused"]) == ("closed", 2, "180.00",
                                                                                        "90.00")
    (refusal,) = closed["refusals"]
    assert (refusal["record_id"], refusal["rule"], refusal["hit_id"]) == ("D2", "duplicate_charge", hit["hit_id"])
    assert refusal["reason_codes"][0]["code"] == "smart_review_refused"
