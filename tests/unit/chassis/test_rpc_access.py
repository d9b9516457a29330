"""Least privilege between services (chassis/rpc.py authorize_call): each RPC admits named calling services and
user roles; a service acts only for a tenant its own token lists; a forwarded user keeps the user's limits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chassis.dev_issuer import DevIssuer
from chassis.errors import Forbidden, TenantNotServed, Unauthenticated
from chassis.identity import Identity
from chassis.rpc import TENANT_HEADER, USER_HEADER, RpcAccess, authorize_call

ISSUER = DevIssuer.generate()
RULE = RpcAccess(services=frozenset({"intake"}), roles=frozenset({"clerk", "applicant"}))
SERVED = frozenset({"hz-p1", "hz-p2"})


def call(md: dict[str, str], rule: RpcAccess | None = RULE, service: str = "appraisal") -> Identity:
    return asyncio.run(authorize_call(ISSUER.verifier(service), md, rule, SERVED))


def bearer(token: str, **extra: str) -> dict[str, Any]:
    return {"authorization": f"Bearer {token}", **extra}


def test_an_admitted_service_acts_for_a_tenant_its_token_lists() -> None:
    ident = call(bearer(ISSUER.service_token("intake", ("hz-p1",)), **{TENANT_HEADER: "hz-p1"}))
    assert (ident.tenant, ident.role, ident.subject) == ("hz-p1", "service", "intake")


@pytest.mark.parametrize(("md", "error"), [
    (bearer(ISSUER.service_token("settlement", ("hz-p1",)), **{TENANT_HEADER: "hz-p1"}), Forbidden),  # not admitted
    (bearer(ISSUER.service_token("intake", ("hz-p1",)), **{TENANT_HEADER: "hz-p2"}), Forbidden),  # not its tenant
    (bearer(ISSUER.service_token("intake", ("hz-p1",))), Forbidden),  # names no tenant
    (bearer(ISSUER.service_token("intake", ("qz-ci",)), **{TENANT_HEADER: "qz-ci"}), TenantNotServed),
    (bearer(ISSUER.token("hz-p1", "finance", "f")), Forbidden),  # role not admitted
    (bearer(ISSUER.token("hz-p1", "clerk", "c", audience="jingban-intake")), Unauthenticated),  # not our audience
    ({}, Unauthenticated),
])
def test_everything_else_is_refused(md: dict[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        call(md)


def test_a_method_without_a_rule_is_closed() -> None:
    with pytest.raises(Forbidden, match="no access rule"):
        call(bearer(ISSUER.token("hz-p1", "clerk", "c")), rule=None)


def test_a_forwarded_user_keeps_the_users_limits() -> None:
    svc = ISSUER.service_token("intake", ("hz-p1", "hz-p2"))
    applicant = ISSUER.token("hz-p1", "applicant", "610702195803120012", audience="jingban-intake")
    ident = call(bearer(svc, **{TENANT_HEADER: "hz-p1", USER_HEADER: applicant}))
    assert (ident.role, ident.subject, ident.tenant) == ("applicant", "610702195803120012", "hz-p1")
    finance = ISSUER.token("hz-p1", "finance", "f", audience="jingban-intake")
    with pytest.raises(Forbidden):  # the service is admitted, the user's role is not
        call(bearer(svc, **{TENANT_HEADER: "hz-p1", USER_HEADER: finance}))
    with pytest.raises(Forbidden):  # the user is of another tenant than the one named
        call(bearer(svc, **{TENANT_HEADER: "hz-p2", USER_HEADER: applicant}))
    not_presented = ISSUER.token("hz-p1", "applicant", "x", audience="jingban-archive")
    with pytest.raises(Unauthenticated):  # a token the user never presented to the calling service
        call(bearer(svc, **{TENANT_HEADER: "hz-p1", USER_HEADER: not_presented}))
