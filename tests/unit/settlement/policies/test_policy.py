from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from chassis.errors import InvalidInput, NotFound
from services.settlement.policies.domain.policy import check_versions, in_force, parse_policy, policy_to_dict
from tests.unit.settlement.helpers import D, sample_dict, sample_policy


def test_sample_table_parses() -> None:
    p = sample_policy()
    assert (p.program, p.version, p.year) == ("hz-chronic", "2025.sample.1", 2025)
    assert p.effective_from == date(2025, 1, 1) and p.effective_to is None  # "" = open
    assert p.monthly_cap_multiple == 3 and p.second_disease_weight == D("0.2")
    assert p.label.startswith("SAMPLE")
    htn, mt = p.diseases["HTN"], p.diseases["MT"]
    assert (htn.annual_cap, htn.deductible, htn.ratio, htn.start) == (D("3600.00"), D("0.00"), D("0.80"), "next_month")
    assert htn.review_months == 36 and htn.specialty == "cardiology" and "id_card" in htn.required_documents
    assert mt.annual_cap is None and mt.start == "immediate"
    assert {c for c, r in p.diseases.items() if r.annual_cap is None} == {"MT", "OT", "DL"}


def test_round_trip() -> None:
    p = sample_policy()
    data = policy_to_dict(p)
    assert data["diseases"][0]["annual_cap"] == "3600.00" and data["diseases"][6]["annual_cap"] is None
    assert data["effective_to"] is None and data["second_disease_weight"] == "0.2"
    assert parse_policy(data) == p
    closed = parse_policy({**data, "effective_to": "2025-12-31"})
    assert parse_policy(policy_to_dict(closed)) == closed


def test_accepts_ints_decimals_and_yaml_dates() -> None:
    data = sample_dict()
    data["effective_from"] = date(2025, 1, 1)
    data["diseases"][0] = {**data["diseases"][0], "annual_cap": 3600, "deductible": Decimal("0"), "ratio": 1}
    p = parse_policy(data)
    assert p.diseases["HTN"].annual_cap == D("3600.00") and p.diseases["HTN"].ratio == 1


def _with_disease(**changes: Any) -> dict[str, Any]:
    data = sample_dict()
    data["diseases"][1] = {**data["diseases"][1], **changes}
    return data


@pytest.mark.parametrize(("data", "field"), [
    ({**sample_dict(), "effective_to": "2024-12-31"}, "effective_to"),
    ({**sample_dict(), "effective_from": "2025/01/01"}, "effective_from"),
    ({**sample_dict(), "second_disease_weight": 0.2}, "second_disease_weight"),
    ({**sample_dict(), "second_disease_weight": "1.5"}, "second_disease_weight"),
    ({**sample_dict(), "monthly_cap_multiple": "3"}, "monthly_cap_multiple"),
    ({**sample_dict(), "diseases": []}, "diseases"),
    ({k: v for k, v in sample_dict().items() if k != "program"}, "program"),
    ({k: v for k, v in sample_dict().items() if k != "monthly_cap_multiple"}, "monthly_cap_multiple"),
    (_with_disease(ratio="1.2"), "diseases[1].ratio"),
    (_with_disease(ratio="-0.1"), "diseases[1].ratio"),
    (_with_disease(ratio=0.8), "diseases[1].ratio"),
    (_with_disease(annual_cap="-1.00"), "diseases[1].annual_cap"),
    (_with_disease(annual_cap="4800.001"), "diseases[1].annual_cap"),
    (_with_disease(annual_cap=4800.0), "diseases[1].annual_cap"),
    (_with_disease(deductible="abc"), "diseases[1].deductible"),
    (_with_disease(deductible=None), "diseases[1].deductible"),
    (_with_disease(start="tomorrow"), "diseases[1].start"),
    (_with_disease(code="HTN"), "diseases[1].code"),
    (_with_disease(review_months=-1), "diseases[1].review_months"),
    ({**sample_dict(), "diseases": [{k: v for k, v in sample_dict()["diseases"][0].items() if k != "annual_cap"}]},
     "diseases[0].annual_cap"),
])
def test_precise_errors(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_policy(data)
    assert err.value.field == field


def test_prefix_for_embedded_tables() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_policy(_with_disease(ratio="2"), prefix="policy")
    assert err.value.field == "policy.diseases[1].ratio"


def _version(version: str, start: str, end: str | None) -> Any:
    return parse_policy({**sample_dict(), "version": version, "effective_from": start, "effective_to": end})


def test_in_force_picks_the_covering_version() -> None:
    v1 = _version("2025.1", "2025-01-01", "2025-06-30")
    v2 = _version("2025.2", "2025-07-01", None)
    assert in_force([v2, v1], date(2025, 6, 30)) is v1
    assert in_force([v2, v1], date(2025, 7, 1)) is v2
    assert in_force([v2, v1], date(2030, 1, 1)) is v2
    with pytest.raises(NotFound):
        in_force([v2, v1], date(2024, 12, 31))
    with pytest.raises(NotFound):
        in_force([], date(2025, 1, 1))


@pytest.mark.parametrize("versions", [
    [("a", "2025-01-01", "2025-06-30"), ("b", "2025-06-30", None)],   # one shared day
    [("a", "2025-01-01", None), ("b", "2026-01-01", None)],           # open-ended first version
    [("a", "2025-01-01", "2025-12-31"), ("a", "2026-01-01", None)],   # same version twice
])
def test_overlapping_versions_are_refused(versions: list[tuple[str, str, str | None]]) -> None:
    tables = [_version(*v) for v in versions]
    with pytest.raises(InvalidInput):
        check_versions(tables)
    with pytest.raises(InvalidInput):
        in_force(tables, date(2025, 3, 1))


def test_versions_of_different_programs_are_refused() -> None:
    other = parse_policy({**sample_dict(), "program": "xy-chronic", "effective_from": "2026-01-01"})
    with pytest.raises(InvalidInput):
        check_versions([sample_policy(), other])
