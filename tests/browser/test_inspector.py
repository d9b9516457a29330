"""The inspector at the workbench (稽核检查), each program family's own pages: Karamay's fund-supervision inspector
records an on-site inspection (现场检查), uploads a photo as evidence (证据材料) watching its progress, and records a
finding under the checklist's catalogue code; a Hanzhong chronic-disease inspector dismisses a smart-review hit, draws
a sampling plan (抽查) and records a task's result, then a call-back (电话回访) whose treatment is not confirmed (a
finding, audit says so); Wenzhou's long-term care inspector reads the quarter's patrol quotas. axe-core on each
page."""

from __future__ import annotations

import io
import random
import re

from PIL import Image
from playwright.async_api import expect

from tests.browser.conftest import Stack, Ui


def _photo() -> bytes:
    """A site photo (a noisy PNG of some 200 KB: its upload takes long enough for its progress to show)."""
    rng = random.Random(14)
    img = Image.frombytes("RGB", (320, 240), bytes(rng.getrandbits(8) for _ in range(320 * 240 * 3)))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


async def test_fund_supervision_inspector_uploads_evidence_and_records_a_finding(ui: Ui, stack: Stack) -> None:
    page = await ui.page()
    await ui.login(page, "km-sv-inspector")
    # Fund supervision's inspector starts at the inspections; the chronic programs' sampling pages are not theirs.
    await expect(page).to_have_url(f"{ui.web}/inspector/inspections")
    await expect(page.get_by_test_id("nav-inspections")).to_be_visible()
    await expect(page.get_by_test_id("nav-sampling")).to_have_count(0)
    await expect(page.get_by_test_id("inspection-row").first).to_be_visible()  # the demo's inspections
    await ui.check(page, "inspections")

    # A new inspection of a hospital by a team of two, begun on the business day.
    await page.get_by_test_id("inspection-new").click()
    institution = page.get_by_test_id("inspection-institution")
    await expect(institution.locator("option").nth(1)).to_be_attached()
    await institution.select_option(index=1)
    await page.get_by_test_id("inspection-started").fill(stack.business_date)
    await page.get_by_test_id("inspection-member-0").fill("km-insp-01")
    await page.get_by_test_id("inspection-member-1").fill("km-insp-02")
    await ui.check(page, "inspection-form")
    await page.get_by_test_id("inspection-submit").click()
    await expect(page).to_have_url(re.compile(r"/inspector/inspections/INS-[0-9a-f]+$"))
    await expect(page.get_by_test_id("inspection-state-badge")).to_have_attribute("data-state", "open")
    await ui.check(page, "inspection")

    # Evidence: a photo taken on site, its upload's progress, then the file listed with its size.
    await page.get_by_test_id("evidence-input").set_input_files(
        [{"name": "pharmacy-shelf.png", "mimeType": "image/png", "buffer": _photo()}])
    await page.get_by_test_id("evidence-note").fill("药房货架照片")
    await page.get_by_test_id("evidence-upload").click()
    progress = page.get_by_test_id("upload-progress")
    await expect(progress).to_be_visible()
    await expect(progress).to_have_attribute("aria-valuenow", "100")
    row = page.get_by_test_id("evidence-row")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("pharmacy-shelf.png")
    await expect(page.get_by_test_id("inspection-done")).to_contain_text("1")
    await ui.check(page, "inspection-evidence")

    # A finding under a checklist item's code, backed by the photo; audit totals the amount.
    code = page.get_by_test_id("inspection-finding-code")
    await code.select_option(index=1)
    await page.get_by_test_id("inspection-finding-amount").fill("1280.50")
    await page.get_by_test_id("inspection-finding-description").fill("串换药品，以甲药记乙药收费")
    evidence_id = await row.get_attribute("data-id")
    await page.get_by_test_id(f"inspection-finding-evidence-{evidence_id}").check()
    await page.get_by_test_id("inspection-finding-submit").click()
    found = page.get_by_test_id("inspection-finding-row")
    await expect(found).to_have_count(1)
    await expect(found).to_contain_text("1,280.50")
    await expect(found).to_contain_text(evidence_id or "")
    await expect(page.get_by_test_id("inspection-amount")).to_contain_text("1,280.50")
    await ui.check(page, "inspection-finding")

    # A refusal in the person's words with its field marked: the checklist item the finding stands under cannot be
    # answered "no problem".
    chosen = await code.evaluate("(s) => s.options[1].value")
    await page.get_by_test_id(f"checklist-answer-{chosen}").select_option("checked")
    await page.get_by_test_id("checklist-save").click()
    await expect(page.get_by_test_id("error-message")).to_have_attribute("data-code", "answer_contradicts_finding")
    await expect(page.get_by_test_id(f"checklist-answer-{chosen}")).to_have_class(re.compile("jb-invalid"))
    await expect(page.get_by_test_id("trace-id")).to_have_text(re.compile(r"^[0-9a-f]{32}$"))
    await ui.check(page, "inspection-refused")

    # The checklist completed (the rest found in order), the inspection ended on the business day, its report filed.
    await page.get_by_test_id(f"checklist-answer-{chosen}").select_option("finding")
    await page.get_by_test_id("checklist-others").select_option("checked")
    await page.get_by_test_id("checklist-save").click()
    await expect(page.get_by_test_id("inspection-done")).to_contain_text("清单已保存")
    await expect(page.get_by_test_id("checklist-answered")).to_have_text(re.compile(r"已答 (\d+)/\1 项"))
    await page.get_by_test_id("end-date").fill(stack.business_date)
    await page.get_by_test_id("end-submit").click()
    await expect(page.get_by_test_id("inspection-state-badge")).to_have_attribute("data-state", "ended")
    await expect(page.get_by_test_id("inspection-done")).to_contain_text("报告截止日")
    await page.get_by_test_id("report-summary").fill("经现场检查，发现串换药品问题一项，已责令整改。")
    await page.get_by_test_id("report-submit").click()
    await expect(page.get_by_test_id("inspection-state-badge")).to_have_attribute("data-state", "reported")
    await expect(page.get_by_test_id("inspection-report")).to_contain_text("串换药品")
    await ui.check(page, "inspection-reported")


async def test_chronic_inspector_decides_a_hit_samples_and_calls_back(ui: Ui, stack: Stack) -> None:
    page = await ui.page()
    await ui.login(page, "hz-p1-inspector")
    await expect(page).to_have_url(f"{ui.web}/review/hits")
    await expect(page.get_by_test_id("nav-sampling")).to_be_visible()
    await expect(page.get_by_test_id("nav-inspections")).to_have_count(0)

    # A smart-review hit the demo left open, dismissed with a note: it leaves the open list.
    first = page.get_by_test_id("hit-row").first
    await expect(first).to_be_visible()
    hit_id = await first.get_attribute("data-id")
    await ui.check(page, "hits")
    await page.get_by_test_id(f"hit-dismiss-{hit_id}").click()
    await page.get_by_test_id("hit-note").fill("经核实为同日不同科室就诊，费用合理")
    await ui.check(page, "hit-dialog")
    await page.get_by_test_id("hit-decision-submit").click()
    await expect(page.locator(f"[data-testid=hit-row][data-id='{hit_id}']")).to_have_count(0)
    await page.get_by_test_id("hit-state").select_option("dismissed")
    await expect(page.locator(f"[data-testid=hit-row][data-id='{hit_id}']")).to_contain_text("已排除")

    # A sampling plan of the year's cases: audit's quotas per disease, a task's result recorded.
    await page.get_by_test_id("nav-sampling").click()
    await expect(page).to_have_url(f"{ui.web}/inspector/sampling")
    await page.get_by_test_id("plan-period").fill(stack.business_date[:4])
    await page.get_by_test_id("plan-seed").fill("browser-s14")
    await page.get_by_test_id("plan-create").click()
    await expect(page.get_by_test_id("plan-row").first).to_be_visible()
    await expect(page.get_by_test_id("quota-row").first).to_be_visible()
    task = page.get_by_test_id("task-row").first
    await expect(task).to_be_visible()
    task_id = await task.get_attribute("data-id")
    await ui.check(page, "sampling")
    await page.get_by_test_id(f"task-record-{task_id}").click()
    await page.get_by_test_id("task-outcome-compliant").check()
    await page.get_by_test_id("task-notes").fill("病历、处方与病种相符")
    await ui.check(page, "task-dialog")
    await page.get_by_test_id("task-submit").click()
    await expect(page.get_by_test_id("task-done")).to_contain_text("已保存核查结果")
    await expect(page.locator(f"[data-testid=task-row][data-id='{task_id}']")).to_have_count(0)  # no longer open

    # Call-backs for the plan's persons; one reached who does not confirm the treatment: audit raises a finding.
    await page.get_by_test_id("nav-callbacks").click()
    await expect(page).to_have_url(f"{ui.web}/inspector/callbacks")
    await page.get_by_test_id("callbacks-create").click()
    await expect(page.get_by_test_id("callback-done")).to_contain_text("新增")
    callback = page.get_by_test_id("callback-row").first
    await expect(callback).to_be_visible()
    callback_id = await callback.get_attribute("data-id")
    await ui.check(page, "callbacks")
    await page.get_by_test_id(f"callback-record-{callback_id}").click()
    await page.get_by_test_id("callback-reached-yes").check()
    await page.get_by_test_id("callback-confirmed-no").check()
    await page.get_by_test_id("callback-notes").fill("本人称近三个月未在该医院就诊")
    await ui.check(page, "callback-dialog")
    await page.get_by_test_id("callback-submit").click()
    done = page.get_by_test_id("callback-done")
    await expect(done).to_contain_text("稽核发现")
    finding_id = (await done.inner_text()).split()[-1]

    # The finding is listed; opened, it shows what audit recorded and the trace of the answer.
    await page.get_by_test_id("nav-findings").click()
    await expect(page).to_have_url(f"{ui.web}/inspector/findings")
    row = page.locator(f"[data-testid=finding-row][data-id='{finding_id}']")
    await expect(row).to_be_visible()
    await row.get_by_test_id("finding-open").click()
    await expect(page.get_by_test_id("finding-detail")).to_have_attribute("data-id", finding_id)
    await expect(page.get_by_test_id("finding-detail").get_by_test_id("object-trace-id")).to_have_text(
        re.compile(r"^[0-9a-f]{32}$"))
    # A finding without a valid identity number is refused with the field marked.
    await page.get_by_test_id("finding-person").fill("12345")
    await page.get_by_test_id("finding-description").fill("现场检查发现")
    await page.get_by_test_id("finding-submit").click()
    await expect(page.get_by_test_id("error-message")).to_be_visible()
    await expect(page.get_by_test_id("finding-person")).to_have_class(re.compile("jb-invalid"))
    await ui.check(page, "findings")


async def test_long_term_care_inspector_reads_the_quarters_patrol_quotas(ui: Ui, stack: Stack) -> None:
    page = await ui.page()
    await ui.login(page, "wz-a-inspector")
    await expect(page).to_have_url(f"{ui.web}/inspector/patrols")
    await expect(page.get_by_test_id("nav-sampling")).to_have_count(0)
    year, month = int(stack.business_date[:4]), int(stack.business_date[5:7])
    await page.get_by_test_id("patrol-quarter").fill(f"{year}-Q{(month - 1) // 3 + 1}")
    await page.get_by_test_id("patrol-quarter").press("Enter")
    await expect(page.get_by_test_id("attainment-row")).to_have_count(4)
    await expect(page.get_by_test_id("patrol-row").first).to_be_visible()  # the demo's patrol meeting the quota
    await expect(page.get_by_test_id("patrol-plan")).to_be_visible()
    await ui.check(page, "patrols")

    # Another patrol of the quarter: a nurse and a doctor visit one care institution; audit lists it.
    before = await page.get_by_test_id("patrol-row").count()
    await page.get_by_test_id("patrol-date").fill(stack.business_date)
    await page.get_by_test_id("patrol-member-0").fill("insp-nurse-1")
    await page.get_by_test_id("patrol-member-1").fill("insp-2")
    await page.get_by_test_id("patrol-institutions").fill("WZA-C001")
    await page.get_by_test_id("patrol-submit").click()
    await expect(page.get_by_test_id("patrol-done")).to_contain_text("已登记巡查")
    await expect(page.get_by_test_id("patrol-row")).to_have_count(before + 1)
    await ui.check(page, "patrol-recorded")
