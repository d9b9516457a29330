"""Bad tokens against the real identity provider (issue 11, "Bad input and attacks"): the five services in process
trust the launcher's Keycloak (JWKS verification, no clock leeway) and every forged, expired, misaddressed or
foreign token is refused — 401 at the HTTP doors, UNAUTHENTICATED over gRPC — with nothing read or written: each
attempt targets known objects (a person's file, whose every read is recorded as an access event, and an application
it tries to decide), the answer carries nothing of them, and every store of the platform is as it was.

Keycloak makes the real tokens: a test client whose tokens live one second (expired), a client without one service's
audience mapper and the services' own client-credentials tokens (wrong `aud`), a token issued under another host name
for the same realm, another realm created for the test and the master realm (wrong `iss`). The rest are forged from
a real token: another key under a `kid` the realm never published, `alg: none`, HS256 keyed with the realm's public
key. Then: a valid token of a tenant this deployment does not serve, a service's own token at an HTTP door, and over
gRPC a role or a service an RPC does not admit, an applicant reading another person's file, a forwarded user outside
the RPC's roles, and methods that do not exist."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chassis.config import SERVICES
from chassis.rpc import TENANT_HEADER
from contracts.v1 import (
    appraisal_pb2,
    appraisal_pb2_grpc,
    archive_pb2,
    archive_pb2_grpc,
    intake_pb2,
    intake_pb2_grpc,
    settlement_pb2,
    settlement_pb2_grpc,
)
from jingban.embedded import EmbeddedPlatform
from jingban.flow import Walk
from tests.conftest import PERSON_A, PERSON_B
from tests.integration.provider_platform import provider_platform
from tests.support import tokens
from tests.support.infra import keycloak_admin, oidc_issuer

pytestmark = pytest.mark.integration

SERVED = ("hz-p1", "hz-p2")
TENANT = "hz-p1"
NOT_SERVED = "qz-ci"
PASSWORD = "attack-Pass-1"
# The settlement heartbeat (instances.py) writes on its own clock; nothing a request does touches it.
CLOCK_WRITTEN = frozenset({"instances"})


# ---- Keycloak's admin API: test clients, users and a foreign realm -------------------------------------------------


class Keycloak:
    """The launcher's Keycloak, through its admin API (the bootstrap admin of the master realm)."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer.rstrip("/")
        self.base, self.realm = self.issuer.split("/realms/")
        self._http = httpx.Client(timeout=30)
        self._created: list[str] = []  # admin URLs to delete afterwards

    def master_token(self) -> str:
        user, password = keycloak_admin()
        r = self._http.post(f"{self.base}/realms/master/protocol/openid-connect/token", data={
            "grant_type": "password", "client_id": "admin-cli", "username": user, "password": password})
        r.raise_for_status()
        return str(r.json()["access_token"])

    def _admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        r = self._http.request(method, f"{self.base}/admin/realms{path}",
                               headers={"authorization": f"Bearer {self.master_token()}"}, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text[:300]}"
        return r

    def cli_mappers(self, without: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """The protocol mappers of the realm's `jingban-cli` client (tenant, role, program, subject and the five
        services' audiences), less those named."""
        client = self._admin("GET", f"/{self.realm}/clients", params={"clientId": "jingban-cli"}).json()[0]
        return [{k: v for k, v in m.items() if k != "id"} for m in client["protocolMappers"]
                if m["name"] not in without]

    def client(self, attributes: dict[str, str] | None = None, without: tuple[str, ...] = ()) -> str:
        """A public password-grant test client of the realm with the cli's mappers; its client id."""
        client_id = f"attack-{uuid.uuid4().hex[:8]}"
        r = self._admin("POST", f"/{self.realm}/clients", json={
            "clientId": client_id, "publicClient": True, "directAccessGrantsEnabled": True,
            "standardFlowEnabled": False, "attributes": attributes or {}, "protocolMappers": self.cli_mappers(without)})
        self._created.append(r.headers["location"].split("/admin/realms", 1)[1])
        return client_id

    def user(self, tenant: str, role: str, subject: str, realm: str | None = None) -> str:
        username = f"attack-{tenant}-{role}-{uuid.uuid4().hex[:8]}"
        r = self._admin("POST", f"/{realm or self.realm}/users", json={
            "username": username, "enabled": True, "emailVerified": True, "firstName": "attack", "lastName": "test",
            "email": f"{username}@test.jingban.local",
            "attributes": {"tenant": [tenant], "role": [role], "subject": [subject]},
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}]})
        self._created.append(r.headers["location"].split("/admin/realms", 1)[1])
        return username

    def foreign_realm(self) -> str:
        """Another realm of the same provider, shaped like Jingban's (same mappers, same claims): its tokens are
        signed by its own key and name its own issuer."""
        name = f"attack-{uuid.uuid4().hex[:8]}"
        profile = {"attributes": [{"name": "username"}, {"name": "email"}, {"name": "firstName"},
                                  {"name": "lastName"}], "unmanagedAttributePolicy": "ENABLED"}
        self._admin("POST", "", json={
            "realm": name, "enabled": True, "sslRequired": "none",
            "clients": [{"clientId": "jingban-cli", "publicClient": True, "directAccessGrantsEnabled": True,
                         "standardFlowEnabled": False, "protocolMappers": self.cli_mappers()}],
            "components": {"org.keycloak.userprofile.UserProfileProvider": [{
                "providerId": "declarative-user-profile", "subComponents": {},
                "config": {"kc.user.profile.config": [json.dumps(profile)]}}]}})
        self._created.append(f"/{name}")
        return name

    def password_token(self, client_id: str, username: str, realm: str | None = None, base: str | None = None) -> str:
        r = self._http.post(f"{base or self.base}/realms/{realm or self.realm}/protocol/openid-connect/token",
                            data={"grant_type": "password", "client_id": client_id, "username": username,
                                  "password": PASSWORD})
        assert r.status_code == 200, r.text[:300]
        return str(r.json()["access_token"])

    def jwks(self) -> dict[str, Any]:
        return dict(self._http.get(f"{self.issuer}/protocol/openid-connect/certs").json())

    def cleanup(self) -> None:
        for path in reversed(self._created):
            self._http.request("DELETE", f"{self.base}/admin/realms{path}",
                               headers={"authorization": f"Bearer {self.master_token()}"})
        self._http.close()


# ---- the platform, what it holds, and proof that nothing changed ---------------------------------------------------


@dataclass
class Target:
    platform: EmbeddedPlatform
    http: httpx.AsyncClient
    keycloak: Keycloak
    application_id: str

    def url(self, service: str, path: str) -> str:
        return f"{self.platform.url(service)}{path}"


async def snapshot(platform: EmbeddedPlatform) -> dict[str, list[str]]:
    """Every document of every service's database of every served tenant (sealed as stored)."""
    out: dict[str, list[str]] = {}
    for service in SERVICES:
        for tenant in SERVED:
            db = platform.store.database(service, tenant)
            for name in await db.list_collection_names():
                if name in CLOCK_WRITTEN:
                    continue
                docs = await db[name].find({}).to_list(None)
                out[f"{service}/{tenant}/{name}"] = sorted(json.dumps(d, default=str, sort_keys=True) for d in docs)
    return out


async def settled(platform: EmbeddedPlatform, timeout: float = 120.0) -> dict[str, list[str]]:
    """The stores once every event in flight has been handled: two snapshots in a row alike."""
    deadline = asyncio.get_running_loop().time() + timeout
    before = await snapshot(platform)
    while True:
        await asyncio.sleep(0.5)
        now = await snapshot(platform)
        if now == before:
            return now
        if asyncio.get_running_loop().time() > deadline:
            changed = sorted(k for k in set(now) | set(before) if now.get(k) != before.get(k))
            raise AssertionError(f"the platform did not settle: {changed}")
        before = now


@pytest.fixture(scope="module")
def keycloak() -> Iterator[Keycloak]:
    kc = Keycloak(oidc_issuer())
    yield kc
    kc.cleanup()


@pytest.fixture(scope="module")
async def target(keycloak: Keycloak, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Target]:
    async with provider_platform(SERVED, tmp_path_factory.mktemp("attacks")) as platform, \
            httpx.AsyncClient(timeout=60) as http:
        walk = Walk(platform.url, tokens.current(), http, TENANT)
        await walk.load_policy()
        app = await walk.submit(PERSON_A, "张建国", "HTN")
        await walk.submit(PERSON_B, "李秀英", "DM")
        clerk = tokens.auth(TENANT, "clerk", "clerk-1")
        for person in (PERSON_A, PERSON_B):
            async def filed(person: str = person) -> bool:
                r = await http.get(f"{platform.url('archive')}/v1/persons/{person}/file", headers=clerk)
                return r.status_code == 200
            await _until(filed, f"archive to file {person}")
        # The trail's head anchored now, so that audit's own clock has nothing to anchor while the attacks run.
        r = await http.post(f"{platform.url('audit')}/v1/trail/anchors", headers=tokens.auth(TENANT, "ops", "ops-1"))
        assert r.status_code in (200, 201), r.text
        yield Target(platform, http, keycloak, app["application_id"])


async def _until(probe: Any, what: str, timeout: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await probe():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


# ---- the probes: a read of a person's file and of an application, and a decision on it -----------------------------


async def http_probes(t: Target, token: str, reason: str, code: str = "unauthenticated",
                      services: tuple[str, ...] = ("archive", "intake")) -> None:
    """Each HTTP attempt with `token` is refused (401, `code`) for `reason` (a part of the message, any case), and its
    answer is an error naming nothing of the objects tried."""
    headers = {"authorization": f"Bearer {token}"}
    attempts = {
        "archive": [("GET", t.url("archive", f"/v1/persons/{PERSON_A}/file"), None)],
        "intake": [("GET", t.url("intake", f"/v1/applications/{t.application_id}"), None),
                   ("POST", t.url("intake", f"/v1/applications/{t.application_id}/review"),
                    {"decision": "reject", "note": "forged"})],
    }
    for service in services:
        for method, url, body in attempts[service]:
            r = await t.http.request(method, url, headers=headers, json=body)
            assert (r.status_code, r.json()["error"]["code"]) == (401, code), f"{method} {url}: {r.text[:300]}"
            assert reason.lower() in r.json()["error"]["message"].lower(), r.text
            assert set(r.json()) == {"error"}, r.text
            assert PERSON_A not in r.text and "张建国" not in r.text, r.text
            assert r.headers["www-authenticate"] == "Bearer"


async def grpc_code(t: Target, service: str, call: str, request: Any, metadata: Any) -> tuple[grpc.StatusCode, str]:
    """The status of one call and its `jingban-error-code` trailer."""
    code, trailer, _ = await grpc_call(t, service, call, request, metadata)
    return code, trailer


async def grpc_call(t: Target, service: str, call: str, request: Any, metadata: Any
                    ) -> tuple[grpc.StatusCode, str, str]:
    """The status of one call, its `jingban-error-code` trailer and its details."""
    stubs = {"archive": archive_pb2_grpc.ArchiveServiceStub, "intake": intake_pb2_grpc.IntakeServiceStub,
             "appraisal": appraisal_pb2_grpc.AppraisalServiceStub,
             "settlement": settlement_pb2_grpc.SettlementServiceStub}
    async with grpc.aio.insecure_channel(t.platform.grpc_target(service)) as channel:
        try:
            await getattr(stubs[service](channel), call)(request, metadata=metadata, timeout=30)
        except grpc.aio.AioRpcError as exc:
            trailer = dict(exc.trailing_metadata() or ()).get("jingban-error-code", "")
            return exc.code(), str(trailer), exc.details() or ""
    return grpc.StatusCode.OK, "", ""


def file_request(person: str = PERSON_A) -> archive_pb2.GetPersonFileRequest:
    return archive_pb2.GetPersonFileRequest(person_id=person)


async def grpc_probes(t: Target, token: str, reason: str) -> None:
    md = (("authorization", f"Bearer {token}"),)
    for service, call, request in (
            ("archive", "GetPersonFile", file_request()),
            ("intake", "GetApplication", intake_pb2.GetApplicationRequest(application_id=t.application_id))):
        code, trailer, details = await grpc_call(t, service, call, request, md)
        assert (code, trailer) == (grpc.StatusCode.UNAUTHENTICATED, "unauthenticated"), (call, code, details)
        assert reason.lower() in details.lower(), details


async def refused_everywhere(t: Target, token: str, reason: str) -> None:
    """401 over HTTP, UNAUTHENTICATED over gRPC, each for `reason`, and no store changed: nothing read (a person
    file's read would be recorded), nothing written."""
    before = await settled(t.platform)
    await http_probes(t, token, reason)
    await grpc_probes(t, token, reason)
    assert await snapshot(t.platform) == before


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def verifies_but_for(raw: str, issuer: str, keycloak: Keycloak, audience: str = "jingban-archive",
                     **options: bool) -> dict[str, Any]:
    """The token's claims, checked against the realm's keys as a service would — less the checks turned off:
    the attack's defect is the only one."""
    key = jwt.PyJWKSet.from_dict(keycloak.jwks())[jwt.get_unverified_header(raw)["kid"]].key
    return dict(jwt.decode(raw, key, algorithms=["RS256"], audience=audience, issuer=issuer,
                           options={"verify_exp": options.get("exp", True)}))


def a_real_token() -> str:
    return tokens.user_token(TENANT, "clerk", "clerk-1")


# ---- the attacks ---------------------------------------------------------------------------------------------------


async def test_a_valid_token_reads_and_the_probes_see_it(target: Target) -> None:
    """The control: the same probes with a valid Keycloak token are let in (and that read is recorded)."""
    token = a_real_token()
    headers = {"authorization": f"Bearer {token}"}
    before = await settled(target.platform)
    r = await target.http.get(target.url("archive", f"/v1/persons/{PERSON_A}/file"), headers=headers)
    assert r.status_code == 200 and r.json()["person_id"] == PERSON_A
    r = await target.http.get(target.url("intake", f"/v1/applications/{target.application_id}"), headers=headers)
    assert r.status_code == 200
    assert await snapshot(target.platform) != before  # the read of the file is an access event


async def test_an_expired_token(target: Target) -> None:
    kc = target.keycloak
    client = kc.client(attributes={"access.token.lifespan": "1"})
    raw = kc.password_token(client, kc.user(TENANT, "clerk", "clerk-expired"))
    claims = jwt.decode(raw, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1
    deadline = time.time() + 60
    while time.time() <= claims["exp"] + 1:  # expired, with no leeway at the services
        assert time.time() < deadline, "the one-second token did not expire"
        await asyncio.sleep(0.1)
    with pytest.raises(jwt.ExpiredSignatureError):
        verifies_but_for(raw, kc.issuer, kc)
    assert verifies_but_for(raw, kc.issuer, kc, exp=False)["tenant"] == TENANT  # nothing else is wrong with it
    await refused_everywhere(target, raw, "signature has expired")


async def test_a_services_own_token_at_a_service_outside_its_audience(target: Target) -> None:
    """settlement calls nobody: its client-credentials token names no audience at all; appraisal's names intake and
    settlement, not archive. Both are refused at archive over gRPC (UNAUTHENTICATED, for the audience) and HTTP."""
    before = await settled(target.platform)
    for service in ("settlement", "appraisal"):
        raw = tokens.current().service_token(service)
        audiences = tokens.claims_of(raw).get("aud") or []
        assert "jingban-archive" not in audiences
        md = tokens.service_metadata(service, TENANT)
        code, _, details = await grpc_call(target, "archive", "GetPersonFile", file_request(), md)
        assert code == grpc.StatusCode.UNAUTHENTICATED and "aud" in details.lower(), (service, code, details)
        await http_probes(target, raw, "aud", services=("archive",))
    assert await snapshot(target.platform) == before


async def test_a_user_token_without_the_services_audience(target: Target) -> None:
    """A client without archive's audience mapper: its token opens intake, never archive."""
    kc = target.keycloak
    client = kc.client(without=("aud-archive",))
    raw = kc.password_token(client, kc.user(TENANT, "clerk", "clerk-noaud"))
    assert "jingban-archive" not in tokens.claims_of(raw)["aud"]
    before = await settled(target.platform)
    await http_probes(target, raw, "audience", services=("archive",))
    code, _, details = await grpc_call(target, "archive", "GetPersonFile", file_request(),
                                       (("authorization", f"Bearer {raw}"),))
    assert code == grpc.StatusCode.UNAUTHENTICATED and "audience" in details.lower(), details
    assert await snapshot(target.platform) == before
    r = await target.http.get(target.url("intake", f"/v1/applications/{target.application_id}"),
                              headers={"authorization": f"Bearer {raw}"})
    assert r.status_code == 200, r.text  # the control: where its audience is named, it is let in


async def test_the_realms_key_under_another_issuer(target: Target) -> None:
    """The same realm asked under another host name signs with the same key but names another issuer."""
    kc = target.keycloak
    other_base = kc.base.replace("127.0.0.1", "localhost")
    assert other_base != kc.base
    raw = kc.password_token("jingban-cli", kc.user(TENANT, "clerk", "clerk-iss"), base=other_base)
    claims = tokens.claims_of(raw)
    assert claims["iss"] != kc.issuer
    assert verifies_but_for(raw, claims["iss"], kc)["tenant"] == TENANT  # signed by the realm's own key
    await refused_everywhere(target, raw, "invalid issuer")


async def test_a_token_of_another_realm(target: Target) -> None:
    kc = target.keycloak
    realm = kc.foreign_realm()
    raw = kc.password_token("jingban-cli", kc.user(TENANT, "clerk", "clerk-1", realm=realm), realm=realm)
    claims = tokens.claims_of(raw)
    assert claims["iss"].endswith(f"/realms/{realm}") and claims["tenant"] == TENANT and claims["role"] == "clerk"
    assert "jingban-archive" in claims["aud"]  # shaped exactly like Jingban's: only who issued it differs
    await refused_everywhere(target, raw, "unknown key")


async def test_a_token_of_the_master_realm(target: Target) -> None:
    raw = target.keycloak.master_token()
    assert tokens.claims_of(raw)["iss"].endswith("/realms/master")
    await refused_everywhere(target, raw, "unknown key")


async def test_a_key_the_provider_never_published(target: Target) -> None:
    claims = tokens.claims_of(a_real_token())
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = f"attack-{uuid.uuid4().hex}"
    assert kid not in {k["kid"] for k in target.keycloak.jwks()["keys"]}
    forged = jwt.encode({**claims, "role": "supervisor"}, stranger, algorithm="RS256", headers={"kid": kid})
    await refused_everywhere(target, forged, "unknown key")
    # The realm's own kid on a stranger's signature: the signature does not verify.
    real_kid = jwt.get_unverified_header(a_real_token())["kid"]
    await refused_everywhere(target, jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": real_kid}),
                             "signature verification failed")


async def test_alg_none(target: Target) -> None:
    raw = a_real_token()
    header = {"alg": "none", "typ": "JWT", "kid": jwt.get_unverified_header(raw)["kid"]}
    unsigned = _forge(header, tokens.claims_of(raw), lambda _: b"")
    assert unsigned.endswith(".")
    await refused_everywhere(target, unsigned, "algorithm must be one of")
    await refused_everywhere(target, unsigned[:-1], "not a JWT")  # without the trailing dot
    await refused_everywhere(target, _forge({**header, "alg": "None"}, tokens.claims_of(raw), lambda _: b""),
                             "algorithm must be one of")


async def test_hs256_keyed_with_the_providers_public_key(target: Target) -> None:
    """The classic confusion: the realm's RSA public key (from its JWKS, as PEM) used as an HMAC secret."""
    raw = a_real_token()
    kid = jwt.get_unverified_header(raw)["kid"]
    jwk = next(k for k in target.keycloak.jwks()["keys"] if k["kid"] == kid)
    public = jwt.PyJWK.from_dict(jwk).key
    claims = {**tokens.claims_of(raw), "role": "supervisor"}
    for encoding in (serialization.PublicFormat.SubjectPublicKeyInfo, serialization.PublicFormat.PKCS1):
        pem = public.public_bytes(serialization.Encoding.PEM, encoding)
        forged = _forge({"alg": "HS256", "typ": "JWT", "kid": kid}, claims,
                        lambda data, pem=pem: hmac.new(pem, data, hashlib.sha256).digest())
        await refused_everywhere(target, forged, "algorithm must be one of")


async def test_a_tenant_this_deployment_does_not_serve(target: Target) -> None:
    """A valid Keycloak token of qz-ci at a platform serving hz-p1 and hz-p2: not a credential here — 401 (gRPC
    UNAUTHENTICATED) `tenant_not_served` (chassis/errors.py) — and nothing of any tenant read."""
    raw = tokens.user_token(NOT_SERVED, "clerk", "clerk-1")
    assert tokens.claims_of(raw)["tenant"] == NOT_SERVED
    before = await settled(target.platform)
    await http_probes(target, raw, "not served", code="tenant_not_served")
    md = (("authorization", f"Bearer {raw}"),)
    assert await grpc_code(target, "archive", "GetPersonFile", file_request(), md) == (
        grpc.StatusCode.UNAUTHENTICATED, "tenant_not_served")
    # A service acting for it (its token lists every demo tenant) is refused alike.
    md = tokens.service_metadata("intake", NOT_SERVED)
    assert await grpc_code(target, "appraisal", "GetQualifications",
                           appraisal_pb2.GetQualificationsRequest(person_id=PERSON_A), md) == (
        grpc.StatusCode.UNAUTHENTICATED, "tenant_not_served")
    assert await snapshot(target.platform) == before


async def test_a_services_own_token_at_an_http_door(target: Target) -> None:
    """appraisal's client-credentials token names intake as its audience, yet intake's HTTP doors take users only."""
    raw = tokens.current().service_token("appraisal")
    assert "jingban-intake" in tokens.claims_of(raw)["aud"]
    before = await settled(target.platform)
    await http_probes(target, raw, "service's own token", services=("intake",))
    assert await snapshot(target.platform) == before


# ---- gRPC: who may call what ---------------------------------------------------------------------------------------


async def test_grpc_a_role_the_rpc_does_not_admit(target: Target) -> None:
    before = await settled(target.platform)
    for role, service, call, request in (
            ("applicant", "intake", "GetApplication", intake_pb2.GetApplicationRequest(
                application_id=target.application_id)),
            ("expert", "archive", "GetPersonFile", file_request()),
            ("institution", "archive", "GetPersonFile", file_request()),
            ("institution", "settlement", "GetAccumulators", settlement_pb2.GetAccumulatorsRequest(
                person_id=PERSON_A, year=2026))):
        md = tokens.user_metadata(TENANT, role, PERSON_A if role == "applicant" else f"{role}-1")
        assert await grpc_code(target, service, call, request, md) == (grpc.StatusCode.PERMISSION_DENIED,
                                                                        "forbidden"), (role, call)
    assert await snapshot(target.platform) == before


async def test_grpc_a_service_the_rpc_does_not_admit(target: Target) -> None:
    """Each token names the callee as its audience: the access rule alone refuses it."""
    before = await settled(target.platform)
    accumulators = settlement_pb2.GetAccumulatorsRequest(person_id=PERSON_A, year=2026)
    for caller, service, call, request in (
            ("intake", "settlement", "GetAccumulators", accumulators),
            ("appraisal", "settlement", "GetAccumulators", accumulators),
            ("appraisal", "settlement", "Adjudicate", settlement_pb2.AdjudicateRequest()),
            ("audit", "archive", "GetPersonFile", file_request())):
        audience = f"jingban-{service}"
        assert audience in tokens.claims_of(tokens.current().service_token(caller))["aud"]
        assert await grpc_code(target, service, call, request, tokens.service_metadata(caller, TENANT)) == (
            grpc.StatusCode.PERMISSION_DENIED, "forbidden"), (caller, call)
    # An admitted service acting for no tenant, or one its token does not list: refused too.
    qualifications = appraisal_pb2.GetQualificationsRequest(person_id=PERSON_A)
    bare = (("authorization", f"Bearer {tokens.current().service_token('intake')}"),)
    for md in (bare, (*bare, (TENANT_HEADER, "zz-none"))):
        assert (await grpc_code(target, "appraisal", "GetQualifications", qualifications, md))[0] == \
            grpc.StatusCode.PERMISSION_DENIED
    assert await snapshot(target.platform) == before


async def test_grpc_an_applicant_reads_only_their_own_file(target: Target) -> None:
    own = tokens.user_metadata(TENANT, "applicant", PERSON_A)
    before = await settled(target.platform)
    assert await grpc_code(target, "archive", "GetPersonFile", file_request(PERSON_B), own) == (
        grpc.StatusCode.NOT_FOUND, "not_found")
    assert await snapshot(target.platform) == before  # another person's file: not read (no access recorded)
    async with grpc.aio.insecure_channel(target.platform.grpc_target("archive")) as channel:
        mine = await archive_pb2_grpc.ArchiveServiceStub(channel).GetPersonFile(file_request(PERSON_A), metadata=own)
    assert mine.person_id == PERSON_A and mine.entries


async def test_grpc_a_forwarded_user_keeps_their_limits(target: Target) -> None:
    """A service forwards the user's token (x-jingban-user): the RPC must admit the user's role too, in the tenant the
    service names. intake may ask appraisal for qualifications; for a clerk it may, for an applicant it may not."""
    request = appraisal_pb2.GetQualificationsRequest(person_id=PERSON_A)
    clerk = tokens.user_token(TENANT, "clerk", "clerk-1")
    applicant = tokens.user_token(TENANT, "applicant", PERSON_A)
    other_tenants_clerk = tokens.user_token("hz-p2", "clerk", "clerk-1")
    before = await settled(target.platform)
    assert (await grpc_code(target, "appraisal", "GetQualifications", request,
                            tokens.service_metadata("intake", TENANT, user=clerk)))[0] == grpc.StatusCode.OK
    for user in (applicant, other_tenants_clerk, tokens.current().service_token("settlement")):
        assert (await grpc_code(target, "appraisal", "GetQualifications", request,
                                tokens.service_metadata("intake", TENANT, user=user)))[0] in (
            grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED)
    # No service may read whole files, not even forwarding an applicant asking for their own.
    md = tokens.service_metadata("audit", TENANT, user=applicant)
    assert await grpc_code(target, "archive", "GetPersonFile", file_request(PERSON_A), md) == (
        grpc.StatusCode.PERMISSION_DENIED, "forbidden")
    # A forged user token forwarded beside a real service token: refused as unauthenticated.
    forged = _forge({"alg": "none", "typ": "JWT"}, tokens.claims_of(clerk), lambda _: b"")
    assert (await grpc_code(target, "appraisal", "GetQualifications", request,
                            tokens.service_metadata("intake", TENANT, user=forged)))[0] == \
        grpc.StatusCode.UNAUTHENTICATED
    assert await snapshot(target.platform) == before


async def test_grpc_methods_that_do_not_exist_are_closed(target: Target) -> None:
    md = tokens.user_metadata(TENANT, "clerk", "clerk-1")
    before = await settled(target.platform)
    async with grpc.aio.insecure_channel(target.platform.grpc_target("archive")) as channel:
        unary = channel.unary_unary("/jingban.contracts.v1.ArchiveService/ExportEverything",
                                    request_serializer=archive_pb2.GetPersonFileRequest.SerializeToString)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await unary(file_request(), metadata=md, timeout=30)
        assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
        stream = channel.stream_stream("/jingban.contracts.v1.ArchiveService/WatchPersonFiles",
                                       request_serializer=archive_pb2.GetPersonFileRequest.SerializeToString)
        # Opened without writing: the server closes an unknown method on its headers, and a message written
        # after that close fails on the client's side (gRPC then reports INTERNAL, a race, not an answer).
        call = stream(metadata=md, timeout=30)
        assert await call.code() == grpc.StatusCode.UNIMPLEMENTED
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            async for _ in call:
                pass
        assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert await snapshot(target.platform) == before
