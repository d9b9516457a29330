"""What the finance browser tests share: a statement's row and its steps on the statements page, and a statement of a
fund year the agency never funded, made through the services' own doors."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from playwright.async_api import Locator, Page, expect

from jingban.demo import person_id
from jingban.flow import Walk
from tests.browser.conftest import Stack
from tests.conftest import eventually

TENANT = "hz-p1"
INSTITUTION = "H610702001"  # one of the demo's hospitals in hz-p1


@dataclass(frozen=True)
class Claims:
    """A test's own two claims (a drug, then a service) of one person: the person's seed, the claim ids' and the
    batch id's prefixes, the first claim's day of the month (the second a week later) and the two amounts."""

    seed: int
    id_prefix: str
    batch_prefix: str
    first_day: int
    amounts: tuple[str, str]


def statement_row(page: Page, statement_id: str) -> Locator:
    return page.locator(f"[data-testid=statement-row][data-id='{statement_id}']")


async def show_month(page: Page, month: str) -> None:
    # The page's own first load (the browser's last month) answered first: a later answer for it would replace the
    # month asked for here (the page keeps whichever answer comes last).
    await page.wait_for_load_state("networkidle")
    async with page.expect_response(lambda r: "/api/settlement/v1/statements" in r.url and r.ok):
        await page.get_by_test_id("month-input").fill(month)


async def step(page: Page, statement_id: str, testid: str, status: str) -> None:
    """One step of a statement from its row's buttons, and the state the row shows after it."""
    row_ = statement_row(page, statement_id)
    await row_.get_by_test_id(testid).click()
    await expect(row_.get_by_test_id("statement-status")).to_have_attribute("data-status", status)


async def unfunded_statement(stack: Stack, month: str, claims: Claims) -> tuple[str, Decimal]:
    """A hospital's month of claims in a fund year the agency has not funded (the demo funds only the business
    date's year), through the services' own doors: a person holding a qualification since January, their claims
    uploaded by the hospital and answered by smart review. The statement's id and what it will owe. Each test names
    its own `claims` (a person, claim ids and amounts of its own), so the tests' statements never meet."""
    year = int(month[:4])
    person = person_id(random.Random(claims.seed), "610702")
    r = await stack.http.post(f"{stack.url('settlement')}/v1/admin/holdings", headers=stack.auth(TENANT, "ops"),
                              json={"holdings": [{"person_id": person, "disease": "SCZ",
                                                  "granted_on": f"{year}-01-03"}]})
    assert r.status_code in (200, 201), r.text

    async def holds() -> bool:
        a = await stack.http.get(f"{stack.url('settlement')}/v1/persons/{person}/accumulators",
                                 params={"year": year}, headers=stack.auth(TENANT, "finance"))
        return a.status_code == 200 and bool(a.json()["accounts"])

    await eventually(holds, timeout=60, what=f"{person}'s holding in settlement")
    lines = [{"claim_id": f"{claims.id_prefix}{n}", "person_id": person,
              "date": f"{month}-{claims.first_day + 7 * n:02d}", "disease": "SCZ", "amount": amount, "covered": True,
              "item_code": item, "description": "门诊"}
             for n, (amount, item) in enumerate(zip(claims.amounts, ("X01", "T102"), strict=True))]
    r = await stack.http.post(f"{stack.url('settlement')}/v1/claims/batches",
                              headers=stack.auth(TENANT, "institution", INSTITUTION),
                              json={"month": month, "batch_id": f"{claims.batch_prefix}{INSTITUTION}-{month}",
                                    "lines": lines})
    assert r.status_code in (200, 201), r.text
    await Walk(stack.url, stack.platform.tokens, stack.http, TENANT).batch_reviewed(r.json()["batch_id"])
    sid = f"{INSTITUTION}-{month}"
    st = await stack.http.get(f"{stack.url('settlement')}/v1/statements/{sid}", headers=stack.auth(TENANT, "finance"))
    assert st.status_code == 200 and Decimal(st.json()["payable"]) > 0, st.text
    return sid, Decimal(st.json()["payable"])
