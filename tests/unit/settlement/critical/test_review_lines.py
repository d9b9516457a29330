"""Critical claims' item lines for smart review (智能审核, domain/review.py): validation of the lines, the claim as
review reads it, and the refusal (拒付) of a confirmed hit: payable × hit amount ÷ the claim's total, half up, never
more than the claim pays, a hit over several claims shared by their held lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.settlement.critical.domain.review import (
    ClaimFacts,
    batch_id,
    parse_lines,
    refusals,
    review_claim,
)


def ident(value: Any, field: str) -> str:
    return str(value)


def line(lid: str, amount: str, quantity: str = "1", price: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"line_id": lid, "item_code": "S011", "date": "2025-03-02", "quantity": quantity,
            "unit_price": price or amount, "amount": amount, **extra}


def test_no_lines_is_no_review() -> None:
    assert parse_lines(None, "claims[0]", Decimal("10.00"), ident) == ((), [])


def test_amount_is_quantity_times_price_half_up() -> None:
    lines, problems = parse_lines([line("1", "37.50", "3", "12.50"), line("2", "0.35", "0.7", "0.50")],
                                  "claims[0]", None, ident)
    assert problems == [] and [str(x.amount) for x in lines] == ["37.50", "0.35"]
    _, problems = parse_lines([line("1", "37.49", "3", "12.50")], "claims[2]", None, ident)
    assert problems[0]["field"] == "claims[2].lines[0].amount" and problems[0]["code"] == "amount_mismatch"


def test_lines_may_be_up_to_the_total_never_above() -> None:
    assert parse_lines([line("1", "10.00")], "claims[0]", Decimal("10.00"), ident)[1] == []
    _, problems = parse_lines([line("1", "10.01")], "claims[0]", Decimal("10.00"), ident)
    assert (problems[0]["field"], problems[0]["code"]) == ("claims[0].lines", "lines_exceed_total")


def test_a_line_id_once_and_days_supply_a_whole_number() -> None:
    _, problems = parse_lines([line("1", "1.00"), line("1", "1.00")], "c", None, ident)
    assert problems[0]["code"] == "duplicate_line_id"
    _, problems = parse_lines([line("1", "1.00", days_supply="30")], "c", None, ident)
    assert problems[0]["field"] == "c.lines[0].days_supply"


def test_review_claim_reads_sex_and_birth_from_the_identity_number() -> None:
    lines, _ = parse_lines([line("7", "20.00")], "c", None, ident)
    c = review_claim("C1", "330802196001010531", "inpatient", "H1", lines)
    assert (c["sex"], c["birth_date"], c["kind"]) == ("M", "1960-01-01", "inpatient")
    assert c["lines"][0]["line_id"] == "C1|7"
    assert review_claim("C1", "x", "special_drug", "P1", lines)["kind"] == "pharmacy"


def test_batch_id_is_the_same_for_the_same_claims() -> None:
    assert batch_id("H1", "2025-03", ["a", "b"]) == batch_id("H1", "2025-03", ["b", "a"])
    assert batch_id("H1", "2025-03", ["a"]) != batch_id("H1", "2025-03", ["a", "b"])


def hit(hid: str, amount: str, *lines: str) -> dict[str, Any]:
    return {"hit_id": hid, "rule": "duplicate_charge", "amount": amount, "line_ids": list(lines)}


def test_refusal_is_the_funds_share_of_the_hit_half_up_and_capped() -> None:
    facts = {"C2": ClaimFacts(70000, 100000, {"1": 2000})}
    (r,) = refusals([hit("h1", "20.00", "C2|1")], facts, ["C2"])
    assert (r["refused"], r["refused_fen"]) == ("14.00", 1400)
    assert r["reason_codes"][0]["code"] == "smart_review_refused"
    odd = {"C": ClaimFacts(1, 3, {"1": 2})}   # 1 fen × 2/3 = 0.67 → 1 fen (half up)
    assert refusals([hit("h", "0.02", "C|1")], odd, ["C"])[0]["refused_fen"] == 1
    capped = {"C": ClaimFacts(500, 1000, {"1": 1000, "2": 1000})}
    out = refusals([hit("a", "10.00", "C|1"), hit("b", "10.00", "C|2")], capped, ["C"])
    assert [x["refused_fen"] for x in out] == [500, 0]   # never more than the claim pays


def test_a_hit_over_two_claims_is_shared_by_their_held_lines() -> None:
    facts = {"A": ClaimFacts(1000, 1000, {"1": 300}), "B": ClaimFacts(1000, 1000, {"1": 100})}
    out = refusals([hit("h", "4.00", "A|1", "B|1")], facts, ["A", "B"])
    assert [(x["claim_id"], x["share"], x["refused_fen"]) for x in out] == [("A", "3.00", 300), ("B", "1.00", 100)]
    assert [x["claim_id"] for x in refusals([hit("h", "4.00", "A|1", "B|1")], facts, ["B"])] == ["B"]
