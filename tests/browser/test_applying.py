"""An application from the phone to the qualification, every step through the browser: the applicant applies on a
375 px wide phone with photos of two of the four documents, the clerk asks for the rest, the applicant sees
"documents missing" and adds them, the clerk completes the review, the two experts drawn for the case give their
opinions, the clerk concludes, and the applicant sees the qualification. The demo's case waiting for its demo
expert, finished by that expert and a clerk. A window application (窗口代办) a clerk files for someone."""

from __future__ import annotations

import functools
import io
import random
import re
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from playwright.async_api import FilePayload, Page, expect

from chassis.demo_subjects import demo_expert_id
from jingban.demo import person_id
from tests.browser.conftest import Stack, Ui
from tests.conftest import eventually

DOCUMENTS = ("application_form", "medical_record", "id_card", "insurance_card")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


# What each document photo shows: its title and a few lines of a filled-in form (a made-up person).
PAPERS = {
    "application_form": ("门诊慢特病待遇申请表", [
        "申请人：张建国",
        "申请病种：高血压病（有心脑肾并发症）",
        "申请日期：2026年11月",
        "本人承诺所提供材料真实有效。",
        "申请人签字：张建国"]),
    "medical_record": ("门诊病历", [
        "主诉：头晕、胸闷反复发作五年",
        "诊断：高血压病3级（很高危）",
        "合并：左心室肥厚、肾功能不全",
        "处理：规律服药，定期复查",
        "医师签名：（章）"]),
    "id_card": ("居民身份证（复印件）", [
        "姓名：张建国",
        "性别：男　民族：汉",
        "住址：陕西省汉中市",
        "仅供门诊慢特病申请使用"]),
    "insurance_card": ("社会保障卡（复印件）", [
        "姓名：张建国",
        "社会保障号码：（略）",
        "发卡地：汉中市",
        "仅供门诊慢特病申请使用"]),
}
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")  # fonts-noto-cjk, installed for the tier


@functools.cache
def _jpeg(kind: str) -> bytes:
    """A phone camera's photo of a paper document: 2400 × 1800 and, with the paper's grain, over a megabyte as a
    phone's photo is (the app compresses it before upload)."""
    title, lines = PAPERS[kind]
    paper = Image.new("RGB", (2400, 1800), (246, 243, 235))
    grain = Image.effect_noise((2400, 1800), 12).convert("RGB")
    image = Image.blend(paper, grain, 0.2)
    draw = ImageDraw.Draw(image)

    def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        return ImageFont.truetype(str(CJK_FONT), size) if CJK_FONT.is_file() else ImageFont.load_default(size)

    draw.rectangle((90, 90, 2310, 1710), outline=(60, 60, 60), width=6)
    draw.text((1200, 260), title, fill=(20, 20, 20), font=font(120), anchor="mm")
    for n, line in enumerate(lines):
        y = 520 + n * 210
        draw.text((220, y), line, fill=(35, 35, 35), font=font(80))
        draw.line((220, y + 120, 2180, y + 120), fill=(150, 150, 150), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def photo(kind: str) -> FilePayload:
    return {"name": f"IMG_{kind}.jpg", "mimeType": "image/jpeg", "buffer": _jpeg(kind)}


async def _subject(page: Page) -> str:
    """The logged-in person's id as the app holds it (the access token's `subject` claim)."""
    claims: dict[str, Any] = await page.evaluate("""() => {
        const key = Object.keys(sessionStorage).find((k) => k.startsWith('oidc.user:'))
        const token = JSON.parse(sessionStorage.getItem(key)).access_token
        const b64 = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
        return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))))
    }""")
    return str(claims.get("subject") or claims.get("sub", ""))


# ---- the staff's steps, through their workbenches ------------------------------------------------------------------


async def clerk_opens(ui: Ui, clerk: Page, application_id: str) -> None:
    """From the queue (every state) to the application's review page."""
    await clerk.goto(f"{ui.web}/clerk/queue")
    async with clerk.expect_response(lambda r: "/api/intake/v1/applications" in r.url and r.ok):
        await clerk.get_by_test_id("queue-status").select_option("")
    row = clerk.locator(f"[data-testid=queue-row][data-id='{application_id}']")
    await expect(row).to_be_visible()
    await ui.check(clerk, "clerk-queue")
    await row.get_by_test_id("queue-open").click()
    await expect(clerk).to_have_url(f"{ui.web}/clerk/applications/{application_id}")
    await expect(clerk.get_by_test_id("review-form")).to_be_visible()


async def clerk_reviews(ui: Ui, clerk: Page, decision: str, note: str, expected_status: str,
                        missing: tuple[str, ...] = ()) -> None:
    """The preliminary review (初审) on the open application: decision, the documents asked for, the note."""
    await clerk.get_by_test_id(f"review-decision-{decision}").click()
    for kind in missing:
        await clerk.get_by_test_id(f"missing-kind-{kind}").click()
    await clerk.get_by_test_id("review-note").fill(note)
    await ui.check(clerk, f"clerk-review-{decision}")
    await clerk.get_by_test_id("review-submit").click()
    await expect(clerk.get_by_test_id("review-done")).to_be_visible()
    await expect(clerk.get_by_test_id("application-status")).to_have_attribute("data-status", expected_status)


async def drawn_case(stack: Stack, tenant: str, application_id: str) -> dict[str, Any]:
    """The appraisal case the completed application opened, once its experts are drawn (appraisal learns of the
    completion by its event, then draws at random)."""
    async def probe() -> dict[str, Any] | None:
        r = await stack.http.get(f"{stack.url('appraisal')}/v1/cases", params={"application_id": application_id},
                                 headers=stack.auth(tenant, "reviewer"))
        found = r.json() if r.status_code == 200 else []
        ready = [c for c in found if len(c.get("assigned", [])) >= c.get("opinions_required", 2)]
        return ready[0] if ready else None

    return await eventually(probe, timeout=60, what=f"the case of {application_id} with its experts drawn")


async def expert_gives_opinion(ui: Ui, page: Page, case_id: str, shot: str) -> None:
    """An expert at their workbench: my cases → the case, its documents beside the opinion form → approve."""
    await page.goto(f"{ui.web}/expert/cases")
    row = page.locator(f"[data-testid=expert-case-row][data-id='{case_id}']")
    await expect(row).to_be_visible()
    await ui.check(page, "expert-cases")
    await row.get_by_test_id("case-open").click()
    await expect(page).to_have_url(f"{ui.web}/cases/{case_id}")
    await expect(page.get_by_test_id("document-viewer")).to_be_visible()
    await expect(page.get_by_test_id("opinion-form")).to_be_visible()
    await page.get_by_test_id("opinion-approve").click()
    await page.get_by_test_id("opinion-comment").fill("病历与检查结果支持该诊断，符合认定标准。")
    await ui.check(page, "expert-case")
    await page.get_by_test_id("opinion-submit").click()
    await expect(page.get_by_test_id("case-action-done")).to_be_visible()
    await expect(page.get_by_test_id("opinion-form")).to_have_count(0)
    await ui.shot(page, shot)


async def experts_give_opinions(ui: Ui, tenant: str, case: dict[str, Any]) -> None:
    """Each expert drawn, at their own browser. The tenant's demo expert (`<tenant>-expert`, a physician of the
    pool) logs in on the login page; another expert of the pool — a person no demo login names — comes with the
    session that login would leave (`Ui.sign_in_as`)."""
    for n, expert in enumerate(case["assigned"]):
        page = await ui.page()
        if expert == demo_expert_id(tenant):
            await ui.login(page, f"{tenant}-expert")
        else:
            await ui.sign_in_as(page, tenant, "expert", expert)
        await expert_gives_opinion(ui, page, case["case_id"], f"expert-{n + 1}-opinion-given")
        await page.context.close()
        ui.contexts.remove(page.context)


async def clerk_concludes(ui: Ui, clerk: Page, case_id: str) -> None:
    """The case, its two opinions in: the clerk concludes it approved (鉴定结论), as the majority recommends."""
    await clerk.goto(f"{ui.web}/cases/{case_id}")
    await expect(clerk.get_by_test_id("case-status")).to_have_attribute("data-status", "ready")
    await clerk.get_by_test_id("conclusion-outcome").select_option("approved")
    await clerk.get_by_test_id("conclusion-reason").fill("两位专家意见一致，符合门诊慢特病认定标准。")
    await ui.check(clerk, "clerk-conclusion")
    await clerk.get_by_test_id("conclusion-submit").click()
    await expect(clerk.get_by_test_id("case-conclusion")).to_have_attribute("data-outcome", "approved")
    await ui.shot(clerk, "case-concluded")


# ---- the tests ------------------------------------------------------------------------------------------------------


async def test_an_applicant_applies_from_a_phone_and_follows_it_to_the_qualification(ui: Ui, stack: Stack) -> None:
    phone = await ui.page(phone=True)
    await ui.login(phone, "hz-p1-applicant")
    await expect(phone).to_have_url(f"{ui.web}/m/applications")
    person = await _subject(phone)
    assert re.fullmatch(r"\d{17}[\dX]", person), (
        f"the demo applicant hz-p1-applicant logs in as {person!r}: an applicant files only for themself, so the "
        "development issuer must give a demo applicant a resident ID number (of a county its tenant serves) as its "
        "subject")
    await ui.check(phone, "my-applications")

    # Program and disease → the checklist.
    await phone.get_by_test_id("nav-apply").click()
    await expect(phone).to_have_url(f"{ui.web}/m/apply")
    diseases = phone.get_by_test_id("disease-select")
    await expect(diseases.locator("option[value=HTN]")).to_have_count(1)
    await diseases.select_option("HTN")
    for kind in DOCUMENTS:
        await expect(phone.get_by_test_id(f"checklist-{kind}")).to_be_visible()
    await ui.check(phone, "apply-checklist")

    # Photos of two of the four documents, each compressed on the phone before it is sent.
    for kind in DOCUMENTS[:2]:
        await phone.get_by_test_id(f"photo-input-{kind}").set_input_files(photo(kind))
        await expect(phone.get_by_test_id(f"photo-input-ready-{kind}")).to_be_visible()
        await expect(phone.get_by_test_id(f"photo-input-row-{kind}")).to_contain_text("→")  # "已压缩 2.1 MB → …"
    await phone.get_by_test_id("person-name").fill("张建国")
    await phone.get_by_test_id("phone").fill("13800000000")
    await ui.check(phone, "apply-photos")
    await phone.get_by_test_id("submit-application").click()
    await phone.wait_for_url(re.compile(rf"/m/applications/{UUID}$"))
    application_id = phone.url.rsplit("/", 1)[1]
    status = phone.get_by_test_id("application-status")
    await expect(status).to_have_attribute("data-status", "submitted")
    await ui.check(phone, "application-submitted")

    # The clerk asks for what is missing (the service adds what the disease's checklist still lacks).
    clerk = await ui.page()
    await ui.login(clerk, "hz-p1-clerk")
    await clerk_opens(ui, clerk, application_id)
    await clerk_reviews(ui, clerk, "missing", "请补充身份证、社保卡照片。", "documents_missing")

    # The applicant's page looks again by itself: documents missing, which ones, and where to add them.
    notice = phone.get_by_test_id("missing-documents-notice")
    await expect(notice).to_be_visible()
    await expect(notice).to_have_attribute("data-missing", "id_card,insurance_card")
    await expect(notice).to_contain_text("身份证")
    await expect(notice).to_contain_text("社保卡")
    await expect(status).to_have_attribute("data-status", "documents_missing")
    await ui.check(phone, "documents-missing")
    for kind in DOCUMENTS[2:]:
        await phone.get_by_test_id(f"add-document-input-{kind}").set_input_files(photo(kind))
        await expect(phone.get_by_test_id(f"add-document-input-ready-{kind}")).to_be_visible()
    await phone.get_by_test_id("add-documents-submit").click()
    await expect(phone.get_by_test_id("documents-added")).to_be_visible()
    await expect(notice).to_have_count(0)
    await expect(status).to_have_attribute("data-status", "submitted")
    await ui.check(phone, "documents-added")

    # The clerk completes the review; the experts drawn give their opinions; the clerk concludes.
    await clerk_opens(ui, clerk, application_id)
    await expect(clerk.get_by_test_id("document-viewer").locator("[data-testid^=document-]")).to_have_count(4)
    await clerk_reviews(ui, clerk, "complete", "材料齐全。", "complete")
    case = await drawn_case(stack, "hz-p1", application_id)
    await clerk.reload()
    await expect(clerk.get_by_test_id("application-case")).to_be_visible()
    await experts_give_opinions(ui, "hz-p1", case)
    await clerk_concludes(ui, clerk, case["case_id"])

    # The applicant sees the qualification (待遇资格), and the timeline of every state it went through.
    qualification = phone.get_by_test_id("qualification")
    await expect(qualification).to_have_attribute("data-granted", "true")
    granted = re.compile("approved|filed")
    await expect(phone.get_by_test_id("qualification-HTN")).to_have_attribute("data-status", granted)
    await expect(phone.get_by_test_id("timeline").locator("[data-status=documents_missing]")).to_have_count(1)
    # The platform's notes in Chinese (their English forms never on the zh-CN page), documents by their names.
    timeline = phone.get_by_test_id("timeline")
    await expect(timeline).to_contain_text("通过线上渠道提交")
    await expect(timeline).to_contain_text("已补充 2 份材料")
    await expect(timeline).not_to_contain_text(re.compile(r"channel|document\(s\)|id_card|insurance_card"))
    await expect(phone.get_by_test_id("documents-added")).to_have_count(0)  # decided since: no longer shown
    await ui.check(phone, "qualification")


async def test_a_clerk_and_an_expert_finish_the_case(ui: Ui, stack: Stack) -> None:
    """The case the demo left waiting for the opinion of hz-p2's demo expert (the other expert drawn has given
    theirs): the expert logs in, gives it; the clerk concludes; the application is decided."""
    expert = demo_expert_id("hz-p2")
    r = await stack.http.get(f"{stack.url('appraisal')}/v1/cases", params={"status": "open"},
                             headers=stack.auth("hz-p2", "reviewer"))
    r.raise_for_status()
    case = next(c for c in r.json() if expert in c["assigned"]
                and expert not in {o["expert_id"] for o in c["opinions"]})

    page = await ui.page()
    await ui.login(page, "hz-p2-expert")
    await expect(page).to_have_url(f"{ui.web}/expert/cases")
    await expert_gives_opinion(ui, page, case["case_id"], "expert-opinion-given")

    clerk = await ui.page()
    await ui.login(clerk, "hz-p2-clerk")
    await clerk.get_by_test_id("nav-cases").click()
    row = clerk.locator(f"[data-testid=case-row][data-id='{case['case_id']}']")
    await expect(row.locator("[data-status]")).to_have_attribute("data-status", "ready")
    await ui.check(clerk, "clerk-cases")
    await row.get_by_test_id("case-open").click()
    await clerk_concludes(ui, clerk, case["case_id"])

    # The application the case was opened for: decided, the qualification granted.
    await clerk.goto(f"{ui.web}/clerk/applications/{case['application_id']}")
    await expect(clerk.get_by_test_id("application-status")).to_have_attribute("data-status",
                                                                               re.compile("approved|filed"))
    await ui.check(clerk, "clerk-application-decided")


async def test_a_clerk_files_an_application_at_the_window(ui: Ui, stack: Stack) -> None:
    """窗口代办: the clerk files for a person at the window, documents photographed there, and completes the review;
    appraisal opens the case and draws its experts."""
    person = person_id(random.Random(14), "610726")  # 宁强县, served by hz-p2
    clerk = await ui.page()
    await ui.login(clerk, "hz-p2-clerk")
    await clerk.get_by_test_id("nav-window").click()
    await expect(clerk).to_have_url(f"{ui.web}/clerk/window")
    await clerk.get_by_test_id("window-person-id").fill(person)
    await clerk.get_by_test_id("window-person-name").fill("李秀兰")
    diseases = clerk.get_by_test_id("window-disease")
    await expect(diseases.locator("option[value=DM]")).to_have_count(1)
    await diseases.select_option("DM")
    for kind in DOCUMENTS:
        await clerk.get_by_test_id(f"window-document-{kind}").set_input_files(photo(kind))
        await expect(clerk.get_by_test_id(f"window-document-ready-{kind}")).to_be_visible()
    await ui.check(clerk, "window-application")
    await clerk.get_by_test_id("window-submit").click()
    await clerk.wait_for_url(re.compile(rf"/clerk/applications/{UUID}$"))
    application_id = clerk.url.rsplit("/", 1)[1]
    await expect(clerk.get_by_test_id("application-status")).to_have_attribute("data-status", "submitted")
    await expect(clerk.get_by_test_id("document-viewer").locator("[data-testid^=document-]")).to_have_count(4)

    await clerk_reviews(ui, clerk, "complete", "窗口收件，材料齐全。", "complete")
    case = await drawn_case(stack, "hz-p2", application_id)
    await clerk.reload()
    await clerk.get_by_test_id("open-case").click()
    await expect(clerk).to_have_url(f"{ui.web}/cases/{case['case_id']}")
    await expect(clerk.get_by_test_id("case-status")).to_have_attribute("data-status", "open")
    await ui.check(clerk, "clerk-case-open")
