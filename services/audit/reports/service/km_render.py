"""Fund supervision's reports rendered to bytes from their figures (domain/km.py): the chart (PNG, matplotlib on the
Agg canvas; titles and labels ASCII — catalogue codes and rule codes — so every font draws them), the workbook (Excel,
chassis/workbook.py: amounts and rates as numbers) and, for the term, the written report (书面情况报告, Word,
python-docx, in Chinese). CPU-bound: callers run these in a worker thread."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from chassis.workbook import Sheet, workbook

KIND_NAMES = {"hospital": "定点医疗机构", "pharmacy": "定点零售药店", "agency": "经办机构"}
METHOD_NAMES = {"daily_patrol": "日常巡查", "audit": "稽核", "undercover_visit": "明察暗访",
                "special_campaign": "专项整治", "cross_inspection": "交叉检查", "flight_inspection": "飞行检查",
                "double_random": "双随机抽查"}
MATERIAL_NAMES = {"dossier": "检查前数据筛查资料", "evidence": "证据材料", "inspection_report": "调查报告",
                  "report_pack_chart": "检查报告图表", "report_pack_workbook": "检查报告工作簿",
                  "record_sample_population": "病历抽审总体"}


def _n(value: Any) -> Any:
    """A rate or amount as a number for the workbook ("0.4000" → Decimal), blank when there is none."""
    if value is None or value == "":
        return ""
    return value if isinstance(value, Decimal | int) else Decimal(str(value))


def _yes(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")


# ---- chart ------------------------------------------------------------------------------------------------------


def _bars(ax: Any, labels: list[str], values: list[Any], title: str, color: str, money: bool = False) -> None:
    # Amounts become floats here only to place bars; every number printed comes from the Decimal.
    bars = ax.bar(labels or ["-"], [float(v) for v in values] or [0], color=color)
    for bar, value in zip(bars, values, strict=False):
        ax.annotate(f"{value:.2f}" if money else str(value), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.tick_params(axis="x", labelsize=7)


def _inspection_chart(fig: Any, f: Mapping[str, Any]) -> None:
    axes = fig.subplots(2, 1)
    by_code = f["findings"]["by_code"]
    _bars(axes[0], list(by_code), [v["amount"] for v in by_code.values()],
          f"Findings by catalogue code (yuan): {f['findings']['count']} finding(s), {f['findings']['amount']:.2f}",
          "#9f2f2f", money=True)
    c = f["checklist"]
    rep = f["report"]
    status = ("filed " + str(rep["reported_on"]) + (" LATE" if rep["overdue"] else " on time")) if rep["filed"] else \
        ("NOT filed, overdue" if rep["overdue"] else "not filed yet")
    _bars(axes[1], ["checked", "finding", "not applicable", "unanswered"],
          [c["checked"], c["finding"], c["not_applicable"], c["unanswered"]],
          f"Checklist {c['answered']}/{c['total']} answered; evidence files {f['evidence']['count']}; report due "
          f"{rep['due_on']}, {status}", "#2f6f9f")


def _period_chart(fig: Any, f: Mapping[str, Any]) -> None:
    axes = fig.subplots(3, 2)
    cov = f["coverage"]
    ax = axes[0][0]
    kinds = list(cov["by_kind"])
    xs = list(range(len(kinds)))
    for offset, key, color, label in ((-0.27, "tender", "#b0b0b0", "tender"),
                                      (0, "institutions", "#c9a227", "of the term"),
                                      (0.27, "done", "#4c9a5b", "inspected")):
        ax.bar([x + offset for x in xs], [cov["by_kind"][k][key] for k in kinds], width=0.27, color=color,
               label=label)
    ax.set_xticks(xs, kinds, fontsize=7)
    ax.set_title(f"Coverage to {cov['asof']}: {cov['done']}/{cov['institutions']} ({cov['rate'] or '-'}), "
                 "target 100%", fontsize=9)
    ax.legend(fontsize=7)
    ins = f["inspections"]
    methods = {m: n for m, n in ins["by_method"].items() if n}
    _bars(axes[0][1], list(methods), list(methods.values()), f"Inspections ended: {ins['ended']} by method",
          "#2f6f9f")
    rep = f["reports"]
    _bars(axes[1][0], ["on time", "late", "missing", "pending"],
          [rep["on_time"], rep["late"], rep["missing"], rep["pending"]],
          f"Inspection reports due: {rep['due']}", "#4c9a5b")
    by_code = f["findings"]["by_code"]
    _bars(axes[1][1], list(by_code), [v["amount"] for v in by_code.values()],
          f"Findings by code (yuan): {f['findings']['count']}, {f['findings']['amount']:.2f}", "#9f2f2f",
          money=True)
    s = f["sampling"]["by_kind"]
    ax = axes[2][0]
    labels = [k for k in s if s[k]["problem_rate"] is not None]
    _bars(ax, labels, [Decimal(s[k]["problem_rate"]) for k in labels],
          f"Problem-record rate (hospital expected {s['hospital']['expected_rate']})", "#c9a227")
    ax.axhline(float(s["hospital"]["expected_rate"] or 0), color="#9f2f2f", linestyle="--", linewidth=1)
    r = f["smart_review"]["by_rule"]
    rules = [k for k, v in r.items() if v["hits"]]
    ax = axes[2][1]
    bottom = [0.0] * len(rules)
    for state, color in (("confirmed", "#9f2f2f"), ("dismissed", "#b0b0b0"), ("open", "#2f6f9f")):
        values = [float(r[k][state]) for k in rules]
        ax.bar(rules or ["-"], values or [0], bottom=bottom or [0], color=color, label=state)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(f"Smart-review hits found: {f['smart_review']['found']['hits']}", fontsize=9)
    ax.tick_params(axis="x", labelsize=6, rotation=30)
    ax.legend(fontsize=7)


def render_chart(figures: Mapping[str, Any], title: str) -> bytes:
    # The object API on an Agg canvas, not pyplot: no global state, safe in worker threads, no display.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    inspection = figures["section"] == "inspection"
    fig = Figure(figsize=(11, 8) if inspection else (13, 12), dpi=100)
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=12)
    (_inspection_chart if inspection else _period_chart)(fig, figures)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


# ---- workbook ---------------------------------------------------------------------------------------------------


def _head(meta: Mapping[str, Any], f: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [("Report", meta["report_id"]), ("Tenant", meta["tenant"]), ("Program", meta["program"]),
            ("Kind", meta["kind"]), ("Period", meta["period"]), ("Due on", meta["due_on"]),
            ("Produced at", meta["produced_at"]), ("Overdue", meta["overdue"]), ("Interim", meta["interim"]),
            ("Catalogue version", f.get("catalogue_version", ""))]


def _summary(pairs: list[tuple[str, Any]]) -> Sheet:
    return Sheet("Summary", [[k, "" if v is None else v] for k, v in pairs], widths={"A": 34, "B": 48},
                 bold_first_column=True)


def _by_code_sheet(title: str, findings: Mapping[str, Any]) -> Sheet:
    return Sheet(title, [[code, v["name"], v["group"], v["count"], v["amount"]]
                         for code, v in findings["by_code"].items()],
                 ["Code", "Violation", "Group", "Findings", "Amount"],
                 ["Total", "", "", findings["count"], findings["amount"]])


def _inspection_workbook(meta: Mapping[str, Any], f: Mapping[str, Any]) -> list[Sheet]:
    rep, c, e, d = f["report"], f["checklist"], f["evidence"], f["dossier"]
    pairs = [
        *_head(meta, f), ("Inspection", f["inspection_id"]), ("Institution", f["institution_id"]),
        ("Institution name", f["institution_name"]), ("Institution kind", f["institution_kind"]),
        ("Level", f["level"]), ("Method", f["method"]), ("Draw", f["draw_id"]),
        ("Team", ", ".join(m["inspector_id"] for m in f["team"])), ("Started on", f["started_on"]),
        ("Ended on", f["ended_on"]), ("State", f["state"]), ("Report due on", rep["due_on"]),
        ("Report filed", rep["filed"]), ("Reported on", rep["reported_on"]), ("Report overdue", rep["overdue"]),
        ("Days late", rep["days_late"]), ("Report sha256", rep["sha256"]),
        ("Findings", f["findings"]["count"]), ("Findings amount", f["findings"]["amount"]),
        ("Checklist items", c["total"]), ("Checklist answered", c["answered"]),
        ("Checklist coverage", _n(c["coverage"])), ("Checklist complete", c["complete"]),
        ("Evidence files", e["count"]), ("Evidence bytes", e["bytes"]),
        ("Dossier built on", d["built_on"] if d else ""), ("Dossier hits", d["hits"] if d else ""),
        ("Dossier amount", d["amount"] if d else ""), ("Dossier sha256", d["sha256"] if d else "")]
    return [
        _summary(pairs),
        Sheet("Team", [[m["inspector_id"], m["name"], m["profession"]] for m in f["team"]],
              ["Inspector", "Name", "Profession"]),
        Sheet("Findings", [[x["finding_id"], x["code"], x["name"], x["amount"], ", ".join(x["evidence_ids"])]
                           for x in f["findings"]["items"]], ["Finding", "Code", "Violation", "Amount", "Evidence"],
              ["Total", "", "", f["findings"]["amount"], ""]),
        _by_code_sheet("Findings by code", f["findings"]),
        Sheet("Checklist", [[g, v["total"], v["answered"], v["finding"]] for g, v in c["by_group"].items()]
              + [["checked", c["checked"], "", ""], ["finding", c["finding"], "", ""],
                 ["not applicable", c["not_applicable"], "", ""], ["unanswered", c["unanswered"], "", ""]],
              ["Group / answer", "Items", "Answered", "Findings"], ["Coverage", _n(c["coverage"]), "", ""]),
        Sheet("Evidence", [[x["evidence_id"], x["content_type"], x["size"], x["sha256"], x["uploaded_at"]]
                           for x in e["items"]], ["Evidence", "Type", "Bytes", "sha256", "Uploaded at"],
              ["Total", e["count"], e["bytes"], "", ""]),
        Sheet("Samples and cases", [["sample", s["sample_id"], s["kind"], s["size"], s["problems"],
                                     _n(s["problem_rate"]), s["state"], s["population_sha256"]] for s in f["samples"]]
              + [["case", c_["case_id"], "", "", "", "", c_["state"], ""] for c_ in f["cases"]],
              ["What", "Id", "Kind", "Sampled", "Problems", "Problem rate", "State", "Population sha256"]),
    ]


def _period_workbook(meta: Mapping[str, Any], f: Mapping[str, Any]) -> list[Sheet]:
    cov, ins, rep, fi = f["coverage"], f["inspections"], f["reports"], f["findings"]
    s, r, le, ca, mo = f["sampling"], f["smart_review"], f["leads"], f["cases"], f["money"]
    aa, t = f["agency_audits"], f["trainings"]
    pairs = [
        *_head(meta, f), ("From", f["start"]), ("To", f["end"]), ("Figures as of", f["asof"]),
        ("Institutions of the term", cov["institutions"]), ("Tender's count", cov["tender"]),
        ("Inspected so far", cov["done"]), ("Coverage", _n(cov["rate"])), ("Coverage of tender's count",
                                                                           _n(cov["rate_of_tender"])),
        ("Coverage met (100%)", cov["met"]), ("Inspections ended", ins["ended"]),
        ("Inspections started", ins["started"]), ("Inspections open at end", ins["open_at_end"]),
        ("Reports due", rep["due"]), ("Reports on time", rep["on_time"]), ("Reports late", rep["late"]),
        ("Reports missing", rep["missing"]), ("Reports pending", rep["pending"]),
        ("On-time rate", _n(rep["on_time_rate"])), ("Reports filed", rep["filed"]),
        ("Findings reported", fi["count"]), ("Findings amount", fi["amount"]),
        ("Samples completed", s["completed"]), ("Hospital records sampled", s["by_kind"]["hospital"]["sampled"]),
        ("Hospital problem records", s["by_kind"]["hospital"]["problems"]),
        ("Hospital problem rate", _n(s["by_kind"]["hospital"]["problem_rate"])),
        ("Expected problem rate", _n(s["by_kind"]["hospital"]["expected_rate"])),
        ("Meets expectation", _yes(s["by_kind"]["hospital"]["meets_expectation"])),
        ("Smart-review hits found", r["found"]["hits"]), ("Hits amount", r["found"]["amount"]),
        ("Hits confirmed (refused) in period", r["decided"]["confirmed"]),
        ("Confirmed amount in period", r["decided"]["confirmed_amount"]),
        ("Hits dismissed in period", r["decided"]["dismissed"]),
        ("Leads received", le["received"]), ("Leads verified", le["verified"]),
        ("Cases opened", ca["opened"]), ("Cases closed", ca["closed"]), ("Cases open at end", ca["open_at_end"]),
        ("Decided to recover", mo["decided_recover"]), ("Fines decided", mo["decided_fines"]),
        ("Recovered", mo["recovered"]), ("Agency audits reported", aa["reported"]),
        ("Courses held", t["courses"]["held"]), ("Flight-inspection trips", t["flight_trips"]["held"])]
    sheets = [
        _summary(pairs),
        Sheet("Coverage", [[k, v["tender"], v["institutions"], v["done"], v["undone"], _n(v["rate"]),
                            _n(v["rate_of_tender"]), v["met"]] for k, v in cov["by_kind"].items()],
              ["Kind", "Tender", "Of the term", "Inspected", "Not yet", "Rate", "Rate of tender", "Met"],
              ["Total", cov["tender"], cov["institutions"], cov["done"], cov["undone"], _n(cov["rate"]),
               _n(cov["rate_of_tender"]), cov["met"]]),
        Sheet("Not yet inspected", [[i] for i in cov["undone_ids"]], ["Institution"]),
        Sheet("Inspections", [[k, *v.values(), sum(v.values())] for k, v in ins["by_kind_and_method"].items()],
              ["Kind", *next(iter(ins["by_kind_and_method"].values())).keys(), "Total"],
              ["Total", *ins["by_method"].values(), ins["ended"]]),
        Sheet("Reports due", [[x["inspection_id"], x["institution_id"], x["institution_kind"], x["ended_on"],
                               x["due_on"], x["reported_on"] or "", x["status"], x["days_late"]] for x in rep["items"]],
              ["Inspection", "Institution", "Kind", "Ended on", "Due on", "Reported on", "Status", "Days late"]),
        _by_code_sheet("Findings by code", fi),
        Sheet("Sampling", [[x["sample_id"], x["institution_id"], x["institution_kind"], x["kind"],
                            x["inspection_id"] or "", _n(x["rate"]), x["population"], x["size"], x["problems"],
                            _n(x["problem_rate"]), _n(x["expected_rate"]), _yes(x["meets_expectation"]),
                            x["population_sha256"]] for x in s["items"]],
              ["Sample", "Institution", "Kind", "Population kind", "Inspection", "Rate drawn", "Population",
               "Sampled", "Problems", "Problem rate", "Expected", "Meets", "Population sha256"]),
        Sheet("Smart review", [[k, r["rule_names"].get(k, ""), v["hits"], v["open"], v["confirmed"], v["dismissed"],
                                v["amount"], v["confirmed_amount"], v["dismissed_amount"]]
                               for k, v in r["by_rule"].items()],
              ["Rule", "Term", "Hits", "Open", "Confirmed", "Dismissed", "Amount", "Confirmed amount",
               "Dismissed amount"],
              ["Total", "", r["found"]["hits"], r["found"]["open"], r["found"]["confirmed"], r["found"]["dismissed"],
               r["found"]["amount"], r["found"]["confirmed_amount"], r["found"]["dismissed_amount"]]),
        Sheet("Leads and cases", [[f"leads from {k}", v] for k, v in le["by_source"].items()]
              + [["leads verified: substantiated", le["substantiated"]],
                 ["leads verified: unsubstantiated", le["unsubstantiated"]]]
              + [[f"cases opened from {k}", v] for k, v in ca["opened_from"].items()]
              + [[f"cases closed: {k}", v] for k, v in ca["closed_by_outcome"].items()]
              + [["found in cases opened", ca["found_in_opened"]], ["decided to recover", mo["decided_recover"]],
                 ["fines decided", mo["decided_fines"]], ["recoveries", mo["recoveries"]],
                 ["recovered", mo["recovered"]]], ["Measure", "Value"]),
        Sheet("Cases", [[x["case_id"], x["institution_id"], x["source"], x["state"], x["opened_on"],
                         x["closed_on"] or "", x["found"], x["recovered"]] for x in f["case_items"]],
              ["Case", "Institution", "Source", "State", "Opened on", "Closed on", "Found", "Recovered"]),
        Sheet("Agency audits", [[x["audit_id"], x["institution_id"], x["period_from"], x["period_to"], x["checked"],
                                 x["nonconforming"], x["amount"], x["reported_on"], x["sha256"]] for x in aa["items"]],
              ["Audit", "Institution", "From", "To", "Checked", "Nonconforming", "Amount", "Reported on",
               "Written report sha256"], ["Total", "", "", "", aa["checked"], aa["nonconforming"], aa["amount"], "",
                                          ""]),
        Sheet("Trainings", [[x["training_id"], x["kind"], x["title"], x["held_from"], x["held_to"],
                             ", ".join(x.get("topics") or []), x.get("attendees") or "", x.get("region") or "",
                             x.get("destination") or "", x["staff"]] for x in t["items"]],
              ["Training", "Kind", "Title", "From", "To", "Topics", "Attendees", "Region", "Destination", "Staff"]),
    ]
    if f["section"] == "term":
        sheets.append(Sheet("Credit", [[x["institution_id"], x["year"], x["score"], x["grade"], x["grade_name"],
                                        x["revision"], x["rules_version"]] for x in f["credit"]["items"]],
                            ["Institution", "Year", "Score", "Grade", "Grade name", "Revision", "Rules version"]))
        sheets.append(Sheet("Requirements", [[x["code"], x["requirement"], x["target"], x["actual"], _yes(x["met"])]
                                             for x in f["requirements"]],
                            ["Code", "Requirement (tender)", "Target", "Done", "Met"]))
        m = f["materials"]
        sheets.append(Sheet("Materials", [[x["inspection_id"], x["institution_id"], x["institution_kind"],
                                           x["material"], x["ref"], x["on"] or "", "" if x["size"] is None else
                                           x["size"], x["sha256"]] for x in m["items"]],
                            ["Inspection", "Institution", "Kind", "Material", "Reference", "Day", "Size", "sha256"],
                            ["Total", m["inspections"], "", "", f"{m['lines']} material(s)", "", "", ""]))
    return sheets


def render_workbook(meta: Mapping[str, Any], figures: Mapping[str, Any]) -> bytes:
    if figures["section"] == "inspection":
        return workbook(_inspection_workbook(meta, figures))
    return workbook(_period_workbook(meta, figures))


# ---- the written report (书面情况报告) -------------------------------------------------------------------------


def _table(document: Any, header: list[str], rows: list[list[Any]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = "" if value is None else str(value)


def _pct(value: Any) -> str:
    return "—" if value is None else f"{Decimal(str(value)) * 100:.2f}%"


def render_written_report(meta: Mapping[str, Any], f: Mapping[str, Any], workbook_bytes: bytes) -> bytes:
    """The term's written report (书面情况报告, tender 三(三) 验收方式) as a Word document: what was done against each
    requirement of the tender, with the figures, and where the materials' list is (the workbook's Materials sheet,
    named by its sha256)."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.styles["Normal"].font.size = Pt(10.5)
    props = document.core_properties
    props.title, props.author, props.subject = "基金监管服务书面情况报告", "Jingban audit", meta["period"]
    props.created = props.modified = datetime.fromisoformat(meta["produced_at"]).replace(tzinfo=None)
    cov, ins, rep, fi = f["coverage"], f["inspections"], f["reports"], f["findings"]
    s, r, le, ca, mo = f["sampling"], f["smart_review"], f["leads"], f["cases"], f["money"]
    aa, t, cr, m = f["agency_audits"], f["trainings"], f["credit"], f["materials"]

    document.add_heading("医疗保障基金监管服务书面情况报告", 0)
    document.add_heading("一、基本情况", 1)
    for label, value in (("项目", meta["program"]), ("受托方（租户）", meta["tenant"]),
                         ("服务期", f"{f['start']} 至 {f['end']}"), ("数据截至", f["asof"]),
                         ("报告编号", meta["report_id"]), ("生成时间", meta["produced_at"]),
                         ("违规行为目录版本", f.get("catalogue_version", "")),
                         ("性质", "中期（服务期未结束）" if meta["interim"] else "期末")):
        document.add_paragraph(f"{label}：{value}")

    document.add_heading("二、采购需求完成情况", 1)
    _table(document, ["事项", "要求", "完成", "是否达标"],
           [[x["requirement"], x["target"], x["actual"],
             "—" if x["met"] is None else ("达标" if x["met"] else "未达标")] for x in f["requirements"]])

    document.add_heading("三、现场检查与全覆盖", 1)
    document.add_paragraph(f"服务期内应检查机构 {cov['institutions']} 家（招标数 {cov['tender']} 家），已现场检查 "
                           f"{cov['done']} 家，检查率 {_pct(cov['rate'])}；期内结束检查 {ins['ended']} 次。")
    _table(document, ["机构类别", "招标数", "期内机构数", "已检查", "检查率"],
           [[KIND_NAMES.get(k, k), v["tender"], v["institutions"], v["done"], _pct(v["rate"])]
            for k, v in cov["by_kind"].items()])
    document.add_paragraph("检查方式：" + ("；".join(f"{METHOD_NAMES.get(k, k)} {v} 次"
                                                 for k, v in ins["by_method"].items() if v) or "无"))

    document.add_heading("四、调查报告时效", 1)
    document.add_paragraph(f"期内应出具调查报告 {rep['due']} 份：按时 {rep['on_time']} 份，逾期出具 {rep['late']} 份，"
                           f"逾期未出具 {rep['missing']} 份，未到期 {rep['pending']} 份（医疗机构调查结束后三日内、"
                           "定点零售药店次日，按日历日计）。")

    document.add_heading("五、检查发现的违规问题", 1)
    if fi["by_code"]:
        _table(document, ["代码", "违规行为", "问题数", "涉及金额（元）"],
               [[code, v["name"], v["count"], f"{v['amount']:.2f}"] for code, v in fi["by_code"].items()]
               + [["合计", "", fi["count"], f"{fi['amount']:.2f}"]])
    else:
        document.add_paragraph("期内已出具的调查报告未发现违规问题。")

    document.add_heading("六、病历抽审", 1)
    h, a = s["by_kind"]["hospital"], s["by_kind"]["agency"]
    document.add_paragraph(f"医院：完成抽审 {h['samples']} 次，抽调病历 {h['sampled']} 份，问题病历 "
                           f"{h['problems']} 份，问题病历发现率 {_pct(h['problem_rate'])}（要求原则上不低于 "
                           f"{_pct(h['expected_rate'])}）。经办机构：抽审手工报销申报材料 {a['sampled']} 份，问题 "
                           f"{a['problems']} 份。")

    document.add_heading("七、智能审核", 1)
    found = r["found"]
    document.add_paragraph(f"发现疑点 {found['hits']} 条，涉及金额 {found['amount']:.2f} 元；确认违规（拒付）"
                           f"{found['confirmed']} 条、{found['confirmed_amount']:.2f} 元，排除 "
                           f"{found['dismissed']} 条，待审 {found['open']} 条。")

    document.add_heading("八、线索与案件", 1)
    document.add_paragraph(f"受理线索 {le['received']} 条（上级交办 {le['by_source']['superior']}、部门移交 "
                           f"{le['by_source']['department']}、群众举报 {le['by_source']['tip']}），核查 "
                           f"{le['verified']} 条"
                           f"（查实 {le['substantiated']}）；立案 {ca['opened']} 件，结案 {ca['closed']} 件；决定追回 "
                           f"{mo['decided_recover']:.2f} 元、罚款 {mo['decided_fines']:.2f} 元，已追回 "
                           f"{mo['recovered']:.2f} 元。")

    document.add_heading("九、经办机构内部审核", 1)
    document.add_paragraph(f"出具内部审核检查报告 {aa['reported']} 份，审核 {aa['checked']} 件，不合规 "
                           f"{aa['nonconforming']} 件，涉及金额 {aa['amount']:.2f} 元。")

    document.add_heading("十、信用评价", 1)
    document.add_paragraph(f"审定信用评价 {cr['evaluated']} 家：" + ("；".join(f"{g} 级 {n} 家"
                                                                        for g, n in cr["by_grade"].items()) or "无"))

    document.add_heading("十一、培训与飞行检查以干代训", 1)
    c = t["courses"]
    trips = "；".join(f"{v['name']} {v['held']} 次（要求 {v['required']} 次）"
                     for v in t["flight_trips"]["by_region"].values())
    document.add_paragraph(f"《医疗保障基金合规使用》线下培训 {c['held']} 次（要求 {c['required']} 次），参训 "
                           f"{c['attendees']} 人次，覆盖内容 {c['topics_covered']}/4 项。外出飞行检查以干代训："
                           f"{trips}。")

    document.add_heading("十二、检查情况资料汇总", 1)
    digest = hashlib.sha256(workbook_bytes).hexdigest()
    document.add_paragraph(f"服务期内检查 {m['inspections']} 次，资料 {m['lines']} 项，逐项列于同一报告工作簿的 "
                           f"Materials 表（工作簿 sha256：{digest}），每项附 sha256 校验值。")
    _table(document, ["资料类别", "项数"], [[MATERIAL_NAMES.get(k, k), n] for k, n in m["by_material"].items()])
    if m["without_report"]:
        document.add_paragraph(f"尚未出具调查报告的检查：{'、'.join(m['without_report'])}。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
