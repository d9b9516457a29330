"""An assessment's rules: the program's settings, ids per round, the pair named in a conclusion, the conclusion with
its version, re-check date, fee and objection deadline, the notice, objections in and out of time, re-checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from chassis.errors import Conflict, InvalidInput
from chassis.programs import load_program, parse_program
from services.appraisal.disability.domain.assessment import (
    LtcSettings,
    assessment_id_for,
    check_objection,
    check_pair,
    check_recheckable,
    check_scorable,
    check_visitable,
    conclusion,
    ltc_settings,
    next_assessment,
    notice,
    recheck_row,
    runs_assessments,
)
from services.appraisal.disability.domain.eligibility import eligibility
from services.appraisal.disability.domain.scale import grade, item_scores, load_scale, parse_scale

SCALE = load_scale()
SETTINGS = LtcSettings("wz-ltc", "assessment-sample-2021.yaml", 12, 15, Decimal("200.00"))
SEVERE = {"eating": 10, "dressing": 10, "grooming": 5, "bowels": 10, "bladder": 5, "toileting": 0, "walking": 0,
          "transfer": 0, "stairs": 0, "bathing": 0, "time": 4, "person": 4, "place": 4, "memory": 4,
          "consciousness": 4, "vision_hearing": 4, "communication": 4}


def test_the_program_s_settings_are_read_and_checked() -> None:
    wz = load_program("wz-ltc")
    assert runs_assessments(wz) and not runs_assessments(load_program("hz-chronic")) and not runs_assessments(None)
    assert ltc_settings(wz) == SETTINGS
    raw = {"code": "x", "name": "x", "agency": "x", "division": "330300",
           "tenants": {"wz-a": {"share": "1", "package": 1}}, "counties": {}}
    for ltc, field in (({"assessment": "../x.yaml"}, "ltc.assessment"),
                       ({"assessment": "assessment-a.yaml", "recheck_months": 0}, "ltc.recheck_months"),
                       ({"assessment": "assessment-a.yaml", "recheck_months": 12, "objection_days": True},
                        "ltc.objection_days"),
                       ({"assessment": "assessment-a.yaml", "recheck_months": 12, "objection_days": 15,
                         "assessment_fee": "200.001"}, "ltc.assessment_fee")):
        with pytest.raises(InvalidInput) as err:
            ltc_settings(parse_program({**raw, "ltc": ltc}))
        assert (err.value.field, err.value.code) == (field, "invalid_ltc_setting")


def test_one_id_per_application_and_round_and_the_next_round_carries_the_person() -> None:
    assert assessment_id_for("CA-1", 1) == assessment_id_for("CA-1", 1) != assessment_id_for("CA-1", 2)
    first = {"_id": assessment_id_for("CA-1", 1), "application_id": "CA-1", "person_id": "P", "round": 1,
             "lot": "B", "basis": "illness", "care_institution_id": "C01", "status": "concluded"}
    nxt = next_assessment(first, "objection", ["b", "a"])
    assert (nxt["_id"], nxt["round"], nxt["kind"], nxt["previous_assessment_id"], nxt["excluded"]) == (
        assessment_id_for("CA-1", 2), 2, "objection", first["_id"], ["a", "b"])
    assert (nxt["person_id"], nxt["care_institution_id"], nxt["lot"]) == ("P", "C01", "B")


@pytest.mark.parametrize(("named", "code"), [
    (["a"], "two_assessors_required"), (["a", "a"], "two_assessors_required"), ("a,b", "two_assessors_required"),
    (["a", ""], "two_assessors_required"), (["a", "c"], "not_the_drawn_pair"), (["a", "b", "c"],
                                                                               "two_assessors_required"),
])
def test_a_conclusion_names_both_of_the_drawn_pair(named: Any, code: str) -> None:
    assert check_pair({"assessors": ["a", "b"]}, ["b", "a"]) == ("b", "a")
    with pytest.raises(InvalidInput) as err:
        check_pair({"assessors": ["a", "b"]}, named)
    assert (err.value.code, err.value.field) == (code, "assessors")


def test_visit_before_scores_and_each_once() -> None:
    check_visitable({"status": "open"})
    check_scorable({"status": "visited"})
    for check, status, code in ((check_visitable, "visited", "visit_already_recorded"),
                                (check_visitable, "concluded", "already_concluded"),
                                (check_scorable, "open", "visit_required"),
                                (check_scorable, "concluded", "already_concluded")):
        with pytest.raises(Conflict) as err:
            check({"status": status})
        assert err.value.code == code


@pytest.mark.parametrize(("change", "field", "code"), [
    (lambda i: i.pop("stairs"), "items.stairs", "missing_item"),
    (lambda i: i.__setitem__("sleep", 1), "items.sleep", "unknown_item"),
    (lambda i: i.__setitem__("memory", 5), "items.memory", "score_out_of_range"),
    (lambda i: i.__setitem__("memory", 2.0), "items.memory", "score_out_of_range"),
])
def test_item_scores_are_checked_item_by_item(change: Any, field: str, code: str) -> None:
    items = dict(SEVERE)
    change(items)
    with pytest.raises(InvalidInput) as err:
        item_scores(SCALE, items)
    assert (err.value.field, err.value.code) == (field, code)
    with pytest.raises(InvalidInput) as err:
        item_scores(SCALE, [1, 2])
    assert err.value.field == "items"


def test_item_codes_are_unique_across_a_scale() -> None:
    raw = load_raw()
    raw["indicators"]["perception"]["items"]["memory"] = {"scores": [0, 1]}
    raw["indicators"]["perception"]["bands"] = [13, 8, 4, 0]
    with pytest.raises(InvalidInput) as err:
        parse_scale(raw)
    assert err.value.field == "indicators.perception.items.memory"


def load_raw() -> dict[str, Any]:
    import yaml

    from services.appraisal.disability.domain.scale import PROGRAMS_DIR

    return dict(yaml.safe_load((PROGRAMS_DIR / "wz-ltc" / "assessment-sample-2021.yaml").read_text("utf-8")))


def concluded(on: date = date(2026, 3, 2), kind: str = "initial", items: dict[str, int] | None = None,
              disabled_since: date | None = date(2025, 1, 10)) -> dict[str, Any]:
    scores = item_scores(SCALE, items or SEVERE)
    g = grade(SCALE, scores)
    covered = eligibility(g, SCALE, on, disabled_since)
    c = conclusion(SCALE, g, covered, SETTINGS, items=scores, assessors=["a", "b"], concluded_on=on,
                   concluded_at=f"{on.isoformat()}T02:00:00+00:00", by="a", basis="illness",
                   disabled_since=disabled_since, disabled_since_from="application")
    return {"_id": "DA-1", "application_id": "CA-1", "person_id": "P", "kind": kind, "round": 1,
            "status": "concluded", "conclusion": c, "lot": "B"}


def test_the_conclusion_records_the_version_the_recheck_the_fee_and_the_objection_deadline() -> None:
    a = concluded()
    c = a["conclusion"]
    assert (c["grade"], c["grade_name"], c["eligible"], c["scale_version"], c["sample"]) == (
        3, "重度失能I级", True, SCALE.version, True)
    assert (c["recheck_due"], c["assessment_fee"], c["objection_deadline"]) == ("2027-03-02", "200.00", "2026-03-17")
    assert c["items"]["adl"]["eating"] == 10 and c["indicators"]["adl"] == {"sum": 40, "level": 3,
                                                                            "level_name": "重度受损"}
    assert [r["code"] for r in c["reason_codes"]][-1] == "recheck_due"
    # the end of February: the same day a year on, or the month's last
    assert concluded(date(2028, 2, 29))["conclusion"]["recheck_due"] == "2029-02-28"
    n = notice(a)
    assert (n["notice"], n["grade_name"], n["objection_deadline"], n["objection_allowed"]) == (
        "评定结论通知书", "重度失能I级", "2026-03-17", True)
    with pytest.raises(Conflict) as err:
        notice({**a, "conclusion": None})
    assert err.value.code == "not_concluded"


def test_a_grade_not_covered_needs_no_date_and_has_no_recheck() -> None:
    moderate = {**SEVERE, "toileting": 10, "walking": 10}
    c = concluded(items=moderate, disabled_since=None)["conclusion"]
    assert (c["grade"], c["eligible"], c["recheck_due"]) == (2, False, None)
    assert [r["code"] for r in c["reason_codes"]][-2:] == ["not_severe", "not_assessed_for_lasting"]


def test_objections_in_time_once_and_never_to_a_re_assessment() -> None:
    a = concluded()
    check_objection(a, date(2026, 3, 17))  # the last day
    for doc, on, code in ((a, date(2026, 3, 18), "objection_out_of_time"),
                          ({**a, "objection": {"reason": "x"}}, date(2026, 3, 3), "already_objected"),
                          ({**a, "next_assessment_id": "DA-2"}, date(2026, 3, 3), "already_objected"),
                          ({**a, "kind": "objection"}, date(2026, 3, 3), "objection_final"),
                          ({**a, "status": "visited", "conclusion": None}, date(2026, 3, 3), "not_concluded")):
        with pytest.raises(Conflict) as err:
            check_objection(doc, on)
        assert err.value.code == code


def test_re_checks_of_eligible_conclusions_one_at_a_time() -> None:
    a = concluded()
    check_recheckable(a, [])
    with pytest.raises(Conflict) as err:
        check_recheckable(a, [{"_id": "DA-2"}])
    assert err.value.code == "assessment_open"
    moderate = concluded(items={**SEVERE, "toileting": 10, "walking": 10}, disabled_since=None)
    with pytest.raises(Conflict) as err:
        check_recheckable(moderate, [])
    assert err.value.code == "recheck_not_eligible"
    row = recheck_row(a, date(2027, 3, 3), "open")
    assert (row["recheck_due"], row["overdue"], row["next_status"]) == ("2027-03-02", True, "open")
