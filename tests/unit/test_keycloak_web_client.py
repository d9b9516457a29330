"""The local realm's web client (deploy/local/keycloak/jingban-realm.json): `jingban-web` is public, code flow only
with PKCE S256 required, redirects exactly to the web app's `/callback`, CORS for its origin, and its access tokens
carry the claims and audiences the services check (chassis/identity.py) — the same mappers as the CLI's client. And
`make up` prints the realm's demo logins for the web app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chassis.config import SERVICES
from chassis.identity import audience_of
from jingban.local import REALM_FILE, realm_demo_logins

WEB = "http://127.0.0.1:8100"


def realm() -> dict[str, Any]:
    return json.loads(Path(REALM_FILE).read_text(encoding="utf-8"))


def client(realm_: dict[str, Any], client_id: str) -> dict[str, Any]:
    return next(c for c in realm_["clients"] if c["clientId"] == client_id)


def test_the_web_client_is_public_code_flow_with_pkce_s256_only() -> None:
    web = client(realm(), "jingban-web")
    assert web["enabled"] and web["publicClient"] and web["protocol"] == "openid-connect"
    assert web["standardFlowEnabled"] is True
    assert not web["implicitFlowEnabled"] and not web["directAccessGrantsEnabled"] and not web["serviceAccountsEnabled"]
    assert web["attributes"]["pkce.code.challenge.method"] == "S256"
    assert f"{WEB}/callback" in web["redirectUris"]
    assert all(u.endswith("/callback") and "*" not in u for u in web["redirectUris"])  # exact URIs, no wildcard
    assert WEB in web["webOrigins"] and "*" not in web["webOrigins"] and "+" not in web["webOrigins"]
    assert f"{WEB}/*" in web["attributes"]["post.logout.redirect.uris"].split("##")


def test_the_web_clients_tokens_carry_what_the_services_check() -> None:
    r = realm()
    web, cli = client(r, "jingban-web"), client(r, "jingban-cli")
    assert web["protocolMappers"] == cli["protocolMappers"]
    in_access = [m for m in web["protocolMappers"] if m["config"]["access.token.claim"] == "true"]
    claims = {m["config"]["claim.name"] for m in in_access if m["protocolMapper"] == "oidc-usermodel-attribute-mapper"}
    assert {"tenant", "role", "program", "subject"} <= claims
    audiences = {m["config"]["included.client.audience"] for m in in_access
                 if m["protocolMapper"] == "oidc-audience-mapper"}
    assert audiences == {audience_of(s) for s in SERVICES}  # each service's TokenVerifier checks its own


def test_make_up_lists_the_realms_demo_logins_of_the_served_tenants() -> None:
    logins = realm_demo_logins(("hz-p1", "qz-ci"))
    assert {"username": "hz-p1-clerk", "tenant": "hz-p1", "role": "clerk"} in logins
    assert {x["tenant"] for x in logins} == {"hz-p1", "qz-ci"}
    assert not [x for x in logins if x["role"] == "service"]  # service accounts have no password
    assert realm_demo_logins(("hz-p1",), Path("/nonexistent/realm.json")) == []
