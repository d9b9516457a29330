"""Identity (身份): who is calling — tenant, role, subject — from an OpenID Connect access token, verified and
nothing else. The tenant is never taken from a body, a query string or a path.

Tokens are signed by the identity provider with an asymmetric key (RS256 or ES256) and verified through its JWKS
(cached by key id; an unknown `kid` refetches the set at most once per `REFETCH_S`, so a rotated key is picked up
and a flood of made-up kids is not a flood of fetches). Each service checks `iss`, its own audience
(`jingban-<service>`), `exp`, `iat` and a maximum lifetime. No shared secret anywhere: HS256, `none` and every other
algorithm are refused before a key is looked up.

Claims: `tenant`, `role`, `program` (agency supervisors) and `subject` (whom the user acts as: an applicant's
identity number, an institution's code; `sub` otherwise). A service's own client-credentials token carries role
`service`, `azp` = `jingban-<service>` and `tenants` (those it may act for); its tenant is named per call.

Where tokens come from: local and cluster mode, the provider (Keycloak locally, the agency's own in production);
embedded mode, the built-in development issuer (`chassis/dev_issuer.py`)."""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from chassis.config import SERVICES, TENANT_RE
from chassis.errors import Unauthenticated

ALGORITHMS = ("RS256", "ES256")
SERVICE_ROLE = "service"
CLIENT_PREFIX = "jingban-"
LEEWAY_S = 30
REFETCH_S = 10.0
KEYS_TTL_S = 3600.0

# Roles a token may carry. `supervisor` belongs to the agency (医保经办机构) and reads across the tenants of its
# program; `service` is a Jingban service acting for a tenant.
ROLES = frozenset(
    {"applicant", "clerk", "reviewer", "expert", "finance", "inspector", "supervisor", "ops", "institution",
     SERVICE_ROLE}
)


def audience_of(service: str) -> str:
    """A service's own audience: a token for intake does not open archive."""
    return f"{CLIENT_PREFIX}{service}"


@dataclass(frozen=True)
class Identity:
    tenant: str
    role: str
    subject: str
    program: str = ""
    service: str = ""  # the calling Jingban service, for a service's own token
    tenants: tuple[str, ...] = ()  # the tenants a service's own token may act for

    @property
    def is_service(self) -> bool:
        return self.role == SERVICE_ROLE and bool(self.service)


current_identity: contextvars.ContextVar[Identity | None] = contextvars.ContextVar("identity", default=None)
# The raw token of the user whose request is being served, for forwarding to another service over gRPC.
current_user_token: contextvars.ContextVar[str | None] = contextvars.ContextVar("user_token", default=None)


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    """The identity a verified token's claims describe; a token without a valid tenant (users) or service
    (services) is refused."""
    role = claims.get("role", "")
    if isinstance(role, list):  # a multivalued attribute mapper answers a list
        role = role[0] if len(role) == 1 else ""
    if role not in ROLES:
        raise Unauthenticated("token carries no valid role")
    if role == SERVICE_ROLE:
        azp = str(claims.get("azp") or claims.get("client_id") or "")
        if not azp.startswith(CLIENT_PREFIX):
            raise Unauthenticated("a service token must come from a jingban-<service> client")
        tenants = claims.get("tenants") or []
        if isinstance(tenants, str):
            tenants = [t for t in tenants.replace(",", " ").split() if t]
        if not all(isinstance(t, str) and TENANT_RE.match(t) for t in tenants):
            raise Unauthenticated("token carries invalid tenants")
        service = azp[len(CLIENT_PREFIX):]
        if service not in SERVICES:
            raise Unauthenticated("a service token must come from a Jingban service's own client")
        return Identity(tenant="", role=role, subject=service, service=service, tenants=tuple(sorted(tenants)))
    tenant = claims.get("tenant", "")
    if not isinstance(tenant, str) or not TENANT_RE.match(tenant):
        raise Unauthenticated("token carries no valid tenant")
    subject = claims.get("subject") or claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated("token carries no subject")
    program = claims.get("program", "")
    return Identity(tenant=tenant, role=role, subject=subject, program=program if isinstance(program, str) else "")


class JwksKeys:
    """The provider's signing keys by `kid`, fetched from its JWKS (discovered from the issuer) and cached."""

    def __init__(self, issuer: str, jwks_uri: str = "", client: httpx.AsyncClient | None = None) -> None:
        self.issuer = issuer.rstrip("/")
        self._jwks_uri = jwks_uri
        self._client = client
        self._keys: dict[str, tuple[Any, float]] = {}
        self._fetched_at = -REFETCH_S
        self._lock = asyncio.Lock()

    async def _get(self, url: str) -> Any:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0)
        answer = await self._client.get(url)
        answer.raise_for_status()
        return answer.json()

    async def _refresh(self) -> None:
        if not self._jwks_uri:
            meta = await self._get(f"{self.issuer}/.well-known/openid-configuration")
            self._jwks_uri = str(meta["jwks_uri"])
        data = await self._get(self._jwks_uri)
        now = time.monotonic()
        fresh: dict[str, tuple[Any, float]] = {}
        for jwk in jwt.PyJWKSet.from_dict(data).keys:
            if jwk.key_id and jwk.public_key_use in (None, "sig") and jwk.algorithm_name in ALGORITHMS:
                fresh[jwk.key_id] = (jwk.key, now)
        self._keys = fresh
        self._fetched_at = now

    async def key(self, kid: str) -> Any:
        found = self._keys.get(kid)
        if found and time.monotonic() - found[1] < KEYS_TTL_S:
            return found[0]
        async with self._lock:
            found = self._keys.get(kid)
            stale = found is not None and time.monotonic() - found[1] >= KEYS_TTL_S
            if (found is None or stale) and time.monotonic() - self._fetched_at >= REFETCH_S:
                try:
                    await self._refresh()
                except (httpx.HTTPError, KeyError, ValueError, jwt.PyJWKSetError) as exc:
                    if found is None:
                        raise Unauthenticated("the identity provider's keys are unavailable") from exc
                    return found[0]  # keep a stale key while the provider is away rather than lock everyone out
                found = self._keys.get(kid)
        if found is None:
            raise Unauthenticated("token signed with an unknown key")
        return found[0]


class StaticKeys:
    """Keys handed over in process (the embedded mode's development issuer, tests)."""

    def __init__(self, keys: dict[str, Any]) -> None:
        self._keys = keys

    async def key(self, kid: str) -> Any:
        if kid not in self._keys:
            raise Unauthenticated("token signed with an unknown key")
        return self._keys[kid]


KeyLookup = Callable[[str], Awaitable[Any]]


class TokenVerifier:
    """Verifies access tokens for one service: signature by the provider's key, `iss`, the service's audience,
    `exp`/`iat` and a maximum lifetime."""

    def __init__(self, issuer: str, audience: str, keys: JwksKeys | StaticKeys,
                 max_lifetime_s: int = 12 * 3600, leeway_s: int = LEEWAY_S) -> None:
        self.issuer, self.audience, self.keys, self.max_lifetime_s = issuer, audience, keys, max_lifetime_s
        self.leeway_s = leeway_s

    async def verify(self, token: str, audience: str | None = None) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("token is not a JWT") from exc
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise Unauthenticated(f"token algorithm must be one of {list(ALGORITHMS)}")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("token names no key (kid)")
        key = await self.keys.key(kid)
        try:
            claims = jwt.decode(token, key, algorithms=[alg], audience=audience or self.audience, issuer=self.issuer,
                                leeway=self.leeway_s, options={"require": ["exp", "iat", "iss", "sub", "aud"]})
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from exc
        if int(claims["exp"]) - int(claims["iat"]) > self.max_lifetime_s:
            raise Unauthenticated(f"token lives longer than {self.max_lifetime_s} s")
        return identity_from_claims(claims)


def bearer(header: str | None) -> str:
    if not header:
        raise Unauthenticated("missing bearer token")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("authorization must be 'Bearer <token>'")
    return token.strip()


class ServiceCredentials:
    """A service's own access token (client-credentials grant), fetched from the provider and reused until shortly
    before it expires."""

    def __init__(self, issuer: str, client_id: str, client_secret: str,
                 client: httpx.AsyncClient | None = None) -> None:
        self.issuer, self.client_id, self._secret = issuer.rstrip("/"), client_id, client_secret
        self._client = client
        self._token_endpoint = ""
        self._token: tuple[str, float] | None = None
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        if self._token and time.time() < self._token[1]:
            return self._token[0]
        async with self._lock:
            if self._token and time.time() < self._token[1]:
                return self._token[0]
            if self._client is None:
                self._client = httpx.AsyncClient(timeout=10.0)
            if not self._token_endpoint:
                meta = (await self._client.get(f"{self.issuer}/.well-known/openid-configuration")).json()
                self._token_endpoint = str(meta["token_endpoint"])
            answer = await self._client.post(self._token_endpoint, data={
                "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret})
            if answer.status_code != 200:
                raise Unauthenticated(f"the identity provider refused {self.client_id}'s credentials "
                                      f"({answer.status_code})")
            body = answer.json()
            lifetime = int(body.get("expires_in", 60))
            self._token = (str(body["access_token"]), time.time() + max(5, lifetime - 30))
            return self._token[0]

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
