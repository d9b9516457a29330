"""gRPC doors every service shares: the tenant from the bearer token in metadata, errors mapped to
status codes, standard health and reflection, and client channels that carry a service token."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from chassis.errors import JingbanError, Unauthenticated
from chassis.identity import Identity, bearer, current_identity, issue_token, verify_token
from chassis.scope import TenantScope, tenant_scope

OPEN_METHODS = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Verifies the bearer token of every call and puts the identity in context for the servicer."""

    def __init__(self, secret: str, tenants: Sequence[str] = (), open_db: Callable[[str], Any] | None = None) -> None:
        self._secret = secret
        self._tenants = frozenset(tenants)
        self._open_db = open_db

    async def intercept_service(self, continuation: Callable[[Any], Awaitable[grpc.RpcMethodHandler]],
                                details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or details.method.startswith(OPEN_METHODS) or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary
        secret, served, open_db = self._secret, self._tenants, self._open_db

        @functools.wraps(inner)
        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
            metadata = dict(context.invocation_metadata() or ())
            try:
                ident = verify_token(secret, bearer(metadata.get("authorization")))
            except Unauthenticated as exc:
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, exc.message)
            if served and ident.tenant not in served:
                await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                    f"tenant {ident.tenant!r} is not served by this deployment")
            token = current_identity.set(ident)
            scope_token = current_scope_var.set(
                tenant_scope(ident, served or frozenset({ident.tenant}), open_db or _no_database))
            try:
                return await inner(request, context)
            except JingbanError as exc:
                await context.abort(grpc.StatusCode[exc.grpc_status], exc.message,
                                    trailing_metadata=(("jingban-error-code", exc.code),))
            finally:
                current_scope_var.reset(scope_token)
                current_identity.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            guarded, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


current_scope_var: contextvars.ContextVar[TenantScope | None] = contextvars.ContextVar("scope", default=None)


def _no_database(tenant: str) -> Any:
    raise RuntimeError("this gRPC server was built without a database opener")


def current_scope() -> TenantScope:
    """The calling tenant's scope (chassis/scope.py), set by the interceptor for each call."""
    found = current_scope_var.get()
    if found is None:
        raise Unauthenticated("no identity in context")
    return found


def caller() -> Identity:
    ident = current_identity.get()
    if ident is None:
        raise Unauthenticated("no identity in context")
    return ident


def create_server(secret: str, servicers: Sequence[Callable[[grpc.aio.Server], Any]],
                  service_names: Sequence[str], tenants: Sequence[str] = (),
                  open_db: Callable[[str], Any] | None = None) -> tuple[grpc.aio.Server, health.aio.HealthServicer]:
    server = grpc.aio.server(interceptors=[AuthInterceptor(secret, tenants, open_db)])
    for add in servicers:
        add(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection([*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    return server, health_servicer


async def mark_serving(health_servicer: health.aio.HealthServicer, names: Sequence[str]) -> None:
    for name in ["", *names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)


class PeerChannels:
    """gRPC channels to other services; each call carries a token for the tenant being served."""

    def __init__(self, secret: str, peers: dict[str, str], caller_service: str) -> None:
        self._secret, self._peers, self._caller = secret, peers, caller_service
        self._channels: dict[str, grpc.aio.Channel] = {}

    def channel(self, service: str) -> grpc.aio.Channel:
        if service not in self._channels:
            self._channels[service] = grpc.aio.insecure_channel(self._peers[service])
        return self._channels[service]

    def metadata(self, tenant: str) -> tuple[tuple[str, str], ...]:
        token = issue_token(self._secret, tenant, "service", self._caller, ttl_seconds=300)
        return (("authorization", f"Bearer {token}"),)

    async def close(self) -> None:
        for ch in self._channels.values():
            await ch.close()
        self._channels.clear()
