"""Tokens for tests, from whichever issuer the services under test trust (jingban/tokens.py):

- in-process tests (unit, component, embedded): the process's development issuer;
- local-mode tests (e2e, faults, integration against services): the real identity provider, the launcher's
  Keycloak (`use_provider(issuer)`, called by the local-mode fixtures)."""

from __future__ import annotations

from typing import Any

from chassis.config import SERVICES
from chassis.rpc import TENANT_HEADER, USER_HEADER
from jingban.tokens import DevTokens, ProviderTokens, Tokens

_source: Tokens = DevTokens()


def use_provider(issuer: str) -> Tokens:
    """Switch this process's test tokens to the real provider at `issuer` (the launcher's Keycloak)."""
    global _source
    from tests.support.infra import keycloak_admin

    if isinstance(_source, ProviderTokens) and _source.issuer == issuer.rstrip("/"):
        return _source
    user, password = keycloak_admin()
    _source = ProviderTokens(issuer, user, password, {s: f"local-{s}-secret" for s in SERVICES})
    return _source


def use_dev_issuer() -> None:
    global _source
    _source = DevTokens()


def current() -> Tokens:
    return _source

def user_token(tenant: str, role: str, subject: str = "u1", program: str = "") -> str:
    return _source.user_token(tenant, role, subject, program)


def auth(tenant: str, role: str, subject: str = "u1", program: str = "") -> dict[str, str]:
    """HTTP headers of a user's token."""
    return {"authorization": f"Bearer {user_token(tenant, role, subject, program)}"}


def service_metadata(service: str, tenant: str, user: str | None = None) -> tuple[tuple[str, str], ...]:
    """gRPC metadata of a Jingban service acting for `tenant` (its own client-credentials token), forwarding a
    user's token when given."""
    md: list[tuple[str, str]] = [("authorization", f"Bearer {_source.service_token(service)}"),
                                 (TENANT_HEADER, tenant)]
    if user:
        md.append((USER_HEADER, user))
    return tuple(md)


def user_metadata(tenant: str, role: str, subject: str = "u1", program: str = "") -> tuple[tuple[str, str], ...]:
    """gRPC metadata of a user calling directly."""
    return (("authorization", f"Bearer {user_token(tenant, role, subject, program)}"),)


def claims_of(token: str) -> dict[str, Any]:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})
