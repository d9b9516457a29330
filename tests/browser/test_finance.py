"""Finance at its workbench (月度结算): a month's statement closed, reconciled with the provincial platform and paid
from the dedicated account (专户); and a statement of a fund year the agency never funded, refused for lack of money
(InsufficientFunds) — said as a person wants it: nothing paid, how much is short, what to do (advance, 垫付)."""

from __future__ import annotations

import random
import re
from decimal import Decimal

from playwright.async_api import Locator, Page, expect

from jingban.demo import person_id
from jingban.flow import Walk
from tests.browser.conftest import Stack, Ui
from tests.conftest import eventually

TENANT = "hz-p1"
INSTITUTION = "H610702001"  # one of the demo's hospitals in hz-p1


def _row(page: Page, statement_id: str) -> Locator:
    return page.locator(f"[data-testid=statement-row][data-id='{statement_id}']")


async def _show_month(page: Page, month: str) -> None:
    # The page's own first load (the browser's last month) answered first: a later answer for it would replace the
    # month asked for here (the page keeps whichever answer comes last).
    await page.wait_for_load_state("networkidle")
    async with page.expect_response(lambda r: "/api/settlement/v1/statements" in r.url and r.ok):
        await page.get_by_test_id("month-input").fill(month)


async def _step(page: Page, statement_id: str, testid: str, status: str) -> None:
    """One step of a statement from its row's buttons, and the state the row shows after it."""
    row = _row(page, statement_id)
    await row.get_by_test_id(testid).click()
    await expect(row.get_by_test_id("statement-status")).to_have_attribute("data-status", status)


async def _unfunded_statement(stack: Stack, month: str) -> tuple[str, Decimal]:
    """A hospital's month of claims in a fund year the agency has not funded (the demo funds only the business
    date's year), through the services' own doors: a person holding a qualification since January, their claims
    uploaded by the hospital and answered by smart review. The statement's id and what it will owe."""
    year = int(month[:4])
    person = person_id(random.Random(1402), "610702")
    r = await stack.http.post(f"{stack.url('settlement')}/v1/admin/holdings", headers=stack.auth(TENANT, "ops"),
                              json={"holdings": [{"person_id": person, "disease": "SCZ",
                                                  "granted_on": f"{year}-01-03"}]})
    assert r.status_code in (200, 201), r.text

    async def holds() -> bool:
        a = await stack.http.get(f"{stack.url('settlement')}/v1/persons/{person}/accumulators",
                                 params={"year": year}, headers=stack.auth(TENANT, "finance"))
        return a.status_code == 200 and bool(a.json()["accounts"])

    await eventually(holds, timeout=60, what=f"{person}'s holding in settlement")
    lines = [{"claim_id": f"BT-{n}", "person_id": person, "date": f"{month}-{6 + 7 * n:02d}", "disease": "SCZ",
              "amount": amount, "covered": True, "item_code": item, "description": "门诊"}
             for n, (amount, item) in enumerate((("860.00", "X01"), ("420.00", "T102")))]
    r = await stack.http.post(f"{stack.url('settlement')}/v1/claims/batches",
                              headers=stack.auth(TENANT, "institution", INSTITUTION),
                              json={"month": month, "batch_id": f"browser-{INSTITUTION}-{month}", "lines": lines})
    assert r.status_code in (200, 201), r.text
    await Walk(stack.url, stack.platform.tokens, stack.http, TENANT).batch_reviewed(r.json()["batch_id"])
    sid = f"{INSTITUTION}-{month}"
    st = await stack.http.get(f"{stack.url('settlement')}/v1/statements/{sid}", headers=stack.auth(TENANT, "finance"))
    assert st.status_code == 200 and Decimal(st.json()["payable"]) > 0, st.text
    return sid, Decimal(st.json()["payable"])


async def test_finance_pays_a_statement_and_is_refused_one_for_lack_of_funds(ui: Ui, stack: Stack) -> None:
    year = int(stack.business_date[:4])
    month = f"{year}-{int(stack.business_date[5:7]) - 1:02d}" if stack.business_date[5:7] != "01" else f"{year - 1}-12"
    short_month = f"{year - 1}-10"  # fund year year-1: never funded, its books still open to payments this year
    short_sid, short_payable = await _unfunded_statement(stack, short_month)

    page = await ui.page()
    await ui.login(page, f"{TENANT}-finance")
    await expect(page).to_have_url(f"{ui.web}/finance/statements")
    await _show_month(page, month)
    # The demo paid two of the month's statements and left the others open; one no smart-review hit holds (a
    # held line waits for a reviewer's decision, and its statement for it before closing).
    listed = await stack.http.get(f"{stack.url('settlement')}/v1/statements", params={"month": month},
                                  headers=stack.auth(TENANT, "finance"))
    sid = next(s["statement_id"] for s in listed.json()["statements"]
               if s["status"] == "open" and Decimal(s.get("held") or "0") == 0)
    await expect(_row(page, sid).get_by_test_id("statement-status")).to_have_attribute("data-status", "open")
    await ui.check(page, "statements")
    await _step(page, sid, "statement-close", "closed")
    await _step(page, sid, "statement-reconcile", "reconciled")
    await _step(page, sid, "pay-button", "paid")
    await expect(page.get_by_test_id("statement-step-done")).to_contain_text(sid)
    await ui.check(page, "statement-paid")
    await _row(page, sid).get_by_test_id("statement-open").click()
    await expect(page).to_have_url(re.compile(rf"/finance/statements/chronic/{re.escape(sid)}$"))
    await expect(page.get_by_test_id("statement-status")).to_have_attribute("data-status", "paid")
    await ui.check(page, "statement")

    # Last year's statement: the account of that fund year holds nothing, so paying it is refused.
    await page.goto(f"{ui.web}/finance/statements")
    await _show_month(page, short_month)
    await expect(_row(page, short_sid)).to_be_visible()
    await _step(page, short_sid, "statement-close", "closed")
    await _step(page, short_sid, "statement-reconcile", "reconciled")
    await _row(page, short_sid).get_by_test_id("pay-button").click()
    refusal = page.get_by_test_id("payment-refusal")
    await expect(refusal).to_be_visible()
    await expect(refusal).to_have_attribute("data-code", "insufficient_funds")
    await expect(refusal).to_have_attribute("data-statement-id", short_sid)
    await expect(refusal).to_contain_text("余额不足")  # 专户余额不足，本次支付未执行
    await expect(refusal).to_contain_text("垫付")  # what to do: the carrier advances the money, then pays again
    # How much is short, in the person's words and figures (the account holds nothing: the whole payable).
    await expect(page.get_by_test_id("payment-shortfall")).to_contain_text(f"{short_payable:,.2f}")
    await expect(_row(page, short_sid).get_by_test_id("statement-status")).to_have_attribute("data-status",
                                                                                           "reconciled")
    await ui.check(page, "payment-refused")
    paid = await stack.http.get(f"{stack.url('settlement')}/v1/payments", params={"month": short_month},
                                headers=stack.auth(TENANT, "finance"))
    assert paid.json()["payments"] == [], "a refused payment books nothing"
