"""Demo data for a first look (`make run`), loaded through the platform's own HTTP doors.

- A running Hanzhong chronic-disease program (门诊慢特病) in both carriers' tenants: the agency first allocates the
  year's initial 25% into their dedicated accounts (专户, split 6:4), then a migrated book of qualified persons, live
  applications in every state (the cases waiting for an opinion wait for the demo expert's, `<tenant>-expert`), a
  month of claims from several institutions with statements in each state (two paid from the accounts), complaints,
  and the month's report.
- A running Quzhou critical illness program (大病保险) in `qz-ci`: the agency's quarterly premium allocations into
  its account, assistance recipients (救助对象) from the civil affairs list, a year to date of claims from Quzhou
  institutions, a provincial import (in and out of area), one manual reimbursement with its documents, and a few of
  the large-claim reviews it opened worked by a reviewer (a recovery booked in the account); the monthly statements
  (月度结算) of the months already over paid from the account, except the last two (one reconciled awaiting
  payment, one closed), this month's still open, and the manual reimbursement paid to the person's bank account.
- The Xunyang chronic pilot (浔阳区门诊特殊慢性病) in `xy-c`: an expert list approved by the district agency,
  applications naming their district and inpatient records (one case waiting for the demo expert's opinion), last
  month's statements with their settlement documents paid from the carrier's float and reimbursed for the month's
  actual spending, a violation and surveys.
- Wenzhou long-term care (温州长期护理保险) in each served lot `wz-a` … `wz-e` (jingban/ltc_demo.py): assessors and a
  dozen care institutions, the lot's book of persons assessed before, twenty applications in every state through
  screening, the assessors' draw, visits and conclusions (one objection re-assessed), care plans and last month's
  service records, statements paid from the lot's account, assessment fees, a patrol meeting the quarter's quota, a
  violation interview, status surveys, this month's report, and one lot's yearly score and fee.
- Karamay fund supervision (克拉玛依区医疗保障基金监管) in `km-sv` (jingban/km_demo.py): the district's institutions in
  the registry, a screening of last month's claims with hits of every rule (some decided), the term's coverage plan, a
  double-random draw, inspections in every state (one overdue), record samples, a tip become a closed case, the
  agency's internal audit with its report, and the year's credit evaluations."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from chassis.calendar import today_cn
from chassis.demo_subjects import demo_expert_id
from chassis.errors import InvalidInput
from chassis.money import round_yuan
from chassis.programs import Program, load_program, program_of_tenant
from jingban.flow import PDF, PNG, FlowError, Walk
from jingban.km_demo import seed_km
from jingban.km_flow import KM
from jingban.ltc_demo import LTC, seed_ltc
from jingban.tokens import Tokens
from services.settlement.fund.service.account import budget_of

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["建国", "秀兰", "德明", "丽", "海燕", "志强", "桂英", "文华", "玉梅", "国庆", "春生", "淑珍", "红梅", "永福",
         "晓燕", "建军", "金凤", "伟", "静", "明"]
COUNTIES = {"hz-p1": ["610702", "610703", "610722", "610723", "610724"],
            "hz-p2": ["610725", "610726", "610727", "610728", "610729"]}
INSTITUTIONS = {"hz-p1": ["H610702001", "H610702002", "H610703001", "P610702101"],
                "hz-p2": ["H610725001", "H610726001", "H610727001", "P610725101"]}
# The disease the demo files when it wants the demo expert drawn: cardiology in both chronic programs' policy tables,
# the demo experts' specialty (chassis/demo_subjects.py). In Hanzhong a draw picks them one time in two (two of the
# four cardiologists not of the treating hospital), so one miss is expected and twenty in a row happen once in a
# million demos; in Xunyang both cardiologists not of the treating hospital are drawn, the demo expert always.
DEMO_EXPERT_DISEASE = "HTN"
DEMO_EXPERT_TRIES = 20
DISEASE_MIX = ["HTN"] * 30 + ["DM"] * 20 + ["CHD"] * 12 + ["COPD"] * 10 + ["HF"] * 6 + ["SCZ"] * 5 + \
    ["MT"] * 7 + ["OT"] * 3 + ["DL"] * 7


def person_id(rng: random.Random, county: str) -> str:
    birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
    body = f"{county}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * x for d, x in zip(body, w, strict=True)) % 11]


def filer(walk: Walk, rng: random.Random, counties: list[str], first: tuple[str, str] | None = None,
          **submit: Any) -> Callable[[str], Awaitable[dict[str, Any]]]:
    """Files an application of a disease for a new person each time (a person has one open application a disease):
    `first` (person id, name), then persons of `counties`; `submit` as `Walk.submit` takes it."""
    people = [first] if first else []

    async def file(disease: str) -> dict[str, Any]:
        who, name = people.pop() if people else (person_id(rng, rng.choice(counties)),
                                                 rng.choice(SURNAMES) + rng.choice(GIVEN))
        return await walk.submit(who, name, disease, **submit)
    return file


async def awaiting_opinion(walk: Walk, submit: Callable[[str], Awaitable[dict[str, Any]]], disease: str
                           ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A case waiting for an expert's opinion, the other expert drawn having given theirs — the demo expert's
    (`<tenant>-expert`, chassis/demo_subjects.py) where the tenant has one, so that login finds a case to work. The
    draw is the platform's own (random among the eligible experts of the case's specialty, never one of the
    applicant's treating hospital): applications of the demo expert's specialty are filed and completed until a draw
    picks the demo expert (about one in two does), at most DEMO_EXPERT_TRIES. `submit(disease)` files a new person's
    application. Returns the case waiting, and the cases whose draw passed the demo expert by, for the caller to
    finish as any other."""
    expert = demo_expert_id(walk.tenant)
    cases: list[dict[str, Any]] = []
    for _ in range(DEMO_EXPERT_TRIES if expert else 1):
        app = await submit(DEMO_EXPERT_DISEASE if expert else disease)
        await walk.review(app["application_id"], "complete")
        cases.append(await walk.case(app["application_id"]))
        if expert is None or expert in cases[-1]["assigned"]:
            break
    waiting = cases.pop()  # the demo expert's (past the tries, the last case waits for its own experts)
    first = [e for e in waiting["assigned"] if e != expert][:1]
    await walk.opinions({**waiting, "assigned": first})
    return waiting, cases


def demo_decision(hit: dict[str, Any]) -> tuple[str, str]:
    """The demo reviewer: a charge or a drug billed twice is refused (拒付), anything else found in order."""
    if hit["rule"] in ("duplicate_charge", "duplicate_medication"):
        return "confirm", "演示: 重复收费/重复用药，拒付"
    return "dismiss", "演示: 核实无误"


def last_month(today: date) -> str:
    first = today.replace(day=1) - timedelta(days=1)
    return first.strftime("%Y-%m")


async def seed_tenant(walk: Walk, rng: random.Random, persons: int, applications: int) -> dict[str, int]:
    tenant = walk.tenant
    await walk.load_policy()
    await walk.import_experts()
    url = walk.url
    # 1. The migrated book: persons qualified in earlier years (data migration path of settlement).
    book: list[tuple[str, list[str]]] = []
    for _ in range(persons):
        pid = person_id(rng, rng.choice(COUNTIES[tenant]))
        diseases = sorted({rng.choice(DISEASE_MIX) for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))})
        book.append((pid, diseases))
    holdings = [{"person_id": pid, "disease": d, "granted_on": f"{rng.choice([2023, 2024, 2025])}-"
                 f"{rng.randrange(1, 13):02d}-{rng.randrange(1, 28):02d}"} for pid, ds in book for d in ds]
    r = await walk.http.post(f"{url('settlement')}/v1/admin/holdings", json={"holdings": holdings},
                             headers=walk.auth("ops"))
    r.raise_for_status()
    # 2. Live applications in every state of the chain.
    states = {"qualified": 0, "documents_missing": 0, "awaiting_opinions": 0, "submitted": 0, "complaints": 0}
    for i in range(applications):
        pid = person_id(rng, rng.choice(COUNTIES[tenant]))
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        disease = rng.choice(DISEASE_MIX)
        kind = ("qualified", "qualified", "qualified", "documents_missing", "awaiting_opinions", "submitted")[i % 6]
        if kind == "documents_missing":
            app = await walk.submit(pid, name, disease, documents=("application_form", "medical_record"),
                                    role="applicant", channel="online")
            await walk.review(app["application_id"], "missing", note="请补充身份证、社保卡照片")
        elif kind == "submitted":
            await walk.submit(pid, name, disease, channel=rng.choice(["online", "window"]))
        elif kind == "awaiting_opinions":  # the demo expert's (`<tenant>-expert`) when a draw picks them
            _, missed = await awaiting_opinion(walk, filer(walk, rng, COUNTIES[tenant], (pid, name)), disease)
            for case in missed:  # finished by the experts drawn: qualified
                await walk.conclude((await walk.opinions(case))["case_id"])
            states["qualified"] += len(missed)
        else:
            await walk.qualify(pid, name, disease)
        states[kind] += 1
        if i % 7 == 0:
            await walk.http.post(f"{url('intake')}/v1/complaints", headers=walk.auth("clerk"), json={
                "person_id": pid, "kind": rng.choice(["consultation", "complaint"]),
                "subject": rng.choice(["报销比例咨询", "复审时间咨询", "药店刷卡问题", "鉴定进度"])})
            states["complaints"] += 1
    # 3. Last month's claims from several institutions (hospitals and a pharmacy).
    month = last_month(today_cn())
    year, mon = int(month[:4]), int(month[5:])
    lines_by_inst: dict[str, list[dict[str, Any]]] = {i: [] for i in INSTITUTIONS[tenant]}
    for n, (pid, diseases) in enumerate(book):
        for c in range(rng.randrange(1, 4)):
            inst = rng.choice(INSTITUTIONS[tenant])
            day = date(year, mon, rng.randrange(1, 28)).isoformat()
            for disease in rng.sample(diseases, len(diseases)):
                amount = f"{rng.randrange(30, 1200)}.{rng.randrange(0, 100):02d}"
                lines_by_inst[inst].append({"claim_id": f"{inst}-{n}-{c}", "person_id": pid, "date": day,
                                            "disease": disease, "amount": amount, "covered": rng.random() > 0.06,
                                            "item_code": rng.choice(["D001", "D017", "T102", "HD01", "L050"])})
    closed = 0
    for inst, lines in lines_by_inst.items():
        if not lines:
            continue
        r = await walk.http.post(f"{url('settlement')}/v1/claims/batches", headers=walk.auth("institution", inst),
                                 json={"month": month, "batch_id": f"demo-{inst}-{month}", "lines": lines})
        r.raise_for_status()
    for inst, lines in lines_by_inst.items():  # smart review (智能审核) answers each upload before anything pays
        if lines:
            await walk.batch_reviewed(f"demo-{inst}-{month}")
    statements = (await walk.http.get(f"{url('settlement')}/v1/statements", headers=walk.auth("finance"),
                                      params={"month": month})).json()["statements"]
    for s in statements[:2]:  # two paid from the dedicated account, the rest left for the user
        # Their hits decided first (the others' stay open for the user at /v1/review/hits): duplicates refused.
        await walk.decide_hits(s, demo_decision)
        for step in ("close", "reconcile", "payments"):
            # Each step must succeed: a payment the account cannot cover is refused (409), and a demo with an
            # unfunded account would show nothing paid.
            await walk._ok(await walk.http.post(f"{url('settlement')}/v1/statements/{s['statement_id']}/{step}",
                                                headers=walk.auth("finance")))
        closed += 1
    await asyncio.sleep(1.0)  # let audit's read model take in the month's events
    await walk.http.post(f"{url('audit')}/v1/reports", headers=walk.auth("inspector"),
                         json={"kind": "monthly", "period": month})
    return {"book": len(book), "holdings": len(holdings), "claim_lines": sum(len(v) for v in lines_by_inst.values()),
            "statements_paid": closed, **states}


# ---- fund finance (专户) -----------------------------------------------------------------------------------------


def agency_tenant(program: Program, tenants: tuple[str, ...]) -> str:
    """The tenant whose token the agency supervisor carries: the program's lead carrier if served, else the first."""
    served = [t.tenant for t in program.tenants if t.tenant in tenants]
    leads = [t.tenant for t in program.tenants if t.tenant in served and t.lead]
    return (leads or served)[0]


async def fund_chronic(walk: Walk, program: Program, year: int) -> dict[str, str]:
    """The agency's initial allocation (年初预拨, 25% of the year's budget) into every served carrier's account;
    what each account received."""
    budget = await _budget(walk, program, year)
    ratio = Decimal(str(program.setting("finance", "initial_allocation_ratio")))
    amount = round_yuan(budget * ratio)
    day = min(date(year, 1, 6), today_cn())
    out = await walk.allocate(program.code, f"demo-{year}-initial", year, "initial", f"{amount:.2f}",
                              day.isoformat())
    return {e["tenant"]: e["amount"] for e in out["entries"]}


async def _budget(walk: Walk, program: Program, year: int) -> Decimal:
    """The year's budget as settlement sees it (the agency's, else program.yaml's); a year the program's data does
    not plan gets the latest planned budget, set by the agency."""
    r = await walk.http.get(f"{walk.url('settlement')}/v1/fund/budgets/{year}",
                            headers=walk.auth("supervisor", "agency", program.code))
    if r.status_code == 200:
        return Decimal(r.json()["amount"])
    try:  # the rule settlement applies without an agency-set budget (program.yaml's plan, or the premium)
        return budget_of(program, year)
    except InvalidInput:
        pass
    planned = {int(y): Decimal(str(v)) for y, v in (program.setting("finance", "annual_budget") or {}).items()}
    if not planned:
        raise FlowError(f"program {program.code} plans no annual budget")
    latest = planned[max(planned)]
    await walk._ok(await walk.http.put(f"{walk.url('settlement')}/v1/fund/budgets/{year}",
                                       headers=walk.auth("supervisor", "agency", program.code),
                                       json={"amount": f"{latest:.2f}"}))
    return latest


# ---- critical illness (大病保险) ------------------------------------------------------------------------------------

CI_INSTITUTIONS = {"H330802001": "inpatient", "H330802002": "inpatient", "H330881001": "inpatient",
                   "H330825001": "special_outpatient", "P330802101": "special_drug"}
CI_DISEASES = ["C34", "C16", "C18", "C50", "N18", "I63", "I21", "C22"]
OUT_OF_AREA = {"330100": "H330100001", "310000": "H310000001", "330200": "H330200001"}  # 杭州, 上海, 宁波


def ci_year(program: Program, today: date) -> int:
    """The current year, or the last year of the premium schedule (the policy's term) once it is over."""
    p = program.setting("finance", "premium") or {}
    last = int(p.get("base_year", 2025)) + int(p.get("years", 3)) - 1
    return min(today.year, last)


def _random_yuan(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)).scaleb(-2)


async def fund_critical(walk: Walk, program: Program, year: int, today: date) -> str:
    """The agency pays the premium (保费) into the account quarterly (choice of the demo): one allocation for each
    quarter begun, a quarter of the year's premium total (the budget settlement derives from program.yaml)."""
    budget = await _budget(walk, program, year)
    quarter = round_yuan(budget / 4)
    paid = Decimal("0.00")
    for q in range(4):
        day = date(year, 3 * q + 1, 1)  # paid as the quarter begins, so a demo started in early January is funded
        if day > today:
            break
        amount = quarter if q < 3 else budget - 3 * quarter  # the last quarter takes the rounding
        await walk.allocate(program.code, f"demo-{year}-premium-q{q + 1}", year, "initial" if q == 0 else "in_year",
                            f"{amount:.2f}", day.isoformat())
        paid += amount
    return f"{paid:.2f}"


async def seed_critical(walk: Walk, rng: random.Random, program: Program, persons: int) -> dict[str, int | str]:
    today = today_cn()
    year = ci_year(program, today)
    first, last = date(year, 1, 1), min(date(year, 12, 31), today)
    span = (last - first).days

    def day() -> date:
        return first + timedelta(days=rng.randrange(0, span + 1))

    allocated = await fund_critical(walk, program, year, last)
    counties = sorted(program.counties)
    people = [person_id(rng, rng.choice(counties)) for _ in range(persons)]
    # 1. The civil affairs list: assistance recipients (救助对象) from the start of the year.
    helped = people[::7]
    csv = "person_id,effective_from,assistance_recipient\n" + "".join(f"{p},{first},true\n" for p in helped)
    await walk.critical_assistance(csv)
    # 2. A year to date of claims from Quzhou institutions; about one person in four has a serious illness with
    #    large stays (those pass the deductible, pay, and fill the in-area review stratum).
    by_inst: dict[str, list[dict[str, Any]]] = {i: [] for i in CI_INSTITUTIONS}
    heavy = set(people[1::4])
    for n, pid in enumerate(people):
        disease = rng.choice(CI_DISEASES)
        for k in range(rng.randrange(1, 5)):
            inst = rng.choice(list(CI_INSTITUTIONS))
            care = CI_INSTITUTIONS[inst]
            heavy_stay = pid in heavy and care == "inpatient"
            self_pay = _random_yuan(rng, 9000, 42000) if heavy_stay else _random_yuan(rng, 300, 6000)
            total = round_yuan(self_pay / Decimal(rng.choice(["0.35", "0.42", "0.5", "0.6"])))
            by_inst[inst].append({"claim_id": f"{inst}-{year}-{n:03d}-{k}", "person_id": pid,
                                  "date": day().isoformat(), "care": care, "area": "in_area", "networked": True,
                                  "total_cost": f"{total:.2f}", "self_pay": f"{self_pay:.2f}", "disease": disease})
    payable = Decimal("0.00")
    opened = claims = 0
    for inst, batch in by_inst.items():
        if batch:
            out = await walk.critical_claims(inst, batch)
            payable += Decimal(out["total_payable"])
            opened += out["reviews_opened"]
            claims += len(batch)
    # 3. Provincial settlement records (省平台结算数据): stays settled elsewhere in Zhejiang and out of the province
    #    (networked), and a few in Quzhou.
    records = []
    for i, pid in enumerate(sorted(heavy)[:6]):
        admdvs = rng.choice(list(OUT_OF_AREA)) if i % 3 else "330802"
        part = _random_yuan(rng, 15000, 40000)
        ownpay = _random_yuan(rng, 500, 3000)
        records.append({"setl_id": f"PS{year}{i:04d}", "psn_no": pid, "setl_time": f"{day().isoformat()} 10:30:00",
                        "med_type": "21", "medfee_sumamt": f"{round_yuan(part * Decimal('1.8')):.2f}",
                        "psn_part_amt": f"{part:.2f}", "fulamt_ownpay_amt": f"{ownpay:.2f}", "overlmt_selfpay": "0.00",
                        "fixmedins_code": OUT_OF_AREA.get(admdvs, "H330802001"), "mdtrt_admdvs": admdvs,
                        "dise_codg": rng.choice(CI_DISEASES)})
    imported = await walk.critical_import(records)
    payable += Decimal(imported["total_payable"])
    opened += imported["reviews_opened"]
    # 4. One manual reimbursement (零星报销): a stay in a Shanghai hospital not settled through the network, with its
    #    invoice, expense list and discharge summary; at 50,000 or more every such claim is reviewed.
    traveller = people[2]
    manual = await walk.manual_claim({"person_id": traveller, "date": day().isoformat(), "care": "inpatient",
                                      "area": "out_of_area", "total_cost": "68000.00", "self_pay": "46000.00",
                                      "institution_code": "H310000002", "disease": "C34", "insutype": "310",
                                      "bank_account": {"bank_name": "中国农业银行衢州分行", "account_name": "demo",
                                                       "account_no": "6228480000000001"}})
    payable += Decimal(manual["payable"])
    opened += 1 if manual["review_required"] else 0
    # 5. A reviewer works a few of the open reviews (大额医疗费用核查); the rest stay on the worklist.
    worked = 0
    for i, review in enumerate((await walk.critical_reviews(year))[:4]):
        if i == 1 and Decimal(review["paid"]) > 0:
            recovered = round_yuan(Decimal(review["paid"]) / 10)
            await walk.review_outcome(review["review_id"], "adjusted", f"{recovered:.2f}", "重复收费，追回部分费用")
        else:
            await walk.review_outcome(review["review_id"], "confirmed", "0.00", "病历与费用清单相符")
        worked += 1
    statements = await settle_critical_statements(walk, year, today, manual.get("payable_id"))
    return {"persons": len(people), "assistance_recipients": len(helped), "claims": claims,
            "provincial_records": len(records), "manual_claims": 1, "total_payable": f"{payable:.2f}",
            "reviews_opened": opened, "reviews_worked": worked, "premium_allocated": allocated, **statements}


async def settle_critical_statements(walk: Walk, year: int, today: date, payable_id: str | None) -> dict[str, str]:
    """月度结算支付: every statement of a month already over is closed, reconciled (3201) and paid from the
    account, except the last two months' (one reconciled awaiting payment, one only closed); the current month's
    stay open. The manual reimbursement (零星报销) is paid to the person's bank account given with it."""
    base, fin = f"{walk.url('settlement')}/v1/critical", walk.auth("finance", "finance-1")
    from services.settlement.critical.domain.statements import month_over

    over = [m for m in range(1, 13) if month_over(f"{year}-{m:02d}", today)]
    states: dict[str, int] = {}
    for m in over:
        steps = ("close",) if m == over[-1] else ("close", "reconcile") if len(over) > 1 and m == over[-2] else (
            "close", "reconcile", "payments")
        listed = await walk._ok(await walk.http.get(f"{base}/statements", params={"month": f"{year}-{m:02d}"},
                                                    headers=fin))
        for statement in listed["statements"]:
            for step in steps:
                await walk._ok(await walk.http.post(f"{base}/statements/{statement['statement_id']}/{step}",
                                                    headers=fin))
            state = {"close": "closed", "reconcile": "reconciled", "payments": "paid"}[steps[-1]]
            states[state] = states.get(state, 0) + 1
    if payable_id:
        await walk._ok(await walk.http.post(f"{base}/person-payables/{payable_id}/payments", headers=fin))
    return {f"statements_{k}": str(v) for k, v in sorted(states.items())}


# ---- Xunyang chronic pilot (浔阳区门诊特殊慢性病) ------------------------------------------------------------------

XY_INSTITUTIONS = ["H360403101", "H360403102", "P360403201"]
XY_DISEASES = ["HTN"] * 4 + ["DM"] * 3 + ["CHD", "COPD", "MT", "DL"]
XY_DOCUMENTS = {"purchase_details": ("purchase-details.pdf", "application/pdf"),
                "settlement_sheet": ("settlement-sheet.pdf", "application/pdf"),
                "invoice": ("invoice.png", "image/png")}


def xy_fields(program: Program, rng: random.Random, today: date) -> dict[str, Any]:
    """The pilot's own fields of an application: the handling district (所属经办区) and the inpatient records of a
    level-2+ hospital within two years."""
    districts = sorted(program.setting("intake", "districts") or {})
    return {"district": rng.choice(districts),
            "inpatient_records": {"hospital": rng.choice(["H360402001", "H360403001"]),
                                  "hospital_level": rng.choice([2, 3]),
                                  "discharged_on": (today - timedelta(days=rng.randrange(20, 600))).isoformat()}}


async def seed_xunyang(walk: Walk, rng: random.Random, program: Program, persons: int,
                       applications: int) -> dict[str, int | str]:
    """The pilot running: the expert list approved by the district agency, applications in several states (results
    within 10 working days of submission), a migrated book and last month's claims whose statements carry their
    settlement documents, paid from the carrier's advance and reimbursed by the agency for the month's actual
    spending (按月据实拨付), a violation found, the month's report and a few satisfaction surveys."""
    url, code, today = walk.url, program.code, today_cn()
    agency = walk.auth("supervisor", "agency", code)
    await walk.load_policy(code)
    imported = await walk.import_experts(code)
    listed = imported.get("expert_list") or {}
    if listed.get("status") == "pending":  # 审核备案: the district agency approves the list before any draw
        await walk._ok(await walk.http.post(f"{url('appraisal')}/v1/expert-lists/{listed['list_id']}/approve",
                                            headers=agency, json={"note": "专家库审核通过，予以备案"}))
    counties = sorted(program.counties)
    # 1. Applications: most decided (qualified or not), one waiting for its review, one asked for documents.
    decided: list[tuple[str, str]] = []
    states = {"qualified": 0, "not_approved": 0, "submitted": 0, "documents_missing": 0, "awaiting_opinions": 0}
    for i in range(applications):
        pid = person_id(rng, counties[0])
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        kind = ("qualified", "qualified", "not_approved", "submitted", "qualified", "documents_missing")[i % 6]
        fields = xy_fields(program, rng, today)
        if kind == "documents_missing":
            app = await walk.submit(pid, name, rng.choice(XY_DISEASES), documents=("application_form",
                                    "medical_record"), role="applicant", channel="online", extra=fields,
                                    hospital="H360403001")
            await walk.review(app["application_id"], "missing", note="请补充身份证、社保卡照片")
        elif kind == "submitted":
            await walk.submit(pid, name, rng.choice(XY_DISEASES), role="applicant", channel="online", extra=fields,
                              hospital="H360403001")
        else:
            app = await walk.submit(pid, name, rng.choice(XY_DISEASES), role="applicant", channel="online",
                                    extra=fields, hospital="H360403001")
            await walk.review(app["application_id"], "complete")
            case = await walk.opinions(await walk.case(app["application_id"]), approve=kind == "qualified")
            outcome = "approved" if kind == "qualified" else "rejected"
            await walk.conclude(case["case_id"], outcome, "符合认定标准" if kind == "qualified" else "资料不支持诊断")
            decided.append((pid, app["application_id"]))
        states[kind] += 1
    # A case waiting for the demo expert's (`xy-c-expert`) opinion; the cases whose draw passed them by are decided.
    file = filer(walk, rng, counties[:1], role="applicant", channel="online", extra=xy_fields(program, rng, today),
                 hospital="H360403001")
    _, missed = await awaiting_opinion(walk, file, rng.choice(XY_DISEASES))
    for case in missed:
        case = await walk.opinions(case)
        await walk.conclude(case["case_id"], "approved", "符合认定标准")
        decided.append((case["person_id"], case["application_id"]))
    states["qualified"] += len(missed)
    states["awaiting_opinions"] = 1
    # 2. The migrated book and last month's claims from Xunyang institutions.
    book = [(person_id(rng, counties[0]), sorted({rng.choice(XY_DISEASES) for _ in range(rng.choice([1, 1, 2]))}))
            for _ in range(persons)]
    holdings = [{"person_id": pid, "disease": d, "granted_on": f"{rng.choice([2023, 2024])}-"
                 f"{rng.randrange(1, 13):02d}-{rng.randrange(1, 28):02d}"} for pid, ds in book for d in ds]
    await walk._ok(await walk.http.post(f"{url('settlement')}/v1/admin/holdings", json={"holdings": holdings},
                                        headers=walk.auth("ops")))
    month = last_month(today)
    year, mon = int(month[:4]), int(month[5:])
    lines: dict[str, list[dict[str, Any]]] = {i: [] for i in XY_INSTITUTIONS}
    for n, (pid, diseases) in enumerate(book):
        inst = rng.choice(XY_INSTITUTIONS)
        day = date(year, mon, rng.randrange(1, 28)).isoformat()
        for disease in diseases:
            lines[inst].append({"claim_id": f"{inst}-{n}", "person_id": pid, "date": day, "disease": disease,
                                "amount": f"{rng.randrange(50, 900)}.{rng.randrange(0, 100):02d}",
                                "covered": rng.random() > 0.05, "item_code": rng.choice(["D001", "D017", "T102"])})
    for inst, batch in lines.items():
        if batch:
            await walk._ok(await walk.http.post(
                f"{url('settlement')}/v1/claims/batches", headers=walk.auth("institution", inst),
                json={"month": month, "batch_id": f"demo-{inst}-{month}", "lines": batch}))
    for inst, batch in lines.items():  # smart review (智能审核) answers each upload before anything pays
        if batch:
            await walk.batch_reviewed(f"demo-{inst}-{month}")
    statements = (await walk._ok(await walk.http.get(f"{url('settlement')}/v1/statements", params={"month": month},
                                                     headers=walk.auth("finance"))))["statements"]
    for s in statements:  # every statement closes below: its hits decided first
        await walk.decide_hits(s, demo_decision)
    statements = (await walk._ok(await walk.http.get(f"{url('settlement')}/v1/statements", params={"month": month},
                                                     headers=walk.auth("finance"))))["statements"]
    # 3. Each institution hands in its settlement documents (购药明细, 结算表, 发票); the statements close.
    payable = Decimal("0.00")
    for s in statements:
        files = {kind: (name, PNG if ctype == "image/png" else PDF, ctype)
                 for kind, (name, ctype) in XY_DOCUMENTS.items()}
        await walk._ok(await walk.http.post(f"{url('settlement')}/v1/statements/{s['statement_id']}/documents",
                                            files=files, headers=walk.auth("institution", s["institution_code"])))
        for step in ("close", "reconcile"):
            await walk._ok(await walk.http.post(f"{url('settlement')}/v1/statements/{s['statement_id']}/{step}",
                                                headers=walk.auth("finance")))
        payable += Decimal(s["payable"])
    # 4. The carrier pays from its own float (垫付) before the agency's reimbursement, which then repays it.
    fund = f"{url('settlement')}/v1/fund"
    reimbursed = "0.00"
    if payable > 0:
        await walk._ok(await walk.http.post(f"{fund}/advances", headers=walk.auth("finance"), json={
            "advance_id": f"demo-float-{month}", "amount": f"{payable:.2f}", "date": today.isoformat(),
            "year": year, "memo": "承办方垫付当月待遇"}))
        for s in statements:
            await walk._ok(await walk.http.post(f"{url('settlement')}/v1/statements/{s['statement_id']}/payments",
                                                headers=walk.auth("finance")))
        out = await walk._ok(await walk.http.post(f"{fund}/allocations", headers=agency, json={
            "allocation_id": f"demo-{today:%Y-%m}-actual", "kind": "monthly_actual", "month": f"{today:%Y-%m}",
            "year": year, "date": today.isoformat()}))
        reimbursed = out["amount"]
        await walk._ok(await walk.http.post(f"{fund}/advances/demo-float-{month}/repayments",
                                            headers=walk.auth("finance"), json={
                                                "repayment_id": f"demo-float-{month}-back", "amount": reimbursed,
                                                "date": today.isoformat()}))
    # 5. A violation found on an on-site check, the month's report (with its violations section), and surveys.
    await walk._ok(await walk.http.post(f"{url('audit')}/v1/findings", headers=walk.auth("inspector"), json={
        "kind": "on_site", "person_id": book[0][0], "description": "药店超量开药（单次超过一个月用量）",
        "amount": "86.40"}))
    await asyncio.sleep(1.0)  # let audit's read model take in the month's events
    await walk.http.post(f"{url('audit')}/v1/reports", headers=walk.auth("inspector"),
                         json={"kind": "monthly", "period": month})
    questions = [q["code"] for q in program.setting("survey", "questions") or []]
    surveys = 0
    for pid, application_id in decided:
        answers = {q: rng.choice([3, 4, 4, 5, 5]) for q in questions}
        r = await walk.http.post(f"{url('intake')}/v1/applications/{application_id}/survey",
                                 headers=walk.auth("applicant", pid), json={"answers": answers,
                                                                            "comment": rng.choice(["", "办理很方便"])})
        surveys += r.status_code == 201
    return {**states, "book": len(book), "statements_paid": len(statements) if payable > 0 else 0,
            "month_payable": f"{payable:.2f}", "reimbursed": reimbursed, "surveys": surveys,
            "expert_list": listed.get("list_id", "")}


async def tenants_holding_data(url: Callable[[str], str], tokens: Tokens, tenants: tuple[str, ...]) -> list[str]:
    """The served tenants whose audit trail (稽核轨迹) already holds an event: the demo (or real work) is there. Seeding
    is not idempotent (a second run submits its applications again, then stops at a statement already paid), so the
    demo is loaded only into a platform where this is empty."""
    held = []
    async with httpx.AsyncClient(timeout=30) as http:
        for tenant in tenants:
            walk = Walk(url, tokens, http, tenant)
            trail = await walk._ok(await http.get(f"{url('audit')}/v1/trail", params={"limit": 1},
                                                  headers=walk.auth("inspector")))
            if trail["entries"]:
                held.append(tenant)
    return held


async def seed(url: Callable[[str], str], tokens: Tokens, tenants: tuple[str, ...], persons: int = 300,
               applications: int = 24, ci_persons: int = 80) -> dict[str, dict[str, int | str]]:
    """Seed every served tenant as its program's: Hanzhong chronic carriers (after the agency funds their accounts),
    the Quzhou critical illness carrier, the Xunyang pilot, the Wenzhou long-term care lots and the Karamay
    fund-supervision carrier. A tenant of no known program is left empty."""
    rng = random.Random(20251124)
    out: dict[str, dict[str, int | str]] = {}
    funded: dict[str, dict[str, str]] = {}
    month = last_month(today_cn())
    async with httpx.AsyncClient(timeout=60) as http:
        chronic = [t for t in tenants if (p := program_of_tenant(t)) is not None and p.code == "hz-chronic"]

        async def programs_before_ltc() -> None:
            for tenant in tenants:
                program = program_of_tenant(tenant)
                if program is None:
                    continue
                if program.code == "hz-chronic":
                    if program.code not in funded:  # one allocation, split by shares into every carrier's account
                        agency = Walk(url, tokens, http, agency_tenant(program, tenants))
                        funded[program.code] = await fund_chronic(agency, program, int(month[:4]))
                    share = persons if tenant == chronic[0] else persons * 2 // 3
                    counts: dict[str, int | str] = dict(await seed_tenant(Walk(url, tokens, http, tenant), rng, share,
                                                                          applications))
                    out[tenant] = {**counts, "fund_allocated": funded[program.code].get(tenant, "0.00")}
                elif program.code == "qz-critical":
                    out[tenant] = await seed_critical(Walk(url, tokens, http, tenant), rng, program, ci_persons)
                elif program.code == "xy-chronic":
                    out[tenant] = await seed_xunyang(Walk(url, tokens, http, tenant), rng, program,
                                                     max(persons // 10, 8), max(applications // 2, 6))

        async def wenzhou() -> None:
            lots = [t for t in tenants if (p := program_of_tenant(t)) is not None and p.code == LTC]
            if lots:  # the five Wenzhou lots at once, after the agency funds their accounts (jingban/ltc_demo.py)
                ltc = load_program(LTC)
                out.update(await seed_ltc(url, tokens, http, ltc, lots, agency_tenant(ltc, tenants)))

        async def karamay() -> None:
            for tenant in tenants:  # fund supervision (jingban/km_demo.py), each carrier of km-supervision
                if (p := program_of_tenant(tenant)) is not None and p.code == KM:
                    out[tenant] = await seed_km(url, tokens, http, tenant)

        # Long-term care and fund supervision meanwhile: their waits (events between the services) overlap the other
        # programs' work.
        await asyncio.gather(programs_before_ltc(), wenzhou(), karamay())
    return {t: out[t] for t in tenants if t in out}
