"""A case's pure rules (services/audit/cases/domain): the state machine open → decided → closed (and open → closed
when nothing was found), findings coded from the violation catalogue, decisions with their amounts and dates,
recoveries at most what was decided, the closing's outcome; leads verified once, only a substantiated one opening a
case."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chassis.errors import Conflict, InvalidInput
from services.audit.cases.domain import cases as rules
from services.audit.cases.domain.catalogue import load_catalogue, parse_catalogue
from services.audit.cases.domain.leads import check_can_open_case, check_entered_lead, check_verification

TODAY = date(2024, 9, 10)
CATALOGUE = load_catalogue()
DOCS = {"evidence-aaaa", "receipt-bbbb", "decision-cccc"}


def a_case(state: str = rules.OPEN, **extra: Any) -> dict[str, Any]:
    return {"state": state, "findings": [], "decisions": [], "recoveries": [], **extra}


def finding(amount: str = "1200.00", code: str = "H03") -> dict[str, Any]:
    return rules.check_finding({"code": code, "amount": amount, "document_ids": ["evidence-aaaa"]}, CATALOGUE, DOCS,
                               TODAY)


# ---- the state machine ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "action", "after"), [
    (rules.OPEN, rules.ADD_DOCUMENT, rules.OPEN), (rules.OPEN, rules.ADD_FINDING, rules.OPEN),
    (rules.OPEN, rules.DECIDE, rules.DECIDED), (rules.OPEN, rules.CLOSE, rules.CLOSED),
    (rules.DECIDED, rules.ADD_DOCUMENT, rules.DECIDED), (rules.DECIDED, rules.DECIDE, rules.DECIDED),
    (rules.DECIDED, rules.RECOVER, rules.DECIDED), (rules.DECIDED, rules.CLOSE, rules.CLOSED)])
def test_allowed_transitions(state: str, action: str, after: str) -> None:
    assert rules.next_state(state, action) == after


@pytest.mark.parametrize(("state", "action"), [
    (rules.OPEN, rules.RECOVER), (rules.DECIDED, rules.ADD_FINDING),
    *((rules.CLOSED, a) for a in (rules.ADD_DOCUMENT, rules.ADD_FINDING, rules.DECIDE, rules.RECOVER, rules.CLOSE))])
def test_refused_transitions(state: str, action: str) -> None:
    with pytest.raises(Conflict) as e:
        rules.next_state(state, action)
    assert e.value.code == "case_action_not_allowed" and e.value.params == {"state": state, "action": action}


# ---- findings ----------------------------------------------------------------------------------------------------


def test_a_finding_carries_the_catalogue_item_and_version() -> None:
    f = finding("1200.5")
    assert (f["code"], f["name"], f["group"], f["amount"]) == ("H03", "重复收费", "hospital", "1200.50")
    assert f["catalogue_version"] == CATALOGUE.version and f["found_on"] == "2024-09-10"


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"code": "X99", "amount": "1"}, "unknown_violation_code", "code"),
    ({"code": "", "amount": "1"}, "unknown_violation_code", "code"),
    ({"code": "H01", "amount": "-1"}, "invalid_amount", "amount"),
    ({"code": "H01", "amount": "1.234"}, "invalid_amount", "amount"),
    ({"code": "H01", "amount": "1", "document_ids": ["nope"]}, "document_unknown", "document_ids[0]"),
    ({"code": "H01", "amount": "1", "found_on": "2024-09-11"}, "date_in_future", "found_on")])
def test_bad_findings(body: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        rules.check_finding(body, CATALOGUE, DOCS, TODAY)
    assert (e.value.code, e.value.field) == (code, field)


def test_a_catalogue_without_version_or_with_a_code_twice_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_catalogue({"groups": {}})
    with pytest.raises(InvalidInput, match="twice"):
        parse_catalogue({"version": "v", "groups": {"a": {"items": [{"code": "A", "name": "x"},
                                                                   {"code": "A", "name": "y"}]}}})


# ---- decisions ---------------------------------------------------------------------------------------------------


def test_decisions_need_findings_and_amounts_within_them() -> None:
    with pytest.raises(Conflict) as e:
        rules.check_decision(a_case(), {"kind": "warning"}, DOCS, TODAY)
    assert e.value.code == "decision_without_findings"
    case = a_case(findings=[finding("1000.00")])
    d = rules.check_decision(case, {"kind": "recover", "amount": "1000", "document_id": "decision-cccc"}, DOCS, TODAY)
    assert (d["amount"], d["decided_on"], d["document_id"]) == ("1000.00", "2024-09-10", "decision-cccc")
    # The whole finding decided: nothing more may be recovered; a fine is not bounded by the findings.
    case["decisions"].append(d)
    with pytest.raises(InvalidInput) as e:
        rules.check_decision(case, {"kind": "recover", "amount": "0.01"}, DOCS, TODAY)
    assert (e.value.code, e.value.field) == ("recovery_above_findings", "amount")
    assert rules.check_decision(case, {"kind": "fine", "amount": "5000"}, DOCS, TODAY)["amount"] == "5000.00"


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"kind": "recover"}, "decision_amount_required", "amount"),
    ({"kind": "fine", "amount": "0"}, "decision_amount_required", "amount"),
    ({"kind": "warning", "amount": "10"}, "invalid_input", "amount"),
    ({"kind": "suspend_agreement"}, "invalid_input", "effective_from"),
    ({"kind": "rectify", "rectify_by": "soon"}, "invalid_input", "rectify_by"),
    ({"kind": "demolish"}, "invalid_input", "kind"),
    ({"kind": "interview", "decided_on": "2025-01-01"}, "date_in_future", "decided_on"),
    ({"kind": "interview", "document_id": "nope"}, "document_unknown", "document_id")])
def test_bad_decisions(body: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        rules.check_decision(a_case(findings=[finding()]), body, DOCS, TODAY)
    assert (e.value.code, e.value.field) == (code, field)


def test_dated_decisions_keep_their_dates() -> None:
    case = a_case(findings=[finding()])
    assert rules.check_decision(case, {"kind": "suspend_agreement", "effective_from": "2024-10-01"}, DOCS,
                                TODAY)["effective_from"] == "2024-10-01"
    assert rules.check_decision(case, {"kind": "rectify", "rectify_by": "2024-12-31"}, DOCS,
                                TODAY)["rectify_by"] == "2024-12-31"


# ---- recoveries and the closing ----------------------------------------------------------------------------------


def decided(amount: str = "800.00") -> dict[str, Any]:
    case = a_case(findings=[finding("1000.00")])
    case["decisions"].append(rules.check_decision(case, {"kind": "recover", "amount": amount}, DOCS, TODAY))
    case["state"] = rules.DECIDED
    return case


def test_recoveries_up_to_the_decided_amount_then_the_case_closes() -> None:
    case = decided("800.00")
    with pytest.raises(Conflict) as e:
        rules.closing_outcome(case)
    assert e.value.code == "case_recovery_outstanding" and e.value.params == {"outstanding": "800.00"}
    r = rules.check_recovery(case, {"amount": "500", "recovered_on": "2024-09-01",
                                    "receipt_document_id": "receipt-bbbb"}, DOCS, TODAY)
    case["recoveries"].append(r)
    with pytest.raises(InvalidInput) as bad:
        rules.check_recovery(case, {"amount": "300.01", "recovered_on": "2024-09-02",
                                    "receipt_document_id": "receipt-bbbb"}, DOCS, TODAY)
    assert (bad.value.code, bad.value.params) == ("recovery_above_decided", {"outstanding": "300.00"})
    case["recoveries"].append(rules.check_recovery(case, {"amount": "300.00", "recovered_on": "2024-09-02",
                                                          "receipt_document_id": "receipt-bbbb"}, DOCS, TODAY))
    sums = rules.totals(case)
    assert (sums["found"], sums["to_recover"], sums["recovered"], sums["outstanding"]) == (1000, 800, 800, 0)
    assert rules.closing_outcome(case) == "violation"


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"amount": "0", "recovered_on": "2024-09-01", "receipt_document_id": "receipt-bbbb"}, "invalid_amount",
     "amount"),
    ({"amount": "1", "recovered_on": "2024-09-01"}, "invalid_input", "receipt_document_id"),
    ({"amount": "1", "recovered_on": "2024-09-01", "receipt_document_id": "x"}, "document_unknown",
     "receipt_document_id"),
    ({"amount": "1", "recovered_on": "2024-09-30", "receipt_document_id": "receipt-bbbb"}, "date_in_future",
     "recovered_on")])
def test_bad_recoveries(body: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        rules.check_recovery(decided(), body, DOCS, TODAY)
    assert (e.value.code, e.value.field) == (code, field)


def test_no_recovery_without_a_decision_to_recover() -> None:
    case = a_case(state=rules.DECIDED, findings=[finding()], decisions=[{"kind": "warning"}])
    with pytest.raises(Conflict) as e:
        rules.check_recovery(case, {"amount": "1", "receipt_document_id": "receipt-bbbb"}, DOCS, TODAY)
    assert e.value.code == "recovery_without_decision"
    assert rules.closing_outcome(case) == "violation"  # a warning alone: nothing to recover


def test_closing_with_nothing_found_and_with_findings_undecided() -> None:
    assert rules.closing_outcome(a_case()) == "no_violation"
    with pytest.raises(Conflict) as e:
        rules.closing_outcome(a_case(findings=[finding()]))
    assert e.value.code == "case_undecided"


# ---- leads ----------------------------------------------------------------------------------------------------------


def test_leads_are_entered_from_superiors_and_departments_and_verified_once() -> None:
    body = {"source": "superior", "institution_id": "KM-H001", "summary": "上级交办", "received_on": "2024-09-01"}
    lead = {**check_entered_lead(body, TODAY), "status": "open"}
    assert lead["received_on"] == "2024-09-01"
    with pytest.raises(InvalidInput) as e:
        check_entered_lead({**body, "source": "tip"}, TODAY)
    assert (e.value.code, e.value.field) == ("lead_source_entered", "source")
    with pytest.raises(InvalidInput) as e:
        check_verification(lead, {"outcome": "substantiated", "note": "x", "verified_on": "2024-08-31"}, TODAY)
    assert e.value.code == "date_before_received"
    with pytest.raises(InvalidInput) as e:
        check_verification(lead, {"outcome": "substantiated", "note": " "}, TODAY)
    assert e.value.field == "note"
    v = check_verification(lead, {"outcome": "unsubstantiated", "note": "查无实据"}, TODAY)
    with pytest.raises(Conflict) as c:
        check_can_open_case({**lead, "status": "verified", "verification": v})
    assert c.value.code == "lead_not_substantiated"
    with pytest.raises(Conflict) as c:
        check_verification({**lead, "status": "verified"}, {"outcome": "substantiated", "note": "x"}, TODAY)
    assert c.value.code == "lead_already_verified"
    with pytest.raises(Conflict) as c:
        check_can_open_case({**lead, "case_id": "c-1", "verification": {"outcome": "substantiated"}})
    assert c.value.code == "lead_has_case"
