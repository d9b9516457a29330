"""The Wenzhou long-term care demo (温州长期护理保险, program wz-ltc): each served lot's carrier (wz-a … wz-e) running,
loaded through its doors by `LtcWalk` (jingban/ltc_flow.py) — jingban/demo.py `seed` calls `seed_ltc`.

Each lot gets:
- its assessor pool (评定人员库, eight: four medical or nursing), and a dozen care institutions in its own districts:
  ten designated before the platform (迁移导入), one designated through the whole chain (application → document
  review → on-site acceptance with a photo → expert review → agreement), one still in review (documents reviewed);
- the lot's book of persons assessed before the platform (既往结论, migrated: covered for months), with care plans at
  three institutions — two by home visits (机构上门护理), one institutional (机构护理) — and last month's service
  records under them (each plan's frequencies, no caregiver in two places at once);
- twenty applications in every state: submitted, documents requested, accepted and being assessed (pair drawn, one
  visited), concluded severe (one after the missing-documents loop; in lots A–C one insured at city level), concluded
  not eligible, rejected at screening, and one objection re-assessed by a different pair into a severe grade; the
  severe ones with a plan and today's first visit;
- last month's care statements: two paid from the lot's account (funded by the agency's allocation into the five
  lots, split by their shares), one left open; last month's assessment fee statement paid (in A–C with a city-level
  person's fee shared by the three city lots), this month's built and waiting for the month's end;
- the year's patrol plan, the quarter's sample and a patrol of two inspectors (one nursing) that checks all of it and
  visits every designated institution (the quarter's quota met), with a finding → a violation interview (违规约谈,
  its minutes) at that institution; status surveys of the book's persons; this month's ltc_monthly report;
- and, for one lot (B when served), the agency's score of the previous service year and the fee it gives."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from chassis.calendar import today_cn
from chassis.money import round_yuan
from chassis.programs import Program
from jingban.ltc_flow import (
    LTC,
    LtcWalk,
    assessors_csv,
    city_person,
    designated,
    district_name,
    lot_divisions,
    lot_letter,
    mild_scores,
    month_days,
    month_of_records,
    particulars,
    person_in,
    plan_items,
    quarter_end,
    quarter_of,
    severe_scores,
)
from jingban.ltc_flow import program as ltc_program
from jingban.tokens import Tokens

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["建国", "秀兰", "德明", "丽", "海燕", "志强", "桂英", "文华", "玉梅", "国庆", "春生", "淑珍", "红梅", "永福"]
HOMES = ["颐养院", "康宁护理院", "福寿护理院", "安康护理中心", "仁爱护理院", "松鹤护理院", "康乐护理站", "惠民护理院",
         "长青护理院", "温馨护理中心", "瑞康护理院", "乐龄护理院"]
BACKGROUNDS = [("medical", 0), ("medical", None), ("nursing", 1), ("nursing", None), ("rehabilitation", None),
               ("other", 0), ("other", None), ("medical", None)]   # (background, the institution they work at)
# The twenty applications' states, in the order filed.
KINDS = (["severe"] * 5 + ["not_eligible"] * 3 + ["objection"] + ["assessing"] * 3 + ["submitted"] * 3
         + ["documents_requested"] * 3 + ["rejected"] * 2)
BOOK = 8          # persons of the migrated book with plans and last month's records
LEFT_OPEN = 1     # last month's care statements left open (the rest paid)


def last_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def institution_id(letter: str, n: int) -> str:
    return f"WZ{letter}-C{n:03d}"


async def fund_ltc(walk: LtcWalk, program: Program, year: int, today: date) -> dict[str, str]:
    """The agency's first allocation of the year's long-term care fund (a quarter of the budget, choice of the
    demo: the program sets no ratio) into the lots' accounts, split by their shares; what each lot received."""
    budget = Decimal(str((program.setting("finance", "annual_budget") or {}).get(str(year), "600000000.00")))
    amount = round_yuan(budget / 4)
    day = min(date(year, 1, 6), today)
    out = await walk.fund_lots(year, f"{amount:.2f}", day.isoformat(), f"demo-ltc-{year}-initial")
    return {e["tenant"]: e["amount"] for e in out["entries"]}


async def seed_lot(walk: LtcWalk, rng: random.Random, today: date, scored_lot: bool) -> dict[str, int | str]:
    """One lot's carrier running (see the module's docstring); what it holds."""
    t, letter = walk.tenant, lot_letter(walk.tenant)
    divisions = lot_divisions(t)
    month = last_month(today)
    days = month_days(month)
    first, this_month = days[0], f"{today:%Y-%m}"
    homes = [institution_id(letter, n) for n in range(1, 13)]

    # 1. The assessor pool and the registry: ten designated before, one through the chain, one in review.
    await walk.import_assessors(assessors_csv(
        (f"AS-{letter}{n + 1:02d}", _name(rng), background, "" if at is None else homes[at],
         rng.choice(["大专", "本科", "硕士"])) for n, (background, at) in enumerate(BACKGROUNDS)))
    since = date(today.year - 1, 1, 1).isoformat()
    await walk.import_institutions([
        designated(homes[n], divisions[n % len(divisions)], since,
                   name=f"{district_name(divisions[n % len(divisions)])}{HOMES[n]}",
                   modes=("institutional",) if n == 2 else ("institutional", "home_visit"),
                   beds=rng.randrange(40, 300)) for n in range(10)])
    await walk.register_institution(particulars(homes[10], divisions[0], f"{district_name(divisions[0])}{HOMES[10]}"),
                                    first.isoformat(), (first.replace(year=first.year + 2) - timedelta(days=1))
                                    .isoformat())
    await walk.apply_institution(particulars(homes[11], divisions[-1], f"{district_name(divisions[-1])}{HOMES[11]}"))
    await walk.institution_step(homes[11], "documents_reviewed", note="资料齐全，待现场验收")

    # 2. The lot's book from before the platform: severe persons covered for months, and two concluded last month
    #    whose assessment fees are still to settle (in A–C one of them insured at city level: its fee shared).
    book: list[dict[str, Any]] = []
    for n in range(BOOK + 2):
        recent = n >= BOOK
        division = divisions[n % len(divisions)]
        person = person_in(rng, division, 1930, 1958)
        if recent and n == BOOK + 1 and (city := city_person(rng, t, 1930, 1958)):
            person, division = city, ltc_program().division
        concluded = first + timedelta(days=3 + 7 * (n - BOOK)) if recent else first - timedelta(
            days=rng.randrange(40, 320))
        old_age = n % 3 == 2
        book.append({"source_id": f"WZ{letter}-{concluded.year}-M{n + 1:03d}", "person_id": person,
                     "district": division, "basis": "old_age" if old_age else "illness",
                     "insutype": rng.choice(["310", "390"]), "grade": 3 + n % 3, "concluded_on": concluded.isoformat(),
                     **({} if old_age else {"disabled_since": (concluded - timedelta(days=rng.randrange(200, 900)))
                                            .isoformat()}),
                     "scale_version": "wz-ltc-assessment-2021", "care_institution_id": homes[n % 3],
                     **({"assessment_fee": "200.00"} if recent else {})})
    migrated = await walk.import_conclusions(book)
    covered = [(row["person_id"], row["grade"]) for row in book[:BOOK]]

    # 3. Twenty applications in every state (files first, then the screenings: one wait for all the draws).
    filed: list[tuple[str, str, str, dict[str, Any]]] = []   # (kind, person, district, application)
    for i, kind in enumerate(KINDS):
        city = kind == "severe" and i == 1 and city_person(rng, t)
        division = rng.choice(divisions)
        if kind == "rejected":
            person = person_in(rng, division, 1970, 1980)   # too young for disability through old age
        else:
            person = city or person_in(rng, division)
        district = "市本级" if city else district_name(division)
        loop = kind == "documents_requested" or (kind == "severe" and i == 0)
        basis = "old_age" if kind == "rejected" or (i % 4 == 3 and not loop) else "illness"
        since = None if basis == "old_age" else (today - timedelta(days=rng.randrange(200, 900))).isoformat()
        online = i % 2 == 0
        app = await walk.apply(person, district, basis, rng.choice(["310", "390"]), since,
                               documents=("id_card",) if loop else None, channel="online" if online else "window",
                               role="applicant" if online else "clerk", care_institution_id=homes[i % 3])
        filed.append((kind, person, district, app))
    accepted: dict[str, str] = {}
    for i, (kind, person, _, app) in enumerate(filed):
        aid = app["application_id"]
        if kind == "rejected":
            await walk.screen(aid, "reject", note="未达因年老失能申请年龄")
        elif kind == "documents_requested" or (kind == "severe" and i == 0):
            await walk.screen(aid, "missing", note="请补充近六个月的病历资料")
            if kind == "severe":
                await walk.add_application_documents(aid, person, ["medical_records"])
                await walk.screen(aid, "accept")
                accepted[aid] = person
        elif kind != "submitted":
            await walk.screen(aid, "accept")
            accepted[aid] = person
    drawn = await walk.drawn_all(accepted)

    # 4. Visits and conclusions; an objection re-assessed by a different pair.
    concluded: dict[str, int] = {}
    visited = 0
    for i, (kind, person, _, app) in enumerate(filed):
        a = drawn.get(app["application_id"])
        if a is None or (kind == "assessing" and i % 3):
            continue
        await walk.visit(a, today.isoformat())
        visited += 1
        if kind == "assessing":
            continue
        grade = 3 + i % 3 if kind == "severe" else 1 + i % 2 if kind == "not_eligible" else 2
        done = await walk.score(a, severe_scores(grade) if grade >= 3 else mild_scores(grade))
        if kind == "objection":
            again = (await walk.object_to(done["assessment_id"], person))["reassessment"]
            await walk.visit(again, today.isoformat(), notes="复评：家属陈述卧床一年余")
            done = await walk.score(again, severe_scores(3))
        if done["conclusion"]["eligible"]:
            concluded[person] = done["conclusion"]["grade"]

    # 5. Care plans: the book's at three institutions from the 1st of last month; today's severe persons' from today.
    valid_to = (first + timedelta(days=364)).isoformat()
    placed = {homes[0]: covered[0:3], homes[1]: covered[3:6], homes[2]: covered[6:BOOK]}
    await walk.persons(p for p, _ in covered)
    records = 0
    for home, persons in placed.items():
        mode = "institutional" if home == homes[2] else "home_visit"
        await walk.plans(home, [{"person_id": p, "mode": mode, "institution_id": home, "valid_from": first.isoformat(),
                                 "valid_to": valid_to, "items": plan_items(g, mode, visits=8)} for p, g in persons])
        upload: list[dict[str, Any]] = []
        # record ids P<j>-<dd>: the institution's own within its month, so the three institutions share them (audit
        # keys a care service by institution, month and record id)
        for j, (p, g) in enumerate(persons):
            upload += month_of_records(p, plan_items(g, mode, visits=8), month, f"{home}-CG{j // 4 + 1}", j % 4,
                                       f"P{j}", minutes=50 if mode == "home_visit" else 45)
        await walk.upload_records(home, month, upload)
        records += len(upload)
    fresh = sorted(concluded.items())
    for p, _ in fresh:
        await walk.person(p, covered=True)
    visits_today = []
    for j, (p, g) in enumerate(fresh):
        await walk.plan(homes[3], p, plan_items(g, "home_visit"), today.isoformat(), (today + timedelta(days=364))
                        .isoformat())
        visits_today += month_of_records(p, [{"code": "pressure_care", "per_month": 1}], this_month,
                                         f"{homes[3]}-CG1", j, f"T{j}", days=[today])
    if visits_today:
        await walk.upload_records(homes[3], this_month, visits_today)
    quarter = quarter_of(month)
    in_quarter = records + (len(visits_today) if quarter_of(this_month) == quarter else 0)

    # 6. Last month's statements: all but one paid from the lot's account; the assessment fees.
    statements = sorted(await walk.build_statements(month), key=lambda s: s["statement_id"])
    paid: list[str] = []
    for s in statements[:len(statements) - LEFT_OPEN]:
        await walk.close_statement(s["statement_id"])
        paid.append((await walk.pay_statement(s["statement_id"]))["statement_id"])
    fees = await walk.build_fee_statement(month)
    fees = await walk.pay_fee_statement(fees["statement_id"])
    current_fees = await walk.build_fee_statement(this_month)

    # 7. Supervision: the plan, the quarter's sample, a patrol that meets the quota, a finding → an interview.
    await walk.patrol_plan(int(quarter[:4]))
    before = await walk.attainment(quarter, services=in_quarter, institutions=11)
    await walk.plan_sample(quarter, f"demo-{t}-{quarter}")
    sample = await walk.sample(quarter)
    flagged = next((e for e in sample if e["institution_id"] == homes[1]), sample[0])
    patrol_day = min(today, quarter_end(quarter)).isoformat()
    patrol = await walk.patrol(quarter, patrol_day, sample, before["institutions"]["missing"], findings=[
        {"code": "record_incomplete", "institution_id": flagged["institution_id"], "record_id": flagged["service_id"],
         "detail": "服务记录缺少护理员签名"}])
    interview = await walk.interview(flagged["institution_id"], today.isoformat(), ["record_incomplete"],
                                     rectify_by=(today + timedelta(days=30)).isoformat(),
                                     note="服务记录不规范，限期一个月整改")
    after = await walk.attainment(quarter)
    surveys = 0
    for n, (p, _) in enumerate(covered[:4]):
        await walk.survey(p, today.year, today.isoformat(), ("unchanged", "improved", "unchanged", "worsened")[n])
        surveys += 1

    # 8. The previous service year's score and fee (one lot), this month's report.
    fee_view: dict[str, Any] | None = None
    if scored_lot:
        year = today.year - 1
        await walk.score_year(year, {"service_management": "4", "insured_evaluation": "2.5", "reporting": "1"},
                              note="年度考核：服务管理与信息报送略有扣分")
        fee_view = await walk.fee(year, status="scored")
    for key in (*paid, fees["statement_id"]):   # the month's payments in audit's read model before its report
        await walk.audit_saw(key)
    await walk.report("ltc_monthly", this_month)

    states: dict[str, int] = {}
    for kind, *_ in filed:
        states[kind] = states.get(kind, 0) + 1
    return {"institutions": len(homes), "assessors": len(BACKGROUNDS), "book": migrated["imported"],
            "applications": len(filed), "states": " / ".join(f"{k} {v}" for k, v in states.items()),
            "visits": visited, "covered_today": len(fresh), "records": records + len(visits_today),
            "statements_paid": len(paid), "statements_open": len(statements) - len(paid),
            "assessment_fees_paid": fees["amount"], "assessment_fees_this_month": current_fees["amount"],
            "sampled": len(sample), "patrol": patrol["patrol_id"],
            "quota_met": str(after["services"]["met"] and after["institutions"]["met"]).lower(),
            "interview": interview["interview"]["interview_id"], "surveys": surveys,
            **({"score": fee_view["score"], "performance_paid": fee_view["performance_paid"]} if fee_view else {})}


async def seed_ltc(url: Callable[[str], str], tokens: Tokens, http: httpx.AsyncClient, program: Program,
                   tenants: list[str], agency_home: str, seed: int = 20251124) -> dict[str, dict[str, int | str]]:
    """Every served lot (wz-a … wz-e) at once, after the agency funds their accounts."""
    today = today_cn()
    funded = await fund_ltc(LtcWalk(url, tokens, http, agency_home), program, int(last_month(today)[:4]), today)
    scored = "wz-b" if "wz-b" in tenants else tenants[0]
    done = await asyncio.gather(*(seed_lot(LtcWalk(url, tokens, http, t), random.Random(f"{seed}-{t}"), today,
                                           t == scored) for t in tenants))
    return {t: {**counts, "fund_allocated": funded.get(t, "0.00")} for t, counts in zip(tenants, done, strict=True)}


__all__ = ["LTC", "fund_ltc", "seed_lot", "seed_ltc"]
