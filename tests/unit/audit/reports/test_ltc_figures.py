"""Long-term care's events folded into audit's read model (counts only where the events list persons), and the
accounting and business statistics and operation report computed from it (reports/domain/ltc.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from contracts.v1 import events_pb2
from services.audit.readmodel.domain.readmodel import (
    LTC_APPLICATIONS,
    LTC_ASSESSMENT_FEES,
    LTC_ASSESSMENTS,
    LTC_INTERVIEWS,
    LTC_PATROLS,
    LTC_PERFORMANCE,
    LTC_SERVICES,
    LTC_STATEMENTS,
    LTC_SURVEYS,
    apply,
)
from services.audit.readmodel.service import project_event as project
from services.audit.reports.domain.figures import jsonable
from services.audit.reports.domain.ltc import LtcInputs, business_figures, covered_persons, operation_figures
from services.audit.reports.domain.periods import parse_period
from tests.unit.audit.builders import PERSON_A, PERSON_B, PERSON_C, build

T = "wz-b"


def application(app_id: str, person: str, status: str, at: str, **kw: Any) -> tuple:
    return (f"care_application.{status}", events_pb2.CareApplicationChanged(
        application_id=app_id, person_id=person, status=status, lot="B", district="龙湾区", channel="window",
        basis="illness", insutype="310", occurred_at=at, **kw), person)


def concluded(aid: str, person: str, grade: int, eligible: bool, at: str, round_: int = 1) -> tuple:
    return ("disability.concluded", events_pb2.DisabilityConcluded(
        assessment_id=aid, application_id=f"app-{aid}", person_id=person, grade=grade, eligible=eligible,
        scale_version="s1", concluded_at=at, round=round_, lot="B", kind="initial" if round_ == 1 else "objection",
        assessment_fee="200.00"), person)


def services(batch: str, institution: str, month: str, persons: list[str]) -> tuple:
    return ("care_services.recorded", events_pb2.CareServicesRecorded(
        batch_id=batch, institution_id=institution, month=month,
        records=[events_pb2.CareServiceRecord(record_id=f"{batch}-{i}", person_id=p, caregiver_id="cg1",
                                              date=f"{month}-02", items=["bath"], start="09:00", end="10:00")
                 for i, p in enumerate(persons)]), batch)


def history() -> list:
    return [build(spec, tenant=T) for spec in (
        application("c1", PERSON_A, "submitted", "2025-04-02T09:00:00+08:00"),
        application("c1", PERSON_A, "accepted", "2025-04-08T09:00:00+08:00"),
        application("c2", PERSON_B, "submitted", "2025-05-03T09:00:00+08:00", city_level=True),
        application("c2", PERSON_B, "documents_requested", "2025-05-04T09:00:00+08:00"),
        application("c3", PERSON_C, "submitted", "2025-06-03T09:00:00+08:00"),
        application("c3", PERSON_C, "rejected", "2025-06-05T09:00:00+08:00"),
        concluded("d1", PERSON_A, 4, True, "2025-04-20T10:00:00+08:00"),
        concluded("d2", PERSON_B, 2, False, "2025-05-20T10:00:00+08:00"),
        concluded("d3", PERSON_B, 5, True, "2025-06-25T10:00:00+08:00", round_=2),  # re-assessed on objection
        services("b1", "WZB-C001", "2025-05", [PERSON_A] * 6 + [PERSON_B] * 4),
        services("b2", "WZB-C002", "2025-06", [PERSON_A] * 5),
        ("care_statement.paid", events_pb2.CareStatementPaid(
            statement_id="s1", institution_id="WZB-C001", month="2025-05", amount="1234.50", records=10, persons=2,
            benefits_version="b1", paid_at="2025-06-12T10:00:00+08:00", person_ids=[PERSON_A, PERSON_B]), "s1"),
        ("assessment_fees.paid", events_pb2.AssessmentFeesPaid(
            statement_id="f1", month="2025-05", amount="600.00", assessments=3, due_from={"wz-a": "66.67"},
            paid_at="2025-06-15T10:00:00+08:00"), "f1"),
        ("patrol.completed", events_pb2.PatrolCompleted(
            patrol_id="p1", quarter="2025-Q2", institution_ids=["WZB-C001", "WZB-C002"],
            record_ids=["b1-0", "b1-1", "b2-0"], inspectors=["i1", "i2"], findings=["no_sign_in"],
            completed_at="2025-06-28T10:00:00+08:00", person_ids=[PERSON_A]), "p1"),
        ("status_survey.recorded", events_pb2.StatusSurveyRecorded(
            survey_id="v1", person_id=PERSON_A, year=2025, status="unchanged", surveyed_on="2025-06-10"), PERSON_A),
        ("institution.interviewed", events_pb2.InstitutionInterviewed(
            institution_id="WZB-C001", interview_id="i1", held_on="2025-06-29", violations=["no_sign_in"],
            minutes_sha256="ab" * 32, outcome="rectify"), "WZB-C001"),
        ("ltc_fee.performance_paid", events_pb2.LtcPerformancePaid(
            year=2024, amount="254176.00", paid_on="2025-04-20", due_on="2025-05-06", score_revision=1,
            grade="excellent", lot="B"), "ltc_fee:2024"),
    )]


def model() -> dict[str, dict[str, dict[str, Any]]]:
    m: dict[str, dict[str, dict[str, Any]]] = {}
    for e in history():
        apply(m, project(e))
    return m


def inputs(m: dict[str, dict[str, dict[str, Any]]], scores: list | None = None) -> LtcInputs:
    return LtcInputs(*(list(m.get(c, {}).values()) for c in (
        LTC_APPLICATIONS, LTC_ASSESSMENTS, LTC_SERVICES, LTC_STATEMENTS, LTC_ASSESSMENT_FEES, LTC_PATROLS,
        LTC_SURVEYS, LTC_INTERVIEWS)), scores=scores or [])


def test_the_projection_keeps_counts_not_persons_where_events_list_them() -> None:
    m = model()
    assert m[LTC_APPLICATIONS]["c2"] == {"_id": "c2", "person_id": PERSON_B, "lot": "B", "city_level": False,
                                         "channel": "window", "basis": "illness", "insutype": "310",
                                         "submitted_on": "2025-05-03", "documents_requested_on": "2025-05-04"}
    assert m[LTC_SERVICES]["b1"]["records"] == 10 and m[LTC_SERVICES]["b1"]["persons"] == 2
    assert "person_ids" not in m[LTC_STATEMENTS]["s1"] and m[LTC_STATEMENTS]["s1"]["amount_fen"] == 123450
    assert m[LTC_PATROLS]["p1"]["records"] == 3 and m[LTC_PATROLS]["p1"]["persons"] == 1
    assert m[LTC_ASSESSMENT_FEES]["f1"]["due_from_fen"] == {"wz-a": 6667}
    assert m[LTC_PERFORMANCE]["2024"]["paid_on"] == "2025-04-20"
    assert not any(PERSON_A in str(doc) for c in (LTC_SERVICES, LTC_STATEMENTS, LTC_PATROLS)
                   for doc in m[c].values())


def test_persons_covered_follow_the_latest_conclusion_and_deaths() -> None:
    m = model()
    data = inputs(m)
    assert covered_persons(data, parse_period("2025-05").end) == {PERSON_A}  # B's first grade was not severe
    assert covered_persons(data, parse_period("2025-06").end) == {PERSON_A, PERSON_B}  # re-assessed severe
    data.surveys.append({"person_id": PERSON_A, "status": "deceased", "surveyed_on": "2025-06-30", "year": 2025})
    assert covered_persons(data, parse_period("2025-06").end) == {PERSON_B}


def test_the_quarter_s_business_statistics() -> None:
    f = jsonable(business_figures(parse_period("2025-Q2"), inputs(model())))
    assert f["applications"] == {"received": 3, "documents_requested": 1, "accepted": 1, "rejected": 1,
                                 "city_level": 0, "by_channel": {"window": 3}, "by_basis": {"illness": 3}}
    assert f["assessments"]["concluded"] == 3 and f["assessments"]["eligible"] == 2
    assert f["assessments"]["by_grade"] == {"0": 0, "1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert f["assessments"]["fees"] == "600.00" and f["persons_covered"]["at_end"] == 2
    assert f["care_services"]["records"] == 15 and f["care_services"]["by_month"] == {"2025-05": 10, "2025-06": 5}
    assert (f["care_statements"]["paid"], f["care_statements"]["amount"]) == (1, "1234.50")
    assert f["assessment_fees"] == {"paid": 1, "amount": "600.00", "assessments": 3, "due_from": {"wz-a": "66.67"}}
    assert f["accounting"]["total_paid"] == "1834.50"
    assert f["accounting"]["by_month"]["2025-06"] == {"care_benefits": "1234.50", "assessment_fees": "600.00"}
    may = jsonable(business_figures(parse_period("2025-05"), inputs(model())))
    assert may["care_statements"]["paid"] == 0 and may["care_services"]["records"] == 10  # paid in June


def test_the_half_year_s_operation_report() -> None:
    score = {"year": 2024, "score": "92", "grade": "excellent", "revision": 1, "items_version": "v",
             "assessed_on": "2025-03-10"}
    f = jsonable(operation_figures(parse_period("2025-H1", ("half",)), inputs(model(), [score])))
    assert f["patrols"]["count"] == 1 and f["patrols"]["institutions"] == 2 and f["patrols"]["records_sampled"] == 3
    assert f["patrols"]["by_finding"] == {"no_sign_in": 1}
    q2 = f["samples"]["quarters"][1]
    assert (q2["quarter"], q2["delivered"], q2["required"], q2["sampled"], q2["met"]) == ("2025-Q2", 15, 3, 3, True)
    assert f["samples"]["year"]["delivered"] == 15 and f["samples"]["year"]["met"] is False
    assert f["interviews"] == {"count": 1, "institutions": 1, "violations": 1, "by_outcome": {"rectify": 1}}
    assert f["status_surveys"]["year"]["required"] == 2 and f["status_surveys"]["year"]["surveyed"] == 1
    assert f["score"]["score"] == "92" and Decimal(f["score"]["score"]) >= 90


def test_both_sections_render_a_chart_and_a_workbook() -> None:
    import io

    from openpyxl import load_workbook

    from services.audit.reports.service.ltc_render import render_chart, render_workbook

    meta = {"report_id": "r1", "tenant": T, "program": "wz-ltc", "kind": "ltc_quarterly", "period": "2025-Q2",
            "due_on": "2025-07-10", "produced_at": "2025-07-01T00:00:00+00:00", "overdue": False}
    business = business_figures(parse_period("2025-Q2"), inputs(model()))
    operation = operation_figures(parse_period("2025-Q2"), inputs(model()))
    for figures, sheets in ((business, ["Summary", "Assessments", "Care services", "Care statements", "Accounting",
                                       "Assessment fees"]),
                            (operation, ["Summary", "Samples", "Findings", "Interviews", "Status surveys"])):
        assert render_chart(figures, "t").startswith(b"\x89PNG\r\n\x1a\n")
        wb = load_workbook(io.BytesIO(render_workbook(meta, figures)))
        assert wb.sheetnames == sheets
        summary = {row[0].value: row[1].value for row in wb["Summary"].iter_rows()}
        assert summary["Period"] == "2025-Q2"
    assert {r[0].value: r[1].value for r in load_workbook(io.BytesIO(render_workbook(meta, business)))[
        "Summary"].iter_rows()}["Total paid"] == 1834.5
