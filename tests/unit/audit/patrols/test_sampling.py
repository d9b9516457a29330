"""The quarter's sample drawn reproducibly from its seed: the quarter's own quota first, then the year's pace."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.errors import InvalidInput
from services.audit.patrols.domain.quotas import sample_targets
from services.audit.patrols.domain.sampling import (
    check_seed,
    digest,
    draw,
    parse_quarter,
    quarter_number,
    quarter_of,
    rank,
)

OWN = [f"q2-{i:03d}" for i in range(100)]
EARLIER = [f"q1-{i:03d}" for i in range(75)]


def test_the_draw_is_the_lowest_ranks_and_the_same_from_the_same_seed() -> None:
    targets = sample_targets(100, 0, 200, 25, 2)
    drawn = draw("seed-1", "2025-Q2", OWN, EARLIER, targets)
    assert len(drawn) == 75 and sum(d.why == "quota" for d in drawn) == 20
    quota = [d.service_id for d in drawn if d.why == "quota"]
    assert all(r.startswith("q2-") for r in quota)
    assert quota == [r for _, r in sorted((rank("seed-1", "2025-Q2", r), r) for r in OWN)][:20]
    assert [d.service_id for d in draw("seed-1", "2025-Q2", reversed(OWN), EARLIER, targets)] == \
        [d.service_id for d in drawn]
    other = draw("seed-2", "2025-Q2", OWN, EARLIER, targets)
    assert {d.service_id for d in other} != {d.service_id for d in drawn}
    # the pace part ranks the quarter's rest and the earlier quarters' leftovers together
    pace = {d.service_id for d in drawn if d.why == "pace"}
    assert pace.isdisjoint(quota) and any(r.startswith("q1-") for r in pace)


def test_nothing_to_add_draws_nothing() -> None:
    assert draw("s", "2025-Q1", OWN, [], sample_targets(100, 25, 100, 25, 1)) == []


def test_quarters_and_seeds() -> None:
    q = parse_quarter("2025-Q3")
    assert (q.start, q.end, quarter_number(q)) == (date(2025, 7, 1), date(2025, 9, 30), 3)
    assert quarter_of(date(2025, 12, 31)) == "2025-Q4"
    for bad in ("2025-Q5", "2025-06", "25-Q1"):
        with pytest.raises(InvalidInput) as err:
            parse_quarter(bad)
        assert err.value.field == "quarter"
    with pytest.raises(InvalidInput):
        check_seed("white space")
    assert digest(["b", "a"]) == digest(["a", "b"])
