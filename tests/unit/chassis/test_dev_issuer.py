"""Embedded mode's development issuer over HTTP (discovery, JWKS, token endpoint) and `jingban token`: what a web
app or a tool sees is an OpenID-shaped issuer whose tokens the embedded services verify — and nothing signed with a
shared secret."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from chassis.dev_issuer import DEV_ISSUER, DevIssuer, demo_user, token_endpoint_app
from jingban import token_cli

ISSUER = DevIssuer.generate()
TENANTS = ("hz-p1", "qz-ci")


async def _call(method: str, path: str, **kw: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=token_endpoint_app(ISSUER, TENANTS))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8109") as http:
        return await http.request(method, path, **kw)


def call(method: str, path: str, **kw: Any) -> httpx.Response:
    return asyncio.run(_call(method, path, **kw))


def test_discovery_and_jwks_publish_only_the_public_key() -> None:
    meta = call("GET", "/dev/.well-known/openid-configuration").json()
    assert meta["issuer"] == DEV_ISSUER and meta["jwks_uri"].endswith("/dev/jwks")
    keys = call("GET", "/dev/jwks").json()["keys"]
    assert [k["kid"] for k in keys] == [ISSUER.kid] and keys[0]["kty"] == "EC" and "d" not in keys[0]
    public = jwt.PyJWK(keys[0]).key
    token = ISSUER.token("hz-p1", "clerk", "u")
    assert jwt.decode(token, public, algorithms=["ES256"], audience="jingban-intake")["tenant"] == "hz-p1"


def test_password_grant_for_demo_users_of_served_tenants_only() -> None:
    ok = call("POST", "/dev/token", data={"grant_type": "password", "username": "qz-ci-supervisor",
                                          "password": "demo"})
    assert ok.status_code == 200
    ident = asyncio.run(ISSUER.verifier("settlement").verify(ok.json()["access_token"]))
    assert (ident.tenant, ident.role, ident.program) == ("qz-ci", "supervisor", "qz-critical")
    for username, password in (("qz-ci-clerk", "wrong"), ("hz-p2-clerk", "demo"), ("nobody", "demo")):
        r = call("POST", "/dev/token", data={"grant_type": "password", "username": username, "password": password})
        assert r.status_code == 401 and r.json() == {"error": "invalid_grant"}


def test_client_credentials_give_a_service_token_and_bad_grants_are_refused() -> None:
    ok = call("POST", "/dev/token", data={"grant_type": "client_credentials", "client_id": "jingban-audit",
                                          "client_secret": "local-audit-secret"})
    ident = asyncio.run(ISSUER.verifier("archive").verify(ok.json()["access_token"]))
    assert ident.is_service and ident.service == "audit" and ident.tenants == TENANTS
    bad = call("POST", "/dev/token", data={"grant_type": "client_credentials", "client_id": "jingban-audit",
                                           "client_secret": "local-intake-secret"})
    assert bad.status_code == 401
    assert call("POST", "/dev/token", data={"grant_type": "implicit"}).status_code == 400


def test_demo_user_names() -> None:
    assert demo_user("hz-p1-institution") == ("hz-p1", "institution", "demo-institution")
    assert demo_user("xy-c-ops") == ("xy-c", "ops", "demo-ops")
    assert demo_user("hz-p1-service") is None and demo_user("x") is None


def _args(**kw: str) -> argparse.Namespace:
    base = {"issuer": "", "user": "", "password": "", "client": "", "secret": "", "tenant": "", "role": "",
            "sub": "dev-user", "program": ""}
    return argparse.Namespace(**{**base, **kw})


def test_jingban_token_mints_only_with_the_dev_issuer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JINGBAN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("JINGBAN_OIDC_ISSUER", raising=False)
    monkeypatch.setattr(token_cli, "dev_issuer", lambda path: DevIssuer.load_or_create(path))
    assert token_cli.get_token(_args(tenant="hz-p1", role="clerk")) == 0
    token = capsys.readouterr().out.strip()
    kept = DevIssuer.load_or_create(tmp_path / "dev-issuer.pem")
    assert asyncio.run(kept.verifier("intake").verify(token)).role == "clerk"
    monkeypatch.setenv("JINGBAN_OIDC_ISSUER", "http://127.0.0.1:18080/realms/jingban")
    assert token_cli.get_token(_args(tenant="hz-p1", role="clerk")) == 2
    assert "development issuer only" in capsys.readouterr().err
    assert token_cli.get_token(_args()) == 2
