"""gRPC doors every service shares (least privilege between services):

- every call carries a verified token: a Jingban service's own client-credentials token (naming in
  `x-jingban-tenant` the tenant it acts for, which its token must list) or a user's token;
- each RPC has an access rule (`RpcAccess`: the calling services and user roles it admits), declared beside the
  servicer in the room's rpc.py; a method without a rule is closed, and so is every non-unary method;
- a user's request forwarded by a service (`x-jingban-user`) keeps the user's limits: the user's role must be
  admitted and the servicer sees the user's scope (an applicant reads only their own file);
- errors map to status codes with the stable code in the `jingban-error-code` trailer;
- channels run over TLS when the service has certificates (local mode: the launcher's CA)."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from chassis.errors import Forbidden, JingbanError, TenantNotServed, Unauthenticated
from chassis.identity import (
    SERVICE_ROLE,
    Identity,
    TokenVerifier,
    audience_of,
    bearer,
    current_identity,
    current_user_token,
)
from chassis.scope import TenantScope, tenant_scope

OPEN_METHODS = ("/grpc.health.v1.Health/", "/grpc.reflection.")
TENANT_HEADER = "x-jingban-tenant"
USER_HEADER = "x-jingban-user"


@dataclass(frozen=True)
class RpcAccess:
    """Who may call one RPC: Jingban services acting with their own token, and user roles (calling directly or
    forwarded by an admitted service)."""

    services: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()


def access(service_full_name: str, rules: dict[str, tuple[Iterable[str], Iterable[str]]]) -> dict[str, RpcAccess]:
    """`{method: (services, roles)}` of one gRPC service → rules keyed by the full method path."""
    return {f"/{service_full_name}/{method}": RpcAccess(frozenset(svcs), frozenset(roles))
            for method, (svcs, roles) in rules.items()}


async def authorize_call(verifier: TokenVerifier, metadata: dict[str, str], rule: RpcAccess | None,
                         served: frozenset[str]) -> Identity:
    """The identity a call acts as, or Unauthenticated/Forbidden/TenantNotServed. Pure of gRPC (tested as is)."""
    ident = await verifier.verify(bearer(metadata.get("authorization")))
    if rule is None:
        raise Forbidden("this method has no access rule: closed")
    if ident.is_service:
        if ident.service not in rule.services:
            raise Forbidden(f"service {ident.service!r} may not call this method")
        tenant = metadata.get(TENANT_HEADER, "")
        if not tenant or tenant not in ident.tenants:
            raise Forbidden(f"service {ident.service!r} may not act for tenant {tenant!r}", TENANT_HEADER)
        user_token = metadata.get(USER_HEADER)
        if user_token:
            # The user presented this token to the calling service; it keeps the user's limits here.
            user = await verifier.verify(user_token, audience=audience_of(ident.service))
            if user.is_service or user.tenant != tenant:
                raise Forbidden("the forwarded user does not belong to the tenant named", USER_HEADER)
            if user.role not in rule.roles:
                raise Forbidden(f"role {user.role!r} may not call this method")
            effective = user
        else:
            effective = Identity(tenant=tenant, role=SERVICE_ROLE, subject=ident.service, service=ident.service)
    else:
        if ident.role not in rule.roles:
            raise Forbidden(f"role {ident.role!r} may not call this method")
        effective = ident
    if served and effective.tenant not in served:
        raise TenantNotServed(f"tenant {effective.tenant!r} is not served by this deployment")
    return effective


def _closed(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A non-unary method: refused whatever the token (no streaming door has an access model yet)."""

    async def deny(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, "streaming methods are closed",
                            trailing_metadata=(("jingban-error-code", "forbidden"),))

    return grpc.unary_unary_rpc_method_handler(deny, request_deserializer=handler.request_deserializer,
                                               response_serializer=handler.response_serializer)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Verifies every call against its method's access rule and puts the identity and scope in context."""

    def __init__(self, verifier: TokenVerifier, rules: dict[str, RpcAccess], tenants: Sequence[str] = (),
                 open_db: Callable[[str], Any] | None = None) -> None:
        self._verifier = verifier
        self._rules = rules
        self._tenants = frozenset(tenants)
        self._open_db = open_db

    async def intercept_service(self, continuation: Callable[[Any], Awaitable[grpc.RpcMethodHandler]],
                                details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or details.method.startswith(OPEN_METHODS):
            return handler
        if handler.unary_unary is None:
            return _closed(handler)
        inner = handler.unary_unary
        verifier, served, open_db = self._verifier, self._tenants, self._open_db
        rule = self._rules.get(details.method)

        @functools.wraps(inner)
        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
            metadata = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
            try:
                ident = await authorize_call(verifier, metadata, rule, served)
            except JingbanError as exc:
                await context.abort(grpc.StatusCode[exc.grpc_status], exc.public_message,
                                    trailing_metadata=(("jingban-error-code", exc.code),))
            token = current_identity.set(ident)
            scope_token = current_scope_var.set(
                tenant_scope(ident, served or frozenset({ident.tenant}), open_db or _no_database))
            try:
                return await inner(request, context)
            except JingbanError as exc:
                await context.abort(grpc.StatusCode[exc.grpc_status], exc.public_message,
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


def create_server(verifier: TokenVerifier, servicers: Sequence[Callable[[grpc.aio.Server], Any]],
                  service_names: Sequence[str], rules: dict[str, RpcAccess], tenants: Sequence[str] = (),
                  open_db: Callable[[str], Any] | None = None) -> tuple[grpc.aio.Server, health.aio.HealthServicer]:
    server = grpc.aio.server(interceptors=[AuthInterceptor(verifier, rules, tenants, open_db)])
    for add in servicers:
        add(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection([*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    return server, health_servicer


async def mark_serving(health_servicer: health.aio.HealthServicer, names: Sequence[str]) -> None:
    for name in ["", *names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)


@dataclass(frozen=True)
class TlsFiles:
    """gRPC over TLS: the CA every peer trusts and this service's certificate and key (PEM)."""

    ca: bytes
    cert: bytes
    key: bytes

    @classmethod
    def load(cls, directory: str, service: str) -> TlsFiles | None:
        if not directory:
            return None
        d = Path(directory)
        return cls((d / "ca.pem").read_bytes(), (d / f"{service}.pem").read_bytes(),
                   (d / f"{service}.key").read_bytes())

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials([(self.key, self.cert)], root_certificates=self.ca,
                                           require_client_auth=False)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(root_certificates=self.ca, private_key=self.key,
                                            certificate_chain=self.cert)


class PeerChannels:
    """gRPC channels to other services. Each call carries this service's own token and the tenant it acts for; a
    user's request forwarded keeps the user's token beside it (`forward_user=True`)."""

    def __init__(self, credentials: Any, peers: dict[str, str], caller_service: str,
                 tls: TlsFiles | None = None) -> None:
        self._credentials, self._peers, self._caller, self._tls = credentials, peers, caller_service, tls
        self._channels: dict[str, grpc.aio.Channel] = {}

    def channel(self, service: str) -> grpc.aio.Channel:
        if service not in self._channels:
            target = self._peers[service]
            if self._tls is not None:
                # Certificates name the service (and localhost); the target may be an address.
                self._channels[service] = grpc.aio.secure_channel(
                    target, self._tls.channel_credentials(),
                    options=(("grpc.ssl_target_name_override", service),))
            else:
                self._channels[service] = grpc.aio.insecure_channel(target)
        return self._channels[service]

    async def metadata(self, tenant: str, forward_user: bool = False) -> tuple[tuple[str, str], ...]:
        token = await self._credentials.token()
        md: list[tuple[str, str]] = [("authorization", f"Bearer {token}"), (TENANT_HEADER, tenant)]
        user_token = current_user_token.get()
        if forward_user and user_token:
            md.append((USER_HEADER, user_token))
        return tuple(md)

    async def close(self) -> None:
        for ch in self._channels.values():
            await ch.close()
        self._channels.clear()
        await self._credentials.close()
