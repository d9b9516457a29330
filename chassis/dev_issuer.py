"""The development issuer (开发用签发方) of embedded mode: an OpenID-Connect-shaped token issuer in the process, so
`make run` needs no Keycloak and still has no shared secret. It signs ES256 with its own key pair (kept in the data
directory so printed tokens survive a restart), serves its JWKS and discovery document, and answers the token
endpoint for the demo users (password `demo`) and the services' client-credentials grant. Local and cluster mode
never use it: a service outside embedded mode refuses to start without a real issuer."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chassis.config import SERVICES, TENANT_RE
from chassis.identity import ROLES, SERVICE_ROLE, StaticKeys, TokenVerifier, audience_of

DEV_ISSUER_PORT = 8109
DEV_ISSUER = f"http://127.0.0.1:{DEV_ISSUER_PORT}/dev"
DEMO_PASSWORD = "demo"  # embedded mode's demo users only; the issuer is never started outside embedded mode
ALL_AUDIENCES = [audience_of(s) for s in SERVICES]


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8 or 1, "big").rjust(32, b"\0")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class DevIssuer:
    def __init__(self, key: ec.EllipticCurvePrivateKey, issuer: str = DEV_ISSUER) -> None:
        self._key = key
        self.issuer = issuer
        numbers = key.public_key().public_numbers()
        self._jwk = {"kty": "EC", "crv": "P-256", "x": _b64(numbers.x), "y": _b64(numbers.y), "use": "sig",
                     "alg": "ES256"}
        thumb = json.dumps({k: self._jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(thumb.encode()).digest()).rstrip(b"=").decode()[:16]
        self._jwk["kid"] = self.kid

    @classmethod
    def generate(cls) -> DevIssuer:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def load_or_create(cls, path: Path) -> DevIssuer:
        """The key pair kept at `path` (0600), created on first use."""
        if path.is_file():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{path} is not an EC private key")
            return cls(key)
        issuer = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = issuer._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        return issuer

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self._jwk)]}

    def keys(self) -> StaticKeys:
        return StaticKeys({self.kid: self._key.public_key()})

    def verifier(self, service: str, max_lifetime_s: int = 12 * 3600) -> TokenVerifier:
        return TokenVerifier(self.issuer, audience_of(service), self.keys(), max_lifetime_s)

    def sign(self, claims: dict[str, Any], ttl_seconds: int) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "iat": now, "exp": now + ttl_seconds, "jti": uuid.uuid4().hex, **claims}
        return jwt.encode(body, self._key, algorithm="ES256", headers={"kid": self.kid})

    def token(self, tenant: str, role: str, subject: str, *, program: str = "", ttl_seconds: int = 8 * 3600,
              audience: list[str] | str | None = None) -> str:
        """A user's token (all five services' audiences unless narrowed)."""
        if not TENANT_RE.match(tenant):
            raise ValueError(f"invalid tenant id {tenant!r}")
        if role not in ROLES or role == SERVICE_ROLE:
            raise ValueError(f"unknown user role {role!r}; one of {sorted(ROLES - {SERVICE_ROLE})}")
        claims: dict[str, Any] = {"sub": f"{tenant}:{role}:{subject}", "subject": subject, "tenant": tenant,
                                  "role": role, "aud": ALL_AUDIENCES if audience is None else audience,
                                  "azp": "jingban-cli"}
        if program:
            claims["program"] = program
        return self.sign(claims, ttl_seconds)

    def service_token(self, service: str, tenants: tuple[str, ...] | list[str], *, ttl_seconds: int = 300,
                      audience: list[str] | str | None = None) -> str:
        """A service's own client-credentials token."""
        claims = {"sub": f"service-account-jingban-{service}", "azp": audience_of(service), "role": SERVICE_ROLE,
                  "tenants": sorted(tenants), "aud": ALL_AUDIENCES if audience is None else audience}
        return self.sign(claims, ttl_seconds)

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks", "token_endpoint": f"{self.issuer}/token",
                "id_token_signing_alg_values_supported": ["ES256"],
                "grant_types_supported": ["password", "client_credentials"]}


_default: DevIssuer | None = None
_lock = threading.Lock()


def dev_issuer(path: Path | None = None) -> DevIssuer:
    """The process's development issuer: loaded from (or created at) `path` the first time one is given, otherwise
    an in-memory key pair (tests)."""
    global _default
    with _lock:
        if _default is None:
            _default = DevIssuer.load_or_create(path) if path is not None else DevIssuer.generate()
        return _default


def demo_user(username: str) -> tuple[str, str, str] | None:
    """`<tenant>-<role>` (the demo users of the Keycloak realm too) → (tenant, role, subject)."""
    for role in sorted(ROLES - {SERVICE_ROLE}, key=len, reverse=True):
        if username.endswith(f"-{role}"):
            tenant = username[: -len(role) - 1]
            if TENANT_RE.match(tenant):
                return tenant, role, f"demo-{role}"
    return None


def token_endpoint_app(issuer: DevIssuer, tenants: tuple[str, ...]) -> Any:
    """The issuer's HTTP face: discovery, JWKS, and the token endpoint (password grant for demo users,
    client-credentials for `jingban-<service>` with the embedded services' dev secret `local-<service>-secret`)."""
    from fastapi import FastAPI, Form
    from fastapi.responses import JSONResponse

    from chassis.programs import program_of_tenant

    app = FastAPI(title="Jingban development issuer", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/dev/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return issuer.discovery()

    @app.get("/dev/jwks")
    async def jwks() -> dict[str, Any]:
        return issuer.jwks()

    @app.post("/dev/token")
    async def token(grant_type: str = Form(...), username: str = Form(""), password: str = Form(""),
                    client_id: str = Form(""), client_secret: str = Form("")) -> JSONResponse:
        if grant_type == "password":
            found = demo_user(username)
            if found is None or password != DEMO_PASSWORD or found[0] not in tenants:
                return JSONResponse({"error": "invalid_grant"}, status_code=401)
            tenant, role, subject = found
            program = ""
            if role == "supervisor":
                prog = program_of_tenant(tenant)
                program = prog.code if prog else ""
            ttl = 8 * 3600
            return JSONResponse({"access_token": issuer.token(tenant, role, subject, program=program,
                                                              ttl_seconds=ttl),
                                 "token_type": "Bearer", "expires_in": ttl})
        if grant_type == "client_credentials":
            service = client_id.removeprefix("jingban-")
            if service not in SERVICES or client_secret != f"local-{service}-secret":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            return JSONResponse({"access_token": issuer.service_token(service, tenants), "token_type": "Bearer",
                                 "expires_in": 300})
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    return app
