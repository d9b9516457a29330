"""audit's read model from a small event history, and the report figures computed from it."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from chassis import calendar as cal
from chassis.errors import PoisonMessage
from contracts.v1 import events_pb2
from services.audit.readmodel.domain.readmodel import (
    apply,
    case_status,
    current_deadline,
    current_review_due,
    policy_for,
    uncapped_codes,
)
from services.audit.readmodel.service import project_event as project
from services.audit.reports.domain.figures import ReportInputs, compute_figures, disease_group, jsonable
from services.audit.reports.domain.periods import parse_period
from services.audit.sampling.domain.sampling import plan_strata
from tests.unit.audit.builders import (
    PERSON_A,
    PERSON_B,
    PERSON_C,
    build,
    completed,
    concluded,
    event,
    filed,
    finding,
    granted,
    policy,
    qualification,
    rejected,
    revoked,
    settled,
    submitted,
)


def history() -> list:
    return [
        build(policy()),
        build(submitted("a1", PERSON_A, "DL", "2025-06-02T01:00:00+00:00")),
        build(submitted("a2", PERSON_B, "HTN", "2025-05-31T17:30:00+00:00")),  # 1 June in Beijing
        build(submitted("a3", PERSON_C, "MT", "2025-07-01T02:00:00+00:00")),
        build(completed("a1", PERSON_A, "DL", "2025-06-03")),
        build(rejected("a3", PERSON_C, "2025-07-02T02:00:00+00:00")),
        build(concluded("a1", PERSON_A, "DL", "2025-06-05T02:00:00+00:00", overdue=True)),
        build(granted("qa", PERSON_A, "DL", "2025-06-05")),
        build(granted("qb", PERSON_B, "HTN", "2025-04-10", "2025-05-01")),
        build(granted("qb2", PERSON_B, "DM", "2025-06-20", "2025-07-01")),
        build(filed("qa", PERSON_A, "DL", "2025-06-05", "SN-1")),
        build(revoked("qc", PERSON_C, "MT", "2025-01-10", "2025-06-15")),  # arrives before its grant
        build(granted("qc", PERSON_C, "MT", "2025-01-10")),
        build(settled(PERSON_A, "H1", "2025-06", "1000.00", "900.00", lines=3)),
        build(settled(PERSON_B, "H1", "2025-06", "500.00", "400.50")),
        build(settled(PERSON_B, "H2", "2025-07", "300.00", "240.00")),
        build(settled(PERSON_C, "H2", "2025-06", "100.00", "80.00")),
        build(finding("f1", PERSON_A, "callback_unconfirmed", "0.00", "2025-06-20T02:00:00+00:00")),
        build(finding("f2", PERSON_B, "on_site", "120.30", "2025-06-21T02:00:00+00:00")),
        build(finding("f3", PERSON_B, "on_site", "10.00", "2025-07-21T02:00:00+00:00")),
    ]


def model() -> dict:
    m: dict = {}
    for ev in history():
        apply(m, project(ev))
    return m


def test_events_fold_into_documents_whatever_the_order() -> None:
    m = model()
    qc = m["cases"]["qc"]
    assert (qc["granted_on"], qc["revoked_on"], qc["disease_code"]) == ("2025-01-10", "2025-06-15", "MT")
    assert m["cases"]["qa"]["filing_serial"] == "SN-1" and m["cases"]["qa"]["granted_on"] == "2025-06-05"
    assert case_status(qc, date(2025, 6, 14)) == "active" and case_status(qc, date(2025, 6, 15)) == "revoked"
    assert m["applications"]["a2"]["submitted_on"] == "2025-06-01"
    assert m["applications"]["a1"]["completed_on"] == "2025-06-03"
    assert m["benefits"][f"st-H1-2025-06:{PERSON_A}:H1:2025-06"]["payable_fen"] == 90000
    # Re-applying the same events changes nothing (redelivery).
    events, once, twice = history(), {}, {}
    for ev in events:
        apply(once, project(ev))
    for ev in events + events:
        apply(twice, project(ev))
    assert once == twice


def test_the_policy_table_says_which_diseases_are_uncapped() -> None:
    m = model()
    p = policy_for(m["policies"].values(), date(2025, 6, 30), "hz-chronic")
    assert uncapped_codes(p) == {"MT", "OT", "DL"}
    assert policy_for(m["policies"].values(), date(2024, 12, 31)) is None
    newer = [*m["policies"].values(), {"program": "hz-chronic", "version": "v2", "effective_from": "2025-07-01",
                                       "diseases": [{"code": "DL", "uncapped": False}]}]
    assert policy_for(newer, date(2025, 6, 30))["version"] == "2025.t1"
    assert policy_for(newer, date(2025, 7, 1))["version"] == "v2"


def test_malformed_amounts_and_missing_ids_are_poison() -> None:
    with pytest.raises(PoisonMessage, match="payable"):
        project(build(settled(PERSON_A, "H1", "2025-06", "1.00", "12.345")))
    with pytest.raises(PoisonMessage):
        project(build(granted("", PERSON_A, "DL", "2025-06-05")))


def test_benefits_are_attributed_to_the_diseases_held_that_month() -> None:
    cases = list(model()["cases"].values())
    assert disease_group(cases, PERSON_A, "2025-06") == "DL"
    assert disease_group(cases, PERSON_B, "2025-06") == "HTN"  # DM starts in July
    assert disease_group(cases, PERSON_B, "2025-07") == "DM+HTN"
    assert disease_group(cases, PERSON_C, "2025-07") == "UNATTRIBUTED"  # revoked in June
    assert disease_group(cases, "nobody", "2025-06") == "UNATTRIBUTED"


def test_monthly_figures() -> None:
    m = model()
    june = parse_period("2025-06")
    data = ReportInputs(
        cases=list(m["cases"].values()), applications=list(m["applications"].values()),
        appraisals=list(m["appraisals"].values()), benefits=list(m["benefits"].values()),
        findings=list(m["findings"].values()),
        warnings=[{"_id": "w1", "issued_on": "2025-06-10", "due_on": "2025-06-19"},
                  {"_id": "w2", "issued_on": "2025-06-11", "due_on": "2025-06-20", "reported_on": "2025-06-18"}],
        policy=policy_for(m["policies"].values(), june.end))
    f = compute_figures(june, data, as_of=date(2025, 7, 3))
    assert f["applications"]["submitted"] == 2 and f["applications"]["completed"] == 1
    assert f["applications"]["rejected"] == 0
    assert f["applications"]["by_disease"] == {"DL": {"submitted": 1, "completed": 1}, "HTN": {"submitted": 1}}
    assert f["grants"]["granted"] == 2 and f["grants"]["revoked"] == 1
    assert f["grants"]["by_disease"]["DL"] == {"granted": 1, "revoked": 0, "active_at_end": 1, "uncapped": True}
    assert f["grants"]["by_disease"]["HTN"]["uncapped"] is False
    assert f["grants"]["active_at_end"] == 3  # qa, qb, qb2 (qc revoked in June)
    b = f["benefits"]
    assert (b["claimed"], b["payable"], b["persons"], b["lines"]) == (Decimal("1600.00"), Decimal("1380.50"), 3, 5)
    assert b["by_disease"]["DL"]["payable"] == Decimal("900.00")
    assert b["by_disease"]["HTN"]["payable"] == Decimal("400.50")
    assert b["by_disease"]["MT"]["payable"] == Decimal("80.00")  # revoked mid-June: still held in June
    assert b["by_institution"]["H1"]["payable"] == Decimal("1300.50")
    assert b["by_institution"]["H2"]["payable"] == Decimal("80.00")
    assert sum(v["payable"] for v in b["by_disease"].values()) == b["payable"]
    assert f["findings"]["count"] == 2 and f["findings"]["amount"] == Decimal("120.30")
    assert f["findings"]["by_kind"]["on_site"] == {"count": 1, "amount": Decimal("120.30")}
    assert f["warnings"] == {"issued": 2, "reported": 1, "overdue": 1}
    assert f["appraisals"]["concluded"] == 1 and f["appraisals"]["concluded_overdue"] == 1
    assert f["sampling"]["attained"] is None
    assert jsonable(f)["benefits"]["payable"] == "1380.50"


def test_quarterly_figures_and_sampling_attainment() -> None:
    m = model()
    q2 = parse_period("2025-Q2")
    cases = list(m["cases"].values())
    unc = uncapped_codes(policy_for(m["policies"].values(), q2.end))
    strata = [s.as_doc() for s in plan_strata(cases, q2, unc, Decimal("0.70"), Decimal("0"), "seed")]
    plan = {"_id": "p1", "period": "2025-Q2", "strata": strata}
    data = ReportInputs(cases=cases, benefits=list(m["benefits"].values()), plans=[plan],
                        checked={"p1": {"DL": 1}}, policy=policy_for(m["policies"].values(), q2.end))
    f = compute_figures(q2, data, as_of=date(2025, 7, 3))
    rows = {r["disease_code"]: r for r in f["sampling"]["rows"]}
    assert rows["DL"]["required"] == 1 and rows["DL"]["checked"] == 1 and rows["DL"]["attained"]
    assert rows["MT"]["required"] == 1 and not rows["MT"]["attained"]
    assert f["sampling"]["attained"] is False and f["sampling"]["uncapped_required"] == 2
    assert f["benefits"]["payable"] == Decimal("1380.50")  # July is outside Q2


def renewal_history() -> list:
    """qa (DL) re-reviewed twice: a renewal in July 2025, then a notice for the new date, then a re-review that
    revokes in 2026; the events arrive on their own topics, so the second renewal's notice may come first."""
    renewed_q = qualification("qa", PERSON_A, "DL", "2025-06-05", review_due="2026-07-10")
    return [
        build(granted("qa", PERSON_A, "DL", "2025-06-05")),
        # the notice of the *new* date arrives before the renewal that set it
        event("qualification.review_due", events_pb2.QualificationReviewDue(qualification=renewed_q,
                                                                           due_on="2026-07-10"), key=PERSON_A),
        event("qualification.review_due", events_pb2.QualificationReviewDue(
            qualification=qualification("qa", PERSON_A, "DL", "2025-06-05", review_due="2025-07-31"),
            due_on="2025-07-31"), key=PERSON_A),
        event("appraisal.concluded", events_pb2.AppraisalConcluded(
            case_id="rv1", application_id="ra1", person_id=PERSON_A, disease_code="DL", outcome="continue",
            concluded_at="2025-07-10T02:00:00+00:00", kind="review", qualification_id="qa"), key=PERSON_A),
        event("qualification.renewed", events_pb2.QualificationRenewed(
            qualification=renewed_q, previous_review_due="2025-07-31", renewed_on="2025-07-10",
            review_case_id="rv1", application_id="ra1"), key=PERSON_A),
        event("appraisal.concluded", events_pb2.AppraisalConcluded(
            case_id="rv2", application_id="ra2", person_id=PERSON_A, disease_code="DL", outcome="revoke",
            concluded_at="2026-07-08T02:00:00+00:00", kind="review", qualification_id="qa"), key=PERSON_A),
    ]


def test_a_renewal_is_in_the_read_model_and_counted() -> None:
    m: dict = {}
    for ev in renewal_history():
        apply(m, project(ev))
    qa = m["cases"]["qa"]
    assert (qa["renewed_on"], qa["renewed_review_due"]) == ("2025-07-10", "2026-07-10")
    # The older notice arrived after the newer one: the review date read is still the renewed one.
    assert qa["review_due_on"] == "2025-07-31" and current_review_due(qa) == "2026-07-10"
    rv1 = m["appraisals"]["rv1"]
    assert (rv1["kind"], rv1["outcome"], rv1["renewed_on"], rv1["previous_review_due"], rv1["review_due_after"]) == (
        "review", "continue", "2025-07-10", "2025-07-31", "2026-07-10")
    july = compute_figures(parse_period("2025-07"), ReportInputs(cases=list(m["cases"].values()),
                                                                 appraisals=list(m["appraisals"].values())),
                           as_of=date(2025, 8, 3))
    assert july["grants"]["renewed"] == 1
    assert (july["appraisals"]["reviews_concluded"], july["appraisals"]["reviews_revoked"]) == (1, 0)
    year = compute_figures(parse_period("2026"), ReportInputs(appraisals=list(m["appraisals"].values())),
                           as_of=date(2027, 1, 3))
    assert (year["grants"]["renewed"], year["appraisals"]["reviews_concluded"],
            year["appraisals"]["reviews_revoked"]) == (0, 1, 1)
    # Initial appraisals are not re-reviews.
    assert compute_figures(parse_period("2025-06"), ReportInputs(appraisals=list(model()["appraisals"].values())),
                           as_of=date(2025, 7, 3))["appraisals"]["reviews_concluded"] == 0


YEAR_2027_JANUARY_BREAK = """
year: 2027
source: 测试用：假定的2027年安排 (a fake notice for the test)
holidays:
  - {name: 元旦, from: 2027-01-01, to: 2027-01-01}
  - {name: 测试假期, from: 2027-01-25, to: 2027-01-29}
"""


@pytest.fixture
def calendar_dir(tmp_path: Path) -> Iterator[Path]:
    """Only chinese_calendar's official years (2027 unpublished: provisional) and what the test writes."""
    before = cal.set_calendar(cal.WorkingCalendar([tmp_path]))
    try:
        yield tmp_path
    finally:
        cal.set_calendar(before)


def test_provisional_due_dates_from_events_are_worked_out_again_when_read(calendar_dir: Path) -> None:
    start = date(2027, 1, 21)  # Thursday; 2027's schedule is not published: statutory holidays, provisional
    published = cal.working_days_after(start, 5)
    assert (published.due, published.provisional) == (date(2027, 1, 28), True)
    history = [
        event("experts.assigned", events_pb2.ExpertsAssigned(
            case_id="c27", application_id="a27", person_id=PERSON_A, expert_ids=["e1", "e2"],
            assigned_at="2027-01-21T02:00:00+00:00", due_on=published.due.isoformat(), due_provisional=True,
            due_working_days=5, clock_from=start.isoformat()), key=PERSON_A),
        event("complaint.filed", events_pb2.ComplaintFiled(
            complaint_id="k27", person_id=PERSON_A, kind="complaint", subject="slow",
            filed_at="2027-01-21T02:00:00+00:00", due_on=published.due.isoformat(), due_provisional=True,
            due_working_days=5, filed_on=start.isoformat()), key=PERSON_A),
        # Published on an official year: kept as published whatever the calendar says now.
        event("complaint.filed", events_pb2.ComplaintFiled(
            complaint_id="k26", person_id=PERSON_A, kind="complaint", subject="slow",
            filed_at="2026-12-01T02:00:00+00:00", due_on="2026-12-08"), key=PERSON_A),
    ]
    m: dict = {}
    for ev in history:
        apply(m, project(ev))
    appraisal, complaint = m["appraisals"]["c27"], m["complaints"]["k27"]
    assert (appraisal["clock_from"], appraisal["due_working_days"]) == ("2027-01-21", 5)
    january = parse_period("2027-01")

    def figures() -> dict:
        return compute_figures(january, ReportInputs(appraisals=list(m["appraisals"].values()),
                                                     complaints=list(m["complaints"].values())),
                               as_of=date(2027, 2, 3))

    # Still unpublished: the same date, still provisional; open past it at the month's end.
    assert current_deadline(appraisal, "clock_from")["due_on"] == "2027-01-28"
    before = figures()
    # (k26, due in December and still open, is overdue either way)
    assert before["appraisals"]["pending_overdue_at_end"] == 1 and before["complaints"]["open_overdue_at_end"] == 2
    # The year's notice is loaded: 01-25..01-29 off, so five working days after 01-21 end on 02-04.
    (calendar_dir / "cn-2027.yaml").write_text(YEAR_2027_JANUARY_BREAK, encoding="utf-8")
    cal.reload_calendar()
    fresh = current_deadline(appraisal, "clock_from")
    assert (fresh["due_on"], fresh["due_provisional"]) == ("2027-02-04", False)
    assert current_deadline(complaint, "filed_on")["due_on"] == "2027-02-04"
    assert current_deadline(m["complaints"]["k26"], "filed_on") is m["complaints"]["k26"]
    after = figures()
    assert after["appraisals"]["pending_overdue_at_end"] == 0 and after["complaints"]["open_overdue_at_end"] == 1
    assert m["appraisals"]["c27"]["due_on"] == "2027-01-28"  # the stored document is not rewritten by a read
