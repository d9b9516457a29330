"""Whom the demo users act as (chassis/demo_subjects.py): `<tenant>-applicant` a demo person whose resident identity
number is valid and of a county its tenant serves — so intake takes the application, the applicant filing for
themself — shown only masked; `<tenant>-expert` an expert of the tenant's appraisal pool, so the draw can pick them;
the same in the development issuer, on its login page, in the printed logins and in the local Keycloak realm."""

from __future__ import annotations

import asyncio
import importlib.util
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from chassis.demo_subjects import DEMO_EXPERTS, demo_expert_id, demo_person_id, demo_subject, shown
from chassis.dev_issuer import DevIssuer, demo_login, demo_logins, demo_user, token_endpoint_app, web_origins
from chassis.programs import PROGRAMS_DIR, load_program, program_of_tenant
from jingban.cli import print_web_app
from jingban.demo import DEMO_EXPERT_DISEASE
from services.appraisal.cases.domain.case import eligible_experts
from services.appraisal.experts.domain.expert import parse_pool
from services.intake.applications.domain.application import valid_resident_id

ROOT = Path(__file__).resolve().parents[3]
EVERY_TENANT = tuple(t.tenant for p in sorted(PROGRAMS_DIR.glob("*/program.yaml"))
                     for t in load_program(p.parent.name).tenants)
# The hospitals the demo's chronic applications are treated at (jingban/flow.py `Walk.submit`, jingban/demo.py).
DEMO_TREATING = {"hz-chronic": "H610702001", "xy-chronic": "H360403001"}
ID_18 = re.compile(r"\d{17}[\dX]")


def test_every_tenants_demo_applicant_is_a_valid_person_of_a_county_it_serves() -> None:
    assert {"hz-p1", "hz-p2", "xy-c", "qz-ci", "wz-a", "km-sv"} <= set(EVERY_TENANT)
    ids = {}
    for tenant in EVERY_TENANT:
        person = demo_person_id(tenant)
        assert person is not None and valid_resident_id(person), (tenant, person)
        program = program_of_tenant(tenant)
        assert program is not None and program.tenant_for_county(person[:6]) == tenant, (tenant, person)
        assert 1950 <= int(person[6:10]) <= 1959  # old enough for every program (long-term care's old-age basis)
        assert demo_subject(tenant, "applicant") == person
        ids[tenant] = person
    assert len(set(ids.values())) == len(ids)  # one person a tenant
    # the hz carriers' persons live in their own counties: hz-p2 never gets an hz-p1 person
    assert load_program("hz-chronic").tenant_for_county(ids["hz-p2"][:6]) == "hz-p2"


def test_the_demo_person_is_the_same_every_time_and_only_shown_masked() -> None:
    person = demo_person_id("hz-p1")
    assert person == demo_person_id.__wrapped__("hz-p1")  # derived from the tenant alone, not cached state
    assert person is not None
    masked = shown(person)
    assert masked == f"{person[:6]}********{person[-4:]}" and person not in masked
    assert demo_person_id("no-such-tenant") is None and demo_subject("no-such-tenant", "applicant") == "demo-applicant"


def test_the_demo_expert_is_in_the_tenants_pool_and_drawable_for_the_demos_cases() -> None:
    for tenant, expert in DEMO_EXPERTS.items():
        program = program_of_tenant(tenant)
        assert program is not None
        pool = parse_pool((PROGRAMS_DIR / program.code / "experts-sample.csv").read_text(encoding="utf-8"))
        by_id = {e.expert_id: e for e in pool}
        assert expert.expert_id in by_id, tenant  # what the demo imports into the tenant
        assert (by_id[expert.expert_id].name, by_id[expert.expert_id].specialty) == (expert.name, expert.specialty)
        assert demo_expert_id(tenant) == demo_subject(tenant, "expert") == expert.expert_id
        # the disease the demo files for them is of their specialty in the program's policy table
        policy = yaml.safe_load((PROGRAMS_DIR / program.code / "policy-2025.yaml").read_text(encoding="utf-8"))
        specialty = next(d["specialty"] for d in policy["diseases"] if d["code"] == DEMO_EXPERT_DISEASE)
        assert specialty == expert.specialty, tenant
        # eligible (the draw's own rule) for the demo's cases, among at least the two experts a case needs (Xunyang
        # has exactly two cardiologists off the demo's treating hospital: both drawn)
        docs = [{"_id": e.expert_id, "specialty": e.specialty, "hospital": e.hospital} for e in pool]
        eligible = [e["_id"] for e in eligible_experts(docs, specialty, DEMO_TREATING[program.code], [])]
        assert expert.expert_id in eligible and len(eligible) >= program.setting("appraisal", "opinions_required"), \
            tenant
    for tenant in ("qz-ci", "wz-a", "km-sv"):  # no appraisal pool: the plain demo subject
        assert demo_subject(tenant, "expert") == "demo-expert"


def test_other_roles_keep_their_demo_subject() -> None:
    for role in ("clerk", "reviewer", "finance", "inspector", "institution", "supervisor", "ops"):
        assert demo_subject("hz-p1", role) == f"demo-{role}"


def test_the_development_issuer_gives_the_demo_users_these_subjects() -> None:
    person, expert = demo_person_id("hz-p1"), demo_expert_id("hz-p1")
    assert demo_user("hz-p1-applicant") == ("hz-p1", "applicant", person)
    assert demo_user("hz-p1-expert") == ("hz-p1", "expert", expert)
    login = demo_login("hz-p1-applicant", "demo", ("hz-p1",))
    assert login is not None and login.subject == person and login.username == "hz-p1-applicant"
    # every role of a served tenant is still listed, under its username only
    logins = demo_logins(("hz-p1", "xy-c"))
    assert len(logins) == 18 and {"username": "xy-c-applicant", "tenant": "xy-c", "role": "applicant"} in logins
    issuer = DevIssuer.generate()
    ident = asyncio.run(issuer.verifier("intake").verify(issuer.token("hz-p1", "applicant", person or "")))
    assert ident.subject == person


async def _call(app: Any, method: str, path: str, **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8109") as http:
        return await http.request(method, path, **kw)


def test_the_password_grant_token_carries_the_person_and_the_login_page_shows_it_masked() -> None:
    issuer = DevIssuer.generate()
    app = token_endpoint_app(issuer, ("hz-p1", "xy-c"), web_origins(8100))
    r = asyncio.run(_call(app, "POST", "/dev/token", data={"grant_type": "password", "username": "xy-c-applicant",
                                                              "password": "demo"}))
    ident = asyncio.run(issuer.verifier("intake").verify(r.json()["access_token"]))
    assert (ident.tenant, ident.role, ident.subject) == ("xy-c", "applicant", demo_person_id("xy-c"))
    r = asyncio.run(_call(app, "POST", "/dev/token", data={"grant_type": "password", "username": "xy-c-expert",
                                                              "password": "demo"}))
    assert asyncio.run(issuer.verifier("appraisal").verify(r.json()["access_token"])).subject == \
        demo_expert_id("xy-c")
    params = {"response_type": "code", "client_id": "jingban-web", "redirect_uri": "http://127.0.0.1:8100/callback",
              "scope": "openid profile", "state": "s", "nonce": "n", "code_challenge": "A" * 43,
              "code_challenge_method": "S256"}
    page = asyncio.run(_call(app, "GET", "/dev/authorize", params=params)).text
    for tenant in ("hz-p1", "xy-c"):
        person = demo_person_id(tenant)
        assert person is not None and person not in page  # never in clear
        assert shown(person) in page and f'value="{tenant}-applicant"' in page
    assert not ID_18.search(page)


def test_the_printed_logins_name_no_identity_number(capsys: pytest.CaptureFixture[str]) -> None:
    print_web_app("http://127.0.0.1:8100", demo_logins(EVERY_TENANT), "sign in on the issuer's page")
    out = capsys.readouterr().out
    assert "applicant" in out and not ID_18.search(out)
    assert all(demo_person_id(t) not in out for t in EVERY_TENANT)


def test_the_local_realm_gives_its_demo_users_the_same_subjects() -> None:
    spec = importlib.util.spec_from_file_location("gen_realm", ROOT / "deploy" / "local" / "keycloak" / "gen_realm.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    users = {u["username"]: u for u in module.realm()["users"]}
    for tenant in module.DEMO_TENANTS:
        for role in module.DEMO_ROLES:
            attributes = users[f"{tenant}-{role}"]["attributes"]
            assert attributes["subject"] == [demo_subject(tenant, role)], (tenant, role)
    assert users["hz-p1-applicant"]["attributes"]["subject"] == [demo_person_id("hz-p1")]
    assert users["hz-p1-expert"]["attributes"]["subject"] == [demo_expert_id("hz-p1")]
