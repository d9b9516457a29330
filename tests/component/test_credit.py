"""The credit evaluation of designated institutions (信用评价) at audit's door, on the in-memory adapters: the facts
arrive as events — confirmed smart-review hits (review_hit.decided; a dismissed one and a redelivery count nothing),
an inspection's findings (inspection.reported; a later report of it replaces them, an older one redelivered changes
nothing), a record sample's problem records (record_sample.completed), a lead's closed case's findings (case.closed;
an inspection's case counts nothing more) — and an inspector rates cooperation; evaluations by the SAMPLE rules with
every deduction explained; the agency's supervisor approves (credit.evaluated); an institution reads its own approved
evaluation only; bad input refused with its code and field; roles refused; hz-p1 404 and its events ignored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from contracts.v1 import events_pb2
from tests.support.supervision_rig import KM, Rig, audit_rig, error_of, institution

BUSINESS_DATE = "2024-11-25"
H, P = "KM-H001", "KM-P001"


def hit(hit_id: str, decision: str = "confirm", institution_id: str = H) -> tuple[str, Any, str]:
    return "review_hit.decided", events_pb2.ReviewHitDecided(
        hit_id=hit_id, rule="duplicate_charge", decision=decision, source="screening", claim_id=f"c-{hit_id}",
        amount="45.00", institution_id=institution_id, month="2024-05", program="km-supervision",
        decided_at="2024-06-03T02:00:00+00:00", decided_by="rev-1"), hit_id


def reported(codes: list[str], at: str) -> tuple[str, Any, str]:
    return "inspection.reported", events_pb2.InspectionReported(
        inspection_id="insp-1", institution_id=H, institution_kind="hospital", method="daily_patrol",
        ended_on="2024-07-10", reported_on=at[:10], due_on="2024-07-13", catalogue_version="km-violations-2024.1",
        findings=[events_pb2.InspectionFinding(code=c, amount="100.00", name=c, finding_id=f"f{n}")
                  for n, c in enumerate(codes)], reported_at=at, amount=f"{100 * len(codes)}.00"), H


def sample(problems: int) -> tuple[str, Any, str]:
    return "record_sample.completed", events_pb2.RecordSampleCompleted(
        sample_id="S-1", institution_id=H, population=800, sampled=20, problems=problems, rate="0.4000",
        expected_rate="0.40", population_kind="medical_records", completed_at="2024-08-01T02:00:00+00:00",
        institution_kind="hospital"), H


def closed(case_id: str, source: str) -> tuple[str, Any, str]:
    return "case.closed", events_pb2.CaseClosed(
        case_id=case_id, institution_id=H, source=source, outcome="violation", closed_on="2024-09-09",
        findings=[events_pb2.CaseFindingRef(code="H09", amount="3000.00", catalogue_version="v")],
        amount_found="3000.00", amount_recovered="3000.00"), case_id


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", BUSINESS_DATE)
    async with audit_rig(tmp_path) as r:
        await r.feed(KM, institution(H, "hospital"), institution(P, "pharmacy"))
        [once] = await r.feed(KM, hit("h-1"))
        await r.feed(KM, hit("h-1"), event_id=once)   # redelivered
        await r.feed(KM, hit("h-2"), hit("h-3"), hit("h-4", "dismiss"))
        await r.feed(KM, reported(["H01", "H03"], "2024-07-12T03:00:00+00:00"))
        [later] = await r.feed(KM, reported(["H01", "H03", "H06"], "2024-07-13T03:00:00+00:00"))
        await r.feed(KM, reported(["H01"], "2024-07-11T03:00:00+00:00"))          # an older report, late
        await r.feed(KM, sample(8), closed("case-1", "tip"), closed("case-2", "inspection"))
        await r.feed("hz-p1", hit("h-9", institution_id=H), institution("HZ-1", "hospital"))
        assert later
        yield r


async def test_facts_evaluation_approval_and_what_an_institution_reads(rig: Rig) -> None:
    facts = (await rig.get("/credit/facts", year=2024, institution_id=H)).json()["facts"]
    assert sorted(f["rule"] for f in facts) == sorted(["confirmed_hit"] * 3 + ["inspection_finding"] * 3 +
                                                      ["record_sample_problem", "case_finding"])
    assert await rig.count("sv_credit_facts", "hz-p1") == 0
    r = await rig.post("/credit/ratings", {"institution_id": H, "year": 2024, "rating": "poor", "note": "拖延提供资料"})
    assert r.status_code == 201, r.text
    r = await rig.post("/credit/ratings", {"institution_id": H, "year": 2024, "rating": "fair"})
    assert r.status_code == 201 and r.json()["rating"] == "fair"

    r = await rig.post("/credit/evaluations", {"year": 2024})
    assert r.status_code == 201, r.text
    drafts = {e["institution_id"]: e for e in r.json()["evaluations"]}
    assert set(drafts) == {H, P}
    h = drafts[H]
    # 3 hits × 1 + 3 findings × 3 + 8 problem records × 0.5 + 1 case finding × 5 + fair 3 = 24 → 76, C.
    assert (h["score"], h["grade"], h["state"], h["rules_version"], h["facts"]) == ("76", "C", "draft",
                                                                                   "km-credit-sample.1", 9)
    assert {k: v["points"] for k, v in h["by_rule"].items()} == {
        "confirmed_hit": "3", "inspection_finding": "9", "record_sample_problem": "4", "case_finding": "5",
        "cooperation": "3"}
    hit_deduction = next(d for d in h["deductions"] if d["rule"] == "confirmed_hit")
    assert (hit_deduction["ref"], hit_deduction["amount"], hit_deduction["applied"]) == ("h-1", "45.00", "1")
    assert hit_deduction["source_event_id"] and hit_deduction["reason"]["code"] == "confirmed_hit"
    assert [c["code"] for c in h["reason_codes"]][-2:] == ["credit_score", "credit_grade"]
    assert (drafts[P]["score"], drafts[P]["grade"], drafts[P]["deductions"]) == ("100", "A", [])

    # The institution sees nothing until approved; the supervisor approves (credit.evaluated).
    assert (await rig.get(f"/credit/evaluations/{h['evaluation_id']}", role="institution", subject=H)).status_code \
        == 404
    r = await rig.post(f"/credit/evaluations/{h['evaluation_id']}/approval", {"note": "同意"}, role="supervisor",
                       subject="sup-1")
    assert r.status_code == 200 and (r.json()["state"], r.json()["revision"]) == ("approved", 1), r.text
    [ev] = await rig.events(KM, "credit.evaluated")
    p = ev.payload
    assert (p.institution_id, p.year, p.score, p.grade, p.revision, p.approved_by) == (H, 2024, "76", "C", 1,
                                                                                      "sup-1")
    assert {d.code: (d.points, d.items) for d in p.deductions}["inspection_finding"] == ("9", 3)
    assert error_of(await rig.post(f"/credit/evaluations/{h['evaluation_id']}/approval", role="supervisor"),
                    409)["code"] == "credit_evaluation_not_draft"
    mine = (await rig.get("/credit/evaluations", role="institution", subject=H)).json()
    assert [e["evaluation_id"] for e in mine] == [h["evaluation_id"]]
    assert (await rig.get(f"/credit/evaluations/{h['evaluation_id']}", role="institution",
                          subject=H)).json()["grade"] == "C"
    assert (await rig.get(f"/credit/evaluations/{h['evaluation_id']}", role="institution", subject=P)).status_code \
        == 404
    assert (await rig.get("/credit/evaluations", role="institution", subject=P)).json() == []

    # A later fact and a second evaluation: a new draft (the one before superseded), approved as revision 2.
    await rig.feed(KM, hit("h-5"))
    first = (await rig.post("/credit/evaluations", {"year": 2024, "institution_ids": [H]})).json()["evaluations"][0]
    second = (await rig.post("/credit/evaluations", {"year": 2024, "institution_ids": [H]},
                             role="supervisor", subject="sup-1")).json()["evaluations"][0]
    assert (first["seq"], second["seq"], second["score"]) == (2, 3, "75")
    states = {e["seq"]: e["state"] for e in (await rig.get("/credit/evaluations", institution_id=H)).json()}
    assert states == {1: "approved", 2: "superseded", 3: "draft"}
    assert error_of(await rig.post(f"/credit/evaluations/{first['evaluation_id']}/approval", role="supervisor"),
                    409)["code"] == "credit_evaluation_not_draft"
    r = await rig.post(f"/credit/evaluations/{second['evaluation_id']}/approval", role="supervisor")
    assert r.json()["revision"] == 2
    rules = (await rig.get("/credit/rules", role="institution", subject=H)).json()
    assert "SAMPLE" in rules["label"] and rules["rules"]["cooperation"]["ratings"]["poor"] == "10"


async def test_bad_input_roles_and_tenants(rig: Rig) -> None:
    for path, body, code, field in (
            ("/credit/evaluations", {"year": 2025}, "credit_year_in_future", "year"),
            ("/credit/evaluations", {"year": 1999}, "invalid_input", "year"),
            ("/credit/ratings", {"institution_id": H, "year": 2024, "rating": "awful"}, "credit_rating_unknown",
             "rating"),
            ("/credit/ratings", {"institution_id": H, "year": 2026, "rating": "good"}, "credit_year_in_future",
             "year"),
            ("/credit/ratings", {"institution_id": "KM-X9", "year": 2024, "rating": "good"}, "unknown_institution",
             "institution_id"),
            ("/credit/evaluations", {"year": 2024, "institution_ids": [P, "KM-X9"]}, "unknown_institution",
             "institution_ids[1]")):
        e = error_of(await rig.post(path, body), 422)
        assert (e["code"], e["field"]) == (code, field), e
    e = error_of(await rig.post("/credit/evaluations", {"year": 2024, "institution_ids": []}), 422)
    assert (e["code"], e["field"]) == ("credit_nothing_to_evaluate", "institution_ids")
    assert await rig.count("sv_credit_evaluations") == 0
    assert not [f for f in await rig.raw("sv_credit_facts") if f["rule"] == "cooperation"]

    draft = (await rig.post("/credit/evaluations", {"year": 2024, "institution_ids": [P]})).json()["evaluations"][0]
    for role, method, path, body in (("clerk", "post", "/credit/evaluations", {"year": 2024}),
                                     ("supervisor", "post", "/credit/ratings",
                                      {"institution_id": H, "year": 2024, "rating": "good"}),
                                     ("inspector", "post", f"/credit/evaluations/{draft['evaluation_id']}/approval",
                                      {}),
                                     ("institution", "get", "/credit/facts", None),
                                     ("clerk", "get", "/credit/evaluations", None)):
        r = await (rig.post(path, body, role=role, subject=P) if method == "post" else
                   rig.get(path, role=role, subject=P, year=2024))
        assert r.status_code == 403, (role, path, r.text)
    for method, path, body in (("get", "/credit/rules", None), ("post", "/credit/evaluations", {"x": 1}),
                               ("get", f"/credit/evaluations/{draft['evaluation_id']}", None),
                               ("post", f"/credit/evaluations/{draft['evaluation_id']}/approval", {}),
                               ("post", "/credit/ratings", {"institution_id": H, "year": 2024, "rating": "good"})):
        r = await (rig.post(path, body, role="supervisor", tenant="hz-p1") if method == "post" else
                   rig.get(path, role="supervisor", tenant="hz-p1"))
        assert r.status_code == 404, (path, r.text)
    assert (await rig.get("/credit/evaluations/CE-nope")).status_code == 404
