"""The web gateway (jingban/web.py), served over real HTTP as `jingban run` serves it: `/api/<service>/...` passed to
the service and back (headers, query, status, streamed bodies both ways), `/config.json`, the single-page app with
its index fallback and the `make web` placeholder — and, over an embedded platform, the tenant coming only from the
browser's token: the gateway adds no identity of its own."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, StreamingResponse
from starlette.routing import Route

from chassis.config import SERVICES
from chassis.dev_issuer import DEV_ISSUER, dev_issuer, s256, token_endpoint_app
from jingban.embedded import EmbeddedPlatform
from jingban.flow import Walk
from jingban.web import WebConfig, WebGateway, WebServer, _forwardable, embedded_config, local_config, zipkin_base
from tests.conftest import PDF, PERSON_B, application_form, auth, embedded_port_offset
from tests.support import tokens

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CHUNK = 64 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gates:
    """Steps of the streaming stubs, set from the test (same event loop as the servers)."""

    def __init__(self) -> None:
        self.download_released = asyncio.Event()
        self.upload_seen = asyncio.Event()


GATES = Gates()


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    response = JSONResponse({"method": request.method, "raw_path": request.scope["raw_path"].decode(),
                             "query": request.scope["query_string"].decode(),
                             "headers": [[k, v] for k, v in request.headers.items()],
                             "body_len": len(body), "body_sha": hashlib.sha256(body).hexdigest()},
                            status_code=int(request.query_params.get("status", "200")),
                            headers={"x-trace-id": TRACE})
    response.raw_headers += [(b"x-multi", b"one"), (b"x-multi", b"two")]
    return response


async def download(_: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"a" * CHUNK
        # The rest only once the browser holds the first chunk: a gateway holding the body whole never gets there.
        await asyncio.wait_for(GATES.download_released.wait(), 10)
        for _ in range(31):
            yield b"b" * CHUNK

    return StreamingResponse(chunks(), media_type="application/octet-stream", headers={"x-trace-id": TRACE})


async def upload(request: Request) -> JSONResponse:
    total = 0
    async for chunk in request.stream():
        if chunk:
            GATES.upload_seen.set()
        total += len(chunk)
    return JSONResponse({"received": total, "content_length": request.headers.get("content-length")})


async def redirect(_: Request) -> RedirectResponse:
    return RedirectResponse("/elsewhere", status_code=302)


STUB = Starlette(routes=[Route("/download", download), Route("/upload", upload, methods=["POST"]),
                         Route("/redirect", redirect),
                         Route("/{rest:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])])


async def serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off",
                                           access_log=False))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
        if task.done():
            task.result()
    return server, task


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dist")
    (root / "index.html").write_text("<!doctype html><div id=app>经办 SPA</div>", encoding="utf-8")
    (root / "assets").mkdir()
    (root / "assets" / "app-3f2a.js").write_text("console.log('app')")
    (root / "favicon.svg").write_text("<svg/>")
    return root


@pytest.fixture(scope="module")
async def stub_gateway(dist: Path) -> AsyncIterator[str]:
    """A gateway whose services are one echoing stub, archive unreachable."""
    stub_port, closed = free_port(), free_port()
    server, task = await serve(STUB, stub_port)
    upstreams = {s: f"http://127.0.0.1:{stub_port}" for s in SERVICES}
    upstreams["archive"] = f"http://127.0.0.1:{closed}"
    web = WebServer(WebGateway(upstreams, embedded_config(("hz-p1", "hz-p2")), dist), free_port())
    await web.start()
    yield web.url
    await web.stop()
    server.should_exit = True
    await task


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


# ---- /api/<service>/... -----------------------------------------------------------------------------------------


async def test_method_path_query_body_and_headers_reach_the_service_as_sent(stub_gateway: str,
                                                                          http: httpx.AsyncClient) -> None:
    body = b'{"a": 1}'
    r = await http.put(f"{stub_gateway}/api/intake/v1/things/a%2Fb?q=1&q=2&x=%E4%B8%AD", content=body,
                       headers={"authorization": "Bearer the-browsers-token", "content-type": "application/json",
                                "x-custom": "kept", "cookie": "sid=browser-only", "te": "trailers",
                                "connection": "keep-alive, x-hop", "x-hop": "for-this-connection-only"})
    assert r.status_code == 200
    seen = r.json()
    headers = dict(seen["headers"])
    assert seen["method"] == "PUT" and seen["raw_path"] == "/v1/things/a%2Fb"
    assert seen["query"] == "q=1&q=2&x=%E4%B8%AD"
    assert seen["body_len"] == len(body) and seen["body_sha"] == hashlib.sha256(body).hexdigest()
    assert headers["authorization"] == "Bearer the-browsers-token" and headers["content-type"] == "application/json"
    assert headers["x-custom"] == "kept" and headers["content-length"] == str(len(body))
    assert not {"cookie", "te", "x-hop", "transfer-encoding"} & set(headers)
    # Back: status, the trace id and repeated headers as the service sent them.
    assert r.headers["x-trace-id"] == TRACE and r.headers.get_list("x-multi") == ["one", "two"]
    assert (await http.get(f"{stub_gateway}/api/audit/x?status=422")).status_code == 422


async def test_the_gateway_adds_no_identity_of_its_own(stub_gateway: str, http: httpx.AsyncClient) -> None:
    seen = (await http.get(f"{stub_gateway}/api/settlement/v1/anything")).json()
    names = {k for k, _ in seen["headers"]}
    assert "authorization" not in names
    assert not [n for n in names if n.startswith(("x-jingban", "x-forwarded", "forwarded", "x-user", "x-tenant"))]


async def test_redirects_are_passed_back_not_followed(stub_gateway: str, http: httpx.AsyncClient) -> None:
    r = await http.get(f"{stub_gateway}/api/appraisal/redirect")
    assert r.status_code == 302 and r.headers["location"] == "/elsewhere"


async def test_downloads_stream_through(stub_gateway: str, http: httpx.AsyncClient) -> None:
    GATES.download_released.clear()
    received = 0
    async with http.stream("GET", f"{stub_gateway}/api/intake/download") as r:
        assert r.status_code == 200 and r.headers["x-trace-id"] == TRACE
        async for chunk in r.aiter_raw():
            received += len(chunk)
            GATES.download_released.set()  # the first bytes came before the service had sent the rest
    assert received == 32 * CHUNK


async def test_uploads_stream_through_with_their_length(stub_gateway: str, http: httpx.AsyncClient) -> None:
    GATES.upload_seen.clear()

    async def body() -> AsyncIterator[bytes]:
        yield b"x" * CHUNK
        await asyncio.wait_for(GATES.upload_seen.wait(), 10)  # the service reads before the browser has sent it all
        for _ in range(15):
            yield b"y" * CHUNK

    r = await http.post(f"{stub_gateway}/api/intake/upload", content=body())
    assert r.json() == {"received": 16 * CHUNK, "content_length": None}  # chunked in, chunked on
    fixed = await http.post(f"{stub_gateway}/api/intake/upload", content=b"z" * 100_000)
    assert fixed.json() == {"received": 100_000, "content_length": "100000"}


async def test_unknown_service_and_unreachable_service(stub_gateway: str, http: httpx.AsyncClient) -> None:
    for path in ("/api/payments/v1/x", "/api", "/api/", "/api/%69ntake/x"):
        r = await http.get(f"{stub_gateway}{path}")
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "unknown_service" and r.json()["error"]["field"] == "service"
    down = await http.get(f"{stub_gateway}/api/archive/v1/persons")
    assert down.status_code == 503 and down.json()["error"]["code"] == "unavailable"


def test_hop_by_hop_response_headers_are_dropped() -> None:
    raw = [(b"Connection", b"close, X-Hop"), (b"X-Hop", b"1"), (b"Transfer-Encoding", b"chunked"),
           (b"Keep-Alive", b"timeout=5"), (b"X-Trace-Id", TRACE.encode()), (b"Set-Cookie", b"a=1"),
           (b"Set-Cookie", b"b=2"), (b"Content-Length", b"3")]
    assert _forwardable(raw, response=True) == [(b"x-trace-id", TRACE.encode()), (b"set-cookie", b"a=1"),
                                                (b"set-cookie", b"b=2"), (b"content-length", b"3")]


# ---- /config.json and the app -----------------------------------------------------------------------------------


async def test_config_json_in_embedded_mode(stub_gateway: str, http: httpx.AsyncClient) -> None:
    r = await http.get(f"{stub_gateway}/config.json")
    assert r.headers["cache-control"] == "no-store"
    config = r.json()
    assert {k: config[k] for k in ("authority", "client_id", "zipkin_url", "mode", "tenants")} == {
        "authority": DEV_ISSUER, "client_id": "jingban-web", "zipkin_url": "", "mode": "embedded",
        "tenants": ["hz-p1", "hz-p2"]}
    assert {"username": "hz-p2-clerk", "tenant": "hz-p2", "role": "clerk"} in config["demo_logins"]
    assert len(config["demo_logins"]) == 18 and set(config["demo_logins"][0]) == {"username", "tenant", "role"}


def test_config_json_in_local_mode_names_the_realm_and_no_demo_logins() -> None:
    config = local_config("http://127.0.0.1:18080/realms/jingban/", ("hz-p1",), "http://127.0.0.1:9411").to_json()
    assert config == {"authority": "http://127.0.0.1:18080/realms/jingban", "client_id": "jingban-web",
                      "zipkin_url": "http://127.0.0.1:9411", "mode": "local", "tenants": ["hz-p1"],
                      "demo_logins": []}
    assert zipkin_base({"OTEL_EXPORTER_ZIPKIN_ENDPOINT": "http://127.0.0.1:9411/api/v2/spans"}) == \
        "http://127.0.0.1:9411"
    assert zipkin_base({"JINGBAN_ZIPKIN_URL": "http://zipkin.example/"}) == "http://zipkin.example"
    assert zipkin_base({}) == ""


async def test_the_app_files_and_the_index_fallback(stub_gateway: str, http: httpx.AsyncClient) -> None:
    for path in ("/", "/callback?code=abc&state=s", "/clerk/queue", "/applicant/applications/A-1"):
        r = await http.get(f"{stub_gateway}{path}")
        assert r.status_code == 200 and "经办 SPA" in r.text, path
        assert r.headers["cache-control"] == "no-cache" and r.headers["x-content-type-options"] == "nosniff"
    js = await http.get(f"{stub_gateway}/assets/app-3f2a.js")
    assert js.text == "console.log('app')" and "immutable" in js.headers["cache-control"]
    assert "javascript" in js.headers["content-type"]
    assert (await http.get(f"{stub_gateway}/favicon.svg")).text == "<svg/>"
    assert (await http.get(f"{stub_gateway}/assets/app-old.js")).status_code == 404  # a stale asset, not the index
    assert (await http.post(f"{stub_gateway}/", content=b"x")).status_code == 405


async def test_nothing_outside_the_built_app_is_served(stub_gateway: str, http: httpx.AsyncClient,
                                                       dist: Path) -> None:
    (dist.parent / "secret.txt").write_text("outside")
    for raw in (b"/%2e%2e/secret.txt", b"/..%2fsecret.txt", b"/assets/%2e%2e/%2e%2e/secret.txt", b"/a%00.js"):
        r = await http.get(httpx.URL(stub_gateway).copy_with(raw_path=raw))
        assert "outside" not in r.text and r.status_code == 404, raw


async def test_a_page_naming_make_web_until_the_app_is_built(tmp_path: Path, http: httpx.AsyncClient) -> None:
    gateway = WebGateway({"intake": "http://127.0.0.1:8101"}, embedded_config(("hz-p1",)), tmp_path / "dist")
    transport = httpx.ASGITransport(app=gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8100") as client:
        r = await client.get("/clerk/queue")
        assert r.status_code == 200 and "make web" in r.text and 'lang="zh-CN"' in r.text
        assert (await client.get("/config.json")).json()["mode"] == "embedded"  # the rest works meanwhile


async def test_a_taken_port_is_a_clear_error(stub_gateway: str) -> None:
    taken = int(stub_gateway.rsplit(":", 1)[1])
    web = WebServer(WebGateway({}, WebConfig(DEV_ISSUER, "embedded", ())), taken)
    with pytest.raises(RuntimeError, match="JINGBAN_WEB_PORT"):
        await web.start()


# ---- over an embedded platform: the tenant is the token's -------------------------------------------------------


@pytest.fixture(scope="module")
async def platform_gateway(dist: Path) -> AsyncIterator[tuple[EmbeddedPlatform, str]]:
    platform = EmbeddedPlatform(env={"JINGBAN_MAX_UPLOAD_BYTES": "4096"}, port_offset=embedded_port_offset())
    await platform.start()
    tenants = next(iter(platform.hosts.values())).settings.tenants
    web = WebServer(WebGateway({s: platform.url(s) for s in SERVICES}, embedded_config(tenants), dist), free_port())
    await web.start()
    yield platform, web.url
    await web.stop()
    await platform.stop()


async def test_a_case_through_the_gateway_sees_only_the_tokens_tenant(
        platform_gateway: tuple[EmbeddedPlatform, str], http: httpx.AsyncClient) -> None:
    _, web = platform_gateway
    # The platform's own walk, every call through the gateway.
    await Walk(lambda s: f"{web}/api/{s}", tokens.current(), http, "hz-p1").load_policy()
    r = await http.post(f"{web}/api/intake/v1/applications", files=application_form(),
                        headers=auth("hz-p1", "clerk"))
    assert r.status_code == 201, r.text
    app_id = r.json()["application_id"]
    mine = await http.get(f"{web}/api/intake/v1/applications", headers=auth("hz-p1", "clerk"))
    assert app_id in [a["application_id"] for a in mine.json()]
    # Another carrier's clerk naming hz-p1 every way but the token still sees only hz-p2: headers are ignored, and the
    # `tenant` parameter (the agency supervisor's, for its program's carriers) is refused to anyone else.
    spoofed = {**auth("hz-p2", "clerk"), "x-jingban-tenant": "hz-p1", "x-tenant": "hz-p1"}
    theirs = await http.get(f"{web}/api/intake/v1/applications", headers=spoofed)
    assert theirs.status_code == 200 and app_id not in [a["application_id"] for a in theirs.json()]
    named = await http.get(f"{web}/api/intake/v1/applications?tenant=hz-p1", headers=spoofed)
    assert named.status_code == 403 and app_id not in named.text, named.text
    one = await http.get(f"{web}/api/intake/v1/applications/{app_id}", headers=auth("hz-p2", "clerk"))
    assert one.status_code == 404
    anonymous = await http.get(f"{web}/api/intake/v1/applications/{app_id}")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"
    # A document's bytes come back as stored.
    application = (await http.get(f"{web}/api/intake/v1/applications/{app_id}", headers=auth("hz-p1", "clerk"))).json()
    form = next(d for d in application["documents"] if d["kind"] == "application_form")
    doc = await http.get(f"{web}/api/intake/v1/applications/{app_id}/documents/{form['document_id']}",
                         headers=auth("hz-p1", "clerk"))
    assert doc.status_code == 200 and doc.content == PDF


async def test_the_services_limits_and_errors_come_back_whole(platform_gateway: tuple[EmbeddedPlatform, str],
                                                              http: httpx.AsyncClient) -> None:
    _, web = platform_gateway
    files = {**application_form(), "medical_record": ("big.pdf", PDF + b"0" * 20_000, "application/pdf")}
    r = await http.post(f"{web}/api/intake/v1/applications", files=files, headers=auth("hz-p1", "clerk"))
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    health = await http.get(f"{web}/api/settlement/healthz")
    assert health.status_code == 200


async def test_a_browsers_login_then_its_calls_through_the_gateway(platform_gateway: tuple[EmbeddedPlatform, str],
                                                                   http: httpx.AsyncClient) -> None:
    """What the web app does: read /config.json, send the browser to the issuer's login page with a PKCE challenge,
    take the code on /callback, exchange it, call a service through /api/ with the token."""
    _, web = platform_gateway
    config = (await http.get(f"{web}/config.json")).json()
    assert config["authority"] == DEV_ISSUER
    clerk = next(x for x in config["demo_logins"] if x["tenant"] == "hz-p2" and x["role"] == "clerk")
    issuer_app = token_endpoint_app(dev_issuer(), tuple(config["tenants"]), (web,))
    verifier = secrets.token_urlsafe(48)
    params = {"response_type": "code", "client_id": config["client_id"], "redirect_uri": f"{web}/callback",
              "scope": "openid", "state": "s", "nonce": "n", "code_challenge": s256(verifier),
              "code_challenge_method": "S256"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=issuer_app), base_url=DEV_ISSUER) as issuer:
        meta = (await issuer.get(f"{DEV_ISSUER}/.well-known/openid-configuration")).json()
        page = await issuer.get(meta["authorization_endpoint"], params=params)
        assert f'value="{clerk["username"]}"' in page.text
        back = await issuer.post(meta["authorization_endpoint"], data={**params, "demo_user": clerk["username"]})
        callback = back.headers["location"]
        assert callback.startswith(f"{web}/callback?")
        assert "经办 SPA" in (await http.get(callback)).text  # the app's page takes the code
        code = httpx.URL(callback).params["code"]
        answer = await issuer.post(meta["token_endpoint"], headers={"origin": web}, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": f"{web}/callback",
            "client_id": config["client_id"], "code_verifier": verifier})
        assert answer.headers["access-control-allow-origin"] == web
    browser = {"authorization": f"Bearer {answer.json()['access_token']}"}
    filed = await http.post(f"{web}/api/intake/v1/applications", files=application_form(PERSON_B), headers=browser)
    assert filed.status_code == 201, filed.text
    ours = {a["application_id"] for a in (await http.get(f"{web}/api/intake/v1/applications", headers=browser)).json()}
    others = {a["application_id"] for a in (await http.get(f"{web}/api/intake/v1/applications",
                                                           headers=auth("hz-p1", "clerk"))).json()}
    assert filed.json()["application_id"] in ours and filed.json()["application_id"] not in others
