"""A patrol checked whole before anything is written; the plan's targets; the breach-handling suggestions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.audit.patrols.domain.patrols import asked_services, check_patrol, unresolved
from services.audit.patrols.domain.plans import check_targets, sample_percent
from services.audit.patrols.domain.sampling import parse_quarter
from services.audit.patrols.domain.services import parse_service_id
from services.audit.patrols.domain.suggestions import load_table, suggestions

TABLE = load_table()
Q2 = parse_quarter("2025-Q2")
TODAY = date(2025, 7, 15)
TEAM = [{"inspector_id": "i1", "background": "nursing", "degree": "college"},
        {"inspector_id": "i2", "background": "other", "degree": "bachelor"}]
# Two institutions' record `r1` of the same month are two services (a record id is the institution's own per month).
R1, R2, R3, C02_R1 = "C01:2025-05:r1", "C01:2025-05:r2", "C01:2025-05:r3", "C02:2025-05:r1"
SAMPLED = {sid: parse_service_id(sid) for sid in (R1, R2, R3, C02_R1)}


def patrol(**changes: Any) -> dict[str, Any]:
    return {"date": "2025-05-20", "inspectors": TEAM, "institution_ids": ["C01"], "checked_record_ids": [R1, R2],
            "findings": [{"code": "overbilling", "institution_id": "C01", "record_id": "r2", "detail": "twice"}],
            **changes}


def test_a_proper_patrol() -> None:
    doc = check_patrol(patrol(checked_record_ids=[R1, R2, R1]), Q2, TODAY, {"C01", "C02"}, SAMPLED, TABLE)
    assert doc["checked_record_ids"] == [R1, R2] and doc["quarter"] == "2025-Q2" and doc["year"] == 2025
    assert (doc["findings"][0]["record_id"], doc["findings"][0]["service_id"]) == ("r2", R2)
    assert doc["table_version"] == TABLE.version


def test_services_named_by_institution_and_record_id() -> None:
    body = patrol(checked_record_ids=[R1], checked_services=[
        {"institution_id": "C02", "record_id": "r1"}, {"institution_id": "C01", "record_id": "r1"},
        {"institution_id": "C01", "record_id": "r2", "month": "2025-05"}],
        findings=[{"code": "fraud", "institution_id": "C02", "record_id": "r1"},
                  {"code": "overbilling", "institution_id": "C01", "record_id": R2}])
    doc = check_patrol(body, Q2, TODAY, {"C01", "C02"}, SAMPLED, TABLE)
    assert doc["checked_record_ids"] == [R1, C02_R1, R2]   # C01's and C02's r1: two services, each once
    assert [(f["record_id"], f["service_id"]) for f in doc["findings"]] == [("r1", C02_R1), ("r2", R2)]


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"inspectors": TEAM[:1]}, "patrol_team_too_small", "inspectors"),
    ({"inspectors": [{**TEAM[0], "background": "other"}, TEAM[1]]}, "patrol_team_without_medical", "inspectors"),
    ({"inspectors": [TEAM[0], {**TEAM[1], "degree": "secondary"}]}, "inspector_degree", "inspectors[1].degree"),
    ({"inspectors": [TEAM[0], {**TEAM[1], "degree": "phd"}]}, "invalid_input", "inspectors[1].degree"),
    ({"date": "2025-07-01"}, "patrol_date_outside_quarter", "date"),
    ({"date": "2025-02-30"}, "invalid_input", "date"),
    ({"institution_ids": ["C01", "X99"]}, "unknown_institution", "institution_ids[1]"),
    ({"checked_record_ids": [R1, "C01:2025-05:r8"]}, "record_not_in_sample", "checked_record_ids[1]"),
    ({"checked_record_ids": [R1, "C01:2025-05:r9"]}, "service_unknown", "checked_record_ids[1]"),
    ({"checked_record_ids": ["r1"]}, "service_id_invalid", "checked_record_ids[0]"),
    ({"checked_record_ids": ["C01:2025-13:r1"]}, "service_id_invalid", "checked_record_ids[0]"),
    ({"checked_services": [{"institution_id": "C01", "record_id": "r8"}]}, "record_not_in_sample",
     "checked_services[0].record_id"),
    ({"checked_services": [{"institution_id": "C09", "record_id": "r1"}]}, "service_unknown",
     "checked_services[0].record_id"),
    ({"checked_services": [{"institution_id": "C02", "record_id": "r1", "month": "2025-04"}]}, "service_unknown",
     "checked_services[0].record_id"),
    ({"institution_ids": [], "checked_record_ids": [], "findings": []}, "patrol_empty", "institution_ids"),
    ({"findings": [{"code": "littering", "institution_id": "C01"}]}, "unknown_finding_code", "findings[0].code"),
    ({"findings": [{"code": "fraud", "institution_id": "X99"}]}, "unknown_institution", "findings[0].institution_id"),
    ({"findings": [{"code": "fraud", "institution_id": "C01", "record_id": "r3"}]}, "finding_record_not_checked",
     "findings[0].record_id"),
    ({"checked_record_ids": [R1, C02_R1], "findings": [{"code": "fraud", "institution_id": "C01",
                                                         "record_id": C02_R1}]},
     "finding_institution_mismatch", "findings[0].record_id"),
])
def test_each_broken_rule_is_named(changes: dict[str, Any], code: str, field: str) -> None:
    known = {*SAMPLED, "C01:2025-05:r8"}
    with pytest.raises(InvalidInput) as err:
        check_patrol(patrol(**changes), Q2, TODAY, {"C01", "C02"}, SAMPLED, TABLE, known)
    assert (err.value.code, err.value.field) == (code, field)


def test_a_record_id_sampled_in_two_months_needs_its_month() -> None:
    sampled = {**SAMPLED, "C01:2025-04:r1": parse_service_id("C01:2025-04:r1")}
    body = patrol(checked_record_ids=[], checked_services=[{"institution_id": "C01", "record_id": "r1"}], findings=[])
    with pytest.raises(InvalidInput) as err:
        check_patrol(body, Q2, TODAY, {"C01"}, sampled, TABLE)
    assert (err.value.code, err.value.field, err.value.params) == (
        "service_ambiguous", "checked_services[0].month", {"months": ["2025-04", "2025-05"]})
    body["checked_services"][0]["month"] = "2025-04"
    assert check_patrol(body, Q2, TODAY, {"C01"}, sampled, TABLE)["checked_record_ids"] == ["C01:2025-04:r1"]
    # a finding naming a record id checked in two months is ambiguous too: its service id settles it
    body = patrol(checked_record_ids=["C01:2025-04:r1", R1], findings=[
        {"code": "fraud", "institution_id": "C01", "record_id": "r1"}])
    with pytest.raises(InvalidInput) as err:
        check_patrol(body, Q2, TODAY, {"C01"}, sampled, TABLE)
    assert (err.value.code, err.value.field) == ("service_ambiguous", "findings[0].record_id")


def test_only_names_outside_the_samples_are_looked_up() -> None:
    asked = asked_services(patrol(checked_record_ids=[R1, "C01:2025-05:r9"], checked_services=[
        {"institution_id": "C02", "record_id": "r1"}, {"institution_id": "", "record_id": "f1"}]))
    assert [(a.field, a.institution_id, a.record_id) for a in unresolved(asked, SAMPLED)] == [
        ("checked_record_ids[1]", "C01", "r9"), ("checked_services[1]", "FAMILY", "f1")]


def test_a_patrol_of_a_day_to_come_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        check_patrol(patrol(date="2025-06-01"), Q2, date(2025, 5, 31), {"C01"}, SAMPLED, TABLE)
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
