"""Demo data for a first look (`make run`): a running Hanzhong chronic-disease program in both carriers'
tenants, loaded through the platform's own HTTP doors — a migrated book of qualified persons, live
applications in every state, a month of claims from several institutions with statements in each
state, complaints, and the month's report."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx

from chassis.calendar import today_cn
from jingban.flow import Walk

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["建国", "秀兰", "德明", "丽", "海燕", "志强", "桂英", "文华", "玉梅", "国庆", "春生", "淑珍", "红梅", "永福",
         "晓燕", "建军", "金凤", "伟", "静", "明"]
COUNTIES = {"hz-p1": ["610702", "610703", "610722", "610723", "610724"],
            "hz-p2": ["610725", "610726", "610727", "610728", "610729"]}
INSTITUTIONS = {"hz-p1": ["H610702001", "H610702002", "H610703001", "P610702101"],
                "hz-p2": ["H610725001", "H610726001", "H610727001", "P610725101"]}
DISEASE_MIX = ["HTN"] * 30 + ["DM"] * 20 + ["CHD"] * 12 + ["COPD"] * 10 + ["HF"] * 6 + ["SCZ"] * 5 + \
    ["MT"] * 7 + ["OT"] * 3 + ["DL"] * 7


def person_id(rng: random.Random, county: str) -> str:
    birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
    body = f"{county}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * x for d, x in zip(body, w, strict=True)) % 11]


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
        elif kind == "awaiting_opinions":
            app = await walk.submit(pid, name, disease)
            await walk.review(app["application_id"], "complete")
            case = await walk.case(app["application_id"])
            await walk.opinions({**case, "assigned": case["assigned"][:1]})
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
    statements = (await walk.http.get(f"{url('settlement')}/v1/statements", headers=walk.auth("finance"),
                                      params={"month": month})).json()["statements"]
    for s in statements[:2]:  # two paid, the rest left for the user to close, reconcile and pay
        for step in ("close", "reconcile", "payments"):
            r = await walk.http.post(f"{url('settlement')}/v1/statements/{s['statement_id']}/{step}",
                                     headers=walk.auth("finance"))
            if r.status_code >= 400:
                break
        closed += 1
    await asyncio.sleep(1.0)  # let audit's read model take in the month's events
    await walk.http.post(f"{url('audit')}/v1/reports", headers=walk.auth("inspector"),
                         json={"kind": "monthly", "period": month})
    return {"book": len(book), "holdings": len(holdings), "claim_lines": sum(len(v) for v in lines_by_inst.values()),
            "statements_paid": closed, **states}


async def seed(url: Callable[[str], str], secret: str, tenants: tuple[str, ...], persons: int = 300,
               applications: int = 24) -> dict[str, dict[str, int]]:
    rng = random.Random(20251124)
    out: dict[str, dict[str, int]] = {}
    async with httpx.AsyncClient(timeout=60) as http:
        for tenant in tenants:
            share = persons if tenant == tenants[0] else persons * 2 // 3
            out[tenant] = await seed_tenant(Walk(url, secret, http, tenant), rng, share, applications)
    return out
