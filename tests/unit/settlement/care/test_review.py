"""Care service records as smart review reads them (services/settlement/care/domain/review.py): a record a claim of
its items valued at its rate split evenly (the last item takes the odd fen), and a record refused when a confirmed
hit holds any of its items, held while an open one does."""

from __future__ import annotations

from services.settlement.care.domain.review import item_values, record_states, review_claim
from services.settlement.review.domain.holds import line_key, statement_review


def test_a_records_value_is_split_across_its_items() -> None:
    assert item_values(9000, ["bathing"]) == [9000]
    assert item_values(10000, ["a", "b", "c"]) == [3333, 3333, 3334]
    assert item_values(0, ["a", "b"]) == [0, 0] and item_values(100, []) == []
    claim = review_claim("R1", "330303195001011235", "2026-03-02", ["bathing", "pressure_care"], 9001)
    assert (claim["claim_id"], claim["sex"], claim["birth_date"]) == ("R1", "M", "1950-01-01")
    assert [(ln["line_id"], ln["amount"], ln["quantity"]) for ln in claim["lines"]] == [
        ("R1|bathing", "45.00", "1"), ("R1|pressure_care", "45.01", "1")]


def test_a_record_is_refused_or_held_by_any_of_its_items() -> None:
    def hold(hit: str, state: str, *lines: str) -> dict[str, object]:
        return {"hit_id": hit, "rule": "duplicate_charge", "state": state,
                "line_keys": [line_key("C01", x) for x in lines]}

    review = statement_review([hold("h1", "confirmed", "R1|bathing"), hold("h2", "open", "R2|rehab"),
                               hold("h3", "dismissed", "R3|bathing")], [])
    records = [{"_id": r, "items": items} for r, items in (("R1", ["pressure_care", "bathing"]), ("R2", ["rehab"]),
                                                           ("R3", ["bathing"]), ("R4", ["bathing"]))]
    states = record_states(review, "C01", records)
    assert {r: s for r, (s, _) in states.items()} == {"R1": "refused", "R2": "held"}
    assert states["R1"][1] is not None and states["R1"][1]["hit_id"] == "h1"
