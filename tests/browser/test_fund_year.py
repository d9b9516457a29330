"""Finance's account and year end (专户与年终清算) at the workbench: a payment refused for lack of funds, an advance
(垫付) recorded from the refusal's own link, seen in the account overview and the ledger, and the statement paid
again; the year-end view of a fund year with each amount beside the reasons the service gave (never recomputed);
a shared program's year refused to the carrier's finance (the agency closes it), a single carrier's year closed after
a confirmation — first refused for the figure it lacks, the field marked; and the other statement kinds' pages
(long-term care, critical-illness payables to persons), each checked by axe-core."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.async_api import Page, expect

from jingban.flow import Walk
from tests.browser.conftest import Stack, Ui
from tests.browser.statements import TENANT, Claims, show_month, statement_row, step, unfunded_statement

# The statement refused, advanced and paid here: a person and claim ids of its own (test_finance's refused statement is
# another month's).
ADVANCED = Claims(seed=1414, id_prefix="FY-", batch_prefix="browser-fy-", first_day=5, amounts=("640.00", "310.00"))


async def _premium_paid(stack: Stack, tenant: str, program: str, year: int) -> str:
    """The agency pays a corridor program's premium of `year` into the carrier's account (the demo funds the business
    date's year only), through its own door: the year's budget (the premium) as the service states it, an initial
    quarter and the rest in-year, dated the business day. The premium paid."""
    budget = await stack.http.get(f"{stack.url('settlement')}/v1/fund/budgets/{year}",
                                  headers=stack.auth(tenant, "finance"))
    assert budget.status_code == 200, budget.text
    whole = Decimal(budget.json()["amount"])
    quarter = (whole / 4).quantize(Decimal("0.01"))
    walk = Walk(stack.url, stack.platform.tokens, stack.http, tenant)
    for n, (kind, amount) in enumerate((("initial", quarter), ("in_year", whole - quarter))):
        await walk.allocate(program, f"browser-{year}-premium-{n}", year, kind, f"{amount:.2f}", stack.business_date)
    return f"{whole:.2f}"


async def _reasons_shown(page: Page, scope: str, reasons: list[dict[str, object]]) -> None:
    """Each reason the API gave, in `scope` (a data-testid): its code and its sentence as sent."""
    assert reasons, "the API gave no reasons to look for"
    box = page.get_by_test_id(scope)
    for r in reasons:
        item = box.locator(f"[data-testid=reason][data-code='{r['code']}']").first
        await expect(item).to_be_visible()
        await expect(item).to_contain_text(str(r["detail"]))


async def test_finance_advances_after_a_refusal_pays_again_and_reads_the_year_end(ui: Ui, stack: Stack) -> None:
    year = int(stack.business_date[:4]) - 1  # a fund year never funded, its books still open
    month = f"{year}-09"
    sid, payable = await unfunded_statement(stack, month, ADVANCED)

    page = await ui.page()
    await ui.login(page, f"{TENANT}-finance")
    await expect(page).to_have_url(f"{ui.web}/finance/statements")
    await show_month(page, month)
    await step(page, sid, "statement-close", "closed")
    await step(page, sid, "statement-reconcile", "reconciled")
    await statement_row(page, sid).get_by_test_id("pay-button").click()
    refusal = page.get_by_test_id("payment-refusal")
    await expect(refusal).to_have_attribute("data-statement-id", sid)
    short = payable  # the account of that year holds nothing: the whole payable is short
    await expect(page.get_by_test_id("payment-shortfall")).to_contain_text(f"{short:,.2f}")

    # The refusal's link opens the advance form filled with what it named: the shortfall and the fund year.
    await refusal.get_by_test_id("advance-link").click()
    await expect(page).to_have_url(re.compile(r"/finance/fund\?"))
    await expect(page.get_by_test_id("advance-amount")).to_have_value(f"{short:.2f}")
    await expect(page.get_by_test_id("advance-year")).to_have_value(str(year))
    await expect(page.get_by_test_id("fund-balance")).to_have_attribute("data-year", str(year))
    await page.get_by_test_id("advance-date").fill(stack.business_date)  # value dates are today or earlier
    await page.get_by_test_id("advance-memo").fill(f"垫付 {sid}")
    await ui.check(page, "fund-advance-form")
    await page.get_by_test_id("advance-submit").click()
    done = page.get_by_test_id("advance-done")
    await expect(done).to_be_visible()
    entry_id = await done.get_attribute("data-entry-id")
    assert entry_id and entry_id.startswith("advance:"), entry_id
    advance_id = entry_id.split(":", 1)[1]
    row = page.locator(f"[data-testid=advance-row][data-id='{advance_id}']")
    await expect(row).to_have_attribute("data-outstanding", f"{short:.2f}")
    await expect(page.get_by_test_id("fund-advances-outstanding")).to_contain_text(f"{short:,.2f}")
    await expect(page.get_by_test_id("trial-balance")).to_have_attribute("data-balanced", "true")
    await ui.check(page, "fund-overview")

    # The ledger of that year shows the advance as booked.
    await page.get_by_test_id("fund-ledger-link").click()
    await expect(page).to_have_url(f"{ui.web}/finance/ledger")
    async with page.expect_response(lambda r: "/api/settlement/v1/fund/ledger" in r.url and f"year={year}" in r.url):
        await page.locator("#lg-year").fill(str(year))
    await expect(page.locator(f"[data-testid=ledger-row][data-id='{entry_id}']")).to_contain_text(f"垫付 {sid}")
    await expect(page.get_by_test_id("balances")).to_contain_text(f"{short:,.2f}")
    await ui.check(page, "ledger-with-advance")

    # Back to the statement: paid this time.
    await page.goto(f"{ui.web}/finance/statements")
    await show_month(page, month)
    await step(page, sid, "pay-button", "paid")
    await ui.check(page, "paid-after-advance")

    # The year end of that fund year: open; the service fee's amounts beside the service's reasons, as sent.
    fee = await stack.http.get(f"{stack.url('settlement')}/v1/fund/service-fee", params={"year": year},
                               headers=stack.auth(TENANT, "finance"))
    assert fee.status_code == 200, fee.text
    await page.goto(f"{ui.web}/finance/year-end?year={year}")
    await expect(page.get_by_test_id("fund-year-status")).to_have_attribute("data-status", "open")
    await expect(page.get_by_test_id("service-fee-fee")).to_contain_text(f"{Decimal(fee.json()['fee']):,.2f}")
    await _reasons_shown(page, "service-fee", fee.json()["reason_codes"])
    await _reasons_shown(page, "service-fee", fee.json()["total_reimbursement_reason_codes"])
    await ui.check(page, "year-end-open")

    # Hanzhong's year is shared by two carriers: the agency closes it, the carrier's finance is refused — said so.
    await page.get_by_test_id("year-close-date").fill(stack.business_date)
    await page.get_by_test_id("year-close").click()
    await expect(page.get_by_test_id("year-close-confirmation")).to_be_visible()
    await ui.check(page, "year-end-confirm")
    await page.get_by_test_id("year-close-confirm").click()
    refused = page.get_by_test_id("year-close-error")
    await expect(refused).to_have_attribute("data-code", "shared_year_closed_by_agency")
    await expect(refused).to_contain_text("年终清算须由医保经办机构执行")
    await expect(refused).to_contain_text("hz-p1,hz-p2")  # the carriers the refusal names (its params)
    await expect(page.get_by_test_id("fund-year-status")).to_have_attribute("data-status", "open")
    await ui.check(page, "year-end-refused")
    still = await stack.http.get(f"{stack.url('settlement')}/v1/fund/years/{year}",
                                 headers=stack.auth(TENANT, "finance"))
    assert still.json()["status"] == "open", "a refused year end closes nothing"


async def test_a_single_carrier_closes_its_year_with_reasons_and_other_statement_kinds(ui: Ui, stack: Stack) -> None:
    year = int(stack.business_date[:4]) - 1
    page = await ui.page()
    await ui.login(page, "qz-ci-finance")
    await page.goto(f"{ui.web}/finance/year-end?year={year}")
    await expect(page.get_by_test_id("fund-year-status")).to_have_attribute("data-status", "open")
    await expect(page.get_by_test_id("service-fee-missing")).to_be_visible()  # the corridor program sets no fee

    # The corridor needs the year's administration cost: asked for without it, the service names the field.
    await page.get_by_test_id("year-close-date").fill(stack.business_date)
    await page.get_by_test_id("year-close").click()
    await page.get_by_test_id("year-close-confirm").click()
    refused = page.get_by_test_id("year-close-error")
    await expect(refused).to_have_attribute("data-code", "invalid_input")
    await expect(refused).to_contain_text("填写的内容有误，请检查标出的项目。")
    await expect(refused).to_contain_text("经办成本")  # the field, in the person's words
    await expect(page.get_by_test_id("year-close-admin-cost")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_test_id("field-error-admin_cost")).to_be_visible()
    await ui.check(page, "year-end-field-refused")

    # With it, after the confirmation, the year closes (the agency having paid that year's premium, which the fund
    # takes its part of back); every amount is shown with the reasons the service gave.
    await _premium_paid(stack, "qz-ci", "qz-critical", year)
    await page.get_by_test_id("year-close-admin-cost").fill("2000000.00")
    await page.get_by_test_id("year-close").click()
    await page.get_by_test_id("year-close-confirm").click()
    await expect(page.get_by_test_id("year-close-done")).to_be_visible()
    await expect(page.get_by_test_id("fund-year-status")).to_have_attribute("data-status", "closed")
    answer = await stack.http.get(f"{stack.url('settlement')}/v1/fund/years/{year}",
                                  headers=stack.auth("qz-ci", "finance"))
    closed = answer.json()
    assert closed["status"] == "closed" and closed["method"] == "corridor", closed
    account = closed["account"]
    await expect(page.get_by_test_id("year-account-result")).to_contain_text(f"{Decimal(account['result']):,.2f}")
    await expect(page.get_by_test_id("year-account-premium")).to_contain_text(f"{Decimal(account['premium']):,.2f}")
    await _reasons_shown(page, "year-account", account["reason_codes"])
    await _reasons_shown(page, "year-account", account["claims_reason_codes"])
    await ui.check(page, "year-end-closed")

    # Payables to persons (零星报销) of the critical-illness carrier.
    await page.get_by_test_id("nav-person-payables").click()
    await expect(page).to_have_url(f"{ui.web}/finance/person-payables")
    await expect(page.get_by_role("table")).to_be_visible()
    await ui.check(page, "person-payables")

    # A long-term care lot's statements: a month the demo priced, one statement's lines with the reasons and the
    # benefits version (政策版本) the service priced them under, as sent.
    month = await _care_month(stack)
    listed = await stack.http.get(f"{stack.url('settlement')}/v1/ltc/statements", params={"month": month},
                                  headers=stack.auth("wz-a", "finance"))
    sid = listed.json()["statements"][0]["statement_id"]
    one = (await stack.http.get(f"{stack.url('settlement')}/v1/ltc/statements/{sid}",
                                headers=stack.auth("wz-a", "finance"))).json()
    care = await ui.page()
    await ui.login(care, "wz-a-finance")
    await care.get_by_test_id("nav-ltc-statements").click()
    await expect(care).to_have_url(f"{ui.web}/finance/ltc")
    await care.wait_for_load_state("networkidle")
    async with care.expect_response(lambda r: "/api/settlement/v1/ltc/statements" in r.url and month in r.url):
        await care.get_by_test_id("ltc-month").fill(month)
    row = care.locator(f"[data-testid=ltc-statement-row][data-id='{sid}']")
    await expect(row).to_contain_text(one["benefits_version"])
    await row.get_by_test_id("ltc-statement-open").click()
    await expect(care.get_by_test_id("ltc-line")).to_have_count(len(one["lines"]))
    first = one["lines"][0]
    await expect(care.get_by_test_id("ltc-line").first).to_contain_text(first["benefits_version"])
    await _reasons_shown(care, "ltc-statement", first["reason_codes"])
    await ui.check(care, "ltc-statements")


async def _care_month(stack: Stack) -> str:
    """The latest month up to the business date's that has wz-a's care statements (the demo prices its months)."""
    year, month = int(stack.business_date[:4]), int(stack.business_date[5:7])
    for back in range(0, 4):
        y, m = (year, month - back) if month - back > 0 else (year - 1, month - back + 12)
        r = await stack.http.get(f"{stack.url('settlement')}/v1/ltc/statements", params={"month": f"{y}-{m:02d}"},
                                 headers=stack.auth("wz-a", "finance"))
        if r.status_code == 200 and r.json()["statements"]:
            return f"{y}-{m:02d}"
    raise AssertionError("the demo priced no care statement of wz-a in the last four months")
