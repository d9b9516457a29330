"""FastAPI doors every service shares: identity from the bearer token, precise errors, health."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from chassis.bodies import media_type, parse_json
from chassis.errors import (
    Forbidden,
    InvalidInput,
    JingbanError,
    PayloadTooLarge,
    TenantNotServed,
    TransientOutage,
    Unauthenticated,
    UnsupportedMediaType,
)
from chassis.identity import Identity, TokenVerifier, bearer, current_identity, current_user_token
from chassis.scope import TenantScope, tenant_scope
from chassis.telemetry import answer_trace_id

M = TypeVar("M", bound=BaseModel)
_HTTP_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_input"}

ReadyCheck = Callable[[], Awaitable[dict[str, Any]]]


# Every answer names the trace of its request (the web contract): the SPA shows it and links it to Zipkin.
TRACE_ID_HEADER = "x-trace-id"
_TRACE_ID_KEY = "jingban.trace_id"  # where TraceIdHeader leaves it in the ASGI scope, for HandBackOnStop
INTERNAL = {"error": {"code": "internal", "message": (
    "the service failed on this request; nothing of it was applied unless it says so elsewhere: try again, and if it "
    "fails again give ops the x-trace-id of this answer")}}


class TraceIdHeader:
    """`x-trace-id: <32 lowercase hex>` on every answer (chassis.telemetry.answer_trace_id): the trace id of the
    server span the instrumentation opens around the app (chassis/host.py), so ops find the request in Zipkin.

    Pure ASGI, the outermost of the app's own middlewares: inside that span, outside whatever answers — the
    exception handlers, 404 and 405, the body limit's 413. An exception nothing handled is answered here too, 500
    `internal` with the header (Starlette's own 500 is given outside every middleware, without it), then raised on
    so the server logs it and the span records it, as before."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = answer_trace_id(scope.get("headers") or ())
        scope[_TRACE_ID_KEY] = trace_id
        started = False

        async def named(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": _with_trace_id(message.get("headers") or [], trace_id)}
            await send(message)

        try:
            await self.app(scope, receive, named)
        except Exception as exc:
            if started:
                raise
            # Recorded now: the server span ends with the answer's last byte, before the instrumentation's own
            # exception recording would see it (the exporters mask it, chassis/telemetry.py).
            span = trace.get_current_span()
            if span.is_recording():
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            body = json.dumps(INTERNAL).encode()
            await named({"type": "http.response.start", "status": 500,
                         "headers": [(b"content-type", b"application/json"),
                                     (b"content-length", str(len(body)).encode())]})
            await named({"type": "http.response.body", "body": body})
            raise


def _with_trace_id(headers: Any, trace_id: str) -> list[tuple[bytes, bytes]]:
    name = TRACE_ID_HEADER.encode()
    return [*((k, v) for k, v in headers if k.lower() != name), (name, trace_id.encode())]


INTERRUPTED = {"error": {"code": "interrupted", "message": (
    "the service stopped before it finished this request; send the same request again when it is back: "
    "an upload with the same batch id continues where it stopped, and nothing is applied twice")}}


class HandBackOnStop:
    """A request still running when the service's graceful stop runs out is cancelled; its caller then gets 503
    `Interrupted` with what to do, not a bare 500. Pure ASGI, wrapped around the whole app by the host (outside
    every middleware, whose own streams are gone by then)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except asyncio.CancelledError:
            if started:
                raise
            body = json.dumps(INTERRUPTED).encode()
            headers = [(b"content-type", b"application/json"), (b"retry-after", b"5"),
                       (b"content-length", str(len(body)).encode())]
            if scope.get(_TRACE_ID_KEY):  # the trace of the request it hands back (TraceIdHeader left it)
                headers = _with_trace_id(headers, scope[_TRACE_ID_KEY])
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            # Answered: the request's task ends here (the work below already handed itself back on the way out).


def create_app(service: str, title: str, ready: ReadyCheck, verifier: TokenVerifier | None = None) -> FastAPI:
    """A service's HTTP app. The host sets `app.state.verifier` (chassis/trust.py) before serving; until then every
    authenticated route answers 401."""
    app = FastAPI(title=title, version="0.1.0", docs_url="/docs", openapi_url="/openapi.json")
    app.state.verifier = verifier
    app.state.service = service

    @app.exception_handler(JingbanError)
    async def _domain_error(_: Request, exc: JingbanError) -> JSONResponse:
        body = exc.to_json()
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        return JSONResponse({"error": body}, status_code=exc.http_status, headers=headers)

    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        # The store or a peer is away: nothing was decided, so say "try again" rather than a bare 500.
        return JSONResponse({"error": {"code": "unavailable",
                                       "message": "a backing service is unavailable; try again shortly"}},
                            status_code=503, headers={"Retry-After": "5"})

    from pymongo.errors import ConnectionFailure

    for transient in (ConnectionFailure, TransientOutage, ConnectionError, TimeoutError):
        app.add_exception_handler(transient, _unavailable)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # The framework's own refusals (no such route, wrong method) answer in the same shape, with a stable code.
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI could not read a body it parses itself (too deep, not text): the caller's input, named.
            if _needs_identity(request):
                try:
                    await authenticated(request)
                except JingbanError as refused:
                    return await _domain_error(request, refused)
            return JSONResponse({"error": InvalidInput("the body cannot be read as JSON", "body",
                                                       code="invalid_json").to_json()}, status_code=422)
        code = _HTTP_CODES.get(exc.status_code, "invalid_request")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI reads a JSON body (and validates parameters) before the route's dependencies run: an anonymous or
        # forged caller of an authenticated route learns nothing of its shape — 401, never 422.
        if _needs_identity(request):
            try:
                await authenticated(request)
            except JingbanError as refused:
                return await _domain_error(request, refused)
        fields = [
            {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "message": err.get("msg", "")}
            for err in exc.errors()
        ]
        error = InvalidInput(fields[0]["message"] if len(fields) == 1 else "request is invalid",
                             fields[0]["field"] if fields else None, fields)
        return JSONResponse({"error": error.to_json()}, status_code=422)

    from prometheus_client import make_asgi_app

    from chassis.metrics import HTTP_LATENCY, HTTP_REQUESTS

    app.mount("/metrics", make_asgi_app())

    # The streaming body limit (chassis/body_limit.py): before routing, parsing and authentication. Added before
    # the counter below, it runs inside it, so its 413s are counted too.
    from chassis.body_limit import BodyLimit

    app.add_middleware(BodyLimit)

    @app.middleware("http")
    async def _count(request: Request, call_next):  # type: ignore[no-untyped-def]
        import time

        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(service, request.method, route, str(response.status_code)).inc()
        HTTP_LATENCY.labels(service, route).observe(time.perf_counter() - started)
        return response

    # Added last, so outermost of the app's middlewares: every answer above, and the 500 of an unhandled error, names
    # its trace. Services are reached through the web gateway's one origin (no CORS here); a CORS middleware added
    # later must list x-trace-id in its expose_headers.
    app.add_middleware(TraceIdHeader)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """200 when the store and broker answer and every consumer group is running with its partitions;
        503 otherwise, with the detail per check, per consumer group and of the outbox."""
        report = await ready()
        checks: dict[str, bool] = report.get("checks", report)
        ready_now = all(checks.values())
        return JSONResponse({"ready": ready_now, "service": service, **report, "checks": checks},
                            status_code=200 if ready_now else 503)

    return app


def _needs_identity(request: Request) -> bool:
    """Whether the matched route takes the caller's identity (any dependency on `authenticated`/`scoped`)."""
    route = request.scope.get("route")
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is None:
            continue
        if dependant.call in (authenticated, scoped):
            return True
        pending.extend(dependant.dependencies)
    return False


async def authenticated(request: Request) -> Identity:
    """The caller's identity from `Authorization: Bearer <jwt>`; the only source of the tenant."""
    verifier: TokenVerifier | None = getattr(request.app.state, "verifier", None)
    if verifier is None:
        raise Unauthenticated("this service trusts no issuer yet")
    raw = bearer(request.headers.get("authorization"))
    ident = await verifier.verify(raw)
    if ident.is_service:
        raise Unauthenticated("a service's own token names no tenant: HTTP doors take a user's token")
    current_user_token.set(raw)
    served = getattr(request.app.state, "tenants", None)
    if served is not None and ident.tenant not in served:
        raise TenantNotServed(f"tenant {ident.tenant!r} is not served by this deployment")
    current_identity.set(ident)
    return ident


Caller = Annotated[Identity, Depends(authenticated)]


async def scoped(request: Request) -> TenantScope:
    """The caller's tenant scope (chassis/scope.py): the only way a door opens a tenant's database."""
    ident = await authenticated(request)
    served = getattr(request.app.state, "tenants", None)
    return tenant_scope(ident, served if served is not None else frozenset({ident.tenant}), request.app.state.open_db)


Scope = Annotated[TenantScope, Depends(scoped)]


def admit(*roles: str) -> Any:
    """The roles a route admits, as a route dependency (`@r.post(..., dependencies=[admit("clerk")])`): checked right
    after the token and before FastAPI validates the route's declared parameters and body, so a role that may not use
    the route gets 403 whatever it sent — never a 422 that describes a body it may not send. For routes that declare
    a body model; a route that reads its body itself calls `scope.require` first."""

    async def admitted(scope: Scope) -> None:
        scope.require(*roles)

    return Depends(admitted)


def content_type(request: Request) -> str:
    """The request's media type, lower case, without parameters."""
    return media_type(request.headers.get("content-type"))


async def read_raw(request: Request, limit: int = 1 << 20) -> bytes:
    """The body, refused before it is read when its declared length is over `limit`, and as soon as it grows past it
    while streaming (never read whole first; the route's own limit is enforced before, chassis/body_limit.py)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body is larger than {limit} bytes", "body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is larger than {limit} bytes", "body")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, max_bytes: int = 1 << 20, *, exact_numbers: bool = True,
                    object_required: bool = False, media_required: bool = False) -> Any:
    """A JSON body, with a precise error for the wrong content type, an oversized or an unreadable body. A body
    without a content type is read as JSON unless `media_required`."""
    kind = content_type(request)
    if (kind or media_required) and kind != "application/json" and not kind.endswith("+json"):
        raise UnsupportedMediaType("send application/json", "content-type")
    raw = await read_raw(request, max_bytes)
    return parse_json(raw or b"null", exact_numbers=exact_numbers, object_required=object_required)


async def read_body(request: Request, model: type[M], max_bytes: int = 1 << 20) -> M:
    """A JSON body validated against a pydantic model; errors name the field."""
    from pydantic import ValidationError

    data = await read_json(request, max_bytes)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = [{"field": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", "")}
                  for err in exc.errors()]
        raise InvalidInput(fields[0]["message"] if len(fields) == 1 else "request is invalid",
                           fields[0]["field"] if fields else None, fields) from None


def require_role(ident: Identity, *roles: str) -> None:
    if ident.role not in roles:
        raise Forbidden(f"role {ident.role!r} may not do this; needs one of {sorted(roles)}")
