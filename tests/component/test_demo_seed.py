"""The `make run` demo on the embedded platform (smaller sizes): every served tenant seeded as its program's — the
Hanzhong accounts funded before their statements are paid from them, qz-ci as a critical illness carrier with its
premium in the account, claims, a manual reimbursement and reviews worked — and the tenants kept apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from chassis.calendar import today_cn
from chassis.programs import load_program
from jingban.demo import last_month, seed
from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset
from tests.support import tokens

TENANTS = ("hz-p1", "hz-p2", "qz-ci")


@pytest.fixture(scope="module")
async def seeded() -> AsyncIterator[tuple[EmbeddedPlatform, dict[str, dict[str, Any]]]]:
    platform = EmbeddedPlatform(env={"JINGBAN_TENANTS": ",".join(TENANTS)}, port_offset=embedded_port_offset())
    await platform.start()
    try:
        created = await seed(platform.url, platform.tokens, TENANTS, persons=40, applications=6, ci_persons=30)
        yield platform, created
    finally:
        await platform.stop()


def agency(tenant: str, program: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens.user_token(tenant, 'supervisor', 'agency', program=program)}"}


async def test_chronic_accounts_funded_and_statements_paid_from_them(
        seeded: tuple[EmbeddedPlatform, dict[str, dict[str, Any]]]) -> None:
    platform, created = seeded
    assert created["hz-p1"]["statements_paid"] == 2 and created["hz-p2"]["statements_paid"] == 2
    p1, p2 = Decimal(created["hz-p1"]["fund_allocated"]), Decimal(created["hz-p2"]["fund_allocated"])
    assert p1 > 0 and p1 * 4 == p2 * 6  # one allocation split 6:4
    url = platform.url("settlement")
    year = int(last_month(today_cn())[:4])  # the fund year of the statements paid
    async with httpx.AsyncClient(timeout=20) as http:
        r = await http.get(f"{url}/v1/fund/budgets/{year}", headers=agency("hz-p1", "hz-chronic"))
        planned = load_program("hz-chronic").setting("finance", "annual_budget")
        budget = Decimal(r.json()["amount"]) if r.status_code == 200 else Decimal(planned[str(year)])
        assert p1 + p2 == (budget * Decimal("0.25")).quantize(Decimal("0.01"))  # the initial 25%
        accounts = (await http.get(f"{url}/v1/fund/accounts", params={"year": year},
                                   headers=agency("hz-p1", "hz-chronic"))).json()["accounts"]
        assert [a["tenant"] for a in accounts] == ["hz-p1", "hz-p2"]  # the program's tenants, never qz-ci
        for account in accounts:
            balances = account["balances"]
            assert Decimal(balances["benefits_paid"]) > 0
            assert Decimal(balances["bank"]) == Decimal(balances["fund_payable"]) - Decimal(balances["benefits_paid"])
        for tenant in ("hz-p1", "hz-p2"):
            rec = (await http.get(f"{url}/v1/fund/reconciliation", params={"year": year},
                                  headers=auth(tenant, "finance"))).json()
            assert rec["balanced"] is True and rec["statements_paid"] == rec["payments_booked"] != "0.00"
        # another program's supervisor does not see Hanzhong's books
        r = await http.get(f"{url}/v1/fund/ledger", params={"year": year, "tenant": "hz-p1"},
                           headers=agency("qz-ci", "qz-critical"))
        assert r.status_code == 404


async def test_critical_tenant_seeded_as_critical_illness(
        seeded: tuple[EmbeddedPlatform, dict[str, dict[str, Any]]]) -> None:
    platform, created = seeded
    ci = created["qz-ci"]
    assert ci["persons"] == 30 and ci["manual_claims"] == 1 and ci["claims"] > 30
    assert Decimal(ci["total_payable"]) > 0 and ci["reviews_opened"] >= ci["reviews_worked"] >= 1
    assert "book" not in ci  # not seeded as a chronic tenant
    url = platform.url("settlement")
    async with httpx.AsyncClient(timeout=20) as http:
        reviews = (await http.get(f"{url}/v1/critical/reviews", headers=auth("qz-ci", "reviewer"))).json()["reviews"]
        assert len(reviews) == ci["reviews_opened"]
        assert sum(1 for r in reviews if r["status"] == "completed") == ci["reviews_worked"]
        assert any(r["stratum"] == "out_of_area_50k" for r in reviews)  # the manual reimbursement, ≥ 50,000
        year = reviews[0]["year"]
        quotas = (await http.get(f"{url}/v1/critical/quotas", params={"year": year},
                                 headers=auth("qz-ci", "supervisor"))).json()["strata"]
        assert all(s["selection_met"] for s in quotas) and sum(s["population"] for s in quotas) >= 2
        account = (await http.get(f"{url}/v1/fund/accounts", params={"year": year},
                                  headers=auth("qz-ci", "finance"))).json()["accounts"]
        # the premium paid in, less the statements and the manual reimbursement paid, plus what reviews recovered
        [balances] = [a["balances"] for a in account]
        assert Decimal(balances["bank"]) == Decimal(ci["premium_allocated"]) - Decimal(balances["benefits_paid"]) \
            + Decimal(balances["recoveries"])
        if today_cn().month >= 4 or int(year) < today_cn().year:  # three months over: the first one's are paid
            assert Decimal(balances["benefits_paid"]) > 0 and int(ci.get("statements_paid", "0")) > 0
        # the chronic carriers see nothing of it
        person = reviews[0]["person_id"]
        r = await http.get(f"{url}/v1/critical/persons/{person}/account", params={"year": year},
                           headers=auth("hz-p1", "clerk"))
        assert r.status_code == 404
