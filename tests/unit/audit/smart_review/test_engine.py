"""The engine as others call it: `review(..., new=)` against history, stable hit ids, the order, the summary."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.audit.smart_review.domain.catalogue import parse_catalogue
from services.audit.smart_review.domain.claims import Claim, Line, parse_claims
from services.audit.smart_review.domain.engine import Hit, review, summary
from services.audit.smart_review.domain.reasons import REASONS
from services.audit.smart_review.domain.rules import RULES, parse_settings
from tests.unit.audit.smart_review.cases import CATALOGUE, OTHER, PERSON, claim, line, of, run


def test_every_rule_has_its_reason_and_chinese_term() -> None:
    assert list(RULES) == ["over_price", "duplicate_charge", "unbundling", "sex_restricted", "age_restricted",
                           "over_quantity", "duplicate_medication", "split_admission", "phantom_bed",
                           "non_medical_goods", "card_pooling"]
    assert set(REASONS.codes) == set(RULES)
    for rule in RULES.values():
        assert re.search(r"[\u4e00-\u9fff]", rule.term) and rule.description
        assert rule.to_json()["code"] == rule.code


def test_new_returns_only_hits_touching_a_new_claim() -> None:
    history = claim("c1", [line("c1-1", "D001", "2025-03-01", "1", "15.00", 30)], institution="P01",
                    kind="pharmacy")
    fresh = claim("c2", [line("c2-1", "D001", "2025-03-10", "1", "16.00", 30)], institution="P02", kind="pharmacy")
    everything = run([history, fresh])
    assert [(h.rule, h.claim_id) for h in everything] == [
        ("over_price", "c1"), ("over_price", "c2"), ("duplicate_medication", "c2")]
    reviewed = run([history, fresh], new={"c2"})
    # c1's own over-price is history's, not this review's; the overlap with c1 touches c2
    assert [(h.rule, h.claim_id, h.line_ids) for h in reviewed] == [
        ("over_price", "c2", ("c2-1",)), ("duplicate_medication", "c2", ("c1-1", "c2-1"))]
    assert run([history, fresh], new=set()) == []


def test_new_earlier_stay_does_not_bring_the_later_claims_hit() -> None:
    stays = [claim("c1", [line("c1-1", "B001", "2025-03-01", "1", "40.00"), line("c1-2", "S020", "2025-03-01")],
                   kind="inpatient", admitted_on="2025-03-01", discharged_on="2025-03-09"),
             claim("c2", [line("c2-1", "B001", "2025-03-20", "1", "40.00"), line("c2-2", "S020", "2025-03-20")],
                   kind="inpatient", admitted_on="2025-03-20", discharged_on="2025-03-25")]
    assert [h.claim_id for h in of(run(stays, new={"c2"}), "split_admission")] == ["c2"]
    assert of(run(stays, new={"c1"}), "split_admission") == []


def test_new_keeps_only_the_new_claims_of_a_pooling_window() -> None:
    swipes = [claim(f"c{k}", [line(f"c{k}-1", "D003", "2025-03-02")], institution="P01", kind="pharmacy",
                    person=f"person{k}", settled_at=f"2025-03-02T10:0{k}:00") for k in range(5)]
    assert [h.claim_id for h in of(run(swipes, new={"c4"}), "card_pooling")] == ["c4"]
    # history far from the new claim's time is not read, and changes nothing
    late = claim("c9", [line("c9-1", "D003", "2025-03-02")], institution="P01", kind="pharmacy", person="late",
                 settled_at="2025-03-02T18:00:00")
    assert of(run([*swipes, late], new={"c9"}), "card_pooling") == []


def test_hit_ids_are_stable_and_shaped() -> None:
    claims = [claim("c1", [line("c1-1", "S020", "2025-03-02"), line("c1-2", "S020", "2025-03-02")])]
    first, again = run(claims), run(claims)
    assert [h.hit_id for h in first] == [h.hit_id for h in again]
    (hit,) = of(first, "duplicate_charge")
    assert re.fullmatch(r"duplicate_charge-[0-9a-f]{20}", hit.hit_id)
    swapped = Hit(hit.rule, hit.claim_id, tuple(reversed(hit.line_ids)), hit.amount, hit.reason)
    assert swapped.hit_id == hit.hit_id  # sorted line ids
    assert Hit(hit.rule, "c9", hit.line_ids, hit.amount, hit.reason).hit_id != hit.hit_id
    body = hit.to_json()
    assert body["amount"] == "10.00" and body["reason"]["code"] == "duplicate_charge" and body["hit_id"] == hit.hit_id


def test_hits_come_in_rule_then_claim_order_and_the_summary_counts_every_rule() -> None:
    claims = [claim("c2", [line("c2-1", "SF01", "2025-03-02"), line("c2-2", "D001", "2025-03-02", "1", "13.00")]),
              claim("c1", [line("c1-1", "SF01", "2025-03-02"), line("c1-2", "D001", "2025-03-02", "1", "13.00")],
                    person=OTHER)]
    hits = run(claims)
    assert [(h.rule, h.claim_id) for h in hits] == [("over_price", "c1"), ("over_price", "c2"),
                                                    ("sex_restricted", "c1"), ("sex_restricted", "c2")]
    counts = summary(hits)
    assert list(counts) == list(RULES)
    assert counts["over_price"] == 2 and counts["sex_restricted"] == 2 and counts["card_pooling"] == 0


def test_rules_left_out_of_the_settings_do_not_run() -> None:
    claims = [claim("c1", [line("c1-1", "SF01", "2025-03-02"), line("c1-2", "D001", "2025-03-02", "1", "13.00")])]
    assert [h.rule for h in run(claims, settings={"rules": ["sex_restricted"]})] == ["sex_restricted"]
    assert run(claims, settings={"rules": []}) == []


def test_amounts_are_decimal_yuan_with_two_places() -> None:
    hits = run([claim("c1", [line("c1-1", "D001", "2025-03-02", "0.5", "15.01")])])
    for hit in hits:
        assert isinstance(hit.amount, Decimal) and hit.amount.as_tuple().exponent == -2


# ---- new= gives the same hits as the whole history, filtered ------------------------------------------------------


def _random_claims(rnd: random.Random, count: int) -> list[dict[str, Any]]:
    """Claims of a few persons at few institutions on few days, so that every rule has a chance to fire."""
    codes = [it["code"] for it in CATALOGUE] + ["X999"]
    persons = [(PERSON, "M", "1958-03-12"), (OTHER, "F", "1962-04-25"), ("p3", "F", "2012-06-01")]
    out = []
    for k in range(count):
        person, sex, birth = rnd.choice(persons)
        institution = rnd.choice(["H01", "H02", "P01", "P02"])
        start = date(2025, 3, 1) + timedelta(days=rnd.randint(0, 25))
        lines = []
        for j in range(rnd.randint(1, 4)):
            code = rnd.choice(codes)
            on = start + timedelta(days=rnd.randint(0, 3))
            price = rnd.choice(["10.00", "12.50", "15.00", "40.00"])
            supply = rnd.choice([None, 3, 10]) if code.startswith("D") else None
            lines.append(line(f"c{k}-{j}", code, on.isoformat(), rnd.choice(["1", "2"]), price, supply))
        extra: dict[str, Any] = {"settled_at": f"2025-03-02T10:{rnd.randint(0, 40):02d}:00"}
        kind = "pharmacy" if institution.startswith("P") else rnd.choice(["inpatient", "outpatient"])
        if kind == "inpatient":
            extra.update(admitted_on=start.isoformat(), discharged_on=(start + timedelta(days=3)).isoformat())
        out.append(claim(f"c{k}", lines, institution=institution, person=person, sex=sex, birth=birth, kind=kind,
                         **extra))
    return out


def _key(hit: Hit) -> tuple[object, ...]:
    # The claim a group hit is charged to depends on which claims are new; everything else may not.
    return hit.rule, hit.line_ids, hit.amount, hit.reason.detail


@pytest.mark.parametrize("seed", range(12))
def test_new_equals_the_whole_review_filtered(seed: int) -> None:
    rnd = random.Random(seed)
    data = _random_claims(rnd, 40)
    settings, catalogue, claims = parse_settings({"pooling_persons": 3}), parse_catalogue(CATALOGUE), \
        parse_claims(data)
    everything = review(settings, catalogue, claims)
    assert {h.rule for h in everything} >= {"over_price", "duplicate_medication", "non_medical_goods"}
    for _ in range(5):
        new = {c["claim_id"] for c in rnd.sample(data, rnd.randint(1, 6))}
        new_lines = {ln.line_id for c in claims if c.claim_id in new for ln in c.lines}
        expected = sorted(_key(h) for h in everything if h.claim_id in new or set(h.line_ids) & new_lines)
        got = review(settings, catalogue, claims, new=new)
        assert sorted(_key(h) for h in got) == expected
        assert all(h.claim_id in new or set(h.line_ids) & new_lines for h in got)


def test_claims_built_by_hand_are_reviewed_as_parsed_ones() -> None:
    # The platform builds Claim and Line itself (from its stored history): any whole days_supply is read.
    def supply(claim_id: str, on: date, days: int | None) -> Claim:
        return Claim(claim_id, "P01", "pharmacy", PERSON, "M", date(1958, 3, 12), "pharmacy",
                     (Line(f"{claim_id}-1", "D001", on, Decimal("1"), Decimal("10.00"), Decimal("10.00"), days),))

    catalogue, settings = parse_catalogue(CATALOGUE), parse_settings(None)
    long = [supply("c1", date(2025, 1, 1), 400), supply("c2", date(2026, 2, 4), 1)]  # 2025-01-01 + 400 days
    assert [h.rule for h in review(settings, catalogue, long)] == ["duplicate_medication"]
    none = [supply("c1", date(2025, 1, 1), 0), supply("c2", date(2025, 1, 2), None)]
    assert review(settings, catalogue, none) == []
