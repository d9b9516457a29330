"""Smart review (智能审核) at audit's door (/v1/review), on the in-memory adapters: settlement's claim_lines.submitted
arrives as events → reviewed with the program's rule set → hits stored and claim_review.completed published (the
holds), once for a redelivered part; reviewers and inspectors decide (review_hit.decided in the same write, the
decision naming who and in which role; a second decision 409 `hit_already_decided`); bad decisions and screening
imports refused with their code and field, nothing written; roles (403); an institution reads its own hits only; hz-p2
never sees hz-p1's hits (404); every program's tenant is served (qz-ci reads its own rules); no identity number in
clear at rest."""

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
from tests.conftest import auth
from tests.support.pii_scan import scan_stores
from tests.unit.audit.builders import message, stored

TENANTS = ("hz-p1", "hz-p2", "qz-ci")
T = "hz-p1"
MAN = "610702196001010531"
WOMAN = "61070219750315002X"
HOSPITAL, OTHER = "H610702031", "H610702099"


def claim(cid: str, person: str, lines: list[tuple[str, str, str, str]], sex: str, born: str
          ) -> events_pb2.ReviewClaim:
    return events_pb2.ReviewClaim(
        claim_id=cid, person_id=person, sex=sex, birth_date=born, kind="outpatient",
        lines=[events_pb2.ReviewLine(line_id=f"{cid}|{n}", item_code=item, date=day, quantity=q, unit_price=p,
                                     amount=f"{Decimal(q) * Decimal(p):.2f}")
               for n, (item, day, q, p) in enumerate(lines, start=1)])


def submission(batch: str, claims: list[events_pb2.ReviewClaim], institution: str = HOSPITAL
               ) -> tuple[str, Any, str]:
    return "claim_lines.submitted", events_pb2.ClaimLinesSubmitted(
        batch_id=batch, part=1, parts=1, program="hz-chronic", source="chronic", institution_id=institution,
        institution_kind="hospital", month="2025-06", claims=claims, submitted_at="2025-07-01T00:00:00+00:00"), batch


JUNE = submission("b1", [
    claim("C1", MAN, [("S011", "2025-06-03", "1", "8.00"), ("D101", "2025-06-03", "60", "0.80")], "M", "1960-01-01"),
    claim("C2", MAN, [("S011", "2025-06-03", "1", "8.00")], "M", "1960-01-01"),
    claim("C3", WOMAN, [("D203", "2025-06-05", "30", "3.00")], "F", "1975-03-15")])


class Rig:
    def __init__(self, host: ServiceHost, consumer: EventConsumer, http: httpx.AsyncClient) -> None:
        self.host, self.consumer, self.http = host, consumer, http

    async def feed(self, tenant: str, *specs: tuple[str, Any, str], event_id: str | None = None) -> list[Any]:
        evs = [stored(t, p, tenant=tenant, key=k, event_id=event_id) for t, p, k in specs]
        await self.consumer.process_batch([message(e) for e in evs])
        return evs

    async def events(self, tenant: str, event_type: str) -> list[Event]:
        await self.host.relay.relay_once()
        return [decode(m.value) for m in self.host.bus.messages(topic_for(tenant, event_type))]  # type: ignore[attr-defined]

    async def get(self, path: str, tenant: str = T, role: str = "reviewer", subject: str = "u1",
                  **params: Any) -> httpx.Response:
        return await self.http.get(f"/v1/review{path}", params=params, headers=auth(tenant, role, subject))

    async def post(self, path: str, body: Any, tenant: str = T, role: str = "reviewer",
                   subject: str = "rev-1") -> httpx.Response:
        return await self.http.post(f"/v1/review{path}", json=body, headers=auth(tenant, role, subject))

    async def count(self, tenant: str, collection: str) -> int:
        return await self.host.store.database("audit", tenant)[collection].count_documents({})


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
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
        await rig.feed(T, JUNE, event_id="ev-june")
        yield rig


def error_of(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()["error"]


async def test_a_submission_is_reviewed_and_answered_with_its_holds_once(rig: Rig) -> None:
    (done,) = await rig.events(T, "claim_review.completed")
    p = done.payload
    assert (p.batch_id, p.part, p.parts, p.source, p.claims, p.lines) == ("b1", 1, 1, "chronic", 3, 4)
    assert (p.rule_set_version, p.catalogue_version) == ("hz-review-sample.1", "hz-catalogue-sample.1")
    holds = {h.rule: (list(h.line_ids), h.amount) for h in p.holds}
    assert holds == {"duplicate_charge": (["C2|1"], "8.00"), "over_price": (["C1|2"], "18.00"),
                     "sex_restricted": (["C3|1"], "90.00")}
    assert done.envelope.business_key == "b1"
    # The same event again, and the same part under another event id: nothing new.
    await rig.feed(T, JUNE, event_id="ev-june")
    await rig.feed(T, JUNE)
    assert len(await rig.events(T, "claim_review.completed")) == 1
    assert await rig.count(T, "review_hits") == 3 and await rig.count(T, "review_claims") == 3

    listed = (await rig.get("/hits", batch_id="b1")).json()["hits"]
    assert len(listed) == 3
    by_rule = {h["rule"]: h for h in listed}
    dup = by_rule["duplicate_charge"]
    assert (dup["claim_id"], dup["line_ids"], dup["held_line_ids"]) == ("C1", ["C1|1", "C2|1"], ["C2|1"])
    assert dup["reason"]["code"] == "duplicate_charge" and dup["state"] == "open"
    assert dup["rule_set_version"] == "hz-review-sample.1"
    one = (await rig.get(f"/hits/{dup['hit_id']}", role="finance")).json()
    assert one["hit_id"] == dup["hit_id"] and one["amount"] == "8.00"
    assert (await rig.get("/hits", rule="over_price", state="open")).json()["hits"][0]["line_ids"] == ["C1|2"]
    summary = (await rig.get("/summary", month="2025-06", role="inspector")).json()
    assert summary["total"]["hits"] == 3 and summary["by_rule"]["card_pooling"]["hits"] == 0
    rules = (await rig.get("/rules", role="institution", subject=HOSPITAL)).json()
    assert rules["version"] == "hz-review-sample.1" and {r["code"] for r in rules["rules"] if r["enabled"]} >= {
        "over_price", "duplicate_charge"}
    assert (await rig.get("/rules", tenant="qz-ci", role="ops")).status_code == 200  # every program is served


async def test_a_reviewer_decides_once_and_the_decision_is_published(rig: Rig) -> None:
    hits = {h["rule"]: h for h in (await rig.get("/hits")).json()["hits"]}
    dup = hits["duplicate_charge"]["hit_id"]
    r = await rig.post(f"/hits/{dup}/decision", {"decision": "confirm", "note": "同日重复收费"})
    assert r.status_code == 200 and r.json()["state"] == "confirmed"
    assert r.json()["decision"]["by"] == {"role": "reviewer", "subject": "rev-1"}
    error = error_of(await rig.post(f"/hits/{dup}/decision", {"decision": "dismiss", "note": "改判"}), 409)
    assert error["code"] == "hit_already_decided"
    (decided,) = await rig.events(T, "review_hit.decided")
    p = decided.payload
    assert (p.hit_id, p.decision, list(p.line_ids), p.source, p.batch_id, p.decided_by) == (
        dup, "confirm", ["C2|1"], "chronic", "b1", "rev-1")
    assert decided.envelope.business_key == dup
    assert (await rig.get("/hits", state="confirmed")).json()["hits"][0]["hit_id"] == dup
    summary = (await rig.get("/summary")).json()
    assert summary["by_rule"]["duplicate_charge"]["confirmed_amount"] == "8.00"


async def test_an_inspector_confirms_or_dismisses_too_and_the_decision_names_the_role(rig: Rig) -> None:
    """Issue 14: the inspector's workbench confirms or dismisses hits (稽核员), as a reviewer's does."""
    hits = {h["rule"]: h["hit_id"] for h in (await rig.get("/hits", role="inspector")).json()["hits"]}
    r = await rig.post(f"/hits/{hits['sex_restricted']}/decision", {"decision": "dismiss", "note": "核实无误"},
                       role="inspector", subject="insp-7")
    assert r.status_code == 200 and r.json()["state"] == "dismissed", r.text
    assert r.json()["decision"]["by"] == {"role": "inspector", "subject": "insp-7"}
    # once, whoever decided it: a reviewer's second decision is refused like an inspector's
    assert error_of(await rig.post(f"/hits/{hits['sex_restricted']}/decision", {"decision": "confirm", "note": "x"}),
                    409)["code"] == "hit_already_decided"
    (decided,) = await rig.events(T, "review_hit.decided")
    assert (decided.payload.hit_id, decided.payload.decision, decided.payload.decided_by) == (
        hits["sex_restricted"], "dismiss", "insp-7")
    stored = (await rig.get(f"/hits/{hits['sex_restricted']}", role="supervisor")).json()
    assert stored["decision"]["by"] == {"role": "inspector", "subject": "insp-7"}
    # another tenant's inspector finds no such hit
    assert error_of(await rig.post(f"/hits/{hits['over_price']}/decision", {"decision": "confirm", "note": "x"},
                                   tenant="hz-p2", role="inspector"), 404)["code"] == "not_found"


async def test_bad_decisions_are_refused_with_their_field_nothing_written(rig: Rig) -> None:
    hit = (await rig.get("/hits", rule="over_price")).json()["hits"][0]["hit_id"]
    for body, field in (({"decision": "confirm"}, "note"), ({"decision": "confirm", "note": ""}, "note"),
                        ({"decision": "maybe", "note": "x"}, "decision"), ({"note": "x"}, "decision")):
        error = error_of(await rig.post(f"/hits/{hit}/decision", body), 422)
        assert error["field"] == field, (body, error)
    assert (await rig.get(f"/hits/{hit}")).json()["state"] == "open"
    assert await rig.events(T, "review_hit.decided") == []
    assert error_of(await rig.post("/hits/over_price-0123456789abcdef0123/decision",
                                   {"decision": "confirm", "note": "x"}), 404)["code"] == "not_found"


async def test_roles(rig: Rig) -> None:
    hit = (await rig.get("/hits")).json()["hits"][0]["hit_id"]
    for role in ("clerk", "applicant", "expert", "institution", "finance", "supervisor", "ops"):
        r = await rig.post(f"/hits/{hit}/decision", {"decision": "confirm", "note": "x"}, role=role)
        assert r.status_code == 403, (role, r.text)
    for role in ("clerk", "applicant", "expert"):
        assert (await rig.get("/hits", role=role)).status_code == 403, role
        assert (await rig.get("/summary", role=role)).status_code == 403, role
    for role in ("reviewer", "finance", "clerk", "institution"):
        r = await rig.post("/claims", {"claims": []}, role=role)
        assert r.status_code == 403, (role, r.text)
    for role in ("reviewer", "inspector", "supervisor", "ops", "finance"):
        assert (await rig.get("/hits", role=role)).status_code == 200, role


async def test_an_institution_reads_its_own_hits_only(rig: Rig) -> None:
    await rig.feed(T, submission("b2", [claim("Z1", WOMAN, [("D203", "2025-06-20", "1", "3.00")], "F",
                                              "1975-03-15")], institution=OTHER))
    mine = (await rig.get("/hits", role="institution", subject=HOSPITAL)).json()["hits"]
    assert len(mine) == 3 and {h["institution_id"] for h in mine} == {HOSPITAL}
    theirs = (await rig.get("/hits", role="institution", subject=OTHER)).json()["hits"]
    assert [h["claim_id"] for h in theirs] == ["Z1"]
    assert (await rig.get("/hits", role="institution", subject=OTHER, institution=HOSPITAL)).json()["hits"] == []
    r = await rig.get(f"/hits/{mine[0]['hit_id']}", role="institution", subject=OTHER)
    assert error_of(r, 404)["code"] == "not_found"
    assert (await rig.get("/summary", role="institution", subject=OTHER)).json()["total"]["hits"] == 1


async def test_another_tenant_sees_nothing(rig: Rig) -> None:
    hit = (await rig.get("/hits")).json()["hits"][0]["hit_id"]
    assert (await rig.get(f"/hits/{hit}", tenant="hz-p2")).status_code == 404
    assert (await rig.get("/hits", tenant="hz-p2")).json()["hits"] == []
    r = await rig.post(f"/hits/{hit}/decision", {"decision": "confirm", "note": "x"}, tenant="hz-p2")
    assert r.status_code == 404
    assert (await rig.get(f"/hits/{hit}")).json()["state"] == "open"
    # a tenant read by name: only the agency supervisor of the program, else 404
    r = await rig.http.get("/v1/review/hits", params={"tenant": T}, headers=auth("hz-p2", "finance"))
    assert r.status_code == 404
    r = await rig.http.get("/v1/review/hits", params={"tenant": T},
                           headers=auth("hz-p2", "supervisor", "agency", "hz-chronic"))
    assert r.status_code == 200 and len(r.json()["hits"]) == 3
    r = await rig.http.get("/v1/review/hits", params={"tenant": T},
                           headers=auth("qz-ci", "supervisor", "agency", "qz-critical"))
    assert r.status_code == 404


SCREENED = [{"claim_id": f"s{n}", "institution": "P610702101", "institution_kind": "pharmacy",
             "person_id": f"61070219600101{n:03d}1", "sex": "M", "birth_date": "1960-01-01", "kind": "pharmacy",
             "settled_at": f"2025-03-09T10:0{n}:00",
             "lines": [{"line_id": f"s{n}-1", "item_code": "D001", "date": "2025-03-09", "quantity": "1",
                        "unit_price": "20.00", "amount": "20.00"}]} for n in range(5)]


async def test_screening_imports_hold_nothing_and_refuse_bad_input(rig: Rig) -> None:
    r = await rig.post("/claims", {"claims": SCREENED, "import_id": "km-1"}, role="inspector")
    assert r.status_code == 201, r.text
    assert r.json()["summary"]["card_pooling"] == 5 and r.json()["import_id"] == "km-1"
    again = await rig.post("/claims", {"claims": SCREENED, "import_id": "km-1"}, role="ops")
    assert again.status_code == 200 and again.json() == r.json()
    screened = (await rig.get("/hits", source="screening")).json()["hits"]
    assert len(screened) == 5 and all(h["held_line_ids"] == [] and h["source"] == "screening" for h in screened)
    before = (await rig.count(T, "review_hits"), await rig.count(T, "review_claims"))
    bad_line = {**SCREENED[0]["lines"][0], "amount": "21.00"}
    for body, field, code in (
            ({"claims": [{**SCREENED[0], "lines": [bad_line]}]}, "claims[0].lines[0].amount", "amount_mismatch"),
            ({"claims": [{**SCREENED[0], "discharged_on": "2025-03-01", "admitted_on": "2025-03-05"}]},
             "claims[0].discharged_on", "stay_reversed"),
            ({"claims": SCREENED, "catalogue": []}, "catalogue", "unknown_field"),
            ({"claims": "x"}, "claims", "invalid_type")):
        error = error_of(await rig.post("/claims", body, role="inspector"), 422)
        assert (error["field"], error["code"]) == (field, code), error
    assert (await rig.count(T, "review_hits"), await rig.count(T, "review_claims")) == before


async def test_no_identity_number_in_clear_at_rest(rig: Rig) -> None:
    await rig.post("/claims", {"claims": SCREENED}, role="inspector")
    hit = (await rig.get("/hits")).json()["hits"][0]["hit_id"]
    await rig.post(f"/hits/{hit}/decision", {"decision": "dismiss", "note": f"核实 {MAN} 无误"})
    await rig.host.relay.relay_once()
    found, docs = await scan_stores(rig.host.store, ["audit"], [T], [MAN, WOMAN, *(c["person_id"] for c in SCREENED)])
    assert found == [] and docs > 0, found
