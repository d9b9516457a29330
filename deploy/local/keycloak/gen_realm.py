"""Writes jingban-realm.json (the local identity provider's realm, imported by the launcher's Keycloak):

* realm roles = the platform's roles; each demo user has one role and a `tenant` (supervisors also a `program`)
  user attribute, mapped into the `tenant`, `role` and `program` claims of every token;
* one confidential client per service (its own audience; client-credentials for service-to-service calls), a
  public `jingban-cli` client (password grant, `jingban token`) and a public `jingban-web` client (code + PKCE);
* user tokens (cli, web) carry the five services' audiences; a service's own token only the audiences of the
  services it calls (PEERS), and a `tenants` claim listing the tenants it may act for;
* a `subject` attribute (whom the user acts as: an applicant's identity number, an institution's code) mapped into
  the `subject` claim; test tools create such users through the admin API. The demo users' subjects are those of
  embedded mode's development issuer (chassis/demo_subjects.py): `<tenant>-applicant` a demo person's resident
  identity number of a county its tenant serves (intake lets an applicant file only for themself),
  `<tenant>-expert` an expert of the tenant's appraisal pool (the draw picks pool ids), any other `demo-<role>`.

Run `python deploy/local/keycloak/gen_realm.py` after changing it; a test checks the JSON is fresh."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

REALM = "jingban"
SERVICES = ("intake", "appraisal", "settlement", "audit", "archive")
ROLES = ("applicant", "clerk", "reviewer", "expert", "finance", "inspector", "supervisor", "ops", "institution",
         "service")
# Demo users: <tenant>-<role>, password "demo" (local mode only: the realm is for development).
DEMO_TENANTS = {"hz-p1": "hz-chronic", "hz-p2": "hz-chronic", "xy-c": "xy-chronic", "qz-ci": "qz-critical",
                **{f"wz-{lot}": "wz-ltc" for lot in "abcde"}, "km-sv": "km-supervision"}
DEMO_ROLES = ("applicant", "clerk", "reviewer", "expert", "finance", "inspector", "supervisor", "ops", "institution")
OUT = Path(__file__).resolve().parent / "jingban-realm.json"
# The web app's origin (jingban/web.py, JINGBAN_WEB_PORT's default 8100), as printed and as people type it.
WEB_ORIGINS = ("http://127.0.0.1:8100", "http://localhost:8100")


# Who calls whom over gRPC (the services' main.py and rpc.py access rules): a service's token names only these.
PEERS = {"intake": ("appraisal", "settlement"), "appraisal": ("intake", "settlement"), "settlement": (),
         "audit": ("archive",), "archive": ()}


def attribute_mapper(name: str, multivalued: bool = False) -> dict[str, object]:
    return {"name": name, "protocol": "openid-connect", "protocolMapper": "oidc-usermodel-attribute-mapper",
            "config": {"user.attribute": name, "claim.name": name, "jsonType.label": "String",
                       "multivalued": "true" if multivalued else "false",
                       "id.token.claim": "true", "access.token.claim": "true", "userinfo.token.claim": "true",
                       "introspection.token.claim": "true"}}


def audience_mapper(service: str) -> dict[str, object]:
    return {"name": f"aud-{service}", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
            "config": {"included.client.audience": f"jingban-{service}", "access.token.claim": "true",
                       "id.token.claim": "false", "introspection.token.claim": "true"}}


def demo_subject(tenant: str, role: str) -> str:
    """Whom the demo user `<tenant>-<role>` acts as: the same subject as embedded mode's (chassis/demo_subjects.py;
    this script runs from anywhere, so the repository is put on the path first)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from chassis.demo_subjects import demo_subject as subject_of

    return subject_of(tenant, role)


def realm() -> dict[str, object]:
    claims = [attribute_mapper(n) for n in ("tenant", "role", "program", "subject")]
    audiences = [audience_mapper(s) for s in SERVICES]
    clients: list[dict[str, object]] = [
        {"clientId": f"jingban-{s}", "name": f"Jingban {s}", "enabled": True, "protocol": "openid-connect",
         "publicClient": False, "clientAuthenticatorType": "client-secret", "secret": f"local-{s}-secret",
         "serviceAccountsEnabled": True, "standardFlowEnabled": False, "directAccessGrantsEnabled": False,
         "protocolMappers": [attribute_mapper("role"), attribute_mapper("tenants", multivalued=True),
                             *(audience_mapper(p) for p in PEERS[s])]}
        for s in SERVICES]
    clients.append({"clientId": "jingban-cli", "name": "jingban token", "enabled": True, "publicClient": True,
                    "protocol": "openid-connect", "standardFlowEnabled": False, "directAccessGrantsEnabled": True,
                    "protocolMappers": [*claims, *audiences]})
    # The web app (jingban/web.py, one origin): the code flow only, PKCE S256 required, back to exactly
    # `<origin>/callback`; CORS for its origin; after logout back to the app. Its access tokens carry what the CLI's
    # do (tenant, role, program, subject, the five services' audiences).
    clients.append({"clientId": "jingban-web", "name": "Jingban web", "enabled": True, "publicClient": True,
                    "protocol": "openid-connect", "standardFlowEnabled": True, "implicitFlowEnabled": False,
                    "directAccessGrantsEnabled": False, "serviceAccountsEnabled": False, "consentRequired": False,
                    "redirectUris": [f"{o}/callback" for o in WEB_ORIGINS], "webOrigins": list(WEB_ORIGINS),
                    "attributes": {"pkce.code.challenge.method": "S256",
                                   "post.logout.redirect.uris": "##".join(f"{o}/*" for o in WEB_ORIGINS)},
                    "protocolMappers": [*claims, *audiences]})
    users: list[dict[str, object]] = []
    for tenant, program in DEMO_TENANTS.items():
        for role in DEMO_ROLES:
            attributes = {"tenant": [tenant], "role": [role], "subject": [demo_subject(tenant, role)]}
            if role == "supervisor":
                attributes["program"] = [program]
            users.append({"username": f"{tenant}-{role}", "enabled": True, "emailVerified": True,
                          "firstName": role, "lastName": tenant, "email": f"{tenant}-{role}@jingban.local",
                          "attributes": attributes, "realmRoles": [role],
                          "credentials": [{"type": "password", "value": "demo", "temporary": False}]})
    # Each service's client-credentials token acts as the `service` role for the tenants listed (named per call).
    for s in SERVICES:
        users.append({"username": f"service-account-jingban-{s}", "enabled": True, "serviceAccountClientId":
                      f"jingban-{s}", "attributes": {"role": ["service"], "tenants": list(DEMO_TENANTS)},
                      "realmRoles": ["service"]})
    profile = {"attributes": [
        {"name": "username", "validations": {"length": {"min": 3, "max": 255}}},
        {"name": "email", "validations": {"email": {}}},
        {"name": "firstName"}, {"name": "lastName"}],
        "unmanagedAttributePolicy": "ENABLED"}
    return {"realm": REALM, "enabled": True, "sslRequired": "none", "accessTokenLifespan": 900,
            "roles": {"realm": [{"name": r} for r in ROLES]},
            "clients": clients, "users": users,
            "components": {"org.keycloak.userprofile.UserProfileProvider": [
                {"providerId": "declarative-user-profile", "subComponents": {},
                 "config": {"kc.user.profile.config": [json.dumps(profile)]}}]}}


if __name__ == "__main__":
    OUT.write_text(json.dumps(realm(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
