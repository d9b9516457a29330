"""Long-term care (长期护理保险) through the browser: a Wenzhou lot A applicant on a 375 px wide phone applies for a
disability assessment with a photo of the ID card, sees the medical records still missing (by their name), adds
them, follows the timeline in Chinese — no English platform sentence on the page — and lot A's clerk screens it
(初步筛查) from the long-term care worklist with its working-day clock, the documents beside the form; the applicant
sees it accepted. And a clerk files a consultation for a person at the window and sees its answer deadline."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

from playwright.async_api import FilePayload, Page, expect

from jingban.demo import person_id
from tests.browser.conftest import Stack, Ui
from tests.browser.test_applying import photo

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# The platform's own English sentences (timeline notes, reason details) that must never reach a Chinese page.
ENGLISH_PLATFORM = re.compile(r"channel|document\(s\)|documents? added|\blot [A-Z]\b|missing: |awaiting screening",
                              re.IGNORECASE)


def scan(kind: str, name: str) -> FilePayload:
    """A phone photo of a paper (the chronic test's generator), named as the long-term care kind it is sent as."""
    shot = photo(kind)
    return {"name": f"IMG_{name}.jpg", "mimeType": shot["mimeType"], "buffer": shot["buffer"]}


async def no_english_platform_text(page: Page) -> None:
    """The Chinese page shows the platform's sentences in Chinese: none of its English note forms is visible."""
    text = await page.locator("main, #app").first.inner_text()
    found = ENGLISH_PLATFORM.findall(text)
    assert not found, f"English platform text on the zh-CN page {page.url}: {found}\n{text[:2000]}"


async def test_an_applicant_applies_for_long_term_care_and_a_clerk_screens_it(ui: Ui, stack: Stack) -> None:
    phone = await ui.page(phone=True)
    await ui.login(phone, "wz-a-applicant")
    await expect(phone).to_have_url(f"{ui.web}/m/applications")
    await ui.check(phone, "ltc-my-applications")

    # The application: lot A's district, an illness basis (disabled for over a year), a photo of the ID card only.
    await phone.get_by_test_id("nav-ltc-apply").click()
    await expect(phone).to_have_url(f"{ui.web}/m/ltc/apply")
    district = phone.get_by_test_id("ltc-district")
    await expect(district.locator("option[value='鹿城区']")).to_have_count(1)
    await district.select_option("鹿城区")
    await phone.get_by_test_id("ltc-basis").select_option("illness")
    since = date.fromisoformat(stack.business_date) - timedelta(days=400)
    await phone.get_by_test_id("ltc-disabled-since").fill(since.isoformat())
    await phone.get_by_test_id("ltc-photo-input-id_card").set_input_files(scan("id_card", "id_card"))
    await expect(phone.get_by_test_id("ltc-photo-input-ready-id_card")).to_be_visible()
    await ui.check(phone, "ltc-apply")
    await phone.get_by_test_id("ltc-submit").click()
    await phone.wait_for_url(re.compile(rf"/m/ltc/{UUID}$"))
    application_id = phone.url.rsplit("/", 1)[1]
    status = phone.get_by_test_id("ltc-status")
    await expect(status).to_have_attribute("data-status", "submitted")

    # What is missing, by its name, and where to add it; the timeline in Chinese.
    notice = phone.get_by_test_id("missing-documents-notice")
    await expect(notice).to_have_attribute("data-missing", "medical_records")
    await expect(notice).to_contain_text("病历资料")
    timeline = phone.get_by_test_id("timeline")
    await expect(timeline).to_contain_text("通过线上渠道提交")
    await expect(timeline).to_contain_text("仍缺少：病历资料")
    await no_english_platform_text(phone)
    await ui.check(phone, "ltc-documents-missing")
    await phone.get_by_test_id("add-document-input-medical_records").set_input_files(
        scan("medical_record", "medical_records"))
    await expect(phone.get_by_test_id("add-document-input-ready-medical_records")).to_be_visible()
    await phone.get_by_test_id("add-documents-submit").click()
    await expect(phone.get_by_test_id("documents-added")).to_be_visible()
    await expect(notice).to_have_count(0)
    await expect(timeline).to_contain_text("已补充 1 份材料：病历资料")
    await expect(phone.get_by_test_id("ltc-due")).to_be_visible()  # complete: the screening's clock runs
    await no_english_platform_text(phone)
    await ui.check(phone, "ltc-documents-added")

    # Lot A's clerk: the long-term care worklist is home; the application with its clock; the screening.
    clerk = await ui.page()
    await ui.login(clerk, "wz-a-clerk")
    await expect(clerk).to_have_url(f"{ui.web}/clerk/ltc")
    row = clerk.locator(f"[data-testid=ltc-row][data-id='{application_id}']")
    await expect(row).to_be_visible()
    await expect(row.get_by_test_id("ltc-clock")).to_have_attribute("data-overdue", "false")
    await ui.check(clerk, "clerk-ltc-list")
    await row.get_by_test_id("ltc-open").click()
    await expect(clerk).to_have_url(f"{ui.web}/clerk/ltc/{application_id}")
    viewer = clerk.get_by_test_id("document-viewer")
    await expect(viewer.locator("[data-testid^=document-]")).to_have_count(2)
    await expect(viewer.locator("img")).to_be_visible()
    await expect(clerk.get_by_test_id("ltc-screening-form")).to_be_visible()
    await no_english_platform_text(clerk)
    await ui.check(clerk, "clerk-ltc-screening")
    await clerk.get_by_test_id("ltc-outcome-accept").check()
    await clerk.get_by_test_id("ltc-note").fill("材料齐全，符合失能评定申请条件。")
    await clerk.get_by_test_id("ltc-screening-submit").click()
    await expect(clerk.get_by_test_id("ltc-screening-done")).to_be_visible()
    accepted = re.compile("accepted|in_assessment")
    await expect(clerk.get_by_test_id("ltc-status")).to_have_attribute("data-status", accepted)
    screenings = clerk.get_by_test_id("ltc-screenings")
    await expect(screenings.locator("[data-code=documents_present]")).to_contain_text("材料齐全")
    await expect(screenings.locator("[data-code=disabled_six_months]")).to_contain_text("失能已满 6 个月")
    await no_english_platform_text(clerk)
    await ui.check(clerk, "clerk-ltc-screened")

    # The applicant's page looks again by itself: accepted, the screening's reasons and the timeline in Chinese.
    await expect(status).to_have_attribute("data-status", accepted)
    await expect(phone.get_by_test_id("documents-added")).to_have_count(0)
    await expect(phone.get_by_test_id("ltc-screening")).to_contain_text("参保对象")
    await expect(timeline.locator("[data-status=accepted]")).to_have_count(1)
    await no_english_platform_text(phone)
    await ui.check(phone, "ltc-accepted")


async def test_a_clerk_files_a_consultation_for_a_person_at_the_window(ui: Ui, stack: Stack) -> None:
    """代为登记: the clerk files a consultation for a person at the window; it is listed with its deadline."""
    person = person_id(random.Random(1414), "610702")  # 汉台区, served by hz-p1
    clerk = await ui.page()
    await ui.login(clerk, "hz-p1-clerk")
    await clerk.get_by_test_id("nav-complaints").click()
    await expect(clerk).to_have_url(f"{ui.web}/clerk/complaints")
    form = clerk.get_by_test_id("complaint-file-form")
    await form.get_by_test_id("complaint-file-kind").select_option("consultation")
    await form.get_by_test_id("complaint-file-person").fill(person)
    await form.get_by_test_id("complaint-file-phone").fill("13900000000")
    await form.get_by_test_id("complaint-file-subject").fill("门诊慢特病待遇起始日期咨询")
    await form.get_by_test_id("complaint-file-detail").fill("来窗口咨询鉴定通过后待遇从何时开始享受。")
    await ui.check(clerk, "clerk-complaint-file")
    await form.get_by_test_id("complaint-file-submit").click()
    filed = clerk.get_by_test_id("complaints-filed")
    await expect(filed).to_contain_text("答复期限")
    row = clerk.get_by_test_id("complaint-row").filter(has_text="门诊慢特病待遇起始日期咨询")
    await expect(row).to_have_count(1)
    await expect(row.get_by_test_id("complaint-due")).to_have_attribute("data-overdue", "false")
    await expect(row.locator("[data-status=open]")).to_have_text("待答复")
    await ui.check(clerk, "clerk-complaint-filed")


async def test_an_applicant_applies_for_two_diseases_in_one_application(ui: Ui, stack: Stack) -> None:
    """申请两种及以上病种: where the program takes several diseases (Hanzhong: programs.json intake.multiple_diseases),
    the phone adds a second one; the checklist is the service's for both; the application shows both by name."""
    phone = await ui.page(phone=True)
    await ui.login(phone, "hz-p1-applicant")
    await phone.get_by_test_id("nav-apply").click()
    diseases = phone.get_by_test_id("disease-select")
    await expect(diseases.locator("option[value=HTN]")).to_have_count(1)
    await diseases.select_option("HTN")
    await phone.get_by_test_id("add-disease").click()
    second = phone.get_by_test_id("disease-select-2")
    await expect(second.locator("option[value=HTN]")).to_have_count(0)  # one disease once
    async with phone.expect_response(lambda r: "/checklist/HTN%2CDM" in r.url or "/checklist/HTN,DM" in r.url):
        await second.select_option("DM")
    await expect(second).to_have_value("DM")
    checklist = phone.get_by_test_id("checklist")
    await expect(checklist).to_contain_text("HTN")
    await expect(checklist).to_contain_text("DM")
    for kind in ("application_form", "medical_record", "id_card", "insurance_card"):
        if await phone.get_by_test_id(f"checklist-{kind}").count():
            await phone.get_by_test_id(f"photo-input-{kind}").set_input_files(photo(kind))
            await expect(phone.get_by_test_id(f"photo-input-ready-{kind}")).to_be_visible()
    await phone.get_by_test_id("person-name").fill("王淑芬")
    await ui.check(phone, "apply-two-diseases")
    await phone.get_by_test_id("submit-application").click()
    await phone.wait_for_url(re.compile(rf"/m/applications/{UUID}$"))
    await expect(phone.get_by_test_id("application-status")).to_have_attribute("data-status", "submitted")
    title = phone.get_by_test_id("application-diseases")
    await expect(title).to_contain_text("高血压")
    await expect(title).to_contain_text("糖尿病")
    await no_english_platform_text(phone)
    await ui.check(phone, "application-two-diseases")


async def test_a_clerk_files_a_long_term_care_application_for_an_agent_at_the_window(ui: Ui, stack: Stack) -> None:
    """长护险窗口代办: lot A's clerk files for a person whose daughter (代办人) brings the ID card and her
    authorization; the platform places it in lot A and lists the medical records still missing; the screening page
    shows the agent, the channel and the timeline in Chinese, worded from the step's code and params."""
    person = person_id(random.Random(1415), "330302")  # 鹿城区, lot A
    clerk = await ui.page()
    await ui.login(clerk, "wz-a-clerk")
    await clerk.get_by_test_id("nav-ltc-window").click()
    await expect(clerk).to_have_url(f"{ui.web}/clerk/ltc/window")
    form = clerk.get_by_test_id("ltc-window-form")
    await form.get_by_test_id("ltc-window-person-id").fill(person)
    await form.get_by_test_id("ltc-window-district").select_option("鹿城区")
    await form.get_by_test_id("ltc-window-basis").select_option("illness")
    since = date.fromisoformat(stack.business_date) - timedelta(days=300)
    await form.get_by_test_id("ltc-window-disabled-since").fill(since.isoformat())
    await form.get_by_test_id("ltc-window-channel").select_option("agent")
    await form.get_by_test_id("ltc-window-agent-name").fill("林晓梅")
    await form.get_by_test_id("ltc-window-agent-relation").fill("子女")
    await form.get_by_test_id("ltc-window-agent-phone").fill("13805770123")
    # The papers scanned at the window (the authorization a signed form, as the chronic test's application form is).
    for kind, paper in (("id_card", "id_card"), ("agent_authorization", "application_form")):
        await form.get_by_test_id(f"ltc-window-document-{kind}").set_input_files(scan(paper, kind))
        await expect(form.get_by_test_id(f"ltc-window-document-ready-{kind}")).to_be_visible()
    await ui.check(clerk, "clerk-ltc-window")

    # Without the agent's phone the service refuses it, the field marked; with it, the application is filed.
    await form.get_by_test_id("ltc-window-agent-phone").fill("0577")
    await form.get_by_test_id("ltc-window-submit").click()
    await expect(form.get_by_role("alert")).to_be_visible()
    await expect(form.get_by_test_id("ltc-window-agent-phone")).to_have_class(re.compile("jb-invalid"))
    await ui.check(clerk, "clerk-ltc-window-refused")
    await form.get_by_test_id("ltc-window-agent-phone").fill("13805770123")
    await form.get_by_test_id("ltc-window-submit").click()
    await clerk.wait_for_url(re.compile(rf"/clerk/ltc/{UUID}$"))
    await expect(clerk.get_by_test_id("ltc-status")).to_have_attribute("data-status", "submitted")
    facts = clerk.get_by_test_id("ltc-facts")
    await expect(facts).to_contain_text("代办")
    await expect(facts).to_contain_text("林晓梅（子女）")
    await expect(clerk.get_by_test_id("ltc-missing")).to_have_text("病历资料")
    timeline = clerk.get_by_test_id("timeline")
    await expect(timeline).to_contain_text("通过代办渠道提交；片区 A；仍缺少：病历资料")
    await no_english_platform_text(clerk)
    await ui.check(clerk, "clerk-ltc-window-filed")
