"""The report's chart is a PNG and its workbook re-opens with the figures as numbers formatted 0.00."""

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from services.audit.readmodel.domain.readmodel import apply, policy_for
from services.audit.readmodel.service import project_event as project
from services.audit.reports.domain.figures import ReportInputs, compute_figures
from services.audit.reports.domain.periods import parse_period
from services.audit.reports.service.render import render_chart, render_workbook
from tests.unit.audit.builders import PERSON_A, PERSON_B, build, granted, policy, settled

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def figures() -> dict:
    m: dict = {}
    for spec in (policy(), granted("qa", PERSON_A, "DL", "2025-05-05"), granted("qb", PERSON_B, "HTN", "2025-04-10"),
                 settled(PERSON_A, "H1", "2025-06", "1000.00", "900.10"),
                 settled(PERSON_B, "H2", "2025-06", "500.00", "400.25")):
        apply(m, project(build(spec)))
    june = parse_period("2025-06")
    data = ReportInputs(cases=list(m["cases"].values()), benefits=list(m["benefits"].values()),
                        policy=policy_for(m["policies"].values(), june.end))
    return compute_figures(june, data, date(2025, 7, 3))


META = {"report_id": "r1", "tenant": "hz-p1", "program": "hz-chronic", "kind": "monthly", "period": "2025-06",
        "due_on": "2025-07-10", "produced_at": "2025-07-03T02:00:00+00:00", "overdue": False}


def test_chart_is_a_png() -> None:
    png = render_chart(figures(), "hz-p1 monthly 2025-06", {"DL": "尿毒症透析"})
    assert png.startswith(PNG_MAGIC) and len(png) > 5000


def test_chart_renders_with_no_data_at_all() -> None:
    empty = compute_figures(parse_period("2025-06"), ReportInputs(), date(2025, 7, 3))
    assert render_chart(empty, "empty", {}).startswith(PNG_MAGIC)


def test_workbook_reopens_with_sheets_and_totals() -> None:
    wb = load_workbook(io.BytesIO(render_workbook(META, figures(), {"DL": "尿毒症透析", "HTN": "高血压病"})))
    assert {"Summary", "Applications", "Grants", "Benefits by disease", "Benefits by institution", "Sampling",
            "Findings", "Service"} <= set(wb.sheetnames)
    summary = {row[0].value: row[1] for row in wb["Summary"].iter_rows()}
    assert summary["Period"].value == "2025-06"
    assert Decimal(str(summary["Benefits payable"].value)) == Decimal("1300.35")
    assert summary["Benefits payable"].number_format == "0.00"
    rows = list(wb["Benefits by disease"].iter_rows(values_only=True))
    assert rows[0] == ("Disease", "Persons", "Lines", "Claimed", "Payable")
    assert rows[-1][0] == "Total" and Decimal(str(rows[-1][4])) == Decimal("1300.35")
    by_disease = {r[0]: Decimal(str(r[4])) for r in rows[1:-1]}
    assert by_disease == {"DL": Decimal("900.10"), "HTN": Decimal("400.25")}
    cell = wb["Benefits by disease"]["E2"]
    assert isinstance(cell.value, int | float) and cell.number_format == "0.00"  # a number, not text
    institutions = {r[0]: Decimal(str(r[4])) for r in wb["Benefits by institution"].iter_rows(min_row=2,
                                                                                               values_only=True)}
    assert institutions == {"H1": Decimal("900.10"), "H2": Decimal("400.25"), "Total": Decimal("1300.35")}
    grants = {r[0]: r for r in wb["Grants"].iter_rows(min_row=2, values_only=True)}
    assert grants["DL"][1] == "尿毒症透析" and grants["DL"][2] is True
