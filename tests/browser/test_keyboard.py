"""Pages reachable by keyboard (键盘可达): a clerk logs in and opens an application with the keyboard alone, and the
applicant's form on the phone reaches every field and photo input by Tab. (Labels and the rest: axe-core, on every
page the other tests visit.)"""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import Ui

MAX_TABS = 120  # more Tab presses than any page here has stops before the control


async def tab_to(page: Page, target: Locator) -> int:
    """Press Tab until the keyboard focus is on `target` (or inside it: a radio's input in its label); how many
    presses it took. Fails when the focus went round the page without reaching it."""
    for n in range(1, MAX_TABS + 1):
        await page.keyboard.press("Tab")
        if await target.evaluate("(e) => e === document.activeElement || e.contains(document.activeElement)"):
            return n
    focused = await page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{target} not reached by {MAX_TABS} Tab presses (focus on {focused})")


async def test_a_clerk_logs_in_and_opens_an_application_by_keyboard(ui: Ui) -> None:
    page = await ui.page()
    await page.goto(f"{ui.web}/login")
    await tab_to(page, page.get_by_test_id("login-button"))
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{ui.stack.authority}/authorize**")
    await tab_to(page, page.get_by_label("用户名"))
    await page.keyboard.type("hz-p1-clerk")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("密码")).to_be_focused()
    await page.keyboard.type("demo")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{ui.web}/clerk/queue")

    # The skip link first, then the menu and the queue's filter, then an application to open.
    await page.keyboard.press("Tab")
    await expect(page.locator("a.skip-link")).to_be_focused()
    await tab_to(page, page.get_by_test_id("queue-status"))
    first = page.get_by_test_id("queue-open").first
    await expect(first).to_be_visible()
    await tab_to(page, first)
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("review-form")).to_be_visible()
    for control in ("review-decision-complete", "review-note", "review-submit"):
        await tab_to(page, page.get_by_test_id(control))
    await ui.check(page, "clerk-review-by-keyboard")


async def test_the_applicants_form_is_reachable_by_keyboard_on_the_phone(ui: Ui) -> None:
    phone = await ui.page(phone=True)
    await ui.login(phone, "hz-p1-applicant")
    await phone.goto(f"{ui.web}/m/apply")
    await tab_to(phone, phone.get_by_test_id("disease-select"))
    await phone.get_by_test_id("disease-select").select_option("DM")
    await expect(phone.get_by_test_id("checklist")).to_be_visible()
    for control in ("photo-input-application_form", "photo-input-medical_record", "photo-input-id_card",
                    "photo-input-insurance_card", "person-name", "phone"):
        await tab_to(phone, phone.get_by_test_id(control))
    await tab_to(phone, phone.get_by_test_id("nav-my-applications"))
    await ui.check(phone, "apply-by-keyboard")
