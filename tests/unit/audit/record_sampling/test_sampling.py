"""Record sampling (病历抽审, 不低于总数的2.5%): the size is ceil(2.5% × N) — rounded up, at least one — exactly in
decimals; the draw is reproducible from its seed (same seed and population → same records, whatever their order);
the population's period is at most the last two years; results are coded for the institution's kind; the
problem-record rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chassis.errors import InvalidInput
from services.audit.inspections.domain.catalogue import load_catalogue
from services.audit.record_sampling.domain import population as pop
from services.audit.record_sampling.domain import sampling
from services.audit.record_sampling.domain.results import check_results

RATE = Decimal("0.025")


@pytest.mark.parametrize(("n", "size"), [(0, 0), (1, 1), (39, 1), (40, 1), (41, 2), (80, 2), (81, 3), (399, 10),
                                         (400, 10), (401, 11), (10_000, 250), (10_001, 251)])
def test_the_size_rounds_up_at_small_and_boundary_populations(n: int, size: int) -> None:
    assert sampling.sample_size(n, RATE) == size


def test_the_same_seed_draws_the_same_records() -> None:
    ids = [f"BL{n:06d}" for n in range(1, 2001)]
    a = sampling.draw("s-1", ids, 50)
    assert a == sampling.draw("s-1", list(reversed(ids)), 50) and len({r for r, _ in a}) == 50
    assert [r for r, _ in sampling.draw("s-2", ids, 50)] != [r for r, _ in a]
    assert sampling.draw("s-1", ids, 10) == a[:10]  # a smaller draw is the start of a larger one
    assert pop.digest(ids) == pop.digest(reversed(ids))
    with pytest.raises(InvalidInput) as exc:
        sampling.check_rate(Decimal("0.02"), RATE)
    assert (exc.value.code, exc.value.field) == ("rate_below_minimum", "rate")
    assert sampling.check_rate(Decimal("0.1"), RATE) == Decimal("0.1")
    assert str(sampling.problem_rate(2, 5)) == "0.4000" and str(sampling.problem_rate(1, 3)) == "0.3333"


def test_the_period_is_at_most_the_last_two_years() -> None:
    today = date(2024, 11, 20)
    pop.check_period(date(2022, 11, 21), today, 2, today)
    assert pop.years_before(date(2024, 2, 29), 2) == date(2022, 3, 1)
    for start, end, code, field in [(date(2022, 11, 20), today, "period_too_long", "period_from"),
                                    (today, date(2024, 11, 19), "period_reversed", "period_to"),
                                    (date(2023, 1, 1), date(2024, 11, 21), "date_in_future", "period_to")]:
        with pytest.raises(InvalidInput) as exc:
            pop.check_period(start, end, 2, today)
        assert (exc.value.code, exc.value.field) == (code, field)


def test_records_are_checked_whole() -> None:
    first, last = date(2023, 1, 1), date(2024, 6, 30)
    assert pop.check_records(["a", {"record_id": "b", "date": "2024-01-02"}], first, last) == ["a", "b"]
    assert pop.parse_csv("record_id,date\nBL1,2024-01-02\n\nBL2,\n") == [
        {"record_id": "BL1", "date": "2024-01-02"}, {"record_id": "BL2", "date": ""}]
    for records, code, field in [([], "population_empty", "records"),
                                 (["a", "a"], "duplicate_record", "records[1].record_id"),
                                 (["a", "bad id"], "record_id_invalid", "records[1].record_id"),
                                 ([{"record_id": "a", "date": "2022-12-31"}], "record_outside_period",
                                  "records[0].date")]:
        with pytest.raises(InvalidInput) as exc:
            pop.check_records(records, first, last)
        assert (exc.value.code, exc.value.field) == (code, field)
    with pytest.raises(InvalidInput) as exc:
        pop.check_kind("medical_records", "pharmacy")
    assert (exc.value.code, exc.value.params) == ("population_kind_mismatch", {"expected": "hospital"})
    with pytest.raises(InvalidInput):
        pop.parse_csv("id\nBL1\n")


def test_results_are_coded_for_the_kind() -> None:
    cat = load_catalogue()
    sampled = {"r1", "r2"}
    kept = check_results([{"record_id": "r1", "problem": True, "code": "H05"}, {"record_id": "r2", "problem": False}],
                         sampled, "hospital", cat)
    assert [(r["record_id"], r["problem"], r["code"]) for r in kept] == [("r1", True, "H05"), ("r2", False, None)]
    for given, code, field in [
        ({"record_id": "r9", "problem": False}, "record_not_sampled", "results[0].record_id"),
        ({"record_id": "r1", "problem": True}, "problem_code_required", "results[0].code"),
        ({"record_id": "r1", "problem": True, "code": "A01"}, "problem_code_invalid", "results[0].code"),
        ({"record_id": "r1", "problem": False, "code": "H01"}, "code_without_problem", "results[0].code"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            check_results([given], sampled, "hospital", cat)
        assert (exc.value.code, exc.value.field) == (code, field)
    with pytest.raises(InvalidInput) as exc:
        check_results([{"record_id": "r1", "problem": False}] * 2, sampled, "hospital", cat)
    assert exc.value.code == "duplicate_result"
