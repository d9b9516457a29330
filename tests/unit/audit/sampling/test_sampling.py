"""Sampling (抽查): ≥ 70% of the uncapped diseases' cases, rounded up; a reproducible, recorded draw."""

import hashlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassis.errors import InvalidInput
from services.audit.reports.domain.periods import parse_period
from services.audit.sampling.domain.sampling import (
    active_in,
    attainment,
    draw,
    parse_ratio,
    plan_strata,
    required_count,
)

SEVENTY = Decimal("0.70")


@pytest.mark.parametrize(("population", "required"), [(0, 0), (1, 1), (2, 2), (3, 3), (10, 7), (11, 8), (100, 70),
                                                      (101, 71)])
def test_required_is_seventy_percent_rounded_up(population: int, required: int) -> None:
    assert required_count(population, SEVENTY) == required


@given(st.integers(min_value=0, max_value=100_000), st.decimals(min_value=0, max_value=1, places=2))
def test_required_is_the_least_count_reaching_the_ratio(population: int, ratio: Decimal) -> None:
    k = required_count(population, ratio)
    assert k <= population and k >= population * ratio and (k == 0 or k - 1 < population * ratio)


def test_the_draw_is_reproducible_and_independent_of_input_order() -> None:
    cases = [f"q{i}" for i in range(20)]
    first = draw(cases, "seed-1", 14)
    assert first == draw(list(reversed(cases)), "seed-1", 14) == sorted(first)
    assert len(first) == 14 and set(first) <= set(cases)
    assert draw(cases, "seed-2", 14) != first  # another seed, another sample
    # Anyone can redo it: the k smallest sha256(seed|case id).
    ranked = sorted(cases, key=lambda c: hashlib.sha256(f"seed-1|{c}".encode()).hexdigest())
    assert first == sorted(ranked[:14])


@given(st.sets(st.text(alphabet="abcdef0123456789-", min_size=1, max_size=12), max_size=50),
       st.text(min_size=1, max_size=20), st.integers(min_value=0, max_value=60))
def test_draw_takes_exactly_k_distinct_cases(cases: set[str], seed: str, k: int) -> None:
    got = draw(cases, seed, k)
    assert len(got) == min(k, len(cases)) and len(set(got)) == len(got) and set(got) <= cases


def case(cid: str, disease: str, granted: str, revoked: str | None = None, person: str = "p") -> dict:
    return {"_id": cid, "disease_code": disease, "person_id": person, "granted_on": granted,
            **({"revoked_on": revoked} if revoked else {})}


def test_active_in_a_period() -> None:
    june = parse_period("2025-06")
    assert active_in(case("a", "DL", "2025-06-30"), june)
    assert not active_in(case("b", "DL", "2025-07-01"), june)
    assert not active_in(case("c", "DL", "2025-01-01", revoked="2025-05-31"), june)
    assert active_in(case("d", "DL", "2025-01-01", revoked="2025-06-01"), june)


def test_strata_sample_uncapped_at_the_ratio_and_others_at_theirs() -> None:
    cases = [case(f"dl{i}", "DL", "2025-03-01") for i in range(10)]
    cases += [case(f"mt{i}", "MT", "2025-03-01") for i in range(3)]
    cases += [case(f"htn{i}", "HTN", "2025-03-01") for i in range(20)]
    cases += [case("late", "DL", "2025-07-02"), case("gone", "MT", "2024-01-01", revoked="2025-01-31")]
    strata = plan_strata(cases, parse_period("2025-Q2"), {"DL", "MT", "OT"}, SEVENTY, Decimal("0.10"), "s")
    got = {s.disease_code: (s.uncapped, len(s.population), s.required, len(s.sample)) for s in strata}
    assert got == {"DL": (True, 10, 7, 7), "MT": (True, 3, 3, 3), "HTN": (False, 20, 2, 2)}
    again = plan_strata(cases, parse_period("2025-Q2"), {"DL", "MT", "OT"}, SEVENTY, Decimal("0.10"), "s")
    assert [s.sample for s in strata] == [s.sample for s in again]


def test_attainment_counts_checked_against_required() -> None:
    strata = [{"disease_code": "DL", "uncapped": True, "population": ["a", "b", "c"], "required": 3,
               "sample": ["a", "b", "c"]},
              {"disease_code": "HTN", "uncapped": False, "population": ["x"], "required": 0, "sample": []}]
    partial = attainment(strata, {"DL": 2})
    assert partial["uncapped"] == {"population": 3, "required": 3, "checked": 2, "attained": False}
    assert partial["by_disease"][1]["attained"] is True  # nothing required of a capped disease here
    assert attainment(strata, {"DL": 3})["uncapped"]["attained"] is True


@pytest.mark.parametrize("bad", ["1.01", "-0.1", "abc", "NaN", "Infinity", ""])
def test_ratios_are_decimal_strings_between_0_and_1(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_ratio(bad, "other_ratio")
    assert err.value.field == "other_ratio"
    assert parse_ratio("0.7", "x") == Decimal("0.7")


def test_a_carrier_caused_finding_names_its_loss_and_reason() -> None:
    from services.audit.sampling.domain.liability import carrier_liability_fields

    assert carrier_liability_fields(False, 0, None, None, "2025-06-03") == {}
    assert carrier_liability_fields(True, 120000, "favouritism", None, "2025-06-03") == {
        "carrier_caused": True, "carrier_reason": "favouritism", "fund_year": 2025}
    assert carrier_liability_fields(True, 1, "lax_review", 2024, "2025-01-08")["fund_year"] == 2024
    for args, field in (((True, 0, "lax_review", None), "amount"), ((True, 5, None, None), "carrier_reason"),
                        ((True, 5, "unlucky", None), "carrier_reason"), ((False, 0, "lax_review", None),
                                                                         "carrier_reason"),
                        ((False, 0, None, 2025), "fund_year"), ((True, 5, "lax_review", 2023), "fund_year")):
        with pytest.raises(InvalidInput) as err:
            carrier_liability_fields(*args, "2025-06-03")
        assert err.value.field == field, args
