"""A report's chart (PNG, matplotlib on the Agg canvas) and workbook (Excel, chassis/workbook.py), rendered to bytes
from its figures. CPU-bound: callers run these in a worker thread."""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import cache
from typing import Any

from chassis.workbook import Sheet, workbook

# Families that carry CJK glyphs; without one, Chinese names would render as empty boxes, so the chart
# is then labelled with disease codes only (ASCII), which every font draws.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")
MONEY = "0.00"


@cache
def cjk_font() -> str | None:
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in available), None)


def _label(code: str, names: Mapping[str, str], cjk: bool) -> str:
    return f"{code} {names[code]}" if cjk and names.get(code) else code


def render_chart(figures: Mapping[str, Any], title: str, names: Mapping[str, str]) -> bytes:
    # The object API on an Agg canvas, not pyplot: no global state, safe in worker threads, no display.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    font = cjk_font()
    fig = Figure(figsize=(11, 9), dpi=100)
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=13)
    axes = fig.subplots(3, 1)

    # Amounts become floats here only to place bars; every number printed comes from the Decimal.
    benefits = figures["benefits"]["by_disease"]
    groups = list(benefits)
    ax = axes[0]
    values = [benefits[g]["payable"] for g in groups]
    bars = ax.bar([_label(g, names, bool(font)) for g in groups] or ["-"], [float(v) for v in values] or [0],
                  color="#2f6f9f")
    for bar, value in zip(bars, values, strict=False):
        ax.annotate(f"{value:.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                    va="bottom", fontsize=8)
    ax.set_title(f"Benefits paid by disease (yuan), total {figures['benefits']['payable']:.2f}", fontsize=10)
    ax.tick_params(axis="x", labelsize=8)

    grants = figures["grants"]["by_disease"]
    codes = list(grants)
    ax = axes[1]
    xs = range(len(codes))
    ax.bar([x - 0.2 for x in xs], [grants[c]["granted"] for c in codes], width=0.4, label="granted in period",
           color="#4c9a5b")
    ax.bar([x + 0.2 for x in xs], [grants[c]["active_at_end"] for c in codes], width=0.4, label="active at end",
           color="#c9a227")
    ax.set_xticks(list(xs), [_label(c, names, bool(font)) + ("*" if grants[c]["uncapped"] else "") for c in codes],
                  fontsize=8)
    ax.set_title("Qualifications by disease (* uncapped)", fontsize=10)
    ax.legend(fontsize=8)

    rows = figures["sampling"]["rows"]
    ax = axes[2]
    attained = figures["sampling"]["attained"]
    ax.set_title("Sampling attainment, checked / required (* uncapped): "
                 + ("no plan" if attained is None else "attained" if attained else "NOT attained"), fontsize=10)
    if rows:
        xs = range(len(rows))
        ax.bar([x - 0.2 for x in xs], [r["required"] for r in rows], width=0.4, label="required", color="#b0b0b0")
        ax.bar([x + 0.2 for x in xs], [r["checked"] for r in rows], width=0.4, label="checked", color="#9f2f2f")
        ax.set_xticks(list(xs), [f"{r['disease_code']}{'*' if r['uncapped'] else ''}" for r in rows], fontsize=8)
        ax.legend(fontsize=8)
    else:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no sampling plan in this period", ha="center", va="center", transform=ax.transAxes)
    for a in axes[1:]:
        a.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of cases

    if font:  # only tick labels carry Chinese names; titles stay ASCII
        for a in axes:
            for lbl in a.get_xticklabels():
                lbl.set_fontfamily(font)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def render_workbook(meta: Mapping[str, Any], figures: Mapping[str, Any], names: Mapping[str, str]) -> bytes:
    sheets: list[Sheet] = []

    def sheet(title: str, header: list[str], rows: list[list[Any]], total: list[Any] | None = None) -> None:
        sheets.append(Sheet(title, rows, header, total))

    b, f, w = figures["benefits"], figures["findings"], figures["warnings"]
    pairs: list[tuple[str, Any]] = [
        ("Report", meta["report_id"]), ("Tenant", meta["tenant"]), ("Program", meta.get("program", "")),
        ("Kind", meta["kind"]), ("Period", meta["period"]), ("From", figures["start"]), ("To", figures["end"]),
        ("Due on", meta["due_on"]), ("Produced at", meta["produced_at"]), ("Overdue", meta["overdue"]),
        ("Policy version", figures["policy_version"]),
        ("Uncapped diseases", ", ".join(figures["uncapped_diseases"])),
        ("Applications submitted", figures["applications"]["submitted"]),
        ("Applications completed", figures["applications"]["completed"]),
        ("Applications rejected", figures["applications"]["rejected"]),
        ("Qualifications granted", figures["grants"]["granted"]),
        ("Qualifications revoked", figures["grants"]["revoked"]),
        ("Qualifications renewed (re-review)", figures["grants"].get("renewed", 0)),
        ("Active at period end", figures["grants"]["active_at_end"]),
        ("Benefits claimed", b["claimed"]), ("Benefits payable", b["payable"]), ("Persons paid", b["persons"]),
        ("Statements closed", figures["statements"]["closed"]), ("Payments issued", figures["payments"]["amount"]),
        ("Uncapped cases required", figures["sampling"]["uncapped_required"]),
        ("Uncapped cases checked", figures["sampling"]["uncapped_checked"]),
        ("Sampling attained", figures["sampling"]["attained"]),
        ("Findings", f["count"]), ("Findings amount", f["amount"]),
        ("Warnings issued", w["issued"]), ("Warnings reported", w["reported"]), ("Warnings overdue", w["overdue"]),
    ]
    sheets.append(Sheet("Summary", [[key, "" if value is None else value] for key, value in pairs],
                        widths={"A": 28, "B": 40}, bold_first_column=True))

    apps = figures["applications"]["by_disease"]
    sheet("Applications", ["Disease", "Name", "Submitted", "Documents requested", "Completed", "Rejected"],
          [[c, names.get(c, ""), v.get("submitted", 0), v.get("documents_requested", 0), v.get("completed", 0),
            v.get("rejected", 0)] for c, v in apps.items()],
          ["Total", "", figures["applications"]["submitted"], figures["applications"]["documents_requested"],
           figures["applications"]["completed"], figures["applications"]["rejected"]])
    grants = figures["grants"]["by_disease"]
    sheet("Grants", ["Disease", "Name", "Uncapped", "Granted", "Revoked", "Active at end"],
          [[c, names.get(c, ""), "" if v["uncapped"] is None else v["uncapped"], v["granted"], v["revoked"],
            v["active_at_end"]] for c, v in grants.items()],
          ["Total", "", "", figures["grants"]["granted"], figures["grants"]["revoked"],
           figures["grants"]["active_at_end"]])
    for title, key, label in (("Benefits by disease", "by_disease", "Disease"),
                              ("Benefits by institution", "by_institution", "Institution")):
        sheet(title, [label, "Persons", "Lines", "Claimed", "Payable"],
              [[k, v["persons"], v["lines"], v["claimed"], v["payable"]] for k, v in b[key].items()],
              ["Total", b["persons"], b["lines"], b["claimed"], b["payable"]])
    s = figures["sampling"]
    sheet("Sampling", ["Plan", "Period", "Disease", "Uncapped", "Population", "Required", "Sampled", "Checked",
                       "Attained"],
          [[r["plan_id"], r["period"], r["disease_code"], r["uncapped"], r["population"], r["required"],
            r["sampled"], r["checked"], r["attained"]] for r in s["rows"]],
          ["Uncapped total", "", "", "", "", s["uncapped_required"], "", s["uncapped_checked"],
           "" if s["attained"] is None else s["attained"]])
    sheet("Findings", ["Kind", "Count", "Amount"],
          [[k, v["count"], v["amount"]] for k, v in f["by_kind"].items()], ["Total", f["count"], f["amount"]])
    service = [["Warnings issued", w["issued"]], ["Warnings reported", w["reported"]],
               ["Warnings overdue", w["overdue"]]]
    service += [[f"Complaints {k.replace('_', ' ')}", v] for k, v in figures["complaints"].items()]
    service += [[f"Appraisals {k.replace('_', ' ')}", v] for k, v in figures["appraisals"].items()]
    service += [[f"Call-backs {k}", v] for k, v in figures["callbacks"].items()]
    service += [["Statements closed", figures["statements"]["closed"]],
                ["Statements payable", figures["statements"]["payable"]],
                ["Statements reconciled", figures["statements"]["reconciled"]],
                ["Statements unbalanced", figures["statements"]["unbalanced"]],
                ["Payments issued", figures["payments"]["count"]],
                ["Payments amount", figures["payments"]["amount"]]]
    sheet("Service", ["Measure", "Value"], service)
    if "violations" in figures:  # the program reports its violations (违规情况) with the period's report
        v = figures["violations"]
        sheet("Violations", ["Finding", "Kind", "Raised on", "Person", "Amount", "Description"],
              [[r["finding_id"], r["kind"], r["raised_on"], r["person"], r["amount"], r["description"]]
               for r in v["items"]], ["Total", "", "", "", v["amount"], f"{v['count']} finding(s)"])

    return workbook(sheets)
