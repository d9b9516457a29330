"""The development issuer's login for the web app: the authorization code flow with PKCE (S256) of the public client
`jingban-web` — the login page, the one-time code bound to client, redirect URI, challenge and nonce, the exchange
at the token endpoint, logout, CORS for the web origin only — and every way of getting it wrong refused as RFC 6749
and RFC 7636 say."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest

from chassis.dev_issuer import (
    DEMO_ROLES,
    DEV_ISSUER,
    AuthorizationCodes,
    AuthorizationRequest,
    DemoLogin,
    DevIssuer,
    demo_logins,
    s256,
    token_endpoint_app,
    web_origins,
)

ISSUER = DevIssuer.generate()
TENANTS = ("hz-p1", "qz-ci")
WEB = "http://127.0.0.1:8100"
CALLBACK = f"{WEB}/callback"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


CLOCK = Clock()
APP = token_endpoint_app(ISSUER, TENANTS, web_origins(8100), clock=CLOCK)


async def _call(method: str, path: str, **kw: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8109") as http:
        return await http.request(method, path, **kw)


def call(method: str, path: str, **kw: Any) -> httpx.Response:
    return asyncio.run(_call(method, path, **kw))


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str, **over: str) -> dict[str, str]:
    params = {"response_type": "code", "client_id": "jingban-web", "redirect_uri": CALLBACK, "scope": "openid profile",
              "state": "st-123", "nonce": "n-456", "code_challenge": challenge, "code_challenge_method": "S256"}
    params.update(over)
    return {k: v for k, v in params.items() if v != "<omit>"}


def login(challenge: str, username: str = "hz-p1-clerk", password: str = "demo", **over: str) -> httpx.Response:
    return call("POST", "/dev/authorize", data={**authorize_params(challenge, **over), "username": username,
                                                "password": password})


def code_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"]
    return query["code"][0]


def exchange(code_: str, verifier: str, **over: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code_, "redirect_uri": CALLBACK, "client_id": "jingban-web",
            "code_verifier": verifier, **over}
    return call("POST", "/dev/token", data={k: v for k, v in data.items() if v != "<omit>"},
                headers={"origin": WEB})


def error_of(response: httpx.Response) -> tuple[str, str]:
    """An RFC 6749 §4.1.2.1 error sent back on the redirect URI."""
    assert response.status_code in (302, 303), response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert "code" not in query and query.get("state") == ["st-123"]
    return query["error"][0], query["error_description"][0]


def test_discovery_names_the_code_flow_with_s256_only_and_logout() -> None:
    meta = call("GET", "/dev/.well-known/openid-configuration").json()
    assert meta["authorization_endpoint"] == f"{DEV_ISSUER}/authorize"
    assert meta["end_session_endpoint"] == f"{DEV_ISSUER}/logout"
    assert meta["code_challenge_methods_supported"] == ["S256"] and meta["response_types_supported"] == ["code"]
    assert "authorization_code" in meta["grant_types_supported"]


def test_the_login_page_is_labelled_bilingual_and_lists_the_demo_users() -> None:
    _, challenge = pkce()
    r = call("GET", "/dev/authorize", params=authorize_params(challenge))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="zh-CN">' in page and "<main>" in page
    for field in ("username", "password"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    assert page.index("用户名") < page.index('<span lang="en">Username</span>')  # Chinese first, English beside
    for entry in demo_logins(TENANTS):
        assert f'value="{entry["username"]}"' in page
    assert "hz-p2-clerk" not in page  # a tenant not served has no demo users here
    assert f'name="code_challenge" value="{challenge}"' in page
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert f"form-action 'self' {WEB}" in r.headers["content-security-policy"]
    assert "<script" not in page


def test_request_values_are_escaped_on_the_page() -> None:
    _, challenge = pkce()
    page = call("GET", "/dev/authorize", params=authorize_params(challenge, state='"><script>x</script>')).text
    assert "<script>" not in page and "&quot;&gt;&lt;script&gt;" in page


def test_code_flow_gives_the_password_grants_claims_to_the_web_client() -> None:
    verifier, challenge = pkce()
    code = code_of(login(challenge))
    r = exchange(code, verifier)
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == WEB and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 8 * 3600
    ident = asyncio.run(ISSUER.verifier("intake").verify(body["access_token"]))
    assert (ident.tenant, ident.role, ident.subject) == ("hz-p1", "clerk", "demo-clerk")
    password = call("POST", "/dev/token", data={"grant_type": "password", "username": "hz-p1-clerk",
                                                "password": "demo"}).json()["access_token"]
    web_claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    cli_claims = jwt.decode(password, options={"verify_signature": False})
    varying = {"iat", "exp", "jti", "azp"}
    assert {k: v for k, v in web_claims.items() if k not in varying} == \
        {k: v for k, v in cli_claims.items() if k not in varying}
    assert web_claims["azp"] == "jingban-web"
    public = jwt.PyJWK(ISSUER.jwks()["keys"][0]).key
    id_claims = jwt.decode(body["id_token"], public, algorithms=["ES256"], audience="jingban-web", issuer=DEV_ISSUER)
    assert id_claims["nonce"] == "n-456" and id_claims["sub"] == web_claims["sub"]
    assert id_claims["preferred_username"] == "hz-p1-clerk" and id_claims["tenant"] == "hz-p1"
    with pytest.raises(jwt.InvalidAudienceError):  # the ID token opens no service
        jwt.decode(body["id_token"], public, algorithms=["ES256"], audience="jingban-intake")


def test_a_demo_users_button_signs_in_as_that_user_and_a_supervisor_gets_its_program() -> None:
    verifier, challenge = pkce()
    r = call("POST", "/dev/authorize", data={**authorize_params(challenge), "demo_user": "qz-ci-supervisor"})
    token = exchange(code_of(r), verifier).json()["access_token"]
    ident = asyncio.run(ISSUER.verifier("audit").verify(token))
    assert (ident.tenant, ident.role, ident.program) == ("qz-ci", "supervisor", "qz-critical")


@pytest.mark.parametrize("username,password", [("hz-p1-clerk", "wrong"), ("hz-p2-clerk", "demo"),
                                               ("hz-p1-service", "demo"), ("nobody", "demo")])
def test_a_wrong_login_shows_the_page_again_with_the_error_and_no_code(username: str, password: str) -> None:
    _, challenge = pkce()
    r = login(challenge, username, password)
    assert r.status_code == 401 and "location" not in r.headers
    assert 'role="alert"' in r.text and 'aria-invalid="true"' in r.text and "Wrong username or password" in r.text
    assert f'value="{username}"' in r.text  # what was typed stays; the password does not
    assert password not in re.findall(r'id="password"[^>]*', r.text)[0]


def test_wrong_verifier_is_refused_and_spends_the_code() -> None:
    verifier, challenge = pkce()
    code = code_of(login(challenge))
    other, _ = pkce()
    r = exchange(code, other)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    assert "code_verifier" in r.json()["error_description"]
    assert exchange(code, verifier).json()["error"] == "invalid_grant"  # one attempt per code


def test_a_code_is_used_once() -> None:
    verifier, challenge = pkce()
    code = code_of(login(challenge))
    assert exchange(code, verifier).status_code == 200
    again = exchange(code, verifier)
    assert again.status_code == 400 and again.json() == {
        "error": "invalid_grant", "error_description": "the authorization code is unknown, expired or already used"}


def test_a_code_lives_sixty_seconds() -> None:
    verifier, challenge = pkce()
    code = code_of(login(challenge))
    CLOCK.now += 61
    assert exchange(code, verifier).json()["error"] == "invalid_grant"


def test_the_code_is_bound_to_its_redirect_uri_and_client() -> None:
    verifier, challenge = pkce()
    code = code_of(login(challenge))
    r = exchange(code, verifier, redirect_uri="http://localhost:8100/callback")  # a valid URI, not this code's
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    verifier, challenge = pkce()
    code = code_of(login(challenge))
    assert exchange(code, verifier, client_id="jingban-cli").json()["error"] == "invalid_grant"


@pytest.mark.parametrize("missing", ["code", "redirect_uri", "client_id", "code_verifier"])
def test_a_token_request_missing_a_parameter_is_invalid(missing: str) -> None:
    verifier, challenge = pkce()
    code = code_of(login(challenge))
    r = exchange(code, verifier, **{missing: "<omit>"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request" and missing in r.json()[
        "error_description"]


def test_a_malformed_verifier_is_an_invalid_request() -> None:
    _, challenge = pkce()
    code = code_of(login(challenge))
    assert exchange(code, "short").json()["error"] == "invalid_request"


@pytest.mark.parametrize("over,error", [
    ({"code_challenge": "<omit>"}, "invalid_request"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge_method": "<omit>"}, "invalid_request"),  # absent means plain (RFC 7636 §4.3)
    ({"code_challenge": "x" * 20}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"scope": "profile"}, "invalid_scope"),
    ({"prompt": "none"}, "login_required"),  # silent renewal: no session here
])
def test_bad_authorization_requests_are_sent_back_with_the_error(over: dict[str, str], error: str) -> None:
    _, challenge = pkce()
    r = call("GET", "/dev/authorize", params=authorize_params(challenge, **over))
    assert error_of(r)[0] == error
    if over != {"prompt": "none"}:  # and the POST checks the same request again
        assert error_of(login(challenge, **over))[0] == error


@pytest.mark.parametrize("over", [{"redirect_uri": "http://127.0.0.1:8100/elsewhere"},
                                  {"redirect_uri": "http://evil.example/callback"},
                                  {"redirect_uri": "<omit>"}, {"client_id": "jingban-cli"}])
def test_another_client_or_redirect_uri_is_never_redirected_to(over: dict[str, str]) -> None:
    _, challenge = pkce()
    for r in (call("GET", "/dev/authorize", params=authorize_params(challenge, **over)), login(challenge, **over)):
        assert r.status_code == 400 and "location" not in r.headers and "Cannot sign in" in r.text


def test_logout_goes_back_to_the_web_app_only() -> None:
    r = call("GET", "/dev/logout", params={"post_logout_redirect_uri": f"{WEB}/", "state": "s1"})
    assert r.status_code == 302 and r.headers["location"] == f"{WEB}/?{urlencode({'state': 's1'})}"
    assert call("GET", "/dev/logout", params={"post_logout_redirect_uri": "http://evil.example/"}).status_code == 400
    assert "Signed out" in call("GET", "/dev/logout").text


def test_cors_only_for_the_web_origin_on_discovery_jwks_and_token() -> None:
    for path in ("/dev/.well-known/openid-configuration", "/dev/jwks"):
        assert call("GET", path, headers={"origin": WEB}).headers["access-control-allow-origin"] == WEB
        assert "access-control-allow-origin" not in call("GET", path, headers={"origin": "http://evil.example"}).headers
    pre = call("OPTIONS", "/dev/token", headers={"origin": WEB, "access-control-request-method": "POST",
                                                 "access-control-request-headers": "content-type"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == WEB
    assert "POST" in pre.headers["access-control-allow-methods"]
    r = call("GET", "/dev/authorize", headers={"origin": WEB}, params=authorize_params(pkce()[1]))
    assert "access-control-allow-origin" not in r.headers  # the login page is navigated to, never fetched


def test_codes_are_bounded_and_s256_is_rfc7636s_example() -> None:
    # RFC 7636 Appendix B.
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    codes = AuthorizationCodes(Clock(), capacity=2)
    who = DemoLogin("hz-p1-clerk", "hz-p1", "clerk", "demo-clerk")
    req = AuthorizationRequest("jingban-web", CALLBACK, "", "", "c" * 43, "openid")
    assert codes.issue(who, req) and codes.issue(who, req) and codes.issue(who, req) is None
    assert len(demo_logins(("hz-p1",))) == len(DEMO_ROLES) == 9
