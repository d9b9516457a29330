"""Cells that would start a formula (`=`, `+`, `-`, `@`, tab, CR) are kept as text in every workbook the platform
hands out — the one helper (chassis/workbook.py) and each producer that uses it: audit's monthly report, the fund
operation report, the fund's reconciliation — so a disease name like `=HYPERLINK(…)` never runs in the agency's
spreadsheet."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from chassis.workbook import Sheet, safe, workbook
from services.audit.operations.domain.operations import Budget, OperationInputs, combine
from services.audit.operations.service.render import render_operation_workbook
from services.audit.reports.domain.periods import parse_period
from services.audit.reports.service.render import render_workbook
from services.settlement.fund.api import reconciliation_workbook
from tests.unit.audit.builders import PERSON_A
from tests.unit.audit.operations.test_operations import spend
from tests.unit.audit.reports.test_render import META, figures

POISON = ["=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)",
          "\t=1+1", "\r=1+1", "-Infinity", "-1E+5", "+", "-", "="]


@pytest.mark.parametrize("text", POISON)
def test_formula_starts_are_escaped(text: str) -> None:
    assert safe(text) == "'" + text


@pytest.mark.parametrize("value", ["-12.50", "+3", "-7", "12.5", "name", "", " =not at the start", "高血压病",
                                   12, Decimal("-1.00"), None, True])
def test_plain_values_stay_as_they_are(value: Any) -> None:
    assert safe(value) == value


def formulas_or_unescaped(content: bytes) -> list[str]:
    """Every cell of every sheet that is a formula, or text a spreadsheet would read as one."""
    bad = []
    for ws in load_workbook(io.BytesIO(content)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if cell.data_type == "f":
                    bad.append(f"{ws.title}!{cell.coordinate}: formula {value!r}")
                elif isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") \
                        and safe(value) != value:
                    bad.append(f"{ws.title}!{cell.coordinate}: {value!r}")
    return bad


def test_the_helper_escapes_headers_rows_and_totals() -> None:
    data = workbook([Sheet("t", [POISON], header=POISON, total=POISON)])
    assert formulas_or_unescaped(data) == []
    ws = load_workbook(io.BytesIO(data)).active
    # Still text behind the apostrophe. A CR reads back as a line feed or as itself, by the XML writer openpyxl
    # finds (the standard library's normalises it, lxml's keeps it as &#13;).
    assert [c.value.replace("\r", "\n") for c in ws[2]] == ["'" + p.replace("\r", "\n") for p in POISON]


def test_audits_monthly_report_workbook_keeps_disease_names_as_text() -> None:
    names = {"DL": POISON[0], "HTN": POISON[3]}
    data = render_workbook({**META, "program": POISON[1]}, figures(), names)
    assert formulas_or_unescaped(data) == []
    grants = {r[0]: r for r in load_workbook(io.BytesIO(data))["Grants"].iter_rows(min_row=2, values_only=True)}
    assert grants["DL"][1] == "'" + POISON[0]


def test_the_reconciliation_workbook_keeps_memos_as_text() -> None:
    report = {"tenant": "hz-p1", "program": "hz-chronic", "year": 2025, "balanced": True,
              **{k: "1.00" for k in ("allocations_expected", "allocations_received", "statements_paid",
                                     "payments_booked", "advances_outstanding", "interest")},
              "allocations": [{"allocation_id": "A1", "memo": POISON[0], "amount": "1.00"}],
              "payments": [{"payment_id": POISON[2], "amount": "-3.00"}],
              "advances": [{"advance_id": "ADV", "memo": POISON[4]}]}
    data = reconciliation_workbook(report)
    assert formulas_or_unescaped(data) == []
    payments = list(load_workbook(io.BytesIO(data))["payments"].iter_rows(values_only=True))
    assert payments[1] == ("'" + POISON[2], "-3.00")


def test_the_fund_operation_workbook_keeps_institutions_and_diseases_as_text() -> None:
    inputs = OperationInputs("hz-p1", "hz-chronic", Budget(2025, 120000, ("p1",)),
                             spends=[spend(PERSON_A, POISON[1], "300.00", disease=POISON[0])])
    data = render_operation_workbook({"report_id": "o1", "kind": "monthly", "due_on": "2025-07-15",
                                      "produced_at": "2025-07-03T02:00:00+00:00", "overdue": False,
                                      "interim": False, "settings": POISON[3]},
                                     combine(parse_period("2025-06"), "hz-chronic", [inputs], "tenant"))
    assert formulas_or_unescaped(data) == []
    rows = list(load_workbook(io.BytesIO(data))["By institution"].iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == "'" + POISON[1]
