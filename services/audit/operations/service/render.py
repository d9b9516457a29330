"""A fund operation report's chart (PNG, matplotlib's Agg canvas) and workbook (Excel, openpyxl), rendered to
bytes from its figures (Decimal amounts). CPU-bound: callers run these in a worker thread."""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chassis.workbook import Sheet, workbook
from services.audit.reports.service.render import cjk_font

TOP = 12  # bars per chart panel; the workbook lists everything


def _top(groups: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, Decimal]]:
    rows = sorted(((k, v["payable"]) for k, v in groups.items()), key=lambda kv: (-kv[1], kv[0]))
    return rows[:TOP]


def render_operation_chart(figures: Mapping[str, Any], title: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    total = figures["total"]
    spending = total["spending"]
    fig = Figure(figsize=(12, 11), dpi=100)
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=13)
    axes = fig.subplots(2, 2)

    # Amounts become floats here only to place bars; every printed number comes from the Decimal.
    ax = axes[0][0]
    tenants = figures["tenants"]
    months = list(spending["by_month"])
    width = 0.8 / max(1, len(tenants))
    for i, tenant in enumerate(tenants):
        per = figures["by_tenant"][tenant]["spending"]["by_month"]
        ax.bar([x + i * width for x in range(len(months))], [float(per[m]["payable"]) for m in months],
               width=width, label=tenant)
    ax.set_xticks([x + width * (len(tenants) - 1) / 2 for x in range(len(months))], months, fontsize=8,
                  rotation=45 if len(months) > 4 else 0)
    ax.set_title(f"Fund spending by month (yuan), total {spending['payable']:.2f}", fontsize=10)
    ax.legend(fontsize=8)

    for ax, key, label in ((axes[0][1], "by_disease", "disease"), (axes[1][0], "by_institution", "institution")):
        rows = _top(spending[key])
        bars = ax.bar([k for k, _ in rows] or ["-"], [float(v) for _, v in rows] or [0], color="#2f6f9f")
        for bar, (_, value) in zip(bars, rows, strict=False):
            ax.annotate(f"{value:.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", fontsize=7)
        ax.set_title(f"Spending by {label} (top {TOP}, yuan)", fontsize=10)
        ax.tick_params(axis="x", labelsize=7, rotation=30)

    ax = axes[1][1]
    names = ["elapsed (time)", *[f"{t} spent" for t in tenants], *(["program spent"] if len(tenants) > 1 else []),
             "allocated"]
    budgets = [figures["by_tenant"][t]["budget"] for t in tenants]
    shares = [total["budget"]["elapsed_share"], *[b["spent_share"] for b in budgets],
              *([total["budget"]["spent_share"]] if len(tenants) > 1 else []), total["budget"]["allocated_share"]]
    ax.barh(names, [float(s or 0) for s in shares], color=["#b0b0b0", *["#9f2f2f"] * (len(names) - 2), "#4c9a5b"])
    for y, s in enumerate(shares):
        ax.annotate("n/a" if s is None else f"{s * 100:.2f}%", (float(s or 0), y), va="center", fontsize=8)
    budget = total["budget"]["budget"]
    ax.set_title("Budget burn, share of the year's budget" + ("" if budget is None else f" ({budget:.2f})"),
                 fontsize=10)
    ax.tick_params(axis="y", labelsize=8)

    font = cjk_font()
    if font:  # codes from events may be Chinese
        for a in (axes[0][1], axes[1][0]):
            for lbl in a.get_xticklabels():
                lbl.set_fontfamily(font)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def render_operation_workbook(meta: Mapping[str, Any], figures: Mapping[str, Any]) -> bytes:
    sheets: list[Sheet] = []

    def sheet(title: str, header: list[str], rows: list[list[Any]], total: list[Any] | None = None) -> None:
        sheets.append(Sheet(title, rows, header, total))

    def opt(value: Any) -> Any:
        return "" if value is None else value

    total = figures["total"]
    sp, bu = total["spending"], total["budget"]
    pairs: list[tuple[str, Any]] = [
        ("Report", meta["report_id"]), ("Scope", figures["scope"]), ("Program", figures["program"]),
        ("Tenants", ", ".join(figures["tenants"])), ("Kind", meta["kind"]), ("Period", figures["period"]),
        ("From", figures["start"]), ("To", figures["end"]), ("Due on", meta["due_on"]),
        ("Produced at", meta["produced_at"]), ("Overdue", meta["overdue"]), ("Interim", meta["interim"]),
        ("Spending", sp["payable"]), ("Cost", sp["cost"]), ("Claims", sp["claims"]), ("Persons paid", sp["persons"]),
        ("Per capita", opt(sp["per_capita"])), ("Budget year", bu["year"]), ("Budget", opt(bu["budget"])),
        ("Spent to date", bu["spent_to_date"]), ("Allocated to date", bu["allocated_to_date"]),
        ("Year elapsed", bu["elapsed_share"]), ("Budget spent", opt(bu["spent_share"])),
        ("Budget allocated", opt(bu["allocated_share"])), ("Burn ratio", opt(bu["burn_ratio"])),
        ("Reviews completed", total["reviews"]["completed"]), ("Recovered", total["reviews"]["recovered"]),
        ("Settings", meta.get("settings", "")),
    ]
    summary_rows = [[key, value] for key, value in pairs] + [["Budget basis", r] for r in bu["reasons"]]
    sheets.append(Sheet("Summary", summary_rows, widths={"A": 22, "B": 90}, bold_first_column=True))

    def money_row(v: Mapping[str, Any]) -> list[Any]:
        return [v["payable"], v["cost"], v["claims"], v["persons"], opt(v["per_capita"])]

    money_header = ["Spending", "Cost", "Claims", "Persons paid", "Per capita"]
    tenant_rows = []
    for t in figures["tenants"]:
        f = figures["by_tenant"][t]
        tenant_rows.append([t, *money_row(f["spending"]), opt(f["budget"]["budget"]), f["budget"]["spent_to_date"],
                            f["budget"]["allocated_to_date"], opt(f["budget"]["spent_share"])])
    sheet("By tenant", ["Tenant", *money_header, "Budget", "Spent to date", "Allocated to date", "Budget spent"],
          tenant_rows, ["Total", *money_row(sp), opt(bu["budget"]), bu["spent_to_date"], bu["allocated_to_date"],
                        opt(bu["spent_share"])])
    for title, key, label in (("By disease", "by_disease", "Disease"), ("By care", "by_care", "Care"),
                              ("By institution", "by_institution", "Institution"), ("By month", "by_month", "Month"),
                              ("By source", "by_source", "Source")):
        sheet(title, [label, *money_header], [[k, *money_row(v)] for k, v in sp[key].items()],
              ["Total", *money_row(sp)])
    if len(figures["tenants"]) > 1:
        sheet("Tenant by disease", ["Tenant", "Disease", *money_header],
              [[t, k, *money_row(v)] for t in figures["tenants"]
               for k, v in figures["by_tenant"][t]["spending"]["by_disease"].items()])
    led = total["ledger"]
    sheet("Ledger", ["Kind", "Period", "Year to date"], [[k, led["period"][k], led["year_to_date"][k]]
                                                         for k in led["year_to_date"]])
    sheet("Year result", ["Program", "Year", "Outcome", "Amount", "Carrier share", "Fund share"],
          [[y["program"], y["year"], y["outcome"], y["amount"], y["carrier_share"], y["fund_share"]]
           for y in total["year_result"]])
    return workbook(sheets)
