"""The long-term care walk's body builders (jingban/ltc_flow.py) against the rules that will judge them: item scores
graded by the domain's own scale give the grade asked for, plans stay within the catalogue for the grade, a month of
records keeps every planned frequency and never puts a caregiver in two places at once, identity numbers carry a
valid check digit and a city-level person lands in the lot the sequence-code rule says."""

from __future__ import annotations

import json
import random
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from jingban.ltc_flow import (
    LtcWalk,
    city_person,
    lot_divisions,
    mild_scores,
    month_of_records,
    plan_items,
    quarter_end,
    quarter_of,
    resident_id,
    sample_scale,
    scores_for_grade,
    severe_scores,
)
from services.appraisal.disability.domain.scale import grade, item_scores
from services.intake.lots.domain.routing import load_lots, lot_for
from services.settlement.care.domain.plans import Cover, Plan, ServiceRecord, check_record


@pytest.mark.parametrize("target", range(6))
def test_scores_give_the_grade_asked_for(target: int) -> None:
    scale = sample_scale()
    assert grade(scale, item_scores(scale, scores_for_grade(target))).grade == target


def test_severe_and_mild_are_on_their_side_of_the_cover() -> None:
    scale = sample_scale()
    assert grade(scale, item_scores(scale, severe_scores(3))).severe
    assert not grade(scale, item_scores(scale, mild_scores(2))).severe
    with pytest.raises(AssertionError):
        severe_scores(2)


def test_identity_numbers_and_lots() -> None:
    pid = resident_id("330303", date(1948, 5, 12), 1)
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert pid[-1] == "10X98765432"[sum(int(d) * w for d, w in zip(pid[:17], weights, strict=True)) % 11]
    assert lot_divisions("wz-d") == ["330305", "330382", "330383"]
    rng = random.Random(7)
    lots = load_lots()
    for tenant, letter in (("wz-a", "A"), ("wz-b", "B"), ("wz-c", "C")):
        person = city_person(rng, tenant)
        assert person is not None and lot_for(lots, "市本级", person)[0].code == letter
    assert city_person(rng, "wz-e") is None


@pytest.mark.parametrize(("grade_", "mode"), [(3, "home_visit"), (4, "home_visit"), (5, "institutional"),
                                              (4, "family")])
def test_a_month_of_records_keeps_the_plan(grade_: int, mode: str) -> None:
    items = plan_items(grade_, mode, visits=8)
    assert items and all(i["per_month"] >= 1 for i in items)
    plan = Plan("P", {"home_visit": "home_visits"}.get(mode, mode), grade_, date(2026, 11, 1), date(2027, 10, 31),
                {i["code"]: i["per_month"] for i in items}, mode == "family")
    records: list[ServiceRecord] = []
    accepted: list[ServiceRecord] = []
    for person, slot in (("P", 0), ("Q", 1)):   # two persons of one caregiver, in their own slots
        for r in month_of_records(person, items, "2026-11", "CG1", slot, person):
            for item in r["items"]:
                records.append(ServiceRecord(f"{r['record_id']}/{item}", person, r["caregiver_id"], item,
                                             datetime.fromisoformat(f"{r['date']}T{r['start']}"),
                                             datetime.fromisoformat(f"{r['date']}T{r['end']}")))
    for rec in (r for r in records if r.person_id == "P"):
        others = [o for o in records if o.person_id == "Q"]
        reason = check_record(plan, Cover(date(2026, 1, 1)), rec, accepted, others)
        assert reason.code == "record_accepted", reason
        accepted.append(rec)
    assert {i["code"]: sum(r.item == i["code"] for r in accepted) for i in items} == {
        i["code"]: min(i["per_month"], 30) for i in items}


def test_quarters() -> None:
    assert (quarter_of("2026-11"), quarter_end("2026-Q4"), quarter_of("2026-01")) == ("2026-Q4", date(2026, 12, 31),
                                                                                       "2026-Q1")


async def test_a_patrol_names_its_services_by_service_id_or_institution_and_record_id() -> None:
    """`LtcWalk.patrol` takes the sample's entries (service ids), service ids, or {institution_id, record_id[, month]}
    — never a bare record id, which is only its institution's own within a month."""
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"patrol_id": "p1"})

    class Tokens:
        def user_token(self, *_: Any) -> str:
            return "t"

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        walk = LtcWalk(lambda _: "http://audit", Tokens(), http, "wz-b")  # type: ignore[arg-type]
        entry = {"service_id": "WZB-C001:2026-11:P0-01", "institution_id": "WZB-C001", "month": "2026-11",
                 "record_id": "P0-01"}
        await walk.patrol("2026-Q4", "2026-11-20", [entry, "WZB-C002:2026-11:P0-01",
                                                    {"institution_id": "WZB-C003", "record_id": "P0-01"}], [])
    assert sent[0]["checked_record_ids"] == ["WZB-C001:2026-11:P0-01", "WZB-C002:2026-11:P0-01"]
    assert sent[0]["checked_services"] == [{"institution_id": "WZB-C003", "record_id": "P0-01"}]
