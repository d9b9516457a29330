"""Finance at its workbench (月度结算): a month's statement closed, reconciled with the provincial platform and paid
from the dedicated account (专户); and a statement of a fund year the agency never funded, refused for lack of money
(InsufficientFunds) — said as a person wants it: nothing paid, how much is short, what to do (advance, 垫付)."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.async_api import expect

from tests.browser.conftest import Stack, Ui
from tests.browser.statements import TENANT, Claims, show_month, statement_row, step, unfunded_statement

# The refused statement's claims (test_fund_year's are another month's, of another person).
REFUSED = Claims(seed=1402, id_prefix="BT-", batch_prefix="browser-", first_day=6, amounts=("860.00", "420.00"))


async def test_finance_pays_a_statement_and_is_refused_one_for_lack_of_funds(ui: Ui, stack: Stack) -> None:
    year = int(stack.business_date[:4])
    month = f"{year}-{int(stack.business_date[5:7]) - 1:02d}" if stack.business_date[5:7] != "01" else f"{year - 1}-12"
    short_month = f"{year - 1}-10"  # fund year year-1: never funded, its books still open to payments this year
    short_sid, short_payable = await unfunded_statement(stack, short_month, REFUSED)

    page = await ui.page()
    await ui.login(page, f"{TENANT}-finance")
    await expect(page).to_have_url(f"{ui.web}/finance/statements")
    await show_month(page, month)
    # The demo paid two of the month's statements and left the others open; one no smart-review hit holds (a
    # held line waits for a reviewer's decision, and its statement for it before closing).
    listed = await stack.http.get(f"{stack.url('settlement')}/v1/statements", params={"month": month},
                                  headers=stack.auth(TENANT, "finance"))
    sid = next(s["statement_id"] for s in listed.json()["statements"]
               if s["status"] == "open" and Decimal(s.get("held") or "0") == 0)
    await expect(statement_row(page, sid).get_by_test_id("statement-status")).to_have_attribute("data-status", "open")
    await ui.check(page, "statements")
    await step(page, sid, "statement-close", "closed")
    await step(page, sid, "statement-reconcile", "reconciled")
    await step(page, sid, "pay-button", "paid")
    await expect(page.get_by_test_id("statement-step-done")).to_contain_text(sid)
    await ui.check(page, "statement-paid")
    await statement_row(page, sid).get_by_test_id("statement-open").click()
    await expect(page).to_have_url(re.compile(rf"/finance/statements/chronic/{re.escape(sid)}$"))
    await expect(page.get_by_test_id("statement-status")).to_have_attribute("data-status", "paid")
    await ui.check(page, "statement")

    # Last year's statement: the account of that fund year holds nothing, so paying it is refused.
    await page.goto(f"{ui.web}/finance/statements")
    await show_month(page, short_month)
    await expect(statement_row(page, short_sid)).to_be_visible()
    await step(page, short_sid, "statement-close", "closed")
    await step(page, short_sid, "statement-reconcile", "reconciled")
    await statement_row(page, short_sid).get_by_test_id("pay-button").click()
    refusal = page.get_by_test_id("payment-refusal")
    await expect(refusal).to_be_visible()
    await expect(refusal).to_have_attribute("data-code", "insufficient_funds")
    await expect(refusal).to_have_attribute("data-statement-id", short_sid)
    await expect(refusal).to_contain_text("余额不足")  # 专户余额不足，本次支付未执行
    await expect(refusal).to_contain_text("垫付")  # what to do: the carrier advances the money, then pays again
    # How much is short, in the person's words and figures (the account holds nothing: the whole payable).
    await expect(page.get_by_test_id("payment-shortfall")).to_contain_text(f"{short_payable:,.2f}")
    await expect(statement_row(page, short_sid).get_by_test_id("statement-status")).to_have_attribute("data-status",
                                                                                           "reconciled")
    await ui.check(page, "payment-refused")
    paid = await stack.http.get(f"{stack.url('settlement')}/v1/payments", params={"month": short_month},
                                headers=stack.auth(TENANT, "finance"))
    assert paid.json()["payments"] == [], "a refused payment books nothing"
