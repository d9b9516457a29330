"""Holdings as settlement keeps them from appraisal's qualification events: review dates, late re-reviews (lapses),
the insurance type, and the change functions' idempotency whatever order the events arrive in."""

from datetime import date

import pytest

from chassis.errors import InvalidInput
from services.settlement.chronic.domain.benefits import Holding
from services.settlement.chronic.domain.holdings import (
    add_holding,
    add_holdings,
    close_holding,
    imported_holdings,
    renew_holding,
)
from services.settlement.chronic.domain.records import holding_doc, holdings_on
from services.settlement.chronic.service.statements import holding_insutype
from tests.unit.settlement.helpers import sample_policy

GRANT = holding_doc("q1", "HTN", "2024-03-10", "2024-04-01", review_due="2025-06-30", insutype="310")


def renewed_to(due: str) -> dict:
    return {**GRANT, "review_due": due}


def test_a_grant_keeps_the_review_date_and_the_insurance_type() -> None:
    holdings = add_holding(GRANT)([])
    assert holdings is not None and holdings[0]["review_due"] == "2025-06-30" and holdings[0]["insutype"] == "310"
    (held,) = holdings_on(holdings, date(2025, 5, 1), sample_policy())
    assert held == Holding("HTN", date(2024, 3, 10), date(2025, 6, 30), ())


def test_a_late_renewal_records_the_gap_and_a_redelivery_changes_nothing() -> None:
    change = renew_holding(renewed_to("2028-06-30"), "2025-06-30", "2025-07-15")
    once = change([GRANT])
    assert once is not None
    assert once[0]["review_due"] == "2028-06-30"
    assert once[0]["lapses"] == [{"due": "2025-06-30", "resumed_on": "2025-07-15"}]
    assert change(once) is None  # redelivered
    (held,) = holdings_on(once, date(2025, 7, 1), sample_policy())
    assert held.overdue_on(date(2025, 7, 14)) == date(2025, 6, 30) and held.overdue_on(date(2025, 7, 15)) is None


def test_a_timely_renewal_leaves_no_gap() -> None:
    for renewed_on in ("2025-06-20", "2025-06-30", "2025-07-01"):  # before, on, the day after the due date
        out = renew_holding(renewed_to("2028-06-30"), "2025-06-30", renewed_on)([GRANT])
        assert out is not None and out[0]["lapses"] == [] and out[0]["review_due"] == "2028-06-30"


def test_renewals_out_of_order_never_move_the_date_back() -> None:
    first = renew_holding(renewed_to("2028-06-30"), "2025-06-30", "2025-07-15")
    second = renew_holding(renewed_to("2031-06-30"), "2028-06-30", "2028-08-01")
    later_first = first(second([GRANT]) or [])
    assert later_first is not None and later_first[0]["review_due"] == "2031-06-30"
    assert [x["due"] for x in later_first[0]["lapses"]] == ["2028-06-30", "2025-06-30"]


def test_a_renewal_before_the_grant_is_kept_and_the_grant_then_adds_nothing() -> None:
    early = renew_holding(renewed_to("2028-06-30"), "2025-06-30", "2025-07-15")([])
    assert early is not None and early[0]["review_due"] == "2028-06-30"
    assert add_holding(GRANT)(early) is None
    closed = close_holding(GRANT, "2026-01-01")(early)
    assert closed is not None and closed[0]["revoked_on"] == "2026-01-01" and closed[0]["review_due"] == "2028-06-30"


def test_the_person_s_insurance_type_is_the_latest_grant_naming_one() -> None:
    older = holding_doc("q0", "DM", "2020-01-01", insutype="390")
    newer = holding_doc("q2", "HTN", "2025-02-01", insutype="310")
    unnamed = holding_doc("q3", "CHD", "2025-06-01")
    assert holding_insutype([newer, older, unnamed]) == "310"
    assert holding_insutype([unnamed]) == ""


# ---- an ops import (data migration) ----------------------------------------------------------------------------


def test_an_import_groups_each_persons_new_holdings_with_default_ids() -> None:
    rows = [{"person_id": "P1", "disease": "HTN", "granted_on": "2025-01-05"},
            {"person_id": "P1", "disease": "DM", "granted_on": "2025-02-01", "qualification_id": "q-dm"},
            {"person_id": "P2", "disease": "HTN", "granted_on": "2024-12-01"}]
    by_person = imported_holdings(rows, {"HTN", "DM"})
    assert {p: [h["qualification_id"] for h in hs] for p, hs in by_person.items()} == {
        "P1": ["import:P1:HTN:2025-01-05", "q-dm"], "P2": ["import:P2:HTN:2024-12-01"]}
    assert all(h["source"] == "import" for hs in by_person.values() for h in hs)
    # Imported again: nothing new for a person who holds them already.
    change = add_holdings(by_person["P1"])
    once = change([])
    assert once is not None and len(once) == 2 and change(once) is None


def test_an_import_with_any_bad_row_is_refused_whole_naming_each() -> None:
    rows = [{"person_id": "P1", "disease": "HTN", "granted_on": "2025-01-05"}, "x",
            {"person_id": "", "disease": "HTN", "granted_on": "2025-01-05"},
            {"person_id": "P3", "disease": "FLU", "granted_on": "2025-01-05"},
            {"person_id": "P4", "disease": "HTN", "granted_on": "5 Jan"}]
    with pytest.raises(InvalidInput) as err:
        imported_holdings(rows, {"HTN"})
    assert err.value.message == "4 holdings are invalid; nothing was stored"
    assert [f["field"] for f in err.value.fields or []] == [
        "holdings[1]", "holdings[2].person_id", "holdings[3].disease", "holdings[4].granted_on"]
