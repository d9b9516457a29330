"""Where the platform's own tools get tokens (令牌) — the demo loader, flows, the dead-letter tool, benchmarks and
tests — from whichever issuer the services trust:

- `DevTokens`: embedded mode's development issuer (chassis/dev_issuer.py), in process;
- `ProviderTokens`: a real OpenID Connect provider (the launcher's Keycloak in local mode). Users a tool needs
  (an applicant acting as a given person, an institution by its code) are created through the provider's admin
  API with the `tenant`, `role`, `subject` (and `program`) attributes the realm maps into claims, then log in with
  the password grant of `jingban-cli`; a service's own token is its client-credentials grant.

`tokens_from_env()` picks one: `JINGBAN_OIDC_ISSUER` set → the provider (admin credentials from
`JINGBAN_OIDC_ADMIN_USER`/`JINGBAN_OIDC_ADMIN_PASSWORD`), else the development issuer."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from typing import Protocol

import httpx

from chassis.config import SERVICES
from chassis.dev_issuer import dev_issuer

DEMO_TENANTS = ("hz-p1", "hz-p2", "qz-ci", "xy-c")


class Tokens(Protocol):
    def user_token(self, tenant: str, role: str, subject: str, program: str = "") -> str: ...

    def service_token(self, service: str, tenants: tuple[str, ...] = ()) -> str: ...


GENERATED_USER_PASSWORD = "test-Pass-1"


class ProviderTokens:
    """Tokens from a real OpenID Connect provider (the launcher's Keycloak realm `jingban`)."""

    def __init__(self, issuer: str, admin_user: str, admin_password: str, client_secrets: dict[str, str]) -> None:
        self.issuer = issuer.rstrip("/")
        self.base = self.issuer.split("/realms/")[0]
        self.realm = self.issuer.rsplit("/", 1)[-1]
        self._admin = (admin_user, admin_password)
        self._secrets = client_secrets
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, ...], tuple[str, float]] = {}
        self._users: set[str] = set()
        self._http = httpx.Client(timeout=30.0)

    def _admin_token(self) -> str:
        key = ("admin",)
        if key in self._cache and time.time() < self._cache[key][1]:
            return self._cache[key][0]
        r = self._http.post(f"{self.base}/realms/master/protocol/openid-connect/token",
                            data={"grant_type": "password", "client_id": "admin-cli", "username": self._admin[0],
                                  "password": self._admin[1]})
        r.raise_for_status()
        body = r.json()
        self._cache[key] = (body["access_token"], time.time() + int(body.get("expires_in", 60)) - 10)
        return body["access_token"]

    def _ensure_user(self, username: str, attributes: dict[str, list[str]]) -> None:
        if username in self._users:
            return
        headers = {"authorization": f"Bearer {self._admin_token()}"}
        r = self._http.post(f"{self.base}/admin/realms/{self.realm}/users", headers=headers, json={
            "username": username, "enabled": True, "emailVerified": True, "firstName": "test", "lastName": "user",
            "email": f"{username}@test.jingban.local", "attributes": attributes,
            "credentials": [{"type": "password", "value": GENERATED_USER_PASSWORD, "temporary": False}]})
        if r.status_code not in (201, 409):
            raise RuntimeError(f"Keycloak refused to create test user {username}: {r.status_code} {r.text[:200]}")
        self._users.add(username)

    def _grant(self, data: dict[str, str]) -> tuple[str, float]:
        r = self._http.post(f"{self.issuer}/protocol/openid-connect/token", data=data)
        if r.status_code != 200:
            raise RuntimeError(f"Keycloak refused a test token: {r.status_code} {r.text[:200]}")
        body = r.json()
        return body["access_token"], time.time() + int(body.get("expires_in", 60)) - 30

    def user_token(self, tenant: str, role: str, subject: str, program: str = "") -> str:
        key = ("user", tenant, role, subject, program)
        with self._lock:
            if key in self._cache and time.time() < self._cache[key][1]:
                return self._cache[key][0]
            digest = hashlib.sha256("|".join(key).encode()).hexdigest()[:12]
            username = f"t-{tenant}-{role}-{digest}"
            attributes = {"tenant": [tenant], "role": [role], "subject": [subject]}
            if program:
                attributes["program"] = [program]
            self._ensure_user(username, attributes)
            self._cache[key] = self._grant({"grant_type": "password", "client_id": "jingban-cli",
                                            "username": username, "password": GENERATED_USER_PASSWORD})
            return self._cache[key][0]

    def service_token(self, service: str, tenants: tuple[str, ...] = ()) -> str:
        key = ("service", service)
        with self._lock:
            if key in self._cache and time.time() < self._cache[key][1]:
                return self._cache[key][0]
            self._cache[key] = self._grant({"grant_type": "client_credentials", "client_id": f"jingban-{service}",
                                            "client_secret": self._secrets[service]})
            return self._cache[key][0]


class DevTokens:
    """Tokens of the process's development issuer (what embedded services trust)."""

    def user_token(self, tenant: str, role: str, subject: str, program: str = "") -> str:
        return dev_issuer().token(tenant, role, subject, program=program)

    def service_token(self, service: str, tenants: tuple[str, ...] = ()) -> str:
        return dev_issuer().service_token(service, tenants or DEMO_TENANTS)


class GivenToken:
    """One token an operator got from the provider (`jingban token`, `$JINGBAN_TOKEN`), used as it is: the services
    check its tenant and role like any other."""

    def __init__(self, token: str) -> None:
        self._token = token

    def user_token(self, tenant: str, role: str, subject: str, program: str = "") -> str:
        return self._token

    def service_token(self, service: str, tenants: tuple[str, ...] = ()) -> str:
        raise PermissionError("a given user token is not a service's own token")


def tokens_from_env(env: dict[str, str] | None = None) -> Tokens:
    """`$JINGBAN_TOKEN` (an operator's own token) first; then the provider, with admin credentials; else the
    development issuer."""
    e = os.environ if env is None else env
    if e.get("JINGBAN_TOKEN"):
        return GivenToken(e["JINGBAN_TOKEN"])
    issuer = e.get("JINGBAN_OIDC_ISSUER", "")
    if not issuer:
        return DevTokens()
    secrets = {s: e.get(f"JINGBAN_OIDC_CLIENT_SECRET_{s.upper()}", f"local-{s}-secret") for s in SERVICES}
    return ProviderTokens(issuer, e.get("JINGBAN_OIDC_ADMIN_USER", "admin"), e.get("JINGBAN_OIDC_ADMIN_PASSWORD", ""),
                          secrets)
