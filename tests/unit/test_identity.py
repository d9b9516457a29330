import time

import jwt
import pytest

from chassis.config import DEV_JWT_SECRET
from chassis.errors import Unauthenticated
from chassis.identity import bearer, issue_token, verify_token


def test_round_trip() -> None:
    ident = verify_token(DEV_JWT_SECRET, issue_token(DEV_JWT_SECRET, "hz-p1", "clerk", "u1"))
    assert (ident.tenant, ident.role, ident.subject) == ("hz-p1", "clerk", "u1")


def test_wrong_secret_expired_and_forged_tenant_are_refused() -> None:
    token = issue_token(DEV_JWT_SECRET, "hz-p1", "clerk", "u1")
    with pytest.raises(Unauthenticated):
        verify_token("another-secret-another-secret-another!", token)
    expired = jwt.encode({"iss": "jingban", "sub": "u", "tenant": "hz-p1", "role": "clerk",
                          "exp": int(time.time()) - 10}, DEV_JWT_SECRET, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        verify_token(DEV_JWT_SECRET, expired)
    bad_tenant = jwt.encode({"iss": "jingban", "sub": "u", "tenant": "../admin", "role": "clerk",
                             "exp": int(time.time()) + 60}, DEV_JWT_SECRET, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        verify_token(DEV_JWT_SECRET, bad_tenant)
    unsigned = jwt.encode({"iss": "jingban", "sub": "u", "tenant": "hz-p1", "role": "clerk",
                           "exp": int(time.time()) + 60}, None, algorithm="none")
    with pytest.raises(Unauthenticated):
        verify_token(DEV_JWT_SECRET, unsigned)


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer "])
def test_bearer_header_shape(header: str | None) -> None:
    with pytest.raises(Unauthenticated):
        bearer(header)


def test_issuer_refuses_unknown_roles_and_tenants() -> None:
    with pytest.raises(ValueError):
        issue_token(DEV_JWT_SECRET, "hz-p1", "king", "u")
    with pytest.raises(ValueError):
        issue_token(DEV_JWT_SECRET, "HZ P1", "clerk", "u")
