"""The agency's supervisor (医保局) watching Hanzhong's chronic-disease program across its two carriers, in the
browser: each carrier's applications and appraisal clocks (the overdue count and the next due date as appraisal
gives them), the budget burn against the year elapsed (序时进度) for both carriers from the month's fund operation
report, a warning of the other carrier with its written report's due date, and reports downloaded as PNG and Excel
(the saved files are what they claim: PNG's signature, a workbook's zip)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from playwright.async_api import Download, Page, expect

from tests.browser.conftest import Stack, Ui

HANZHONG = ("hz-p1", "hz-p2")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _last_month(business_date: str) -> str:
    year, month = int(business_date[:4]), int(business_date[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


async def _saved(download: Download) -> bytes:
    path = await download.path()
    assert path is not None, "the download was not saved"
    return await asyncio.to_thread(Path(path).read_bytes)


async def _download(page: Page, testid: str, scope_testid: str | None = None) -> tuple[str, bytes]:
    holder = page.get_by_test_id(scope_testid) if scope_testid else page
    async with page.expect_download() as info:
        await holder.get_by_test_id(testid).first.click()
    download = await info.value
    return download.suggested_filename, await _saved(download)


async def test_the_agency_watches_both_hanzhong_carriers(ui: Ui, stack: Stack) -> None:
    agency = stack.auth("hz-p1", "supervisor", "agency-browser", program="hz-chronic")
    # A warning raised by hz-p2's inspector: the agency, logged in through hz-p1, must see it with its due date.
    r = await stack.http.post(f"{stack.url('audit')}/v1/warnings", headers=stack.auth("hz-p2", "inspector"),
                              json={"kind": "spending_growth", "description": "包2 本月门诊慢特病支出环比增长 45%"})
    assert r.status_code == 201, r.text
    warning = r.json()
    assert warning["due_on"]

    # What appraisal says of each carrier's clocks, read with the agency's own token (the page must show the same).
    clocks: dict[str, tuple[int, str]] = {}
    for tenant in HANZHONG:
        r = await stack.http.get(f"{stack.url('appraisal')}/v1/alerts/overdue", params={"tenant": tenant},
                                 headers=agency)
        assert r.status_code == 200, r.text
        overdue = len(r.json())
        r = await stack.http.get(f"{stack.url('appraisal')}/v1/cases", params={"tenant": tenant, "limit": 2000},
                                 headers=agency)
        assert r.status_code == 200, r.text
        dues = []
        for case in r.json():
            due = (case.get("deadline") or {}).get("due_on") or case.get("due_on")
            if case["status"] != "concluded" and due:
                dues.append(due)
        dues.sort()
        clocks[tenant] = (overdue, dues[0] if dues else "—")
    assert any(d != "—" for _, d in clocks.values()), clocks  # the demo leaves cases open in both carriers

    page = await ui.page()
    await ui.login(page, "hz-p1-supervisor")
    await expect(page).to_have_url(f"{ui.web}/supervisor")
    month = _last_month(stack.business_date)
    await page.locator("#sv-year").fill(stack.business_date[:4])
    await page.locator("#sv-month").fill(month)
    async with page.expect_response(lambda r: "/api/settlement/v1/fund/accounts" in r.url and r.ok):
        await page.get_by_role("button", name=re.compile("刷新|Refresh")).click()
    await expect(page.get_by_test_id("carrier-row")).to_have_count(2)

    # Applications and appraisal clocks, per carrier.
    rows = page.get_by_test_id("clock-row")
    await expect(rows).to_have_count(2)
    for tenant, (overdue, next_due) in clocks.items():
        row = page.locator(f"[data-testid=clock-row][data-id='{tenant}']")
        await expect(row.get_by_test_id("clock-overdue")).to_have_attribute("data-count", str(overdue))
        await expect(row.get_by_test_id("clock-next-due")).to_have_text(next_due)
    await ui.check(page, "supervisor-clocks")

    # 序时进度: the month's fund operation report gives it; produced here when the month has none yet.
    progress = page.get_by_test_id("budget-progress").or_(page.get_by_test_id("produce-burn"))
    await expect(progress).to_be_visible()
    if await page.get_by_test_id("produce-burn").is_visible():
        await page.get_by_test_id("produce-burn").click()
    burn = page.get_by_test_id("budget-progress")
    await expect(burn).to_have_attribute("data-tenants", ",".join(HANZHONG))
    await expect(burn.get_by_test_id("budget-row")).to_have_count(3)  # both carriers and the program's total
    report_id = await burn.get_attribute("data-id")
    r = await stack.http.get(f"{stack.url('audit')}/v1/operation-reports/{report_id}", headers=agency)
    assert r.status_code == 200, r.text
    figures = r.json()["figures"]
    for tenant in HANZHONG:
        budget = figures["by_tenant"][tenant]["budget"]
        row = burn.locator(f"[data-testid=budget-row][data-id='{tenant}']")
        assert budget["budget"] and budget["spent_share"] is not None, budget
        await expect(row.get_by_test_id("budget-elapsed-share")).to_have_text(_percent(budget["elapsed_share"]))
        await expect(row.get_by_test_id("budget-spent-share")).to_have_text(_percent(budget["spent_share"]))
    await expect(page.get_by_test_id("burn-chart")).to_be_visible()
    await ui.check(page, "supervisor-burn")

    # The quotas: none for a chronic-disease program, said so.
    await expect(page.get_by_test_id("quota-panel")).to_have_attribute("data-family", "chronic")
    await expect(page.get_by_test_id("quota-none")).to_be_visible()

    # hz-p2's warning with its written report's due date.
    shown = page.locator(f"[data-testid=warning-row][data-id='{warning['warning_id']}']")
    await expect(shown.get_by_test_id("warning-due-on")).to_have_text(warning["due_on"])
    await expect(shown).to_contain_text("包2")
    await shown.scroll_into_view_if_needed()
    await ui.check(page, "supervisor-warnings")

    # The month's fund operation report over the program, its chart and workbook downloaded with progress.
    await page.locator("#rp-kind").select_option("monthly")
    await page.locator("#rp-period").fill(month)
    await page.get_by_test_id("produce-report").click()
    report = page.get_by_test_id("report-figures")
    await expect(report.get_by_test_id("report-row")).to_have_count(3)
    name, body = await _download(page, "download-chart", "report-figures")
    assert name.endswith(".png") and body.startswith(PNG_MAGIC), (name, body[:8])
    await expect(report.get_by_test_id("download-done")).to_be_visible()
    name, body = await _download(page, "download-workbook", "report-figures")
    assert name.endswith(".xlsx") and body.startswith(b"PK\x03\x04"), (name, body[:8])
    await expect(report.get_by_test_id("download-progress-box")).to_have_attribute("data-phase", "done")
    await ui.check(page, "supervisor-report-downloaded")

    # hz-p2's own monthly report (its inspector's), read and downloaded by the agency.
    await page.get_by_test_id("carrier-report-tenant").select_option("hz-p2")
    carrier_rows = page.get_by_test_id("carrier-report-row")
    await expect(carrier_rows.first).to_be_visible()
    name, body = await _download(page, "carrier-report-workbook")
    assert name.startswith("hz-p2-") and name.endswith(".xlsx") and body.startswith(b"PK\x03\x04"), (name, body[:8])
    name, body = await _download(page, "carrier-report-chart")
    assert name.startswith("hz-p2-") and body.startswith(PNG_MAGIC), (name, body[:8])
    await ui.check(page, "supervisor-carrier-reports")

    # Nothing of Quzhou's anywhere on the page.
    assert "qz-ci" not in await page.locator("main").inner_text()


def _percent(share: str) -> str:
    """How the page writes the API's share ("0.8333" → "83.33%"): the digits moved, nothing rounded."""
    whole, _, frac = share.partition(".")
    frac = frac.ljust(2, "0")
    rest = frac[2:]
    return f"{int(whole + frac[:2])}{'.' + rest if rest else ''}%"
