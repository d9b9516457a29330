"""The written report holds whatever text the audit was given: a control character typed into the title, a check's
note or the conclusion (which XML 1.0, a .docx's parts, cannot hold) is left out of the document rather than making
the report impossible to produce (found by probing the door: a 500)."""

from __future__ import annotations

import io
from datetime import date

from docx import Document

from services.audit.agency_audit.domain.audits import check_audit, check_items, summary
from services.audit.agency_audit.domain.written_report import render
from services.audit.cases.domain.catalogue import load_catalogue

TODAY = date(2024, 9, 10)


def test_control_characters_are_left_out_of_the_document() -> None:
    audit = {"_id": "a-1", **check_audit({"title": "内部审核\x00\x0b", "institution_id": "KM-A001",
                                          "period_from": "2024-01-01", "period_to": "2024-06-30",
                                          "team": ["insp-1", "insp-2"], "scope": "范围\x1f"}, TODAY),
             "state": "open", "checks": []}
    audit["checks"] = check_items(audit, [{"area": "payment", "reference": "PAY-1\x07", "result": "nonconforming",
                                           "code": "A02", "amount": "10", "note": "说明\ufffe"}], load_catalogue(),
                                  TODAY)
    report = {"conclusion": "结论\x00\ud800合规\t", "recommendations": "\x1b建议", "reported_on": "2024-09-10",
              "reported_at": "2024-09-10T02:00:00+00:00", "by": {"role": "inspector", "subject": "insp-1"}}
    doc = Document(io.BytesIO(render(audit, summary(audit["checks"]), report, "km-sv")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "内部审核" in text and "结论合规" in text and "建议" in text and "范围" in text
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "PAY-1" in cells and "说明" in cells
