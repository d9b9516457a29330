"""The term's coverage plan (现场检查率100%): the institutions holding an agreement during the term, spread over its
months when no schedule is given, a given schedule placing every one of them, and the live figures."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.errors import InvalidInput
from services.audit.inspections.domain.coverage import Known, check_schedule, coverage, months_of, population, spread

FROM, TO = date(2024, 3, 1), date(2024, 11, 20)
TERM = (("2024-01-01", "2026-12-31"),)
KNOWN = [Known("KM-P002", "pharmacy", TERM), Known("KM-H001", "hospital", TERM), Known("KM-A001", "agency", TERM),
         Known("KM-P001", "pharmacy", TERM),
         Known("KM-P009", "pharmacy", (("2025-01-01", "2027-12-31"),)),                 # designated after the term
         Known("KM-P010", "pharmacy", TERM, terminated_on="2024-02-01"),               # terminated before it
         Known("KM-P011", "pharmacy", TERM, terminated_on="2024-10-01"),               # terminated within it
         Known("WZ-C001", "care", TERM)]                                                # not fund supervision's kind


def test_the_population_is_who_holds_an_agreement_in_the_term() -> None:
    assert [k.institution_id for k in population(KNOWN, FROM, TO)] == [
        "KM-H001", "KM-P001", "KM-P002", "KM-P011", "KM-A001"]


def test_a_plan_spreads_every_one_over_the_terms_months() -> None:
    months = months_of(FROM, TO)
    assert months[0] == "2024-03" and months[-1] == "2024-11" and len(months) == 9
    assert months_of(date(2024, 11, 5), date(2025, 2, 1)) == ["2024-11", "2024-12", "2025-01", "2025-02"]
    placed = spread(population(KNOWN, FROM, TO), months)
    assert placed == {"KM-H001": "2024-03", "KM-P001": "2024-04", "KM-P002": "2024-05", "KM-P011": "2024-06",
                      "KM-A001": "2024-07"}


def test_a_given_schedule_places_each_once_within_the_term() -> None:
    reach, months, ids = population(KNOWN, FROM, TO), months_of(FROM, TO), [k.institution_id for k in KNOWN]
    good = [{"institution_id": k.institution_id, "month": "2024-05"} for k in reach]
    assert set(check_schedule(good, reach, ids, months)) == {k.institution_id for k in reach}
    for schedule, code, field in [
        (good[:-1], "plan_incomplete", "schedule"),
        ([*good, {"institution_id": "KM-X999", "month": "2024-05"}], "unknown_institution",
         "schedule[5].institution_id"),
        ([*good, good[0]], "duplicate_institution", "schedule[5].institution_id"),
        ([{**good[0], "month": "2024-12"}, *good[1:]], "month_outside_term", "schedule[0].month"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            check_schedule(schedule, reach, ids, months)
        assert (exc.value.code, exc.value.field) == (code, field)


def test_coverage_counts_done_and_undone_by_kind() -> None:
    reach = population(KNOWN, FROM, TO)
    planned = {"KM-H001": "2024-03", "KM-P001": "2024-04", "KM-P002": "2024-09"}
    figures = coverage(reach, planned, {"KM-H001": [{"inspection_id": "INS-1", "ended_on": "2024-03-05"}]},
                       date(2024, 6, 1))
    assert (figures["total"], figures["done"], figures["undone"], figures["rate"], figures["met"]) == (
        5, 1, 4, "0.2000", False)
    assert figures["by_kind"]["hospital"] == {"total": 1, "done": 1, "rate": "1.0000"}
    assert figures["late"] == ["KM-P001"] and figures["unplanned"] == ["KM-P011", "KM-A001"]
    assert figures["institutions"][0]["inspections"] == ["INS-1"]


def test_a_plan_reaching_no_institution_is_refused_naming_the_term() -> None:
    from datetime import date

    import pytest

    from chassis.errors import InvalidInput
    from services.audit.inspections.domain.coverage import require_reach

    with pytest.raises(InvalidInput) as refused:
        require_reach([], date(2024, 3, 1), date(2024, 11, 20), 161)
    assert (refused.value.code, refused.value.field) == ("plan_reaches_none", "term_from")
    assert refused.value.params == {"term_from": "2024-03-01", "term_to": "2024-11-20", "known": "161"}
