"""Smart review's holds on settlement's side (services/settlement/review/domain/): sex and birth date read from the
identity number, the institution's kind from its code, parts of at most 2,000 lines that never split a claim, and a
line's state from the hits holding it (refused wins, held until every hit is decided, released when all were
dismissed)."""

from __future__ import annotations

import pytest

from services.settlement.review.domain.holds import HELD, REFUSED, RELEASED, line_key, statement_review
from services.settlement.review.domain.submissions import identity_facts, institution_kind, parts


@pytest.mark.parametrize(("number", "facts"), [
    ("610702196001010531", ("M", "1960-01-01")),
    ("61070219750315002X", ("F", "1975-03-15")),
    ("61070219750315002x", ("F", "1975-03-15")),
    ("610702197502300021", ("", "")),      # 30 February
    ("P1", ("", "")),
    ("6107021960010105311", ("", "")),
])
def test_sex_and_birth_date_come_from_the_identity_number(number: str, facts: tuple[str, str]) -> None:
    assert identity_facts(number) == facts


def test_the_institution_kind_is_the_codes_first_letter() -> None:
    assert institution_kind("P610702101") == "pharmacy" and institution_kind("p1") == "pharmacy"
    assert institution_kind("H610702001") == "hospital"


def test_parts_hold_at_most_the_limit_and_never_split_a_claim() -> None:
    claims = [{"claim_id": c, "lines": [{}] * n} for c, n in (("A", 2), ("B", 1), ("C", 3), ("D", 1))]
    assert [[c["claim_id"] for c in part] for part in parts(claims, part_lines=3)] == [["A", "B"], ["C"], ["D"]]
    assert len(parts([{"claim_id": "E", "lines": [{}] * 5}], part_lines=3)) == 1  # too long: a part of its own


def hold(hit: str, state: str, *lines: str) -> dict[str, object]:
    return {"hit_id": hit, "rule": "duplicate_charge", "state": state,
            "line_keys": [line_key("H01", x) for x in lines]}


def test_a_lines_state_comes_from_every_hit_holding_it() -> None:
    review = statement_review([hold("h1", "open", "A|1", "B|1"), hold("h2", "dismissed", "B|1", "C|1"),
                               hold("h3", "confirmed", "C|1", "D|1"), hold("h4", "dismissed", "E|1")], ["b9"])
    states = {k.split("|", 1)[1]: r.state for k, r in review.lines.items()}
    assert states == {"A|1": HELD, "B|1": HELD, "C|1": REFUSED, "D|1": REFUSED, "E|1": RELEASED}
    assert review.blocking and review.open_hits == 1 and review.pending_batches == ["b9"]
    assert review.counts() == {"pending_batches": 1, "held_lines": 2, "open_hits": 1, "refused_lines": 2}
    refused = review.lines[line_key("H01", "C|1")]
    (reason,) = refused.view()["reason_codes"]
    assert reason["code"] == "smart_review_refused" and reason["params"] == {"rule": "duplicate_charge",
                                                                             "hit_id": "h3"}
    assert not statement_review([hold("h4", "dismissed", "E|1")], []).blocking
