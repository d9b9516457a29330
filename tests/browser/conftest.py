"""The browser tier (浏览器测试): Playwright drives Debian's Chromium against the platform in embedded mode — the five
services in this process with the demo data of `make run`, the web gateway (jingban/web.py) serving the built app
(web/dist) at one origin, and the development issuer with its login page — each on a free port.

The issuer is the process's development issuer under a URL of its own port (its `iss`, discovery and login page all
say that port), so a `make run` on this machine (8100, 8109) never meets the tests. The business date is pinned
(FIXTURE_BUSINESS_DATE): the demo's months and the fund years the finance test counts on stay what they were.

Every wait is an event-driven Playwright expectation with a generous deadline (WAIT_MS), never a sleep: on a busy
two-core CI machine a step that holds returns the moment it does. Each test's screenshots, axe-core results and,
on failure, the last state of every page it opened are under `.jingban/test-results/browser/<test>/`."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import shutil
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

import chassis.dev_issuer
from chassis.config import SERVICES
from chassis.dev_issuer import WEB_CLIENT_ID, DemoLogin, DevIssuer, demo_logins, token_endpoint_app
from jingban.cli import load_demo
from jingban.embedded import EmbeddedPlatform
from jingban.web import WebConfig, WebGateway, WebServer
from tests.browser.chromium import chromium_executable
from tests.conftest import FIXTURE_BUSINESS_DATE, embedded_port_offset

ROOT = Path(__file__).resolve().parents[2]
# Where screenshots and axe results go (`JINGBAN_BROWSER_RESULTS` names another place: runs side by side).
RESULTS = Path(os.environ.get("JINGBAN_BROWSER_RESULTS") or ROOT / ".jingban" / "test-results" / "browser")
# The built app (`JINGBAN_WEB_DIST` names another build, e.g. one made with `vite build --outDir`).
DIST = Path(os.environ.get("JINGBAN_WEB_DIST") or ROOT / "web" / "dist")
# axe-core from the web app's devDependencies (`JINGBAN_AXE_JS` names another copy).
AXE_JS = Path(os.environ.get("JINGBAN_AXE_JS") or ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js")
# Both Hanzhong carriers (the supervisor's program) and Quzhou (another program the supervisor must not see);
# Karamay (fund supervision: the inspector's inspections) and a Wenzhou lot (long-term care: applications, assessments).
TENANTS = ("hz-p1", "hz-p2", "qz-ci", "km-sv", "wz-a")
# The deadline of one step a person waits for (a page, an answer, an event crossing services): generous, because a
# two-core CI machine may be busy with something else; a step that holds returns at once.
WAIT_MS = 60_000
PHONE: dict[str, Any] = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True,
                         "has_touch": True}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 900}}
# What axe-core counts as a failure here: the issue asks for zero serious violations (critical ones are worse).
AXE_FAILING = ("serious", "critical")

expect.set_options(timeout=WAIT_MS)


def _bound_socket() -> socket.socket:
    """A listening-ready socket on a free loopback port, bound here so no other process takes the port between
    choosing it and serving on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Served:
    """An ASGI app served by uvicorn in this event loop on an already bound socket."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self.sock = sock
        self.port = int(sock.getsockname()[1])
        self._server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off", access_log=False))
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self.sock]))
        while not self._server.started:
            await asyncio.sleep(0.02)
            if self._task.done():
                self._task.result()

    async def stop(self) -> None:
        if self._task is not None:
            self._server.should_exit = True
            await self._task


@dataclass
class Stack:
    """The platform the browser talks to."""

    platform: EmbeddedPlatform
    web: str  # the web app's origin, e.g. http://127.0.0.1:41234
    issuer: DevIssuer
    business_date: str
    http: httpx.AsyncClient

    @property
    def authority(self) -> str:
        return self.issuer.issuer

    def url(self, service: str) -> str:
        return self.platform.url(service)

    def auth(self, tenant: str, role: str, subject: str = "browser-test", program: str = "") -> dict[str, str]:
        """A token of the issuer the platform trusts, for setting up data through the services' own doors."""
        return {"authorization": f"Bearer {self.issuer.token(tenant, role, subject, program=program)}"}


@pytest.fixture(scope="session", autouse=True)
def _fresh_results() -> None:
    """This run's results only: a renamed or removed test leaves no old screenshots behind."""
    shutil.rmtree(RESULTS, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
async def stack() -> AsyncIterator[Stack]:
    if not (DIST / "index.html").is_file():
        pytest.fail("the web app is not built (web/dist/index.html): run `make web` first", pytrace=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JINGBAN_BUSINESS_DATE", FIXTURE_BUSINESS_DATE)
        issuer_sock, web_port = _bound_socket(), _free_port()
        issuer = DevIssuer(ec.generate_private_key(ec.SECP256R1()),
                           f"http://127.0.0.1:{issuer_sock.getsockname()[1]}/dev")
        # The process's development issuer is this one: the services verify its tokens, mint their own with it.
        mp.setattr(chassis.dev_issuer, "_default", issuer)
        platform = EmbeddedPlatform(env={"JINGBAN_TENANTS": ",".join(TENANTS)}, port_offset=embedded_port_offset())
        web = f"http://127.0.0.1:{web_port}"
        served_issuer = _Served(token_endpoint_app(issuer, TENANTS, (web,)), issuer_sock)
        config = WebConfig(issuer.issuer, "embedded", TENANTS, "", tuple(demo_logins(TENANTS)))
        gateway = WebServer(WebGateway({s: platform.url(s) for s in SERVICES}, config, DIST), web_port)
        started: list[Any] = []  # stopped in reverse, however far the start got
        try:
            for part in (platform, served_issuer, gateway):
                await part.start()
                started.append(part)
            # The demo of `make run`, smaller: every state of the chain is there without minutes of seeding.
            await load_demo(platform.url, platform.tokens, TENANTS, "browser tests", persons=40, applications=6,
                            ci_persons=20)
            async with httpx.AsyncClient(timeout=60) as http:
                yield Stack(platform, web, issuer, FIXTURE_BUSINESS_DATE, http)
        finally:
            for part in reversed(started):
                await part.stop()
            issuer_sock.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_executable()  # fails (not skips) with the reason and the apt-get line
    async with async_playwright() as pw:
        # Playwright passes --no-sandbox itself (chromium_sandbox defaults to False), which Chromium needs as root.
        launched = await pw.chromium.launch(executable_path=executable, headless=True)
        yield launched
        await launched.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """The call's outcome on the item, so the `ui` fixture saves every open page when a test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


async def settled(page: Page) -> None:
    """Wait until the page's finite CSS transitions and animations have finished (a spinner's endless one aside)."""
    await page.evaluate("""() => Promise.all(document.getAnimations()
        .filter((a) => Number.isFinite(a.effect?.getComputedTiming().endTime ?? Infinity))
        .map((a) => a.finished.catch(() => null)))""")


@functools.cache
def _axe_source() -> str:
    if not AXE_JS.is_file():
        pytest.fail(f"axe-core is not installed ({AXE_JS}): it is a devDependency of web/package.json "
                    "(`cd web && npm install --save-dev --save-exact axe-core`, then `make web`)", pytrace=False)
    return AXE_JS.read_text(encoding="utf-8")


def _write_json(path: Path, body: Any) -> None:
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")


@dataclass
class Ui:
    """One test's browser: its people's pages, screenshots and accessibility checks."""

    stack: Stack
    browser: Browser
    out: Path
    contexts: list[BrowserContext] = field(default_factory=list)
    shots: int = 0
    checked: set[str] = field(default_factory=set)

    @property
    def web(self) -> str:
        return self.stack.web

    async def page(self, phone: bool = False) -> Page:
        """A new person at a new browser (own cookies and session storage), Chinese first, in China's time zone."""
        context = await self.browser.new_context(**(PHONE if phone else DESKTOP), locale="zh-CN",
                                                 timezone_id="Asia/Shanghai")
        context.set_default_timeout(WAIT_MS)
        context.set_default_navigation_timeout(WAIT_MS)
        self.contexts.append(context)
        return await context.new_page()

    async def login(self, page: Page, username: str, password: str = "demo") -> None:
        """Log in as a person does: the app's login button, the identity provider's login page (the development
        issuer's, its labelled fields filled and sent with Enter), back through /callback to the role's home."""
        await page.goto(f"{self.web}/login")
        await page.get_by_test_id("login-button").click()
        await page.wait_for_url(f"{self.stack.authority}/authorize**")
        await self.check(page, "issuer-login")
        await page.get_by_label("用户名").fill(username)
        await page.get_by_label("密码").fill(password)
        await page.get_by_label("密码").press("Enter")
        await page.wait_for_url(re.compile(rf"^{re.escape(self.web)}/(?!login|callback)"))
        await expect(page.get_by_test_id("logout")).to_be_visible()

    async def sign_in_as(self, page: Page, tenant: str, role: str, subject: str) -> None:
        """A person the demo logins cannot name (an expert drawn for a case is a person of the expert pool, their
        id the token's subject): the session the code flow would leave, from the same issuer, put where the app
        keeps it (oidc-client-ts' user in the tab's session storage) before the app's first script runs."""
        login = DemoLogin(f"{tenant}-{role}-{subject}", tenant, role, subject)
        now = int(time.time())
        user = {"id_token": self.stack.issuer.id_token(login), "session_state": None,
                "access_token": self.stack.issuer.token(tenant, role, subject, azp=WEB_CLIENT_ID),
                "refresh_token": None, "token_type": "Bearer", "scope": "openid profile",
                "profile": {"sub": login.sub, "tenant": tenant, "role": role, "subject": subject,
                            "iss": self.stack.authority, "aud": WEB_CLIENT_ID, "iat": now, "exp": now + 3600},
                "expires_at": now + 3600}
        key = f"oidc.user:{self.stack.authority}:{WEB_CLIENT_ID}"
        await page.context.add_init_script(
            f"if (location.origin === {json.dumps(self.web)}) "
            f"sessionStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps(user))})")

    async def shot(self, page: Page, name: str) -> Path:
        """A full-page screenshot, numbered in the order taken."""
        await settled(page)
        self.shots += 1
        path = self.out / f"{self.shots:02d}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    async def axe(self, page: Page, name: str) -> list[dict[str, Any]]:
        """axe-core on the page as it is now: its results saved beside the screenshots; a serious or critical
        violation fails the test, named with its rule, help and the elements it found."""
        source = _axe_source()
        # The pointer off the page's controls (a button left hovered by the last click is not its resting look), and
        # the transitions running finished: a button fading back from its loading look is measured at rest.
        await page.mouse.move(0, 0)
        await settled(page)
        # Through the DevTools protocol, not a <script>: the issuer's login page allows no script of its own (CSP).
        if not await page.evaluate("() => typeof window.axe === 'object'"):
            await page.evaluate(source)
        result = await page.evaluate("""async () => {
            const r = await window.axe.run(document, { resultTypes: ['violations'] })
            return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
              nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 300),
                                           summary: n.failureSummary })) }))
        }""")
        _write_json(self.out / f"axe-{name}.json", {"url": page.url, "violations": result})
        failing = [v for v in result if v["impact"] in AXE_FAILING]
        assert not failing, f"axe-core on {name} ({page.url}):\n" + "\n".join(
            f"  {v['impact']} {v['id']}: {v['help']} — "
            + "; ".join(f"{n['target']} {n['html'][:120]}" for n in v["nodes"][:4]) for v in failing)
        return result

    async def check(self, page: Page, name: str) -> None:
        """A page visited: its screenshot, and axe-core the first time this test sees a page of that name."""
        await self.shot(page, name)
        if name not in self.checked:
            self.checked.add(name)
            await self.axe(page, name)


def _test_dir(item: pytest.Item) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)
    out = RESULTS / name
    if out.exists():
        for old in out.iterdir():
            if old.is_file():
                old.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
async def ui(stack: Stack, browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Ui]:
    session = Ui(stack, browser, _test_dir(request.node))
    yield session
    call = getattr(request.node, "rep_call", None)
    failed = call is not None and call.failed
    for n, context in enumerate(session.contexts):
        for m, page in enumerate(context.pages):
            if failed and not page.is_closed():
                try:  # what each person saw when the test failed
                    await page.screenshot(path=str(session.out / f"failed-{n}-{m}.png"), full_page=True,
                                          timeout=10_000)
                except Exception:  # a page that cannot be captured must not hide the failure
                    pass
        await context.close()



