"""Token verification (chassis/identity.py) and the development issuer: every way a token can be wrong is refused,
and nothing but an asymmetric signature by a trusted key gets through."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from chassis.dev_issuer import DEV_ISSUER, DevIssuer
from chassis.errors import Unauthenticated
from chassis.identity import StaticKeys, TokenVerifier, bearer, identity_from_claims

ISSUER = DevIssuer.generate()


def verify(token: str, service: str = "intake", issuer: DevIssuer = ISSUER, max_lifetime_s: int = 12 * 3600) -> Any:
    return asyncio.run(issuer.verifier(service, max_lifetime_s).verify(token))


def test_a_user_token_round_trips_with_its_claims() -> None:
    ident = verify(ISSUER.token("hz-p1", "supervisor", "agency-1", program="hz-chronic"))
    assert (ident.tenant, ident.role, ident.subject, ident.program) == ("hz-p1", "supervisor", "agency-1",
                                                                        "hz-chronic")
    assert not ident.is_service


def test_a_service_token_names_its_service_and_tenants_not_a_tenant() -> None:
    ident = verify(ISSUER.service_token("appraisal", ("hz-p1", "hz-p2")))
    assert ident.is_service and ident.service == "appraisal" and ident.tenants == ("hz-p1", "hz-p2")
    assert ident.tenant == ""


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": DEV_ISSUER, "sub": "u", "subject": "u", "tenant": "hz-p1", "role": "clerk",
            "aud": ["jingban-intake"], "iat": now, "exp": now + 300}
    return {**base, **over}


def test_expired_wrong_audience_wrong_issuer_and_overlong_tokens_are_refused() -> None:
    now = int(time.time())
    cases = {
        "expired": _claims(iat=now - 900, exp=now - 600),
        "other service's audience": _claims(aud=["jingban-archive"]),
        "no audience": {k: v for k, v in _claims().items() if k != "aud"},
        "other issuer": _claims(iss="http://evil.example/realms/jingban"),
        "lives two days": _claims(exp=now + 2 * 86400),
        "no iat": {k: v for k, v in _claims().items() if k != "iat"},
        "bad tenant": _claims(tenant="../admin"),
        "unknown role": _claims(role="king"),
        "service role from a user client": _claims(role="service", azp="jingban-cli"),
    }
    for what, claims in cases.items():
        token = jwt.encode(claims, ISSUER._key, algorithm="ES256", headers={"kid": ISSUER.kid})
        with pytest.raises(Unauthenticated):
            verify(token)
        assert what


def test_alg_none_hs256_with_the_public_key_and_unknown_keys_are_refused() -> None:
    claims = _claims()
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": ISSUER.kid})
    with pytest.raises(Unauthenticated, match="algorithm"):
        verify(unsigned)
    # The classic confusion: HS256 "signed" with the public key as the HMAC secret.
    public_pem = ISSUER._key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": ISSUER.kid}).encode())
    import hashlib
    import hmac

    body = base64.urlsafe_b64encode(json.dumps(claims).encode())
    signing_input = header.rstrip(b"=") + b"." + body.rstrip(b"=")
    mac = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    with pytest.raises(Unauthenticated, match="algorithm"):
        verify((signing_input + b"." + mac).decode())
    stranger = DevIssuer.generate()
    with pytest.raises(Unauthenticated, match="unknown key"):
        verify(stranger.token("hz-p1", "clerk", "x"))
    no_kid = jwt.encode(claims, ISSUER._key, algorithm="ES256")
    with pytest.raises(Unauthenticated, match="kid"):
        verify(no_kid)
    with pytest.raises(Unauthenticated):
        verify("not.a.jwt")


def test_key_rotation_by_kid() -> None:
    old, new = DevIssuer.generate(), DevIssuer.generate()
    verifier = TokenVerifier(DEV_ISSUER, "jingban-intake",
                             StaticKeys({old.kid: old._key.public_key(), new.kid: new._key.public_key()}))
    for issuer in (old, new):
        assert asyncio.run(verifier.verify(issuer.token("hz-p1", "clerk", "u"))).tenant == "hz-p1"


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer "])
def test_bearer_header_shape(header: str | None) -> None:
    with pytest.raises(Unauthenticated):
        bearer(header)


def test_the_dev_issuer_refuses_unknown_roles_and_tenants() -> None:
    with pytest.raises(ValueError):
        ISSUER.token("hz-p1", "king", "u")
    with pytest.raises(ValueError):
        ISSUER.token("HZ P1", "clerk", "u")
    with pytest.raises(ValueError):
        ISSUER.token("hz-p1", "service", "u")  # a service's token comes from its own client only


def test_claims_from_keycloak_shapes() -> None:
    """Keycloak's attribute mappers may answer a list for a multivalued attribute; tenants as a list."""
    ident = identity_from_claims({"sub": "uuid", "tenant": "hz-p1", "role": ["clerk"]})
    assert (ident.role, ident.subject) == ("clerk", "uuid")
    svc = identity_from_claims({"sub": "uuid", "role": "service", "azp": "jingban-intake",
                                "tenants": ["hz-p1", "xy-c"]})
    assert svc.service == "intake" and svc.tenants == ("hz-p1", "xy-c")


def test_the_dev_issuer_keeps_its_key(tmp_path: Any) -> None:
    a = DevIssuer.load_or_create(tmp_path / "k.pem")
    b = DevIssuer.load_or_create(tmp_path / "k.pem")
    assert a.kid == b.kid and (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
    assert a.jwks()["keys"][0]["kid"] == a.kid and "d" not in a.jwks()["keys"][0]
