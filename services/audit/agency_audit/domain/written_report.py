"""The written report of an internal audit (经办机构内部审核检查报告) as a Word document (.docx, python-docx): the
audit's particulars, what was checked and how, the figures per area, every nonconforming item with its catalogue code
and amount, the conclusion and the recommendations. Pure: the audit in, the document's bytes out (its sha256 is recorded
by the caller)."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from docx import Document
from docx.shared import Pt

from services.audit.agency_audit.domain.audits import AREA_NAMES

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# What XML 1.0 (a .docx's parts) cannot hold: C0 controls but tab, newline and return, lone surrogates, U+FFFE/U+FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value: Any) -> Any:
    """The audit's and report's texts as a document can hold them: free text typed with a control character (kept as
    given in the audit) is written without it, rather than leaving a report that can never be produced."""
    if isinstance(value, str):
        return NOT_XML.sub("", value)
    if isinstance(value, Mapping):
        return {k: _xml_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_xml_safe(v) for v in value]
    return value


def _table(document: Any, header: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


def render(audit: Mapping[str, Any], figures: Mapping[str, Any], report: Mapping[str, Any], tenant: str) -> bytes:
    """The report's bytes. `figures`: audits.summary of the checks; `report`: conclusion, recommendations, reported
    on, by."""
    audit, report = _xml_safe(audit), _xml_safe(report)
    document = Document()
    document.styles["Normal"].font.size = Pt(10.5)
    props = document.core_properties
    props.title, props.author, props.subject = audit["title"], "Jingban audit", "经办机构内部审核检查报告"
    produced = datetime.fromisoformat(report["reported_at"])
    props.created = props.modified = produced.replace(tzinfo=None)
    document.add_heading(audit["title"], 0)
    document.add_paragraph("经办机构内部审核检查报告")

    document.add_heading("一、基本情况", 1)
    sample = audit.get("sample_id") or "未关联"
    figures_of_sample = report.get("sample")
    if figures_of_sample:
        rate = figures_of_sample.get("problem_rate")
        sample += (f"（抽取 {figures_of_sample.get('size')} 份，已审 {figures_of_sample.get('answered')} 份，问题 "
                   f"{figures_of_sample.get('problems')} 份"
                   + (f"，问题率 {Decimal(str(rate)) * 100:.2f}%" if rate is not None else "") + "）")
    for label, value in (("被审核机构", audit["institution_id"]),
                         ("审核期间", f"{audit['period_from']} 至 {audit['period_to']}"),
                         ("审核组成员", "、".join(audit["team"])), ("病历（手工报销材料）抽审样本", sample),
                         ("报告日期", report["reported_on"]), ("出具单位", tenant), ("审核编号", audit["_id"])):
        document.add_paragraph(f"{label}：{value}")
    if audit.get("scope"):
        document.add_heading("二、审核范围与方法", 1)
        document.add_paragraph(audit["scope"])

    document.add_heading("三、审核结果汇总", 1)
    rows = []
    for area, row in figures["areas"].items():
        rate = f"{Decimal(str(row['rate'])) * 100:.2f}%" if row["rate"] is not None else "—"
        rows.append([AREA_NAMES[area], str(row["checked"]), str(row["conforming"]), str(row["nonconforming"]), rate,
                     row["amount"]])
    rows.append(["合计", str(figures["checked"]), str(figures["checked"] - figures["nonconforming"]),
                 str(figures["nonconforming"]), "", figures["amount"]])
    _table(document, ["审核事项", "审核件数", "合规", "不合规", "不合规率", "涉及金额（元）"], rows)

    document.add_heading("四、不合规事项明细", 1)
    bad = [c for c in audit.get("checks") or [] if c["result"] == "nonconforming"]
    if bad:
        _table(document, ["编号", "事项", "单据/支付编号", "违规代码", "违规类型", "金额（元）", "说明"],
               [[c["check_id"], AREA_NAMES[c["area"]], c["reference"], c["code"], c["name"], c["amount"], c["note"]]
                for c in bad])
        document.add_paragraph(f"违规类型代码取自《违规行为目录》{bad[0]['catalogue_version']}。")
    else:
        document.add_paragraph("本次审核未发现不合规事项。")

    document.add_heading("五、审核结论", 1)
    document.add_paragraph(report["conclusion"])
    if report.get("recommendations"):
        document.add_heading("六、整改建议", 1)
        document.add_paragraph(report["recommendations"])
    document.add_paragraph(f"审核人员：{'、'.join(audit['team'])}　　报告出具：{report['by']['subject']}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
