"""Ops and the person's file through the browser (运维与档案): ops hands the program's archive over (移交) — the export
produced with its progress shown, confirmed, downloaded with the bytes counted, and the bytes a handover zip whose
checksums hold — and sends a tampered copy back, which the archive refuses naming the damaged member and its field;
ops checks the audit trail (审计轨迹校验) and anchors its head, reads the dead-letter replays, and sees this tab's
requests with their trace ids (embedded mode: no Zipkin, and the page says so); a clerk opens one person's file
(一人一档), the person id going only into the API's path."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Page, Request, Route, expect

from chassis.events import dead_letter_topic, topic_for
from tests.browser.conftest import Stack, Ui
from tests.conftest import eventually

TENANT = "hz-p1"
MANIFEST, CHECKSUMS = "manifest.json", "checksums.sha256"  # services/archive/handover/domain/handover.py


async def _go(ui: Ui, page: Page, nav: str, path: str, shot: str) -> None:
    await page.get_by_test_id(nav).click()
    await expect(page).to_have_url(f"{ui.web}{path}")
    await page.wait_for_load_state("networkidle")
    await ui.check(page, shot)


def _tampered(archive: bytes) -> tuple[bytes, str]:
    """The archive with one member's bytes changed after its checksum was taken (a person's file when the archive
    holds one, else the manifest): the member the archive must name."""
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    persons = sorted(n for n in members if n.startswith("persons/"))
    victim = persons[0] if persons else MANIFEST
    doc = json.loads(members[victim])
    doc["tampered"] = "yes"  # still valid JSON: only the checksums can tell
    members[victim] = json.dumps(doc, ensure_ascii=False).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue(), victim


async def test_ops_exports_a_handover_downloads_it_and_an_import_names_the_bad_member(ui: Ui, stack: Stack) -> None:
    page = await ui.page()
    await ui.login(page, f"{TENANT}-ops")
    await expect(page).to_have_url(f"{ui.web}/ops/trace")

    await _go(ui, page, "nav-exports", "/archive/exports", "exports")
    await page.get_by_test_id("export-scope").select_option("all")
    async with page.expect_response(lambda r: r.url.endswith("/api/archive/v1/exports") and r.request.method == "POST"
                                    ) as made:
        await page.get_by_test_id("export-start").click()
    assert (await made.value).status == 201, await (await made.value).text()
    progress = page.get_by_test_id("export-progress")
    await expect(progress).to_have_attribute("data-phase", "ready")
    await expect(page.get_by_test_id("export-ready")).to_be_visible()
    facts = page.get_by_test_id("export-facts")
    export_id = await facts.get_attribute("data-id")
    assert export_id
    sha = (await facts.locator("code.sha").inner_text()).strip()
    assert re.fullmatch(r"[0-9a-f]{64}", sha), sha
    await expect(page.locator(f"[data-testid=export-row][data-id='{export_id}']")).to_be_visible()
    await ui.shot(page, "export-ready")

    async with page.expect_download() as downloading:
        await page.get_by_test_id("export-download").click()
    download = await downloading.value
    await expect(progress).to_have_attribute("data-phase", "downloaded")
    bar = page.get_by_test_id("download-progress")
    assert await bar.get_attribute("value") == await bar.get_attribute("max")  # every byte counted
    await ui.check(page, "export-downloaded")
    assert download.suggested_filename.endswith(f"-{export_id}.zip"), download.suggested_filename
    path = await download.path()
    data = path.read_bytes()
    # The handover format: a zip with its manifest and checksums, each member's sha256 as listed; the whole as the
    # archive recorded it.
    assert data[:4] == b"PK\x03\x04", data[:16]
    assert hashlib.sha256(data).hexdigest() == sha
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert MANIFEST in names and CHECKSUMS in names, names
        manifest = json.loads(zf.read(MANIFEST))
        assert manifest["export_id"] == export_id and manifest["tenant"] == TENANT
        lines = [re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", x) for x in zf.read(CHECKSUMS).decode().splitlines() if x]
        listed = {m[2]: m[1] for m in lines if m}
        for name in names:
            if name != CHECKSUMS:
                assert listed[name] == hashlib.sha256(zf.read(name)).hexdigest(), name

    # The same archive with one member altered: refused before anything is imported, each problem with its field.
    bad, victim = _tampered(data)
    await page.get_by_test_id("import-file").set_input_files(
        files=[{"name": "handover-tampered.zip", "mimeType": "application/zip", "buffer": bad}])
    async with page.expect_response(lambda r: r.url.endswith("/api/archive/v1/imports")
                                    and r.request.method == "POST") as sent:
        await page.get_by_test_id("import-submit").click()
    assert (await sent.value).status == 422
    await expect(page.get_by_test_id("import-error")).to_have_attribute("data-code", "invalid_input")
    await expect(page.get_by_test_id("upload-progress")).to_have_attribute("value", "100")
    # The member named as the API names it: a person's file's name is an identity number, masked in any answer.
    shown = re.sub(r"^(persons/\d{6})\d{8}", r"\1********", victim)
    problem = page.get_by_test_id("import-problem").filter(has_text=f"{shown}: sha256 mismatch").first
    await expect(problem).to_be_visible()
    assert victim == shown or victim not in await page.content()  # the whole identity number never shown
    await expect(problem.get_by_test_id("import-problem-field")).to_have_attribute("data-field", "export")
    await expect(problem.get_by_test_id("import-problem-field")).to_have_text("移交档案文件")
    await expect(page.get_by_test_id("import-record")).to_have_attribute("data-status", "none")
    await ui.check(page, "import-refused")


async def _seed_replay(stack: Stack) -> str:
    """A replay as `jingban dlq replay` records it before republishing (the CLI's own call), so the page has one."""
    dlq_id = f"{dead_letter_topic(TENANT, 'settlement', '')}:0:7"
    r = await stack.http.post(f"{stack.url('audit')}/v1/dead-letters/replays", headers=stack.auth(TENANT, "ops"),
                              json={"id": dlq_id, "attempt": 1,
                                    "original_topic": topic_for(TENANT, "application.submitted", ""),
                                    "event_id": "browser-test-event", "reason": "handler raised KeyError",
                                    "value_sha256": "0" * 64, "replaced": False})
    assert r.status_code in (200, 201), r.text
    return dlq_id


async def test_ops_verifies_the_trail_reads_replays_and_traces_of_this_tab(ui: Ui, stack: Stack) -> None:
    dlq_id = await _seed_replay(stack)
    page = await ui.page()
    await ui.login(page, f"{TENANT}-ops")
    await expect(page).to_have_url(f"{ui.web}/ops/trace")

    # This tab's requests, newest first, each with its trace; embedded mode has no Zipkin, and the page says so.
    await expect(page.get_by_test_id("no-zipkin")).to_have_attribute("data-mode", "embedded")
    await expect(page.get_by_test_id("tab-trace-row").first).to_be_visible()
    await page.wait_for_load_state("networkidle")
    footer = (await page.get_by_test_id("trace-id").inner_text()).strip()
    assert re.fullmatch(r"[0-9a-f]{32}", footer), footer
    await expect(page.get_by_test_id("tab-trace-id").first).to_have_attribute("data-trace", footer)
    assert await page.get_by_test_id("tab-trace-link").count() == 0  # no zipkin_url: nothing to link to
    await page.get_by_test_id("tab-trace-id").first.click()
    await expect(page.get_by_test_id("trace-input")).to_have_value(footer)
    await ui.check(page, "trace")

    await _go(ui, page, "nav-trail", "/ops/trail", "trail")
    verdict = page.get_by_test_id("trail-verify-result")
    await expect(verdict).to_have_attribute("data-valid", "true")
    entries = int(await page.get_by_test_id("trail-entries").inner_text())
    assert entries > 0
    await page.get_by_test_id("trail-anchor").click()
    await expect(page.get_by_test_id("trail-anchored")).to_be_visible()
    async with page.expect_response(lambda r: "/api/audit/v1/trail/verify" in r.url and r.ok):
        await page.get_by_test_id("trail-verify").click()
    await expect(verdict).to_have_attribute("data-valid", "true")
    # Anchored now through the head it had: the anchor just taken is what the check names.
    await expect(page.get_by_test_id("trail-anchored-through")).not_to_have_text("尚无锚点")
    await ui.shot(page, "trail-verified")

    await _go(ui, page, "nav-dead-letters", "/ops/dead-letters", "dead-letters")
    row = page.locator("[data-testid=dlq-row]", has_text=dlq_id)
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("handler raised KeyError")
    await page.get_by_test_id("dlq-id").fill(dlq_id)
    async with page.expect_response(lambda r: "/api/audit/v1/dead-letters/replays" in r.url and r.ok):
        await page.get_by_test_id("dlq-search").click()
    await expect(page.get_by_test_id("dlq-row")).to_have_count(1)
    await ui.shot(page, "dead-letters-one")

    # Back on the trace page: the requests of the pages just visited are listed, the newest first.
    await page.get_by_test_id("nav-trace").click()
    await expect(page).to_have_url(f"{ui.web}/ops/trace")
    await expect(page.get_by_test_id("tab-trace-row").filter(has_text="/v1/dead-letters/replays").first).to_be_visible()
    await expect(page.get_by_test_id("tab-trace-row").filter(has_text="/v1/trail/verify").first).to_be_visible()
    await ui.shot(page, "trace-after")

    # Where config.json gives a zipkin_url (local mode runs Zipkin), each of the tab's traces links to its page.
    zipkin = "http://zipkin.example:9411"
    linked = await ui.page()

    async def with_zipkin(route: Route) -> None:
        served = await route.fetch()
        await route.fulfill(response=served, json={**await served.json(), "zipkin_url": zipkin, "mode": "local"})

    await linked.route("**/config.json", with_zipkin)
    await ui.login(linked, f"{TENANT}-ops")
    await expect(linked).to_have_url(f"{ui.web}/ops/trace")
    await linked.wait_for_load_state("networkidle")
    await expect(linked.get_by_test_id("no-zipkin")).to_have_count(0)
    last = (await linked.get_by_test_id("trace-id").inner_text()).strip()
    await expect(linked.get_by_test_id("tab-trace-link").first).to_have_attribute(
        "href", f"{zipkin}/zipkin/traces/{last}")
    await expect(linked.get_by_test_id("trace-zipkin-link")).to_have_attribute("href", f"{zipkin}/zipkin/traces/{last}")
    await ui.check(linked, "trace-zipkin")


async def _person_with_a_file(stack: Stack) -> str:
    r = await stack.http.get(f"{stack.url('intake')}/v1/applications", headers=stack.auth(TENANT, "clerk"),
                             params={"limit": 50})
    assert r.status_code == 200, r.text
    people = [a["person_id"] for a in r.json() if a.get("person_id")]
    assert people

    async def filed() -> str | None:
        for pid in people:
            f = await stack.http.get(f"{stack.url('archive')}/v1/persons/{pid}/file",
                                     headers=stack.auth(TENANT, "ops"))
            if f.status_code == 200 and f.json()["entries"]:
                return str(pid)
        return None

    return await eventually(filed, timeout=60, what="a person's file in archive")


async def test_a_clerk_opens_a_persons_file_with_the_id_in_the_path_only(ui: Ui, stack: Stack) -> None:
    person = await _person_with_a_file(stack)
    page = await ui.page()
    await ui.login(page, f"{TENANT}-clerk")
    seen: list[str] = []

    def note(request: Request) -> None:
        if "/api/" in request.url:
            seen.append(request.url)

    page.on("request", note)
    await _go(ui, page, "nav-person-file", "/archive/persons", "person-file")
    await page.get_by_test_id("person-file-id").fill(person)
    async with page.expect_response(lambda r: "/api/archive/v1/persons/" in r.url) as answered:
        await page.get_by_test_id("person-file-open").click()
    assert (await answered.value).status == 200
    await expect(page.get_by_test_id("person-file")).to_be_visible()
    await expect(page.get_by_test_id("person-file-entry").first).to_be_visible()
    # This read is recorded, and the file shows it (the clerk's own access among the latest).
    await expect(page.get_by_test_id("person-file-access").first).to_be_visible()
    await ui.check(page, "person-file-open")
    # The id only in the API's path: never in a query string, nor in the page's own address.
    assert person not in page.url
    calls: list[Any] = [urlsplit(u) for u in seen if person in u]
    assert calls and all(c.path.endswith(f"/v1/persons/{person}/file") and person not in c.query for c in calls)
