"""The development issuer (开发用签发方) of embedded mode: an OpenID-Connect-shaped token issuer in the process, so
`make run` needs no Keycloak and still has no shared secret. It signs ES256 with its own key pair (kept in the data
directory so printed tokens survive a restart), serves its JWKS and discovery document, and answers the token
endpoint for the demo users (password `demo`) and the services' client-credentials grant. Local and cluster mode
never use it: a service outside embedded mode refuses to start without a real issuer.

The web app (public client `jingban-web`) logs in with the authorization code flow and PKCE (RFC 6749 §4.1, RFC 7636,
S256 only): `/dev/authorize` shows a login page (登录页) listing the demo users, a correct login redirects to
`<web origin>/callback` with a one-time code (60 s, bound to the client, the redirect URI, the challenge and the
nonce), and `/dev/token` exchanges it, with the `code_verifier`, for the same access token the password grant gives
that user plus an ID token. The issuer keeps no session: `/dev/logout` only sends the browser back to the web app."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chassis.config import SERVICES, TENANT_RE
from chassis.demo_subjects import demo_subject
from chassis.identity import ROLES, SERVICE_ROLE, StaticKeys, TokenVerifier, audience_of

DEV_ISSUER_PORT = 8109
DEV_ISSUER = f"http://127.0.0.1:{DEV_ISSUER_PORT}/dev"
DEMO_PASSWORD = "demo"  # embedded mode's demo users only; the issuer is never started outside embedded mode
ALL_AUDIENCES = [audience_of(s) for s in SERVICES]
CLI_CLIENT_ID = "jingban-cli"
WEB_CLIENT_ID = "jingban-web"  # the web app: a public client, code flow with PKCE (S256)
DEFAULT_WEB_PORT = 8100  # the web app's one origin (jingban/web.py), `JINGBAN_WEB_PORT`
USER_TOKEN_TTL_S = 8 * 3600  # a working day
CODE_TTL_S = 60  # an authorization code is exchanged at once by the browser that got it
MAX_OPEN_CODES = 10_000  # codes issued and not yet exchanged or expired; past it a login waits (no memory growth)
# Every user role, in the order the login page lists a tenant's demo users (`service` is no person's role).
DEMO_ROLES = ("applicant", "clerk", "expert", "reviewer", "finance", "inspector", "institution", "supervisor", "ops")
# RFC 7636 §4.1: a verifier (and an S256 challenge, 43 characters) is 43–128 unreserved characters.
_PKCE_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def web_port(env: Mapping[str, str] | None = None) -> int:
    """The web app's port (`JINGBAN_WEB_PORT`, default 8100)."""
    e = os.environ if env is None else env
    return int(e.get("JINGBAN_WEB_PORT", "") or DEFAULT_WEB_PORT)


def web_origins(port: int | None = None) -> tuple[str, ...]:
    """The web app's origin, as 127.0.0.1 (what `make run` prints) and as localhost (what people type)."""
    p = web_port() if port is None else port
    return (f"http://127.0.0.1:{p}", f"http://localhost:{p}")


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

    def token(self, tenant: str, role: str, subject: str, *, program: str = "", ttl_seconds: int = USER_TOKEN_TTL_S,
              audience: list[str] | str | None = None, azp: str = CLI_CLIENT_ID) -> str:
        """A user's token (all five services' audiences unless narrowed); `azp` the client it was issued to."""
        if not TENANT_RE.match(tenant):
            raise ValueError(f"invalid tenant id {tenant!r}")
        if role not in ROLES or role == SERVICE_ROLE:
            raise ValueError(f"unknown user role {role!r}; one of {sorted(ROLES - {SERVICE_ROLE})}")
        claims: dict[str, Any] = {"sub": f"{tenant}:{role}:{subject}", "subject": subject, "tenant": tenant,
                                  "role": role, "aud": ALL_AUDIENCES if audience is None else audience,
                                  "azp": azp}
        if program:
            claims["program"] = program
        return self.sign(claims, ttl_seconds)

    def id_token(self, login: DemoLogin, *, nonce: str = "", auth_time: int = 0,
                 ttl_seconds: int = USER_TOKEN_TTL_S) -> str:
        """The web app's ID token (OpenID Connect Core §2): who logged in, for the web app only (audience
        `jingban-web`, opens no service), with the nonce of the authorization request."""
        claims: dict[str, Any] = {"sub": login.sub, "aud": WEB_CLIENT_ID, "azp": WEB_CLIENT_ID,
                                  "auth_time": auth_time or int(time.time()), "preferred_username": login.username,
                                  "name": login.username, "tenant": login.tenant, "role": login.role,
                                  "subject": login.subject}
        if login.program:
            claims["program"] = login.program
        if nonce:
            claims["nonce"] = nonce
        return self.sign(claims, ttl_seconds)

    def service_token(self, service: str, tenants: tuple[str, ...] | list[str], *, ttl_seconds: int = 300,
                      audience: list[str] | str | None = None) -> str:
        """A service's own client-credentials token."""
        claims = {"sub": f"service-account-jingban-{service}", "azp": audience_of(service), "role": SERVICE_ROLE,
                  "tenants": sorted(tenants), "aud": ALL_AUDIENCES if audience is None else audience}
        return self.sign(claims, ttl_seconds)

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks", "token_endpoint": f"{self.issuer}/token",
                "authorization_endpoint": f"{self.issuer}/authorize", "end_session_endpoint": f"{self.issuer}/logout",
                "response_types_supported": ["code"], "response_modes_supported": ["query"],
                "code_challenge_methods_supported": ["S256"], "subject_types_supported": ["public"],
                "scopes_supported": ["openid", "profile"],
                "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp", "tenant", "role",
                                     "program", "subject", "preferred_username", "name"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "grant_types_supported": ["authorization_code", "password", "client_credentials"]}


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
    """`<tenant>-<role>` (the demo users of the Keycloak realm too) → (tenant, role, subject): the applicant acts as
    the tenant's demo person (a resident identity number), the expert as an expert of the tenant's pool, any other
    role as `demo-<role>` (chassis/demo_subjects.py)."""
    for role in sorted(ROLES - {SERVICE_ROLE}, key=len, reverse=True):
        if username.endswith(f"-{role}"):
            tenant = username[: -len(role) - 1]
            if TENANT_RE.match(tenant):
                return tenant, role, demo_subject(tenant, role)
    return None


@dataclass(frozen=True)
class DemoLogin:
    """A demo user who logged in: the claims its tokens carry."""

    username: str
    tenant: str
    role: str
    subject: str
    program: str = ""

    @property
    def sub(self) -> str:
        return f"{self.tenant}:{self.role}:{self.subject}"


def demo_login(username: str, password: str, tenants: tuple[str, ...]) -> DemoLogin | None:
    """The demo user `username` of a served tenant, if `password` is the demo password (an agency supervisor gets
    the `program` of its tenant)."""
    found = demo_user(username)
    if found is None or found[0] not in tenants or not secrets.compare_digest(password.encode(),
                                                                              DEMO_PASSWORD.encode()):
        return None
    tenant, role, subject = found
    program = ""
    if role == "supervisor":
        from chassis.programs import program_of_tenant

        prog = program_of_tenant(tenant)
        program = prog.code if prog else ""
    return DemoLogin(username, tenant, role, subject, program)


def demo_logins(tenants: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    """The demo users of the served tenants, every user role of each (`<tenant>-<role>`, password `demo`)."""
    return [{"username": f"{t}-{r}", "tenant": t, "role": r} for t in tenants for r in DEMO_ROLES
            if (demo_user(f"{t}-{r}") or ())[:2] == (t, r)]


# ---- the web app's authorization code flow with PKCE ------------------------------------------------------------

_STATE_MAX = 1024  # state and nonce are the client's opaque values; bounded, never interpreted
_S256_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256, unpadded


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request of the web app (RFC 6749 §4.1.1 with RFC 7636's S256 challenge)."""

    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str
    scope: str

    def fields(self) -> dict[str, str]:
        """The request as the login form carries it to the POST (checked again there)."""
        return {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                "scope": self.scope, "state": self.state, "nonce": self.nonce,
                "code_challenge": self.code_challenge, "code_challenge_method": "S256"}


class ClientRejected(Exception):
    """Not the web app, or not its redirect URI: the browser is told so and never redirected (RFC 6749 §4.1.2.1)."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message, self.message_zh = message, message_zh


class AuthorizationRefused(Exception):
    """An error the web app is told on its redirect URI (RFC 6749 §4.1.2.1): `error`, `error_description`, `state`."""

    def __init__(self, error: str, description: str, redirect_uri: str, state: str) -> None:
        super().__init__(description)
        self.error, self.description, self.redirect_uri, self.state = error, description, redirect_uri, state

    def location(self) -> str:
        params = {"error": self.error, "error_description": self.description}
        if self.state:
            params["state"] = self.state
        return f"{self.redirect_uri}?{urlencode(params)}"


def parse_authorization_request(params: Mapping[str, str], redirect_uris: frozenset[str] | set[str],
                                *, interactive: bool = True) -> AuthorizationRequest:
    """Check an authorization request: client `jingban-web`, a redirect URI exactly one of `redirect_uris`,
    response type `code`, scope `openid`, and a PKCE challenge with method S256 (a missing method means `plain`,
    refused like `plain` itself). `interactive` False for `prompt=none` (silent renewal), which this issuer answers
    `login_required`: it keeps no session."""
    if params.get("client_id", "") != WEB_CLIENT_ID:
        raise ClientRejected("this login is only for the web app (client jingban-web)", "此登录只供本网页应用使用")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in redirect_uris:
        raise ClientRejected("the redirect URI is not the web app's", "回跳地址不是本网页应用的")
    state, nonce = params.get("state", ""), params.get("nonce", "")
    if len(state) > _STATE_MAX:
        raise ClientRejected("the state parameter is too long", "state 参数过长")

    def refuse(error: str, description: str) -> AuthorizationRefused:
        return AuthorizationRefused(error, description, redirect_uri, state)

    if params.get("response_type", "") != "code":
        raise refuse("unsupported_response_type", "response_type must be code")
    scope = params.get("scope", "")
    if "openid" not in scope.split():
        raise refuse("invalid_scope", "scope must include openid")
    challenge, method = params.get("code_challenge", ""), params.get("code_challenge_method", "")
    if not challenge:
        raise refuse("invalid_request", "code_challenge is required (PKCE with S256)")
    if method != "S256":
        raise refuse("invalid_request", "code_challenge_method must be S256")
    if not _S256_CHALLENGE_RE.match(challenge):
        raise refuse("invalid_request", "code_challenge must be the unpadded base64url SHA-256 of the verifier")
    if len(nonce) > _STATE_MAX:
        raise refuse("invalid_request", "nonce is too long")
    if not interactive or params.get("prompt", "") == "none":
        raise refuse("login_required", "the development issuer keeps no session: sign in")
    return AuthorizationRequest(WEB_CLIENT_ID, redirect_uri, state, nonce, challenge, scope)


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))), unpadded."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class CodeGrant:
    login: DemoLogin
    request: AuthorizationRequest
    auth_time: int
    expires: float


class AuthorizationCodes:
    """Codes issued and not yet exchanged: each one use, `ttl` seconds, in memory (a restart forgets them)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, ttl: float = CODE_TTL_S,
                 capacity: int = MAX_OPEN_CODES) -> None:
        self._clock, self._ttl, self._capacity = clock, ttl, capacity
        self._codes: dict[str, CodeGrant] = {}
        self._lock = threading.Lock()

    def issue(self, login: DemoLogin, request: AuthorizationRequest) -> str | None:
        """A new code for `login` bound to `request`; None while too many are open."""
        now = self._clock()
        with self._lock:
            for code in [c for c, g in self._codes.items() if g.expires <= now]:
                del self._codes[code]
            if len(self._codes) >= self._capacity:
                return None
            code = secrets.token_urlsafe(32)
            self._codes[code] = CodeGrant(login, request, int(time.time()), now + self._ttl)
            return code

    def redeem(self, code: str) -> CodeGrant | None:
        """The grant of `code`, which is spent whatever happens next; None if unknown, used or expired."""
        with self._lock:
            grant = self._codes.pop(code, None)
        if grant is None or grant.expires <= self._clock():
            return None
        return grant


class TokenRequestError(Exception):
    """RFC 6749 §5.2: `error` and `error_description`, status 400."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


def exchange_code(issuer: DevIssuer, codes: AuthorizationCodes, form: Mapping[str, str]) -> dict[str, Any]:
    """`grant_type=authorization_code`: the code, the same `client_id` and `redirect_uri` it was issued for, and the
    `code_verifier` whose S256 is its challenge → the user's access token (the password grant's claims, issued to
    `jingban-web`) and an ID token with the request's nonce."""
    code, redirect_uri = form.get("code", ""), form.get("redirect_uri", "")
    client_id, verifier = form.get("client_id", ""), form.get("code_verifier", "")
    missing = [n for n, v in (("code", code), ("redirect_uri", redirect_uri), ("client_id", client_id),
                              ("code_verifier", verifier)) if not v]
    if missing:
        raise TokenRequestError("invalid_request", f"missing {', '.join(missing)}")
    if not _PKCE_RE.match(verifier):
        raise TokenRequestError("invalid_request", "code_verifier must be 43-128 unreserved characters")
    grant = codes.redeem(code)
    if grant is None:
        raise TokenRequestError("invalid_grant", "the authorization code is unknown, expired or already used")
    if client_id != grant.request.client_id:
        raise TokenRequestError("invalid_grant", "the authorization code was issued to another client")
    if redirect_uri != grant.request.redirect_uri:
        raise TokenRequestError("invalid_grant", "redirect_uri is not the authorization request's")
    if not secrets.compare_digest(s256(verifier), grant.request.code_challenge):
        raise TokenRequestError("invalid_grant", "code_verifier does not match the code_challenge")
    login = grant.login
    return {"access_token": issuer.token(login.tenant, login.role, login.subject, program=login.program,
                                         azp=WEB_CLIENT_ID),
            "id_token": issuer.id_token(login, nonce=grant.request.nonce, auth_time=grant.auth_time),
            "token_type": "Bearer", "expires_in": USER_TOKEN_TTL_S, "scope": grant.request.scope}


def _tenant_labels(tenants: tuple[str, ...]) -> dict[str, str]:
    """`<program name> · <carrier name>` per tenant, for the login page."""
    from chassis.programs import program_of_tenant

    labels = {}
    for tenant in tenants:
        program = program_of_tenant(tenant)
        if program is not None:
            carrier = next((t.name for t in program.tenants if t.tenant == tenant), "")
            labels[tenant] = " · ".join(x for x in (program.name, carrier) if x)
    return labels


_CORS_PATHS = frozenset({"/dev/.well-known/openid-configuration", "/dev/jwks", "/dev/token"})
_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def token_endpoint_app(issuer: DevIssuer, tenants: tuple[str, ...], origins: tuple[str, ...] | None = None,
                       *, clock: Callable[[], float] = time.monotonic) -> Any:
    """The issuer's HTTP face: discovery, JWKS, the token endpoint (password grant for demo users,
    client-credentials for `jingban-<service>` with the embedded services' dev secret `local-<service>-secret`,
    authorization code with PKCE for the web app), the web app's login page and logout. `origins`: the web app's
    (default `web_origins()`): its redirect URI is `<origin>/callback`, and only it gets CORS on discovery, JWKS
    and the token endpoint."""
    # Starlette routes (FastAPI's parameter injection would need these types at module level: this module is
    # imported by every tool that mints a token, which need no web framework).
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.base import BaseHTTPMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from starlette.routing import Route

    from chassis.dev_login import login_page, message_page

    allowed = tuple(origins) if origins is not None else web_origins()
    redirect_uris = frozenset(f"{o}/callback" for o in allowed)
    codes = AuthorizationCodes(clock)
    logins = demo_logins(tenants)
    labels = _tenant_labels(tenants)
    # The login page runs no script; it may post only to itself and be sent on only to the web app (form-action
    # covers the redirect after the POST), and is never framed.
    html_headers = {**_NO_STORE, "x-frame-options": "DENY", "x-content-type-options": "nosniff",
                    "referrer-policy": "no-referrer",
                    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                               f"form-action 'self' {' '.join(allowed)}; frame-ancestors 'none'; "
                                               "base-uri 'none'"}

    async def cors(request: Request, call_next: Callable[[Request], Any]) -> Response:
        """CORS for the web app's origin only, on what its OpenID client fetches."""
        if request.url.path not in _CORS_PATHS:
            return await call_next(request)
        origin = request.headers.get("origin", "")
        if origin in allowed and request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            return Response(status_code=204, headers={
                "access-control-allow-origin": origin, "access-control-allow-methods": "GET, POST",
                "access-control-allow-headers": "authorization, content-type", "access-control-max-age": "600",
                "vary": "Origin"})
        response: Response = await call_next(request)
        response.headers["vary"] = "Origin"
        if origin in allowed:
            response.headers["access-control-allow-origin"] = origin
        return response

    def page(html: str, status: int) -> HTMLResponse:
        return HTMLResponse(html, status_code=status, headers=html_headers)

    def rejected(exc: ClientRejected) -> HTMLResponse:
        return page(message_page("无法登录", "Cannot sign in", f"登录请求无效：{exc.message_zh}。",
                                 f"Invalid login request: {exc.message}."), 400)

    async def discovery(_: Request) -> JSONResponse:
        return JSONResponse(issuer.discovery())

    async def jwks(_: Request) -> JSONResponse:
        return JSONResponse(issuer.jwks())

    async def authorize_page(request: Request) -> Response:
        try:
            req = parse_authorization_request(request.query_params, redirect_uris)
        except ClientRejected as exc:
            return rejected(exc)
        except AuthorizationRefused as exc:
            return RedirectResponse(exc.location(), status_code=302)
        return page(login_page(req.fields(), logins, labels), 200)

    async def authorize_login(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            req = parse_authorization_request(form, redirect_uris)
        except ClientRejected as exc:
            return rejected(exc)
        except AuthorizationRefused as exc:
            return RedirectResponse(exc.location(), status_code=303)
        # A demo user's button signs in as that user with the demo password (printed by `make run` anyway).
        chosen = form.get("demo_user", "")
        username = chosen or form.get("username", "").strip()
        login = demo_login(username, DEMO_PASSWORD if chosen else form.get("password", ""), tenants)
        if login is None:
            return page(login_page(req.fields(), logins, labels, error=True, username=username[:100]), 401)
        code = codes.issue(login, req)
        if code is None:
            return RedirectResponse(AuthorizationRefused("temporarily_unavailable", "too many logins in progress",
                                                         req.redirect_uri, req.state).location(), status_code=303)
        params = {"code": code, **({"state": req.state} if req.state else {})}
        return RedirectResponse(f"{req.redirect_uri}?{urlencode(params)}", status_code=303)

    async def logout(request: Request) -> Response:
        """RP-initiated logout: nothing to end here (no session), so back to the web app when that is where
        `post_logout_redirect_uri` points; anywhere else is refused (no open redirect)."""
        target = request.query_params.get("post_logout_redirect_uri", "")
        if target:
            parts = urlsplit(target)
            if f"{parts.scheme}://{parts.netloc}" not in allowed:
                return page(message_page("无法退出", "Cannot sign out", "退出后的跳转地址不是本网页应用。",
                                         "The post-logout redirect is not the web app."), 400)
            state = request.query_params.get("state", "")
            sep = "&" if parts.query else "?"
            return RedirectResponse(target + (f"{sep}{urlencode({'state': state})}" if state else ""),
                                    status_code=302)
        return page(message_page("已退出", "Signed out", "您已退出登录。", "You are signed out."), 200)

    async def token(request: Request) -> JSONResponse:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            try:
                return JSONResponse(exchange_code(issuer, codes, form), headers=_NO_STORE)
            except TokenRequestError as exc:
                return JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=400,
                                    headers=_NO_STORE)
        if grant_type == "password":
            login = demo_login(form.get("username", ""), form.get("password", ""), tenants)
            if login is None:
                return JSONResponse({"error": "invalid_grant"}, status_code=401)
            return JSONResponse({"access_token": issuer.token(login.tenant, login.role, login.subject,
                                                              program=login.program),
                                 "token_type": "Bearer", "expires_in": USER_TOKEN_TTL_S}, headers=_NO_STORE)
        if grant_type == "client_credentials":
            service = form.get("client_id", "").removeprefix("jingban-")
            if service not in SERVICES or form.get("client_secret", "") != f"local-{service}-secret":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            return JSONResponse({"access_token": issuer.service_token(service, tenants), "token_type": "Bearer",
                                 "expires_in": 300}, headers=_NO_STORE)
        if not grant_type:
            return JSONResponse({"error": "invalid_request", "error_description": "missing grant_type"},
                                status_code=400)
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    return Starlette(routes=[
        Route("/dev/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route("/dev/jwks", jwks, methods=["GET"]),
        Route("/dev/authorize", authorize_page, methods=["GET"]),
        Route("/dev/authorize", authorize_login, methods=["POST"]),
        Route("/dev/logout", logout, methods=["GET"]),
        Route("/dev/token", token, methods=["POST"]),
    ], middleware=[Middleware(BaseHTTPMiddleware, dispatch=cors)])
