"""The quarter's attainment and the year's statistics from one reading of a lot's year."""

from __future__ import annotations

from datetime import date

from services.audit.patrols.domain.figures import Service, YearData, attainment, statistics
from services.audit.patrols.domain.sampling import parse_quarter

TERM = [{"start": "2025-01-01", "end": "2027-12-31"}]


def year() -> YearData:
    services = {f"a{i}": Service("2025-Q1", "C01") for i in range(6)} | {f"b{i}": Service("2025-Q1", "C02")
                                                                        for i in range(4)}
    services |= {f"c{i}": Service("2025-Q2", "C01") for i in range(5)}
    patrols = [{"_id": "p1", "quarter": "2025-Q1", "date": "2025-03-10", "institution_ids": ["C01"],
                "checked_record_ids": ["a0", "b0"], "inspectors": [{"inspector_id": "i1"}, {"inspector_id": "i2"}],
                "findings": [{"code": "overbilling", "institution_id": "C01"}],
                "suggestions": [{"actions": [{"action": "recover"}, {"action": "interview"}]}]}]
    institutions = [{"institution_id": i, "kind": "care", "history": [{"version": 1, "terms": TERM}]}
                    for i in ("C01", "C02")]
    persons = [{"_id": "k1", "conclusions": [{"concluded_at": "2024-11-01", "eligible": True}]},
               {"_id": "k2", "conclusions": [{"concluded_at": "2025-01-20", "eligible": True}]}]
    return YearData(2025, services, {"a0": "2025-Q1", "b0": "2025-Q1", "a1": "2025-Q1"}, patrols, institutions,
                    persons, [{"person_key": "k1", "status": "unchanged", "surveyed_on": "2025-03-01"}])


def test_a_quarter_met_and_what_is_missing() -> None:
    a = attainment(year(), parse_quarter("2025-Q1"), date(2025, 7, 1))
    s = a["services"]
    assert (s["delivered"], s["sampled"], s["checked"], s["required"], s["met"], s["selection_met"]) == \
        (10, 3, 2, 2, True, True)
    i = a["institutions"]
    assert (i["required"], i["done"], i["met"], i["missing"], i["shortfall"]) == (2, 1, False, ["C02"], 1)
    assert (a["year_to_date"]["required"], a["year_to_date"]["done"], a["year_to_date"]["pace"]["required"]) == \
        (10, 2, 3)
    assert (a["status_surveys"]["required"], a["status_surveys"]["done"], a["status_surveys"]["missing_count"]) == \
        (2, 1, 1)
    assert a["met"] is False and a["services"]["reason"]["code"] == "quarter_sampling"
    q2 = attainment(year(), parse_quarter("2025-Q2"), date(2025, 7, 1))
    assert (q2["services"]["delivered"], q2["services"]["required"], q2["services"]["met"]) == (5, 1, False)
    assert q2["year_to_date"]["delivered"] == 15


def test_statistics_of_the_year() -> None:
    s = statistics(year(), date(2025, 7, 1))
    assert [q["delivered"] for q in s["quarters"]] == [10, 5, 0, 0]
    assert (s["patrols"], s["findings"], s["findings_by_code"], s["suggested_actions"]) == (
        1, 1, {"overbilling": 1}, {"interview": 1, "recover": 1})
    assert s["by_institution"][0] == {"institution_id": "C01", "delivered": 11, "sampled": 2, "checked": 1,
                                      "visits": 1, "findings": 1}
    assert s["year_coverage"]["required"] == 15 and s["status_surveys"]["by_status"] == {"unchanged": 1}
