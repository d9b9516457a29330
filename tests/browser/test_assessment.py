"""Disability assessment on a tablet (失能等级评定, 平板) and the reviewer's re-reviews and filings (复审与备案).

A Wenzhou lot A assessor — a member of the lot's assessor pool, drawn for one of the demo's open assessments (the
token's subject is the pool id, as the draw names it) — opens their task on a 768 × 1024 tablet, sees the random draw
that chose them (seed, candidates), records the home visit with a photo (compressed in the browser, its upload
progress shown), scores the scale's items as appraisal's GET /v1/ltc/scale gives them (a missing item refused and
marked first), and reads the conclusion notice exactly as the service answers it. A Hanzhong reviewer opens the
re-review worklist and the provincial filings; a lot A clerk the eligibility re-checks. Every new page passes axe."""

from __future__ import annotations

import random
import re
import struct
import zlib
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from jingban.ltc_flow import severe_scores
from tests.browser.conftest import Stack, Ui

LOT = "wz-a"
REVIEWER_TENANT = "hz-p1"
# An iPad-sized tablet held upright, touch first.
TABLET: dict[str, Any] = {"viewport": {"width": 768, "height": 1024}, "device_scale_factor": 2, "is_mobile": True,
                          "has_touch": True}


def _noise_png(width: int, height: int, seed: int = 14) -> bytes:
    """A photo-sized PNG of noise (it does not compress): big enough for the page to shrink it and for its upload to
    report progress."""
    rng = random.Random(seed)
    raw = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 1))
            + chunk(b"IEND", b""))


async def _open_assessment(stack: Stack) -> dict[str, Any]:
    """One of the lot's first assessments drawn and not yet visited (the demo leaves a few), as the clerk lists it."""
    r = await stack.http.get(f"{stack.url('appraisal')}/v1/ltc/assessments", params={"status": "open",
                             "kind": "initial"}, headers=stack.auth(LOT, "clerk"))
    assert r.status_code == 200, r.text
    found = [a for a in r.json() if len(a["assessors"]) == 2]
    assert found, f"the demo of {LOT} left no open assessment"
    return dict(found[-1])


async def _tablet(ui: Ui) -> Page:
    context = await ui.browser.new_context(**TABLET, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(60_000)
    context.set_default_navigation_timeout(60_000)
    ui.contexts.append(context)  # closed (and captured on failure) with the test's other pages
    return await context.new_page()


async def test_an_assessor_visits_scores_and_reads_the_notice_on_a_tablet(ui: Ui, stack: Stack,
                                                                          tmp_path: Path) -> None:
    a = await _open_assessment(stack)
    aid, assessor = a["assessment_id"], a["assessors"][0]
    page = await _tablet(ui)
    await ui.sign_in_as(page, LOT, "expert", assessor)
    await page.goto(f"{ui.web}/")
    # A long-term care lot's assessor starts at their assessment tasks.
    await expect(page).to_have_url(f"{ui.web}/ltc/assessments")
    await expect(page.get_by_test_id("who-role")).to_have_attribute("data-role", "expert")
    row = page.locator(f"[data-testid=assessment-row][data-id='{aid}']")
    await expect(row.get_by_test_id("assessment-row-status")).to_have_attribute("data-status", "open")
    await ui.check(page, "assessor-tasks")

    # The task: the draw that chose the pair (seed and candidates recorded), then the home visit.
    await row.get_by_test_id("assessment-open").click()
    await expect(page).to_have_url(f"{ui.web}/ltc/assessments/{aid}")
    await expect(page.get_by_test_id("assessment-status")).to_have_attribute("data-status", "open")
    await expect(page.get_by_test_id("assessment-draws")).to_contain_text(a["draws"][-1]["seed"])
    await expect(page.get_by_test_id("assessment-assessors")).to_contain_text(assessor)
    await expect(page.get_by_test_id("object-trace-id").first).to_have_text(re.compile(r"^[0-9a-f]{32}$"))
    await ui.check(page, "assessor-visit-form")

    photo = tmp_path / "bedside.png"
    photo.write_bytes(_noise_png(900, 700))
    await page.get_by_test_id("visit-date").fill(stack.business_date)
    await page.get_by_label("评定地点").fill("温州市鹿城区 家中卧室")
    await page.get_by_test_id("visit-present-family").check()
    await page.get_by_test_id("visit-present-caregiver").check()
    await page.get_by_test_id("visit-notes").fill("卧床，家属喂食；查看既往病历与护理记录")
    await page.get_by_test_id("visit-photo-input").set_input_files(str(photo))
    await expect(page.get_by_test_id("visit-photos").locator("li")).to_have_count(1)
    await page.get_by_test_id("visit-submit").click()
    # The upload's progress, to its end, and the record as the service keeps it (the photo shown from its bytes).
    await expect(page.get_by_test_id("upload-progress")).to_have_attribute("data-progress", "100")
    await expect(page.get_by_test_id("visit-done")).to_be_visible()
    await expect(page.get_by_test_id("assessment-status")).to_have_attribute("data-status", "visited")
    evidence = page.get_by_test_id("visit-evidence").locator("li[data-kind=photo] img")
    await expect(evidence).to_have_count(1)
    await expect(evidence).to_have_js_property("complete", True)
    await ui.check(page, "assessor-visit-recorded")

    # The scores form: the scale's items as the service defines them; one item left out is refused and marked.
    form = page.get_by_test_id("scores-form")
    await expect(form).to_be_visible()
    items = severe_scores(4)
    assert await form.locator("fieldset[data-testid^=item-]").count() == len(items)
    left_out = "memory"
    for code, value in items.items():
        if code != left_out:
            await page.get_by_test_id(f"score-{code}-{value}").check()
    await page.get_by_test_id("scores-submit").click()
    await expect(form.get_by_test_id("error-message")).to_have_attribute("data-code", "missing_item")
    await expect(page.get_by_test_id(f"item-{left_out}")).to_have_attribute("aria-invalid", "true")
    await ui.check(page, "assessor-scores-refused")
    await page.get_by_test_id(f"score-{left_out}-{items[left_out]}").check()
    await page.get_by_test_id("scores-submit").click()

    # The conclusion notice, as the service gives it.
    notice = page.get_by_test_id("assessment-notice")
    await expect(notice).to_be_visible()
    await expect(page.get_by_test_id("assessment-status")).to_have_attribute("data-status", "concluded")
    r = await stack.http.get(f"{stack.url('appraisal')}/v1/ltc/assessments/{aid}/notice",
                             headers=stack.auth(LOT, "clerk"))
    assert r.status_code == 200, r.text
    given = r.json()
    await expect(notice).to_have_attribute("data-grade", str(given["grade"]))
    await expect(notice).to_have_attribute("data-eligible", "true" if given["eligible"] else "false")
    await expect(page.get_by_test_id("notice-grade")).to_have_text(given["grade_name"])
    await expect(page.get_by_test_id("notice-objection-deadline")).to_contain_text(given["objection_deadline"])
    await expect(page.get_by_test_id("notice-level")).to_have_count(len(given["levels"]))
    await expect(page.get_by_test_id("notice-reasons").locator("li")).to_have_count(len(given["reasons"]))
    await ui.check(page, "assessor-notice")

    # Back at the tasks: the assessment concluded.
    await page.get_by_role("link", name="返回评定列表").click()
    await page.get_by_test_id("assessment-status-filter").select_option("concluded")
    await expect(page.locator(f"[data-testid=assessment-row][data-id='{aid}'] [data-testid=assessment-row-status]")
                 ).to_have_attribute("data-status", "concluded")


async def test_a_clerk_reads_the_lots_assessments_and_re_checks(ui: Ui, stack: Stack) -> None:
    page = await _tablet(ui)
    await ui.login(page, f"{LOT}-clerk")
    await page.get_by_test_id("nav-ltc-assessments").click()
    await expect(page.get_by_test_id("assessment-row").first).to_be_visible()
    await ui.check(page, "clerk-assessments")
    await page.get_by_test_id("nav-ltc-rechecks").click()
    await expect(page).to_have_url(f"{ui.web}/ltc/rechecks")
    await page.get_by_test_id("recheck-due-before").fill("2100-12-31")
    await page.get_by_test_id("rechecks-refresh").click()
    await expect(page.get_by_test_id("recheck-row").first).to_be_visible()
    await ui.check(page, "clerk-rechecks")


async def test_a_reviewer_opens_re_reviews_and_filings(ui: Ui, stack: Stack) -> None:
    page = await ui.page()
    await ui.login(page, f"{REVIEWER_TENANT}-reviewer")
    await page.get_by_test_id("nav-reviews").click()
    await expect(page).to_have_url(f"{ui.web}/reviewer/reviews")
    r = await stack.http.get(f"{stack.url('appraisal')}/v1/filings", headers=stack.auth(REVIEWER_TENANT, "reviewer"))
    assert r.status_code == 200, r.text
    filed = r.json()
    await expect(page.get_by_test_id("filing-row")).to_have_count(len(filed))
    # A reviewer may revoke, not retry a filing nor scan (the doors admit clerk and ops for those).
    await expect(page.get_by_test_id("reviews-scan")).to_have_count(0)
    await expect(page.locator("[data-testid^=filing-retry-]")).to_have_count(0)
    await page.get_by_test_id("reviews-within").fill("366")
    await page.get_by_test_id("reviews-refresh").click()
    await ui.check(page, "reviewer-reviews")
    due = page.get_by_test_id("review-due-row")
    if await due.count():
        await due.first.locator("[data-testid^=revoke-]").click()
        await expect(page.get_by_test_id("revoke-reason")).to_be_visible()
        await ui.check(page, "reviewer-revoke-dialog")
        await page.get_by_role("button", name="取消").click()
    await page.get_by_test_id("nav-expert-lists").click()
    await expect(page).to_have_url(f"{ui.web}/reviewer/expert-lists")
    await expect(page.get_by_test_id("lists-refresh")).to_be_visible()
    await ui.check(page, "reviewer-expert-lists")
