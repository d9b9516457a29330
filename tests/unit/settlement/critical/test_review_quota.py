"""Large-claim review quotas (大额医疗费用核查): strata from the program data, the quota true after every arrival,
every ≥ 50,000 out-of-area non-networked claim selected, reproducible recorded draws, the dashboard row."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassis.errors import InvalidInput
from chassis.programs import load_program
from services.settlement.critical.domain.review_quota import (
    StratumState,
    admit,
    attainment,
    draw,
    parse_strata,
    stratum_of,
)

STRATA = parse_strata(load_program("qz-critical").setting("critical", "review_quotas"))
BY_CODE = {s.code: s for s in STRATA}
D = Decimal


def test_strata_from_program_data() -> None:
    assert set(BY_CODE) == {"in_area_large", "out_of_area_20k_50k", "out_of_area_50k"}
    assert BY_CODE["in_area_large"].ratio == D("0.30") and BY_CODE["out_of_area_50k"].unit == "claim"


@pytest.mark.parametrize(("area", "networked", "care", "total", "code"), [
    ("in_area", True, "inpatient", "20000.00", "in_area_large"),
    ("in_area", False, "special_outpatient", "25000.00", "in_area_large"),
    ("in_area", True, "inpatient", "19999.99", None),
    ("in_area", True, "chronic_outpatient", "90000.00", None),
    ("out_of_area", False, "inpatient", "20000.00", "out_of_area_20k_50k"),
    ("out_of_area", False, "inpatient", "49999.99", "out_of_area_20k_50k"),
    ("out_of_area", False, "inpatient", "50000.00", "out_of_area_50k"),
    ("out_of_area", True, "inpatient", "80000.00", None),   # networked out-of-area stays: not in clause 4
])
def test_stratum_of(area: str, networked: bool, care: str, total: str, code: str | None) -> None:
    found = stratum_of(STRATA, area, networked, care, D(total))
    assert (found.code if found else None) == code


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(BY_CODE)), st.integers(min_value=1, max_value=400), st.integers())
def test_quota_holds_after_every_arrival(code: str, arrivals: int, seed: int) -> None:
    stratum = BY_CODE[code]
    rnd = random.Random(seed)
    state = StratumState(code, 2025)
    for _ in range(arrivals):
        state, decision = admit(stratum, state, D(rnd.random()).quantize(D("0.000001")))
        assert state.selected >= stratum.required(state.population)
        assert decision.population == state.population and decision.selected_count == state.selected


def test_every_claim_of_50k_and_more_is_selected() -> None:
    stratum, state = BY_CODE["out_of_area_50k"], StratumState("out_of_area_50k", 2025)
    for i in range(50):
        state, decision = admit(stratum, state, draw("seed", stratum.code, 2025, f"c{i}"))
        assert decision.selected
    assert state.selected == state.population == 50


def test_selection_is_random_beyond_the_quota_and_near_the_ratio() -> None:
    stratum, state = BY_CODE["in_area_large"], StratumState("in_area_large", 2025)
    whys = []
    for i in range(2000):
        state, decision = admit(stratum, state, draw("s3cr3t", stratum.code, 2025, f"p{i}"))
        whys.append(decision.why)
    assert {"quota", "random", "not_drawn"} <= set(whys)
    assert 0.27 <= state.selected / state.population <= 0.36


def test_draw_is_recorded_and_reproducible_but_seed_dependent() -> None:
    a = draw("seed-1", "in_area_large", 2025, "p1")
    assert a == draw("seed-1", "in_area_large", 2025, "p1")
    assert a != draw("seed-2", "in_area_large", 2025, "p1")
    assert D(0) <= a < D(1)


def test_attainment_row() -> None:
    row = attainment(BY_CODE["in_area_large"], population=10, selected=4, reviewed=2)
    assert row["required"] == 3 and row["selection_met"] and not row["met"]
    assert attainment(BY_CODE["in_area_large"], 10, 4, 3)["met"]


def test_bad_strata_name_the_field() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_strata({"x": {"min_total": "20000.00", "ratio": "1.5"}})
    assert err.value.field == "critical.review_quotas.x.ratio"
    with pytest.raises(InvalidInput) as err:
        parse_strata({"x": {"min_total": "20000.00", "max_total": "100.00", "ratio": "0.5"}})
    assert err.value.field == "critical.review_quotas.x.max_total"
