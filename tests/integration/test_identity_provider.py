"""The local identity provider is a real Keycloak (issue 11, step one): the realm imported from the repo hands out
RS256 tokens, verifiable through the realm's JWKS, whose claims say the tenant, the role (and for an agency
supervisor the program) and the services they are meant for; each service's client gets its own client-credentials
token. Tampered, unsigned and foreign tokens do not verify."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import jwt
import pytest

from tests.support.infra import oidc_issuer

pytestmark = pytest.mark.integration
SERVICES = ("intake", "appraisal", "settlement", "audit", "archive")


@pytest.fixture(scope="module")
def issuer() -> str:
    return oidc_issuer()


def token(issuer: str, **form: str) -> httpx.Response:
    return httpx.post(f"{issuer}/protocol/openid-connect/token", data=form, timeout=30)


def password_token(issuer: str, username: str, password: str = "demo") -> str:
    r = token(issuer, grant_type="password", client_id="jingban-cli", username=username, password=password)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def verify(issuer: str, raw: str, audience: str) -> dict[str, Any]:
    keys = jwt.PyJWKClient(f"{issuer}/protocol/openid-connect/certs")
    key = keys.get_signing_key_from_jwt(raw)
    return jwt.decode(raw, key.key, algorithms=["RS256"], audience=audience, issuer=issuer,
                      options={"require": ["exp", "iat", "iss", "aud", "sub"]})


def test_a_users_token_names_tenant_role_and_every_service_audience(issuer: str) -> None:
    raw = password_token(issuer, "hz-p1-clerk")
    assert jwt.get_unverified_header(raw)["alg"] == "RS256" and jwt.get_unverified_header(raw)["kid"]
    for service in SERVICES:
        claims = verify(issuer, raw, f"jingban-{service}")
        assert (claims["tenant"], claims["role"]) == ("hz-p1", "clerk")
    assert "program" not in claims
    with pytest.raises(jwt.InvalidAudienceError):
        verify(issuer, raw, "jingban-elsewhere")


def test_an_agency_supervisor_carries_the_program(issuer: str) -> None:
    claims = verify(issuer, password_token(issuer, "qz-ci-supervisor"), "jingban-audit")
    assert (claims["tenant"], claims["role"], claims["program"]) == ("qz-ci", "supervisor", "qz-critical")


def test_each_service_has_its_own_client_credentials(issuer: str) -> None:
    r = token(issuer, grant_type="client_credentials", client_id="jingban-appraisal",
              client_secret="local-appraisal-secret")
    assert r.status_code == 200, r.text
    claims = verify(issuer, r.json()["access_token"], "jingban-settlement")
    assert (claims["azp"], claims["role"]) == ("jingban-appraisal", "service")
    wrong = token(issuer, grant_type="client_credentials", client_id="jingban-appraisal",
                  client_secret="local-settlement-secret")
    assert wrong.status_code == 401, wrong.text


def test_a_wrong_password_gets_no_token(issuer: str) -> None:
    r = token(issuer, grant_type="password", client_id="jingban-cli", username="hz-p1-clerk", password="guess")
    assert r.status_code == 401 and "access_token" not in r.json()


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_unsigned_and_foreign_tokens_do_not_verify(issuer: str) -> None:
    raw = password_token(issuer, "hz-p1-clerk")
    header, payload, signature = raw.split(".")
    claims = jwt.decode(raw, options={"verify_signature": False})
    # Another tenant written into a signed token: the signature no longer matches.
    forged = ".".join((header, _b64({**claims, "tenant": "hz-p2"}), signature))
    with pytest.raises(jwt.InvalidSignatureError):
        verify(issuer, forged, "jingban-intake")
    # `alg: none` with the key id of the realm: refused (only RS256 is accepted).
    unsigned = ".".join((_b64({"alg": "none", "kid": jwt.get_unverified_header(raw)["kid"]}), payload, ""))
    with pytest.raises(jwt.InvalidTokenError):
        verify(issuer, unsigned, "jingban-intake")
    # A token signed by someone else's key under an unknown kid: no such key in the realm.
    from cryptography.hazmat.primitives.asymmetric import rsa

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "not-ours"})
    with pytest.raises(jwt.PyJWKClientError):
        verify(issuer, foreign, "jingban-intake")
