"""The Karamay fund-supervision demo (克拉玛依区医疗保障基金监管, program km-supervision, tenant km-sv): the carrier's
term under way, loaded through its doors by `KmWalk` (jingban/km_flow.py) — jingban/demo.py `seed` calls `seed_km`.

- the SAMPLE roster in the registry (17 level-one hospitals, 143 pharmacies, the agency), known to supervision;
- last month's claims of four hospitals and four pharmacies screened (数据提取与筛查, a few thousand lines) with a hit
  of every rule planted among clean claims; a reviewer has confirmed the first hospital's and pharmacy's charges
  billed twice, over-priced and pooled card swipes and dismissed an age hit, the rest left open;
- the term's coverage plan (a term around today: the tender's own ended in 2024) reaching all 161, and a double-random
  draw (双随机) of two screened hospitals and two inspectors, its seed kept;
- seven inspections in every state: the drawn hospital's (dossier, checklist, evidence, a finding, reported on time,
  its records sampled), another hospital's reported on time with two findings, a pharmacy's reported the next day,
  one reported late, one ended and not reported (overdue), one still open with its dossier, and the agency's ended
  with its report due;
- record samples (病历抽审): a hospital's two years of records (2.5% drawn, a 40% problem rate), another's half
  answered, the agency's manual-reimbursement files;
- a public tip (群众举报) on a pharmacy that became a case, recovered, closed and exportable; a case opened from an
  inspection's findings; a superior's lead waiting for verification;
- the agency's internal audit (经办机构内部审核) with its written report;
- credit evaluations (信用评价) of every institution for the year: the ones with facts approved by the agency's
  supervisor, the others drafts; cooperation ratings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx

from chassis.calendar import today_cn
from jingban.km_flow import (
    AGENCY_ID,
    INSPECTORS,
    PERSONS_PER_INSTITUTION,
    TEAM,
    KmWalk,
    institution_ids,
    lines_of,
    roster,
    screening_claims,
)
from jingban.tokens import Tokens

SCREENED = 4          # hospitals and as many pharmacies screened
CLEAN = {"hospital": 64, "pharmacy": 110}   # clean claims per screened institution (~2,700 lines in all)


def last_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def term_around(today: date) -> tuple[date, date]:
    """The demo's term (服务期): from the first day of the month five months back to the end of the month three months
    on, so the inspections of the last days fall within it."""
    first = today.replace(day=1)
    for _ in range(5):
        first = (first - timedelta(days=1)).replace(day=1)
    last = today.replace(day=1)
    for _ in range(4):
        last = (last + timedelta(days=32)).replace(day=1)
    return first, last - timedelta(days=1)


async def screen_and_decide(walk: KmWalk, month: str, hospitals: list[str], pharmacies: list[str]
                            ) -> dict[str, int]:
    """One screening import of the institutions' month; the reviewer's decisions on the first hospital's and
    pharmacy's hits."""
    claims: list[dict[str, Any]] = []
    for n, iid in enumerate([*hospitals, *pharmacies]):
        kind = "hospital" if iid in hospitals else "pharmacy"
        found, _ = screening_claims(iid, kind, month, n * PERSONS_PER_INSTITUTION, CLEAN[kind])
        claims += found
    result = await walk.screen(claims, f"demo-screening-{month}")
    decided = 0
    for iid in (hospitals[0], pharmacies[0]):
        for hit in await walk.hits(institution=iid, source="screening", state="open"):
            if hit["rule"] in ("duplicate_charge", "over_price", "card_pooling"):
                await walk.decide_hit(hit["hit_id"], "confirm", "演示: 核实违规，拒付并扣减信用分")
            elif hit["rule"] == "age_restricted":
                await walk.decide_hit(hit["hit_id"], "dismiss", "演示: 家属代购，核实无误")
            else:
                continue
            decided += 1
    return {"screened_lines": lines_of(claims), "hits": int(result["hits"]), "hits_decided": decided}


async def seed_km(url: Callable[[str], str], tokens: Tokens, http: httpx.AsyncClient,
                  tenant: str = "km-sv") -> dict[str, int | str]:
    walk = KmWalk(url, tokens, http, tenant)
    today = today_cn()

    def ago(days: int) -> date:
        return today - timedelta(days=days)

    hospitals, pharmacies = institution_ids("hospital")[:SCREENED], institution_ids("pharmacy")[:SCREENED]
    everyone = roster(on=today)

    async def registry() -> None:
        await walk.import_roster(everyone)
        await walk.supervised(len(everyone))

    # The registry's events reach audit while the month's claims are screened.
    _, screened = await asyncio.gather(registry(), screen_and_decide(walk, last_month(today), hospitals, pharmacies))
    term_from, term_to = term_around(today)
    plan = await walk.coverage_plan(term_from, term_to, "克拉玛依区定点医药机构现场检查全覆盖计划（演示）")
    draw = await walk.draw(1, 2, INSPECTORS, "hospital", f"km-demo-{today}", hospitals)
    drawn_team = [{"inspector_id": i, "name": "", "profession": ""} for i in draw["inspectors"]]
    [drawn] = draw["institutions"]
    other = next(h for h in hospitals if h != drawn)

    # Inspections in every state.
    a = await walk.inspect(drawn, ago(9), ago(6), ago(4), method="double_random", team=drawn_team,
                           draw_id=draw["draw_id"], findings=[
                               {"code": "H03", "amount": "1280.00", "description": "同一项目同日重复收费"}])
    b = await walk.inspect(other, ago(5), ago(3), ago(1), method="daily_patrol", findings=[
        {"code": "H02", "amount": "460.50", "description": "诊查费超标准收费"},
        {"code": "H06", "amount": "2150.00", "description": "住院患者不在床，挂床住院"}])
    c = await walk.inspect(pharmacies[0], ago(3), ago(2), ago(1), method="special_campaign", findings=[
        {"code": "P01", "amount": "3560.00", "description": "夜间集中为多人刷卡，聚敛刷卡"}])
    late = await walk.inspect(pharmacies[2], ago(10), ago(8), ago(5), method="flight_inspection", dossier=False,
                              findings=[{"code": "P02", "amount": "168.00", "description": "以医保卡购买化妆品"}])
    overdue = await walk.inspect(pharmacies[1], ago(6), ago(5), None, method="undercover_visit", findings=[])
    opened = await walk.inspect(hospitals[2], ago(1), None, None, method="audit", findings=[])
    agency = await walk.inspect(AGENCY_ID, ago(2), today, None, method="audit", dossier=False, findings=[
        {"code": "A01", "amount": "0.00", "description": "手工报销复核记录不全"}])
    inspections = [a, b, c, late, overdue, opened, agency]

    # Record samples (two years of records: 2.5% drawn).
    two_years = today.replace(year=today.year - 2) + timedelta(days=1)
    sample_a = await walk.sample_records(drawn, "medical_records", two_years, ago(1), 1200, seed=f"demo-{drawn}",
                                         inspection_id=a["inspection_id"])
    await walk.sample_records(other, "medical_records", two_years, ago(1), 800, seed=f"demo-{other}", answered=10,
                              problems=3)
    sample_agency = await walk.sample_records(AGENCY_ID, "manual_reimbursements", two_years, ago(1), 400,
                                              seed="demo-agency", problems=2)

    # A tip that became a case (closed and exportable), a case from an inspection, a superior's lead waiting.
    tip_case = await walk.tip_to_case(pharmacies[3], recovered_on=today)
    from_inspection = await walk.open_case(inspection_id=b["inspection_id"])
    waiting = await walk.enter_lead(hospitals[3], summary="上级交办：疑似诱导住院", detail="市局转来群众来信线索")

    # The agency's internal audit with its report.
    internal = await walk.agency_audit_with_report(two_years, ago(1), AGENCY_ID, sample_agency["sample"])

    # Credit: cooperation rated, the facts in, every institution evaluated, those with facts approved.
    year = today.year
    await walk.rate(drawn, year, "good", "配合检查，及时提供资料")
    await walk.rate(pharmacies[1], year, "fair", "提供资料不及时")
    await walk.credit_facts(year, drawn, at_least=3)      # the inspection's finding, the sample, the rating
    await walk.credit_facts(year, pharmacies[3], at_least=1)   # the tip's case closed
    evaluations = await walk.evaluate(year)
    approved = 0
    for e in evaluations:
        if e["facts"]:
            await walk.approve_evaluation(e["evaluation_id"])
            approved += 1
    reported = sum(1 for i in inspections if i["report"] is not None)
    return {"institutions": len(everyone), **screened, "plan": plan["plan_id"], "draw": draw["draw_id"],
            "inspections": len(inspections), "reported": reported,
            "overdue": sum(1 for i in inspections if i["inspection"]["overdue"]),
            "samples": 3, "sample_rate": sample_a["sample"]["problem_rate"] or "",
            "cases": 2, "case_closed": tip_case["case_id"], "case_open": from_inspection["case_id"],
            "lead_waiting": waiting["lead_id"], "agency_audit": internal["audit_id"],
            "credit_evaluations": len(evaluations), "credit_approved": approved,
            "team": ",".join(m["inspector_id"] for m in TEAM)}
