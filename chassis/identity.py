"""Identity and tenancy: a signed JWT says who is calling (tenant, role, subject).

The tenant is taken from the verified token and nowhere else: never from a body,
a query string or a path."""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass

import jwt

from chassis.config import TENANT_RE
from chassis.errors import Unauthenticated

ALGORITHM = "HS256"
ISSUER = "jingban"

# Roles a token may carry. `supervisor` belongs to the agency (医保经办机构) and reads
# across the tenants of its program; `service` is a Jingban service acting for a tenant.
ROLES = frozenset(
    {"applicant", "clerk", "reviewer", "expert", "finance", "inspector", "supervisor", "ops", "institution",
     "service"}
)


@dataclass(frozen=True)
class Identity:
    tenant: str
    role: str
    subject: str
    program: str = ""


current_identity: contextvars.ContextVar[Identity | None] = contextvars.ContextVar("identity", default=None)


def issue_token(secret: str, tenant: str, role: str, subject: str, ttl_seconds: int = 8 * 3600,
                program: str = "") -> str:
    """Sign a token. Used by the dev issuer (`jingban token`) and by services acting for a tenant."""
    if not TENANT_RE.match(tenant):
        raise ValueError(f"invalid tenant id {tenant!r}")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {sorted(ROLES)}")
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": subject, "tenant": tenant, "role": role, "iat": now, "exp": now + ttl_seconds}
    if program:
        claims["program"] = program
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Identity:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "sub", "iss"]})
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"invalid token: {exc}") from exc
    tenant, role = claims.get("tenant", ""), claims.get("role", "")
    if not isinstance(tenant, str) or not TENANT_RE.match(tenant):
        raise Unauthenticated("token carries no valid tenant")
    if role not in ROLES:
        raise Unauthenticated("token carries no valid role")
    return Identity(tenant=tenant, role=role, subject=str(claims["sub"]), program=str(claims.get("program", "")))


def bearer(header: str | None) -> str:
    if not header:
        raise Unauthenticated("missing bearer token")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("authorization must be 'Bearer <token>'")
    return token.strip()
