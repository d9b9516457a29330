"""Who sees what, through the browser: the agency's supervisor sees both Hanzhong carriers of its program and not
Quzhou's; one carrier's clerk never sees the other carrier's queue (the tenant is the token's, whatever the page
asks for)."""

from __future__ import annotations

import re

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Response, expect

from tests.browser.conftest import Stack, Ui

HANZHONG = {"hz-p1", "hz-p2"}
QUZHOU = "qz-ci"


async def _tenants_listed(page: Page, testid: str) -> set[str]:
    holder = page.get_by_test_id(testid)
    await expect(holder).to_have_attribute("data-tenants", re.compile(r"\S"))
    return set(str(await holder.get_attribute("data-tenants")).split(","))


async def test_a_supervisor_sees_both_hanzhong_carriers_and_not_quzhou(ui: Ui, stack: Stack) -> None:
    page = await ui.page()
    await ui.login(page, "hz-p1-supervisor")
    await expect(page).to_have_url(f"{ui.web}/supervisor")
    # The year of the demo's books (the business date), whatever the browser's clock says.
    year = page.locator("#sv-year")
    await year.fill(stack.business_date[:4])
    async with page.expect_response(lambda r: "/api/settlement/v1/fund/accounts" in r.url):
        await page.get_by_role("button", name=re.compile("刷新|Refresh")).click()
    assert await _tenants_listed(page, "carrier-list") == HANZHONG
    await expect(page.get_by_test_id("carrier-row")).to_have_count(2)
    await ui.check(page, "supervisor-dashboard")

    # The month's fund operation report (序时进度) across the program's carriers: both, and nobody else.
    await page.locator("#rp-kind").select_option("monthly")
    await page.locator("#rp-period").fill(_last_month(stack.business_date))
    await page.get_by_test_id("produce-report").click()
    figures = page.get_by_test_id("report-figures")
    await expect(figures).to_be_visible()
    rows = figures.get_by_test_id("report-row")
    await expect(rows).to_have_count(3)  # hz-p1, hz-p2 and their total
    ids = {await r.get_attribute("data-id") for r in await rows.all()}
    assert HANZHONG <= ids and QUZHOU not in ids, ids
    await ui.check(page, "supervisor-report")

    # The dedicated accounts' ledger (not in the supervisor's menu, open to it): the program's two carriers to
    # choose from.
    await page.goto(f"{ui.web}/finance/ledger")
    choices = page.get_by_test_id("ledger-tenant").locator("option")
    await expect(choices).to_have_count(2)
    assert {await o.get_attribute("value") for o in await choices.all()} == HANZHONG
    await ui.check(page, "supervisor-ledger")
    assert QUZHOU not in await page.locator("body").inner_text()


async def test_hz_p2s_clerk_never_sees_hz_p1s_queue(ui: Ui, stack: Stack) -> None:
    # What hz-p1's queue holds (the demo's applications in every state), read through its own clerk's token.
    r = await stack.http.get(f"{stack.url('intake')}/v1/applications", params={"limit": 1000},
                             headers=stack.auth("hz-p1", "clerk"))
    r.raise_for_status()
    theirs = {a["application_id"] for a in r.json()}
    r = await stack.http.get(f"{stack.url('intake')}/v1/applications", params={"limit": 1000},
                             headers=stack.auth("hz-p2", "clerk"))
    r.raise_for_status()
    ours = {a["application_id"] for a in r.json()}
    assert theirs and ours and not theirs & ours

    page = await ui.page()
    # Every answer the services send this browser, read as it arrives, to look for hz-p1's applications in any.
    answers: list[tuple[str, str]] = []

    async def keep(response: Response) -> None:
        if "/api/" in response.url:
            try:
                answers.append((response.url, (await response.body()).decode("utf-8", "replace")))
            except PlaywrightError:  # no body (a redirect): nothing to read
                answers.append((response.url, ""))

    page.on("response", keep)
    await ui.login(page, "hz-p2-clerk")
    await expect(page).to_have_url(f"{ui.web}/clerk/queue")
    await expect(page.get_by_test_id("who-tenant")).to_have_attribute("data-tenant", "hz-p2")
    async with page.expect_response(lambda r: "/api/intake/v1/applications" in r.url and r.ok):
        await page.get_by_test_id("queue-status").select_option("")  # every state
    rows = page.get_by_test_id("queue-row")
    await expect(rows).to_have_count(len(ours))
    shown = {await row.get_attribute("data-id") for row in await rows.all()}
    assert shown == ours and not shown & theirs
    await ui.check(page, "hz-p2-queue")

    # hz-p1's application by its address: the service answers as for an application that does not exist.
    stranger = sorted(theirs)[0]
    await page.goto(f"{ui.web}/clerk/applications/{stranger}")
    await expect(page.get_by_test_id("error-message")).to_have_attribute("data-code", "not_found")
    await expect(page.get_by_test_id("application-facts")).to_have_count(0)
    await ui.check(page, "hz-p2-foreign-application")

    # Nor any of hz-p1's cases among the cases this clerk can open.
    async with page.expect_response(lambda r: "/api/appraisal/v1/cases" in r.url and r.ok) as answer:
        await page.get_by_test_id("nav-cases").click()
    cases = await (await answer.value).json()
    assert all(c["application_id"] in ours for c in cases)
    assert stranger not in await page.locator("main").inner_text()

    # Nothing of hz-p1's queue reached this browser at all: no answer names one of its applications (but the one
    # the address above asked for, in its "not found").
    assert len(answers) > 3
    for url, body in answers:
        leaked = [a for a in theirs if a in body and a not in url]
        assert not leaked, f"{url} answered hz-p2's clerk with hz-p1's applications {leaked[:3]}"


def _last_month(business_date: str) -> str:
    year, month = int(business_date[:4]), int(business_date[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
