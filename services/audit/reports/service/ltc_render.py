"""Long-term care reports' chart (PNG, matplotlib on the Agg canvas) and workbook (Excel, chassis/workbook.py),
rendered to bytes from their figures (domain/ltc.py). Titles and labels are ASCII (every font draws them).
CPU-bound: callers run these in a worker thread."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from chassis.workbook import Sheet, workbook


def _canvas(title: str) -> tuple[Any, Any]:
    # The object API on an Agg canvas, not pyplot: no global state, safe in worker threads, no display.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 9), dpi=100)
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=13)
    return fig, fig.subplots(3, 1)


def _bars(ax: Any, labels: list[str], values: list[Any], title: str, color: str, money: bool = False) -> None:
    # Amounts become floats here only to place bars; every number printed comes from the Decimal.
    bars = ax.bar(labels or ["-"], [float(v) for v in values] or [0], color=color)
    for bar, value in zip(bars, values, strict=False):
        ax.annotate(f"{value:.2f}" if money else str(value), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", labelsize=8)


def _png(fig: Any) -> bytes:
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def render_chart(figures: Mapping[str, Any], title: str) -> bytes:
    fig, axes = _canvas(title)
    if figures["section"] == "business":
        a, s = figures["applications"], figures["assessments"]
        _bars(axes[0], ["received", "accepted", "rejected", "assessed", "eligible"],
              [a["received"], a["accepted"], a["rejected"], s["concluded"], s["eligible"]],
              f"Applications and assessments; persons covered at end {figures['persons_covered']['at_end']}",
              "#2f6f9f")
        _bars(axes[1], [f"grade {g}" for g in s["by_grade"]], list(s["by_grade"].values()),
              "Assessments concluded by grade (0 normal ... 5 severe III)", "#4c9a5b")
        months = figures["accounting"]["by_month"]
        ax = axes[2]
        xs = list(range(len(months)))
        care = [months[m]["care_benefits"] for m in months]
        fees = [months[m]["assessment_fees"] for m in months]
        ax.bar(xs, [float(v) for v in care], label="care benefits", color="#2f6f9f")
        ax.bar(xs, [float(v) for v in fees], bottom=[float(v) for v in care], label="assessment fees",
               color="#c9a227")
        ax.set_xticks(xs, list(months), fontsize=8)
        ax.set_title(f"Paid (yuan), total {figures['accounting']['total_paid']:.2f}", fontsize=10)
        ax.legend(fontsize=8)
    else:
        rows = figures["samples"]["quarters"]
        ax = axes[0]
        xs = list(range(len(rows)))
        ax.bar([x - 0.2 for x in xs], [r["required"] for r in rows], width=0.4, label="required (20%)",
               color="#b0b0b0")
        ax.bar([x + 0.2 for x in xs], [r["sampled"] for r in rows], width=0.4, label="sampled", color="#9f2f2f")
        ax.set_xticks(xs, [r["quarter"] + ("" if r["met"] else " *") for r in rows], fontsize=8)
        ax.set_title("Care services sampled by quarter (* quota not met)", fontsize=10)
        ax.legend(fontsize=8)
        p, i, s = figures["patrols"], figures["interviews"], figures["status_surveys"]
        _bars(axes[1], ["patrols", "institutions", "records sampled", "interviews", "surveys"],
              [p["count"], p["institutions"], p["records_sampled"], i["count"], s["count"]],
              "Supervision in the period" + (f"; score {figures['score']['year']}: {figures['score']['score']} "
                                             f"({figures['score']['grade']})" if figures["score"] else ""),
              "#2f6f9f")
        by_status = s["by_status"]
        _bars(axes[2], list(by_status), list(by_status.values()),
              f"Status surveys by status; year {s['year']['surveyed']} of {s['year']['required']}", "#4c9a5b")
    return _png(fig)


def render_workbook(meta: Mapping[str, Any], figures: Mapping[str, Any]) -> bytes:
    head: list[tuple[str, Any]] = [
        ("Report", meta["report_id"]), ("Tenant", meta["tenant"]), ("Program", meta.get("program", "")),
        ("Kind", meta["kind"]), ("Period", meta["period"]), ("From", figures["start"]), ("To", figures["end"]),
        ("Due on", meta["due_on"]), ("Produced at", meta["produced_at"]), ("Overdue", meta["overdue"])]
    sheets: list[Sheet] = []
    if figures["section"] == "business":
        a, s, c = figures["applications"], figures["assessments"], figures["care_statements"]
        f, acc = figures["assessment_fees"], figures["accounting"]
        head += [("Applications received", a["received"]), ("Documents requested", a["documents_requested"]),
                 ("Applications accepted", a["accepted"]), ("Applications rejected", a["rejected"]),
                 ("City-level applications", a["city_level"]), ("Assessments concluded", s["concluded"]),
                 ("Assessments eligible", s["eligible"]), ("Assessment fees incurred", s["fees"]),
                 ("Persons covered at end", figures["persons_covered"]["at_end"]),
                 ("Care services recorded", figures["care_services"]["records"]),
                 ("Care statements paid", c["paid"]), ("Care benefits paid", c["amount"]),
                 ("Assessment fee statements paid", f["paid"]), ("Assessment fees paid", f["amount"]),
                 ("Total paid", acc["total_paid"])]
        sheets.append(Sheet("Summary", [[k, "" if v is None else v] for k, v in head], widths={"A": 30, "B": 40},
                            bold_first_column=True))
        sheets.append(Sheet("Assessments", [[f"grade {g}", n] for g, n in s["by_grade"].items()]
                            + [[f"kind {k}", n] for k, n in s["by_kind"].items()], ["Measure", "Count"],
                            ["Concluded", s["concluded"]]))
        services = figures["care_services"]
        sheets.append(Sheet("Care services", [[k, v] for k, v in services["by_institution"].items()],
                            ["Institution", "Records"], ["Total", services["records"]]))
        sheets.append(Sheet("Care statements", [[k, v["statements"], v["records"], v["persons"], v["amount"]]
                                                for k, v in c["by_institution"].items()],
                            ["Institution", "Statements", "Records", "Persons", "Amount"],
                            ["Total", c["paid"], c["records"], c["persons"], c["amount"]]))
        sheets.append(Sheet("Accounting", [[m, v["care_benefits"], v["assessment_fees"],
                                            v["care_benefits"] + v["assessment_fees"]]
                                           for m, v in acc["by_month"].items()],
                            ["Month", "Care benefits", "Assessment fees", "Total"],
                            ["Total", acc["care_benefits_paid"], acc["assessment_fees_paid"], acc["total_paid"]]))
        sheets.append(Sheet("Assessment fees", [[t, v] for t, v in f["due_from"].items()],
                            ["Owed by (city-level share)", "Amount"], ["Paid", f["amount"]]))
    else:
        p, i, s, score = figures["patrols"], figures["interviews"], figures["status_surveys"], figures["score"]
        year = figures["samples"]["year"]
        head += [("Patrols", p["count"]), ("Institutions patrolled", p["institutions"]),
                 ("Records sampled", p["records_sampled"]), ("Findings", p["findings"]),
                 ("Year's services delivered", year["delivered"]), ("Year's services sampled", year["sampled"]),
                 ("Year's 100% met", year["met"]), ("Interviews", i["count"]), ("Violations", i["violations"]),
                 ("Status surveys", s["count"]), ("Year's persons to survey", s["year"]["required"]),
                 ("Year's persons surveyed", s["year"]["surveyed"]), ("Score year", score["year"] if score else ""),
                 ("Score", score["score"] if score else ""), ("Grade", score["grade"] if score else "")]
        sheets.append(Sheet("Summary", [[k, "" if v is None else v] for k, v in head], widths={"A": 30, "B": 40},
                            bold_first_column=True))
        sheets.append(Sheet("Samples", [[r["quarter"], r["delivered"], r["required"], r["sampled"], r["met"]]
                                        for r in figures["samples"]["quarters"]],
                            ["Quarter", "Delivered", "Required (20%)", "Sampled", "Met"]))
        sheets.append(Sheet("Findings", [[k, v] for k, v in p["by_finding"].items()], ["Finding", "Count"],
                            ["Total", p["findings"]]))
        sheets.append(Sheet("Interviews", [[k, v] for k, v in i["by_outcome"].items()], ["Outcome", "Count"],
                            ["Total", i["count"]]))
        sheets.append(Sheet("Status surveys", [[k, v] for k, v in s["by_status"].items()], ["Status", "Count"],
                            ["Total", s["count"]]))
    return workbook(sheets)
