"""One tenant scope (租户范围): who is calling and which tenants' data they may open, built once at the door —
HTTP (`chassis.http.Scope`), gRPC (`chassis.rpc.current_scope()`) and the event consumer
(`ServiceContext.scope_for(event)`) — from the verified token (or the event's tenant) and nothing else. It is the
only thing a door opens a tenant's database with: its own tenant by default, another only when the caller may read
it (an agency supervisor reads its program's tenants served here), never a tenant this deployment does not serve."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chassis.errors import Forbidden, TenantNotServed
from chassis.identity import Identity
from chassis.programs import program_of_tenant, readable_tenants

SERVICE_ROLE = "service"


@dataclass(frozen=True)
class TenantScope:
    identity: Identity
    readable: tuple[str, ...]
    program: str
    _open: Callable[[str], Any] = field(repr=False, compare=False)

    @property
    def tenant(self) -> str:
        return self.identity.tenant

    @property
    def role(self) -> str:
        return self.identity.role

    @property
    def subject(self) -> str:
        return self.identity.subject

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"role {self.role!r} may not do this; needs one of {sorted(roles)}")

    def may_read(self, tenant: str) -> bool:
        return tenant in self.readable

    def db(self, tenant: str | None = None) -> Any:
        """The service's database of the caller's tenant, or of a tenant the caller may read."""
        tenant = tenant or self.tenant
        if tenant != self.tenant and tenant not in self.readable:
            raise Forbidden(f"tenant {tenant!r} is not readable with this token", "tenant")
        return self._open(tenant)


def tenant_scope(identity: Identity, served: frozenset[str] | tuple[str, ...],
                 open_db: Callable[[str], Any]) -> TenantScope:
    """Refuses a token of a tenant this deployment does not serve (nothing of it is read or written here)."""
    if identity.tenant not in served:
        raise TenantNotServed(f"tenant {identity.tenant!r} is not served by this deployment")
    ordered = tuple(sorted(served))
    readable = readable_tenants(identity.tenant, identity.role, identity.program, ordered)
    program = program_of_tenant(identity.tenant)
    return TenantScope(identity, readable, program.code if program else identity.program, open_db)


def event_scope(tenant: str, service: str, served: frozenset[str] | tuple[str, ...],
                open_db: Callable[[str], Any]) -> TenantScope:
    """The scope an event's handler works in: the event's tenant (already checked by the consumer), as the service."""
    return tenant_scope(Identity(tenant=tenant, role=SERVICE_ROLE, subject=service), served, open_db)
