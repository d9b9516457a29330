"""The agency's internal audit, pure (services/audit/agency_audit/domain): a team of at least two, the audited period,
checks of manual reimbursements and payments (a nonconforming one names an agency item of the catalogue, the amount
and a note), the figures per area, and the written report as a Word document holding them."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from docx import Document

from chassis.errors import Conflict, InvalidInput
from services.audit.agency_audit.domain.audits import check_audit, check_items, summary
from services.audit.agency_audit.domain.written_report import render
from services.audit.cases.domain.catalogue import load_catalogue

TODAY = date(2024, 9, 10)
CATALOGUE = load_catalogue()
AUDIT = {"title": "2024年经办机构内部审核", "institution_id": "KM-A001", "period_from": "2024-01-01",
         "period_to": "2024-06-30", "team": ["insp-1", "insp-2"], "sample_id": "S-1", "scope": "手工报销与基金支付"}


def opened(**extra: Any) -> dict[str, Any]:
    return {"_id": "a-1", **check_audit(AUDIT, TODAY), "state": "open", "checks": [], **extra}


def bad_item(**extra: Any) -> dict[str, Any]:
    return {"area": "manual_reimbursement", "reference": "MR-001", "result": "nonconforming", "code": "A02",
            "amount": "1200", "note": "发票重复报销", **extra}


def test_an_audit_needs_two_inspectors_and_a_period_in_order() -> None:
    assert check_audit(AUDIT, TODAY)["team"] == ["insp-1", "insp-2"]
    for change, code, field in (({"team": ["insp-1", "insp-1"]}, "audit_team_too_small", "team"),
                                ({"period_to": "2023-12-31"}, "audit_period_reversed", "period_to"),
                                ({"period_to": "2024-12-31"}, "date_in_future", "period_to")):
        with pytest.raises(InvalidInput) as e:
            check_audit({**AUDIT, **change}, TODAY)
        assert (e.value.code, e.value.field) == (code, field)


def test_checks_and_their_figures() -> None:
    audit = opened()
    checks = check_items(audit, [bad_item(), {"area": "manual_reimbursement", "reference": "MR-002",
                                              "result": "conforming"},
                                 {"area": "payment", "reference": "PAY-9", "result": "nonconforming", "code": "A01",
                                  "amount": "0", "note": "审核签字缺失"}], CATALOGUE, TODAY)
    assert [c["check_id"] for c in checks] == ["C0001", "C0002", "C0003"]
    assert (checks[0]["name"], checks[0]["amount"], checks[0]["catalogue_version"]) == ("违规支付医保费用", "1200.00",
                                                                                       CATALOGUE.version)
    figures = summary(checks)
    assert figures["areas"]["manual_reimbursement"] == {"checked": 2, "conforming": 1, "nonconforming": 1,
                                                        "amount": "1200.00", "rate": "0.5000"}
    assert figures["areas"]["payment"]["rate"] == "1.0000" and figures["amount"] == "1200.00"
    assert figures["by_code"]["A02"] == {"name": "违规支付医保费用", "count": 1, "amount": "1200.00"}
    assert {r["code"] for r in figures["reason_codes"]} == {"nonconforming_check", "nonconforming_rate"}
    # Numbering goes on after the checks there; the same file is not checked twice.
    more = check_items({**audit, "checks": checks}, [bad_item(reference="MR-003")], CATALOGUE, TODAY)
    assert more[0]["check_id"] == "C0004"
    with pytest.raises(InvalidInput) as e:
        check_items({**audit, "checks": checks}, [bad_item()], CATALOGUE, TODAY)
    assert (e.value.code, e.value.field) == ("check_reference_repeated", "checks[0].reference")


@pytest.mark.parametrize(("item", "code", "field"), [
    (bad_item(code=None), "check_details_required", "checks[0].code"),
    (bad_item(amount=""), "check_details_required", "checks[0].amount"),
    (bad_item(note=" "), "check_details_required", "checks[0].note"),
    (bad_item(code="H01"), "check_code_not_agency", "checks[0].code"),
    (bad_item(code="Z9"), "unknown_violation_code", "checks[0].code"),
    (bad_item(amount="-5"), "invalid_amount", "checks[0].amount"),
    (bad_item(result="conforming"), "invalid_input", "checks[0].code"),
    (bad_item(reference=""), "invalid_input", "checks[0].reference"),
    (bad_item(checked_on="2024-09-11"), "date_in_future", "checks[0].checked_on")])
def test_bad_checks(item: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        check_items(opened(), [item], CATALOGUE, TODAY)
    assert (e.value.code, e.value.field) == (code, field)


def test_a_reported_audit_takes_no_checks() -> None:
    with pytest.raises(Conflict) as e:
        check_items(opened(state="reported"), [bad_item()], CATALOGUE, TODAY)
    assert e.value.code == "agency_audit_reported"


def test_the_written_report_is_a_word_document_with_the_figures() -> None:
    audit = opened()
    audit["checks"] = check_items(audit, [bad_item(), {"area": "payment", "reference": "PAY-1",
                                                       "result": "conforming"}], CATALOGUE, TODAY)
    report = {"conclusion": "总体合规，个别报销重复", "recommendations": "追回重复报销款", "reported_on": "2024-09-10",
              "reported_at": "2024-09-10T02:00:00+00:00", "by": {"role": "inspector", "subject": "insp-1"}}
    content = render(audit, summary(audit["checks"]), report, "km-sv")
    assert content[:2] == b"PK"
    doc = Document(io.BytesIO(content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "经办机构内部审核检查报告" in text and "总体合规，个别报销重复" in text and "S-1" in text
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert ["手工报销", "1", "0", "1", "100.00%", "1200.00"] in cells
    assert ["C0001", "手工报销", "MR-001", "A02", "违规支付医保费用", "1200.00", "发票重复报销"] in cells
