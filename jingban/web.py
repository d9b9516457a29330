"""The web gateway (网页网关): the web app's one origin, `http://127.0.0.1:8100` by default (`JINGBAN_WEB_PORT`).

- `GET /config.json`: what the browser needs to log in and link out — the OpenID issuer (`authority`), the public
  client `jingban-web`, the Zipkin URL (or ""), the mode, the served tenants and, in embedded mode, the demo logins;
- `/api/<service>/<path>`: that service's HTTP `<path>`, method, query, body and headers passed as they are and the
  answer (status, headers such as `x-trace-id`, body) passed back, streamed both ways (uploads and downloads are
  never held whole here). The gateway adds no identity of its own: the browser's `Authorization` is the only one,
  and every service takes the tenant from that token. Hop-by-hop headers and cookies are not forwarded;
- anything else: the built single-page app (`web/dist`; a path that is not a file gets `index.html`, the app's
  router takes it from there), or a page saying to run `make web` when it is not built.

It writes no log line per request (the services log what they serve, masked): query strings and bodies may carry
personal data. `jingban run` serves it in-process beside the embedded platform (`WebServer`); local mode runs it as
its own process (`python -m jingban.web`, started by `jingban.local up`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)

from chassis.config import DEFAULT_HTTP_PORTS, SERVICES, Settings
from chassis.dev_issuer import DEV_ISSUER, WEB_CLIENT_ID, demo_logins, web_port

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
log = logging.getLogger("jingban.web")

# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded (plus those a `connection` header names).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                        "te", "trailer", "trailers", "transfer-encoding", "upgrade"})
# Also kept from the services: the browser's host (the upstream's own is sent), its cookies (the services read who
# is calling from the bearer token only; nothing of this origin's cookies is theirs) and `expect` (100-continue is
# answered to the browser here; the body then streams on).
_NOT_FORWARDED = HOP_BY_HOP | {"host", "cookie", "expect"}
# Long downloads and uploads stream; a stalled upstream is given up after this long without a byte.
_TIMEOUT = httpx.Timeout(connect=5.0, read=300.0, write=300.0, pool=10.0)
_SPA_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin", "x-frame-options": "SAMEORIGIN"}
_IMMUTABLE = "public, max-age=31536000, immutable"  # Vite's hashed files under assets/


@dataclass(frozen=True)
class WebConfig:
    """`GET /config.json`, the web app's whole configuration (THE WEB CONTRACT)."""

    authority: str
    mode: str  # embedded | local
    tenants: tuple[str, ...]
    zipkin_url: str = ""
    demo_logins: tuple[Mapping[str, str], ...] = field(default_factory=tuple)
    client_id: str = WEB_CLIENT_ID

    def to_json(self) -> dict[str, Any]:
        return {"authority": self.authority, "client_id": self.client_id, "zipkin_url": self.zipkin_url,
                "mode": self.mode, "tenants": list(self.tenants), "demo_logins": [dict(d) for d in self.demo_logins]}


def embedded_config(tenants: tuple[str, ...], zipkin_url: str = "") -> WebConfig:
    """Embedded mode: the development issuer, and its demo users listed for the login screen."""
    return WebConfig(DEV_ISSUER, "embedded", tuple(tenants), zipkin_url, tuple(demo_logins(tenants)))


def local_config(authority: str, tenants: tuple[str, ...], zipkin_url: str = "") -> WebConfig:
    """Local mode: the identity provider's realm (Keycloak) is the authority; its login page is its own."""
    return WebConfig(authority.rstrip("/"), "local", tuple(tenants), zipkin_url)


def zipkin_base(env: Mapping[str, str]) -> str:
    """Where Zipkin's UI is (`<url>/zipkin/traces/<id>`): `JINGBAN_ZIPKIN_URL`, else the origin of the spans'
    endpoint `OTEL_EXPORTER_ZIPKIN_ENDPOINT`; "" without Zipkin."""
    if env.get("JINGBAN_ZIPKIN_URL"):
        return env["JINGBAN_ZIPKIN_URL"].rstrip("/")
    endpoint = env.get("OTEL_EXPORTER_ZIPKIN_ENDPOINT", "")
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _error(status: int, code: str, message: str, field_: str = "") -> JSONResponse:
    """The services' error shape (`{"error": {"code", "message", "field"?}}`), so the app handles one kind."""
    body: dict[str, str] = {"code": code, "message": message}
    if field_:
        body["field"] = field_
    return JSONResponse({"error": body}, status_code=status)


def _placeholder(upstreams: Mapping[str, str]) -> str:
    apis = "\n".join(f"<li><a href=\"{url}/docs\">{name}</a> <code>{url}/docs</code></li>"
                     for name, url in upstreams.items())
    return f"""<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>网页应用尚未构建 The web app is not built yet · 经办 Jingban</title></head>
<body><main style="font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1f2937">
<h1>网页应用尚未构建 <span lang="en">The web app is not built yet</span></h1>
<p>请在仓库目录运行 <code>make web</code>，然后刷新本页。
<span lang="en">Run <code>make web</code> in the repository, then reload this page.</span></p>
<h2>各服务的接口文档 <span lang="en">The services' API pages meanwhile</span></h2>
<ul>
{apis}
</ul>
</main></body>
</html>
"""


class WebGateway:
    """The gateway as an ASGI application. `upstreams`: service → its HTTP base URL; `transport`: for tests."""

    def __init__(self, upstreams: Mapping[str, str], config: WebConfig, dist: Path = DIST,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.upstreams = {name: url.rstrip("/") for name, url in upstreams.items()}
        self.config = config
        self.dist = dist
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # No redirects followed (the browser sees them), no environment proxies (upstreams are this platform's).
            self._client = httpx.AsyncClient(transport=self._transport, timeout=_TIMEOUT, follow_redirects=False,
                                             trust_env=False,
                                             limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1000})
            return
        path: str = scope["path"]
        if path == "/api" or path.startswith("/api/"):
            response = await self._proxy(scope, receive)
        elif path == "/config.json":
            response = JSONResponse(self.config.to_json(), headers={"cache-control": "no-store"})
        else:
            response = self._static(scope)
        await response(scope, receive, send)

    # ---- /api/<service>/<path> ----------------------------------------------------------------------------------

    async def _proxy(self, scope: dict[str, Any], receive: Any) -> Response:
        # The path as the browser sent it (percent-encoding kept): the service decodes it once, as if called directly.
        raw_path: bytes = (scope.get("raw_path") or scope["path"].encode()).split(b"?", 1)[0]
        service, _, rest = raw_path.removeprefix(b"/api/").partition(b"/")
        base = self.upstreams.get(service.decode("latin-1")) if raw_path.startswith(b"/api/") else None
        if base is None:
            return _error(404, "unknown_service", "/api/<service>/... names one of the services: "
                          + ", ".join(self.upstreams), "service")
        query: bytes = scope.get("query_string", b"")
        url = httpx.URL(base).copy_with(raw_path=b"/" + rest + (b"?" + query if query else b""))
        request = Request(scope, receive)
        headers = _forwardable(scope["headers"])
        has_body = any(k == b"transfer-encoding" for k, _ in scope["headers"]) or request.headers.get(
            "content-length", "0") not in ("", "0")
        upstream_request = self._http().build_request(scope["method"], url, headers=headers,
                                                      content=request.stream() if has_body else None)
        try:
            upstream = await self._http().send(upstream_request, stream=True)
        except ClientDisconnect:  # the browser went away mid-upload: nobody to answer
            return Response(status_code=400)
        except httpx.TimeoutException:
            log.warning("upstream timed out", extra={"upstream": service.decode("latin-1")})
            return _error(504, "unavailable", "the service did not answer in time; try again")
        except httpx.HTTPError as exc:  # refused, reset: the service is down or restarting
            log.warning("upstream unreachable: %s", type(exc).__name__, extra={"upstream": service.decode("latin-1")})
            return _error(503, "unavailable", "the service is not reachable right now; try again shortly")

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in upstream.aiter_raw():  # as sent: a compressed body stays compressed
                    yield chunk
            finally:
                await upstream.aclose()

        response = StreamingResponse(body(), status_code=upstream.status_code,
                                     background=BackgroundTask(upstream.aclose))
        response.raw_headers = _forwardable(upstream.headers.raw, response=True)
        return response

    # ---- the single-page app ------------------------------------------------------------------------------------

    def _static(self, scope: dict[str, Any]) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse("method not allowed", status_code=405, headers={"allow": "GET, HEAD"})
        index = self.dist / "index.html"
        if not index.is_file():
            return HTMLResponse(_placeholder(self.upstreams), headers={**_SPA_HEADERS, "cache-control": "no-store"})
        relative = scope["path"].lstrip("/")
        parts = [p for p in relative.split("/") if p]
        if "\x00" in relative:  # no file is named so (and the path API refuses it)
            return PlainTextResponse("not found", status_code=404, headers=_SPA_HEADERS)
        if parts and not any(p.startswith(".") for p in parts):
            root = self.dist.resolve()
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                cache = _IMMUTABLE if parts[0] == "assets" else "no-cache"
                return FileResponse(candidate, headers={**_SPA_HEADERS, "cache-control": cache})
        if parts and "." in parts[-1]:  # a file that is not there (a stale asset): not the app's page
            return PlainTextResponse("not found", status_code=404, headers=_SPA_HEADERS)
        return FileResponse(index, headers={**_SPA_HEADERS, "cache-control": "no-cache"})


def _forwardable(headers: list[tuple[bytes, bytes]], response: bool = False) -> list[tuple[bytes, bytes]]:
    """End-to-end headers only: hop-by-hop ones and those the `connection` header names are dropped (a request
    also loses host and cookie). Repeated headers stay repeated."""
    named = {t.strip().lower() for k, v in headers if k.lower() == b"connection" for t in v.split(b",")}
    dropped = HOP_BY_HOP if response else _NOT_FORWARDED
    return [(k.lower(), v) for k, v in headers
            if k.lower().decode("latin-1") not in dropped and k.lower() not in named]


class WebServer:
    """The gateway served by uvicorn inside a running event loop (beside the embedded platform, as its development
    issuer is)."""

    def __init__(self, gateway: WebGateway, port: int, host: str = "127.0.0.1") -> None:
        self.gateway, self.host, self.port = gateway, host, port
        self._server = uvicorn.Server(uvicorn.Config(gateway, host=host, port=port, log_config=None,
                                                     lifespan="off", access_log=False))
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        # The socket is bound here, not by uvicorn: uvicorn answers a taken port with sys.exit, which would end the
        # whole process (the embedded platform with it) instead of saying which port to change.
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise RuntimeError(f"the web app cannot listen on {self.host}:{self.port} ({exc.strerror}): set "
                               "JINGBAN_WEB_PORT to a free port") from exc
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.02)
            if self._task.done():
                self._task.result()
                raise RuntimeError(f"the web app stopped while starting on {self.host}:{self.port}")

    async def stop(self) -> None:
        if self._task is not None:
            self._server.should_exit = True
            await self._task
            self._task = None
        await self.gateway.aclose()


def main(argv: list[str] | None = None) -> int:
    """`python -m jingban.web`: the gateway as its own process (local mode: `jingban.local up` starts it)."""
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m jingban.web", description="Jingban web gateway (网页网关)")
    parser.add_argument("--mode", choices=("local", "embedded"), default="local")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=web_port())
    parser.add_argument("--port-offset", type=int, default=0, help="the services' HTTP ports are 8101.. + offset")
    parser.add_argument("--authority", default=env.get("JINGBAN_OIDC_ISSUER", ""),
                        help="the OpenID issuer the web app logs in with (default $JINGBAN_OIDC_ISSUER)")
    parser.add_argument("--zipkin-url", default=zipkin_base(env))
    parser.add_argument("--dist", default=str(DIST), help="the built web app")
    args = parser.parse_args(argv)
    tenants = Settings.from_env().tenants
    if args.mode == "local":
        if not args.authority:
            print("jingban web: no identity provider: set JINGBAN_OIDC_ISSUER or --authority", file=sys.stderr)
            return 2
        config = local_config(args.authority, tenants, args.zipkin_url)
    else:
        config = embedded_config(tenants, args.zipkin_url)
    upstreams = {s: f"http://127.0.0.1:{DEFAULT_HTTP_PORTS[s] + args.port_offset}" for s in SERVICES}
    from chassis.logs import setup_logging

    setup_logging("web", "WARNING")
    uvicorn.run(WebGateway(upstreams, config, Path(args.dist)), host=args.host, port=args.port, log_config=None,
                access_log=False, lifespan="on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
