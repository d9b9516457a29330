"""A patrol checked whole before anything is written; the plan's targets; the breach-handling suggestions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.audit.patrols.domain.patrols import check_patrol
from services.audit.patrols.domain.plans import check_targets, sample_percent
from services.audit.patrols.domain.sampling import parse_quarter
from services.audit.patrols.domain.suggestions import load_table, suggestions

TABLE = load_table()
Q2 = parse_quarter("2025-Q2")
TODAY = date(2025, 7, 15)
TEAM = [{"inspector_id": "i1", "background": "nursing", "degree": "college"},
        {"inspector_id": "i2", "background": "other", "degree": "bachelor"}]


def patrol(**changes: Any) -> dict[str, Any]:
    return {"date": "2025-05-20", "inspectors": TEAM, "institution_ids": ["C01"], "checked_record_ids": ["r1", "r2"],
            "findings": [{"code": "overbilling", "institution_id": "C01", "record_id": "r2", "detail": "twice"}],
            **changes}


def test_a_proper_patrol() -> None:
    doc = check_patrol(patrol(checked_record_ids=["r1", "r2", "r1"]), Q2, TODAY, {"C01", "C02"}, {"r1", "r2"}, TABLE)
    assert doc["checked_record_ids"] == ["r1", "r2"] and doc["quarter"] == "2025-Q2" and doc["year"] == 2025
    assert doc["findings"][0]["record_id"] == "r2" and doc["table_version"] == TABLE.version


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"inspectors": TEAM[:1]}, "patrol_team_too_small", "inspectors"),
    ({"inspectors": [{**TEAM[0], "background": "other"}, TEAM[1]]}, "patrol_team_without_medical", "inspectors"),
    ({"inspectors": [TEAM[0], {**TEAM[1], "degree": "secondary"}]}, "inspector_degree", "inspectors[1].degree"),
    ({"inspectors": [TEAM[0], {**TEAM[1], "degree": "phd"}]}, "invalid_input", "inspectors[1].degree"),
    ({"date": "2025-07-01"}, "patrol_date_outside_quarter", "date"),
    ({"date": "2025-02-30"}, "invalid_input", "date"),
    ({"institution_ids": ["C01", "X99"]}, "unknown_institution", "institution_ids[1]"),
    ({"checked_record_ids": ["r1", "r9"]}, "record_not_in_sample", "checked_record_ids[1]"),
    ({"institution_ids": [], "checked_record_ids": [], "findings": []}, "patrol_empty", "institution_ids"),
    ({"findings": [{"code": "littering", "institution_id": "C01"}]}, "unknown_finding_code", "findings[0].code"),
    ({"findings": [{"code": "fraud", "institution_id": "X99"}]}, "unknown_institution", "findings[0].institution_id"),
    ({"findings": [{"code": "fraud", "institution_id": "C01", "record_id": "r3"}]}, "finding_record_not_checked",
     "findings[0].record_id"),
])
def test_each_broken_rule_is_named(changes: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_patrol(patrol(**changes), Q2, TODAY, {"C01", "C02"}, {"r1", "r2", "r3"}, TABLE)
    assert (err.value.code, err.value.field) == (code, field)


def test_a_patrol_of_a_day_to_come_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        check_patrol(patrol(date="2025-06-01"), Q2, date(2025, 5, 31), {"C01"}, {"r1", "r2"}, TABLE)
    assert err.value.code == "date_in_future"


def test_suggestions_per_institution_mildest_first() -> None:
    found = suggestions(TABLE, [{"code": "overbilling", "institution_id": "C01"},
                                {"code": "record_incomplete", "institution_id": "C01"},
                                {"code": "fraud", "institution_id": "C02"}])
    assert [s["institution_id"] for s in found] == ["C01", "C02"]
    assert [a["action"] for a in found[0]["actions"]] == ["rectify", "recover", "interview"]
    assert [a["action"] for a in found[1]["actions"]] == ["recover", "terminate_agreement", "refer"]
    assert "SAMPLE" in found[0]["table_label"]


QUARTERS = [{"quarter": f"Q{n}", "sample_percent": 25, "survey_percent": 25} for n in (1, 2, 3, 4)]


def test_plan_targets() -> None:
    plan = {"quarters": check_targets(list(reversed(QUARTERS)))}
    assert [q["quarter"] for q in plan["quarters"]] == ["Q1", "Q2", "Q3", "Q4"]
    assert sample_percent(plan, 2) == 25 and sample_percent(None, 2) == 20
    for quarters, code in ((QUARTERS[:3], "plan_quarters_incomplete"),
                           ([*QUARTERS[:3], QUARTERS[0]], "plan_quarters_incomplete"),
                           ([{**QUARTERS[0], "sample_percent": 10}, *QUARTERS[1:]], "plan_sample_below_quota"),
                           ([{**q, "survey_percent": 20} for q in QUARTERS], "plan_surveys_short")):
        with pytest.raises(InvalidInput) as err:
            check_targets(quarters)
        assert err.value.code == code
