"""FastAPI doors every service shares: identity from the bearer token, precise errors, health."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from chassis.errors import Forbidden, JingbanError, TenantNotServed, TransientOutage, Unauthenticated
from chassis.identity import Identity, bearer, current_identity, verify_token

ReadyCheck = Callable[[], Awaitable[dict[str, Any]]]


INTERRUPTED = {"error": {"code": "Interrupted", "message": (
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
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json"), (b"retry-after", b"5"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            # Answered: the request's task ends here (the work below already handed itself back on the way out).


def create_app(service: str, title: str, secret: str, ready: ReadyCheck) -> FastAPI:
    app = FastAPI(title=title, version="0.1.0", docs_url="/docs", openapi_url="/openapi.json")
    app.state.jwt_secret = secret
    app.state.service = service

    @app.exception_handler(JingbanError)
    async def _domain_error(_: Request, exc: JingbanError) -> JSONResponse:
        body: dict[str, object] = {"code": type(exc).__name__, "message": exc.message}
        if exc.fields:
            body["fields"] = exc.fields
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        return JSONResponse({"error": body}, status_code=exc.http_status, headers=headers)

    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        # The store or a peer is away: nothing was decided, so say "try again" rather than a bare 500.
        return JSONResponse({"error": {"code": "Unavailable",
                                       "message": "a backing service is unavailable; try again shortly"}},
                            status_code=503, headers={"Retry-After": "5"})

    from pymongo.errors import ConnectionFailure

    for transient in (ConnectionFailure, TransientOutage, ConnectionError, TimeoutError):
        app.add_exception_handler(transient, _unavailable)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "message": err.get("msg", "")}
            for err in exc.errors()
        ]
        return JSONResponse({"error": {"code": "InvalidInput", "message": "request is invalid", "fields": fields}},
                            status_code=422)

    from prometheus_client import make_asgi_app

    from chassis.metrics import HTTP_LATENCY, HTTP_REQUESTS

    app.mount("/metrics", make_asgi_app())

    @app.middleware("http")
    async def _count(request: Request, call_next):  # type: ignore[no-untyped-def]
        import time

        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(service, request.method, route, str(response.status_code)).inc()
        HTTP_LATENCY.labels(service, route).observe(time.perf_counter() - started)
        return response

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


async def authenticated(request: Request) -> Identity:
    """The caller's identity from `Authorization: Bearer <jwt>`; the only source of the tenant."""
    ident = verify_token(request.app.state.jwt_secret, bearer(request.headers.get("authorization")))
    served = getattr(request.app.state, "tenants", None)
    if served is not None and ident.tenant not in served:
        raise TenantNotServed(f"tenant {ident.tenant!r} is not served by this deployment")
    current_identity.set(ident)
    return ident


Caller = Annotated[Identity, Depends(authenticated)]


def require_role(ident: Identity, *roles: str) -> None:
    if ident.role not in roles:
        raise Forbidden(f"role {ident.role!r} may not do this; needs one of {sorted(roles)}")
