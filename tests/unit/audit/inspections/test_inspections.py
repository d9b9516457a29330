"""An inspection's rules: a team of at least two, its days, a double-random one carrying out its draw, the checklist
answered item by item, findings coded for the institution's kind with exact amounts, and a report only after the
inspection ended with the checklist complete."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chassis.errors import Conflict, InvalidInput
from services.audit.inspections.domain import inspections as rules
from services.audit.inspections.domain.catalogue import load_catalogue
from services.audit.inspections.domain.settings import METHODS

CAT = load_catalogue()
TODAY = date(2024, 6, 10)


def refused(exc: pytest.ExceptionInfo[Any]) -> tuple[str, str | None]:
    return exc.value.code, exc.value.field


def test_a_team_is_at_least_two_distinct_inspectors() -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.check_team([{"inspector_id": "a"}], 2)
    assert refused(exc) == ("team_too_small", "team") and exc.value.params == {"minimum": "2"}
    with pytest.raises(InvalidInput) as exc:
        rules.check_team([{"inspector_id": "a"}, {"inspector_id": "a"}], 2)  # the same inspector twice is one
    assert refused(exc) == ("team_too_small", "team")
    with pytest.raises(InvalidInput) as exc:
        rules.check_team([{"inspector_id": "a"}, {"inspector_id": "b"}, {"inspector_id": "a"}], 2)
    assert refused(exc) == ("duplicate_inspector", "team[2].inspector_id")
    kept = rules.check_team([{"inspector_id": "a", "name": "张"}, {"inspector_id": "b"}], 2)
    assert kept == [{"inspector_id": "a", "name": "张", "profession": ""},
                    {"inspector_id": "b", "name": "", "profession": ""}]


def test_days_and_the_double_random_link() -> None:
    rules.check_days(TODAY, TODAY, TODAY)
    for started, ended, code, field in [(date(2024, 6, 11), None, "date_in_future", "started_on"),
                                        (TODAY, date(2024, 6, 9), "ended_before_start", "ended_on"),
                                        (date(2024, 6, 1), date(2024, 6, 11), "date_in_future", "ended_on")]:
        with pytest.raises(InvalidInput) as exc:
            rules.check_days(started, ended, TODAY)
        assert refused(exc) == (code, field)
    draw = {"_id": "DR-1", "institutions": ["KM-P001"], "inspectors": ["a", "b"]}
    rules.check_method("double_random", METHODS, draw, "KM-P001", ["a", "b"], True)
    rules.check_method("flight_inspection", METHODS, None, "KM-P001", ["a", "c"], False)
    for args, code, field in [
        (("double_random", METHODS, None, "KM-P001", ["a", "b"], False), "draw_required", "draw_id"),
        (("daily_patrol", METHODS, draw, "KM-P001", ["a", "b"], True), "draw_method_mismatch", "method"),
        (("double_random", METHODS, None, "KM-P001", ["a", "b"], True), "unknown_draw", "draw_id"),
        (("double_random", METHODS, draw, "KM-P002", ["a", "b"], True), "institution_not_drawn", "institution_id"),
        (("double_random", METHODS, draw, "KM-P001", ["a", "c"], True), "inspector_not_drawn", "team[1].inspector_id"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            rules.check_method(*args)  # type: ignore[arg-type]
        assert refused(exc) == (code, field)


def test_findings_carry_a_code_of_the_kind_and_an_exact_amount() -> None:
    kept = rules.check_findings(CAT, "pharmacy", [{"code": "P01", "amount": "1200.5", "description": "聚敛刷卡"},
                                                  {"code": "I04", "amount": 30}], ["EV-1"])
    assert [(f["code"], f["name"], f["amount"]) for f in kept] == [("P01", "聚敛倒刷医保卡", "1200.50"),
                                                                   ("I04", "空刷医保卡", "30.00")]
    assert str(rules.total(kept)) == "1230.50"
    for finding, code, field in [
        ({"amount": "1"}, "finding_code_required", "findings[1].code"),
        ({"code": "H06", "amount": "1"}, "finding_code_invalid", "findings[1].code"),   # a hospital's, not a pharmacy's
        ({"code": "P02", "amount": "1.005"}, "invalid_amount", "findings[1].amount"),
        ({"code": "P02", "amount": "-1"}, "invalid_amount", "findings[1].amount"),
        ({"code": "P02", "amount": 1.5}, "invalid_amount", "findings[1].amount"),
        ({"code": "P02", "evidence_ids": ["EV-2"]}, "unknown_evidence", "findings[1].evidence_ids[0]"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            rules.check_findings(CAT, "pharmacy", [{"code": "P01", "amount": "1"}, finding], ["EV-1"])
        assert refused(exc) == (code, field), finding
    with pytest.raises(InvalidInput) as exc:
        rules.check_findings(CAT, "agency", [], [])
    assert refused(exc) == ("invalid_input", "findings")


def test_the_checklist_is_answered_item_by_item() -> None:
    answers = rules.answer(CAT, "agency", {}, [{"code": "A01", "answer": "finding", "note": "n"}], None,
                           {"A01": 1}, "inspector:a")
    view = rules.checklist_view(CAT, "agency", answers, {"A01": 1})
    assert (view["total"], view["answered"], view["unanswered"], view["complete"]) == (3, 1, ["A02", "A03"], False)
    filled = rules.answer(CAT, "agency", answers, [], "checked", {"A01": 1}, "inspector:a")
    assert {c: a["answer"] for c, a in filled.items()} == {"A01": "finding", "A02": "checked", "A03": "checked"}
    for given, code, field in [
        ([{"code": "H01", "answer": "checked"}], "checklist_code_invalid", "answers[0].code"),
        ([{"code": "A02", "answer": "checked"}, {"code": "A02", "answer": "finding"}], "duplicate_answer",
         "answers[1].code"),
        ([{"code": "A01", "answer": "checked"}], "answer_contradicts_finding", "answers[0].answer"),
        ([{"code": "A02", "answer": "maybe"}], "invalid_input", "answers[0].answer"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            rules.answer(CAT, "agency", {}, given, None, {"A01": 1}, "x")
        assert refused(exc) == (code, field)


def inspection(**changes: Any) -> dict[str, Any]:
    doc = {"_id": "INS-1", "institution_kind": "agency", "state": "ended", "ended_on": "2024-06-07",
           "findings": [{"code": "A02", "amount": "10.00"}],
           "checklist": [{"code": "A01", "answer": "checked"}, {"code": "A02", "answer": "finding"},
                         {"code": "A03", "answer": "not_applicable"}]}
    return {**doc, **changes}


def test_a_report_only_after_the_end_with_the_checklist_complete() -> None:
    rules.check_report(inspection(), CAT, date(2024, 6, 7), TODAY)
    with pytest.raises(Conflict) as exc:
        rules.check_report(inspection(state="open", ended_on=None), CAT, TODAY, TODAY)
    assert refused(exc) == ("inspection_not_ended", "ended_on")
    with pytest.raises(Conflict) as exc:
        rules.check_report(inspection(state="reported"), CAT, TODAY, TODAY)
    assert exc.value.code == "inspection_reported"
    for doc, on, code, field in [
        (inspection(), date(2024, 6, 6), "reported_before_end", "reported_on"),
        (inspection(), date(2024, 6, 11), "date_in_future", "reported_on"),
        (inspection(checklist=[{"code": "A02", "answer": "finding"}]), TODAY, "checklist_incomplete", "checklist"),
        (inspection(findings=[]), TODAY, "finding_not_recorded", "checklist.A02"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            rules.check_report(doc, CAT, on, TODAY)
        assert refused(exc) == (code, field)
