"""The role × route matrix (issue 11): every HTTP route of the five services and every RPC, × every role, × the
route's own tenant and another served tenant, against the expected answers written down in one table
(tests/integration/role_matrix.yaml) — on the five services in process trusting the real identity provider (the
launcher's Keycloak: every token below is Keycloak's, verified through its JWKS).

- The table lists exactly the routes and RPCs the services have: a new door fails here until it is added.
- An admitted role is let in (never 401/403, never a 5xx); any other role gets 403 `forbidden` — also when its body
  is empty or invalid (the role is checked before the body is validated); no token gets 401.
- A path naming an object uses one that exists in the own tenant (seeded below through the platform's own doors); the
  other tenant's admitted roles get 404 for it, even with a well-formed body.
- RPCs: admitted user roles get through, others PERMISSION_DENIED; admitted services get through, others
  PERMISSION_DENIED (or UNAUTHENTICATED when their token does not name the callee as its audience); another tenant's
  user finds none of the own tenant's objects."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import yaml
from fastapi.routing import APIRoute, iter_route_contexts

from chassis.calendar import today_cn
from chassis.config import SERVICES
from chassis.identity import audience_of
from chassis.programs import load_program
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
from jingban.km_flow import KmWalk
from jingban.ltc_demo import seed_ltc
from jingban.ltc_flow import LtcWalk, quarter_of
from tests.conftest import PERSON_A, PERSON_B
from tests.integration.provider_platform import provider_platform
from tests.support import tokens

pytestmark = pytest.mark.integration


class _Table(yaml.SafeLoader):
    """YAML that refuses a key given twice (a route listed twice would otherwise keep only its last row)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        twice = sorted({str(k) for k in keys if keys.count(k) > 1})
        if twice:
            raise yaml.constructor.ConstructorError(None, None, f"listed twice: {twice}", node.start_mark)
        return super().construct_mapping(node, deep=deep)


TABLE: dict[str, Any] = yaml.load(Path(__file__).with_name("role_matrix.yaml").read_text(encoding="utf-8"),
                                  Loader=_Table)  # a SafeLoader
ROLES: tuple[str, ...] = tuple(TABLE["roles"])
TENANTS = ("hz-p1", "hz-p2", "qz-ci", "wz-a", "wz-b", "km-sv")
# The other served tenant each row's own tenant is compared with (for wz-b: another lot of the same program).
# km-sv is its program's only carrier: its other tenant is hz-p1, outside the program (OUTSIDE_PROGRAM).
OTHER = {"hz-p1": "hz-p2", "qz-ci": "hz-p1", "wz-b": "wz-a", "km-sv": "hz-p1"}
# Routes a tenant outside their program finds absent: 404 whatever the role, before roles are looked at.
OUTSIDE_PROGRAM = ("/v1/supervision/",)
PROGRAM = {"hz-p1": "hz-chronic", "hz-p2": "hz-chronic", "qz-ci": "qz-critical", "wz-a": "wz-ltc",
           "wz-b": "wz-ltc", "km-sv": "km-supervision"}
# Path parameters that name no object of a tenant.
NOT_OBJECTS = frozenset({"program", "county", "disease", "year", "name"})
INSTITUTION = {"hz-p1": "H610702001", "qz-ci": "H330802001", "wz-b": "WZB-C011",  # WZB-C011: applied, reviewed
               "km-sv": "KM-H001"}  # KM-H001: a hospital inspected and reported, with smart-review hits
MONTH, CI_MONTH = "2026-10", "2026-10"
PARAM = re.compile(r"{([a-z_]+)}")


@dataclass(frozen=True)
class Door:
    """One row of the table: an HTTP route and what each role gets there."""

    service: str
    method: str
    path: str
    roles: frozenset[str] | str  # or "public" / "any"
    tenant: str = "hz-p1"
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None  # JSON sent with POST/PUT ({} unless the table says otherwise); "none": no body
    valid: Any = None  # the other tenant's body on a route naming an object
    params: dict[str, str] = field(default_factory=dict)
    object: bool = True
    answers: dict[str, str] = field(default_factory=dict)
    across: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    def admits(self, role: str) -> bool:
        return self.roles in ("public", "any") or role in self.roles

    @property
    def names_object(self) -> bool:
        return self.object and any(p not in NOT_OBJECTS for p in PARAM.findall(self.path))


def _doors() -> list[Door]:
    out = []
    for service, routes in TABLE["http"].items():
        for route, spec in routes.items():
            method, path = route.split(" ", 1)
            roles = spec["roles"] if isinstance(spec["roles"], str) else frozenset(spec["roles"])
            body = spec.get("body", {} if method in ("POST", "PUT") else "none")
            out.append(Door(service, method, path, roles, spec.get("tenant", "hz-p1"), spec.get("query", {}),
                            body, spec.get("valid", body), spec.get("params", {}), spec.get("object", True),
                            spec.get("answers", {}), frozenset(spec.get("across", ()))))
    return out


DOORS = _doors()


# ---- the platform and what it holds -------------------------------------------------------------------------------


@dataclass
class World:
    platform: EmbeddedPlatform
    http: httpx.AsyncClient
    ids: dict[str, str]
    experts: dict[str, str] = field(default_factory=dict)  # row tenant → the drawn expert (assessor) acting

    def subject(self, role: str, tenant: str) -> str:
        """Whom a role acts as: the seeded person, institution and drawn expert (in wz-b the person applying for
        long-term care and one of the two assessors drawn for them), so that an admitted role of the own tenant
        reaches the object, and the same subject in another tenant shows tenants are kept apart."""
        applicant = self.ids["ltc_person"] if tenant == "wz-b" else PERSON_A
        return {"applicant": applicant, "institution": INSTITUTION[tenant], "expert": self.experts.get(tenant, ""),
                "supervisor": "agency"}.get(role, f"{role}-1")

    def auth(self, token_tenant: str, role: str, row_tenant: str) -> dict[str, str]:
        program = PROGRAM[token_tenant] if role == "supervisor" else ""
        return tokens.auth(token_tenant, role, self.subject(role, row_tenant), program)


async def _ok(r: httpx.Response, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), f"{r.request.method} {r.request.url} -> {r.status_code} {r.text}"
    return r.json()


async def _until(probe: Callable[[], Awaitable[Any]], what: str, timeout: float = 120.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await probe()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def seed_chronic(walk: Walk, ids: dict[str, str]) -> str:
    """hz-p1: an application of PERSON_A through appraisal to a qualification, a complaint, a month's claims and
    statement, the account funded with an advance, the audit's plan, tasks, call-backs, finding, warning and
    reports, an export. Returns a drawn expert (the expert role acts as them)."""
    http, url = walk.http, walk.url
    await walk.load_policy()
    await walk.import_experts()
    app = await walk.submit(PERSON_A, "张建国", "HTN", role="applicant", channel="online")
    ids["application_id"], ids["document_id"] = app["application_id"], app["documents"][0]["document_id"]
    await walk.review(app["application_id"], "complete")
    case = await walk.case(app["application_id"])
    case = await walk.opinions(case)
    concluded = await walk.conclude(case["case_id"])
    ids["case_id"] = case["case_id"]
    ids["qualification_id"] = concluded.get("qualification_id") or case["case_id"]
    complaint = await _ok(await http.post(f"{url('intake')}/v1/complaints", headers=walk.auth("clerk"), json={
        "person_id": PERSON_A, "kind": "consultation", "subject": "复审时间咨询"}))
    ids["complaint_id"] = complaint["complaint_id"]
    # settlement: a holding, an institution's month of claims (its statement), the account funded and an advance.
    await _ok(await http.post(f"{url('settlement')}/v1/admin/holdings", headers=walk.auth("ops"), json={
        "holdings": [{"person_id": PERSON_A, "disease": "HTN", "granted_on": "2025-01-01"}]}))
    batch = await _ok(await http.post(f"{url('settlement')}/v1/claims/batches",
                                      headers=walk.auth("institution", INSTITUTION["hz-p1"]), json={
        "month": MONTH, "lines": [{"claim_id": "m-1", "person_id": PERSON_A, "date": f"{MONTH}-12",
                                   "disease": "HTN", "amount": "120.00", "covered": True}]}))
    ids["batch_id"], ids["statement_id"] = batch["batch_id"], batch["statement_id"]
    await walk.allocate("hz-chronic", "matrix-2026-initial", 2026, "initial", "1000.00", "2026-01-06")
    await _ok(await http.post(f"{url('settlement')}/v1/fund/advances", headers=walk.auth("finance"), json={
        "advance_id": "matrix-adv", "date": "2026-11-02", "amount": "10.00"}))
    ids["advance_id"], ids["entry_id"] = "matrix-adv", "advance:matrix-adv"
    # audit: once its read model holds the case.
    inspector = walk.auth("inspector", "inspector-1")

    async def case_known() -> bool:
        r = await http.get(f"{url('audit')}/v1/cases", headers=inspector)
        return r.status_code == 200 and bool(r.json().get("cases"))

    await _until(case_known, "audit's read model to hold the case")
    plan = await _ok(await http.post(f"{url('audit')}/v1/sampling-plans", headers=inspector,
                                     json={"period": "2026", "seed": "matrix", "other_ratio": "1"}))
    ids["plan_id"] = plan["plan_id"]
    tasks = await _ok(await http.get(f"{url('audit')}/v1/sampling-plans/{plan['plan_id']}/tasks", headers=inspector))
    ids["task_id"] = tasks[0]["task_id"]
    callbacks = await _ok(await http.post(f"{url('audit')}/v1/callbacks", headers=inspector,
                                          json={"plan_id": plan["plan_id"]}))
    ids["callback_id"] = callbacks["callbacks"][0]["callback_id"]
    finding = await _ok(await http.post(f"{url('audit')}/v1/findings", headers=inspector, json={
        "kind": "on_site", "person_id": PERSON_A, "description": "records checked on site"}))
    ids["finding_id"] = finding["finding_id"]
    warning = await _ok(await http.post(f"{url('audit')}/v1/warnings", headers=inspector, json={
        "kind": "abnormal_claims", "description": "claims above the usual"}))
    ids["warning_id"] = warning["warning_id"]
    report = await _ok(await http.post(f"{url('audit')}/v1/reports", headers=inspector,
                                       json={"kind": "monthly", "period": MONTH}))
    ids["report_id"] = report["report_id"]
    operation = await _ok(await http.post(f"{url('audit')}/v1/operation-reports", headers=inspector,
                                          json={"kind": "monthly", "period": MONTH}))
    ids["operation_report_id"] = operation["report_id"]
    # archive: once it has filed the person, an export holding them.
    clerk = walk.auth("clerk", "clerk-1")

    async def filed() -> bool:
        return (await http.get(f"{url('archive')}/v1/persons/{PERSON_A}/file", headers=clerk)).status_code == 200

    await _until(filed, "archive to file the person")
    export = await _ok(await http.post(f"{url('archive')}/v1/exports", headers=walk.auth("ops"), json={}))
    ids["export_id"] = export["export_id"]
    return str(case["assigned"][0])


async def seed_critical(walk: Walk, ids: dict[str, str]) -> None:
    """qz-ci: a person's assistance status, an institution's large stay (a review opened), a manual reimbursement
    (a payable to the person); the account stays unfunded, so nothing the matrix tries can be paid."""
    http, url = walk.http, walk.url
    base = f"{url('settlement')}/v1/critical"
    clerk = walk.auth("clerk", "clerk-1")
    await _ok(await http.put(f"{base}/persons/{PERSON_B}", headers=clerk,
                             json={"assistance_recipient": False, "effective_from": "2026-01-01"}))
    ids["ci_person"] = PERSON_B
    await walk.critical_claims(INSTITUTION["qz-ci"], [{
        "claim_id": "ci-1", "person_id": PERSON_B, "date": f"{CI_MONTH}-10", "care": "inpatient",
        "area": "in_area", "networked": True, "total_cost": "90000.00", "self_pay": "60000.00"}])
    ids["ci_statement_id"] = f"CI-{INSTITUTION['qz-ci']}-{CI_MONTH}"
    reviews = await walk.critical_reviews(2026)
    ids["review_id"] = reviews[0]["review_id"]
    manual = await walk.manual_claim({"person_id": PERSON_B, "date": f"{CI_MONTH}-20", "care": "special_drug",
                                      "area": "out_of_area", "total_cost": "3000.00", "self_pay": "2000.00",
                                      "bank_account": {"bank_name": "农业银行", "account_name": "测试",
                                                       "account_no": "6228480000000001"}})
    ids["payable_id"] = manual["payable_id"]


async def _plans_of(walk: LtcWalk, person_id: str) -> list[dict[str, Any]]:
    r = await walk.http.get(f"{walk.url('settlement')}/v1/ltc/plans", params={"person_id": person_id},
                            headers=walk.auth("clerk", "clerk-1"))
    found = r.json() if r.status_code == 200 else []
    return found.get("plans", []) if isinstance(found, dict) else found


async def seed_long_term_care(walk: LtcWalk, ids: dict[str, str]) -> str:
    """wz-b: the lot's demo (jingban/ltc_demo.py) — applications in every state, assessments, the registry (WZB-C011
    through the whole review, with its documents), plans, last month's statements (paid), assessment fees, a patrol,
    a score — then the objects the rows name. Returns an assessor drawn for the person's application (the expert)."""
    http, url = walk.http, walk.url
    await seed_ltc(url, walk.tokens, http, load_program("wz-ltc"), ["wz-b"], "wz-b")
    clerk, finance, ops = walk.auth("clerk", "clerk-1"), walk.auth("finance", "finance-1"), walk.auth("ops", "ops-1")
    concluded = [a for a in await _ok(await http.get(f"{url('appraisal')}/v1/ltc/assessments", headers=clerk,
                                                     params={"status": "concluded", "kind": "initial"}))
                 if a.get("visit") and a.get("application_id") and (a.get("conclusion") or {}).get("eligible")]
    assessment = concluded[0]
    ids["assessment_id"], ids["ltc_person"] = assessment["assessment_id"], assessment["person_id"]
    ids["ltc_application_id"] = assessment["application_id"]
    ids["evidence_id"] = assessment["visit"]["evidence"][0]["evidence_id"]
    ids["kind"] = "id_card"
    ids["institution_id"] = INSTITUTION["wz-b"]
    registry = await _ok(await http.get(f"{url('appraisal')}/v1/institutions/{INSTITUTION['wz-b']}/file",
                                        headers=clerk))
    ids["institution_document_id"] = registry["applications"][0]["documents"][0]["document_id"]
    ltc_month = f"{today_cn().replace(day=1) - timedelta(days=1):%Y-%m}"  # the demo's last month, statements paid
    month = (await _ok(await http.get(f"{url('settlement')}/v1/ltc/statements", headers=finance,
                                      params={"month": ltc_month})))
    listed = month.get("statements", []) if isinstance(month, dict) else month
    paid = [s for s in listed if s["status"] == "paid"]
    ids["ltc_month"], ids["ltc_statement_id"] = ltc_month, paid[0]["statement_id"]
    ids["fee_statement_id"] = f"AF-{ltc_month}"
    plans = await _until(lambda: _plans_of(walk, assessment["person_id"]), "the person's care plan")
    ids["plan_id"] = (plans["plans"] if isinstance(plans, dict) else plans)[0]["plan_id"]
    ids["ltc_quarter"] = quarter_of(ltc_month)
    patrols = await _ok(await http.get(f"{url('audit')}/v1/ltc/patrols", headers=walk.auth("inspector"),
                                       params={"quarter": ids["ltc_quarter"]}))
    ids["patrol_id"] = (patrols["patrols"] if isinstance(patrols, dict) else patrols)[0]["patrol_id"]

    async def pushed() -> str | None:
        r = await http.get(f"{url('settlement')}/v1/ltc/agency-pushes", headers=ops, params={"status": "sent"})
        found = r.json() if r.status_code == 200 else []
        found = found.get("pushes", []) if isinstance(found, dict) else found
        return found[0]["push_id"] if found else None

    ids["push_id"] = await _until(pushed, "a push sent to the agency's system")
    return str(assessment["assessors"][0])


async def seed_supervision(walk: KmWalk, ids: dict[str, str]) -> None:
    """km-sv: one record of each kind of fund supervision (jingban/km_flow.py `one_of_each`: the roster, screened
    claims with hits, the coverage plan, a draw, inspections, a sample, a tip's case, a lead, the agency's audit,
    credit evaluations) and a training, each id as `km_<path parameter>`."""
    walk.timeout = 120.0
    found = await walk.one_of_each(today_cn())
    ids.update({f"km_{name}": value for name, value in found.items()})
    training = await _ok(await walk.http.post(
        f"{walk.url('audit')}/v1/supervision/trainings", headers=walk.auth("inspector", "inspector-1"),
        json={"kind": "course", "title": "医疗保障基金合规使用培训", "held_from": str(today_cn()),
              "topics": ["common_violations"], "attendees": 30}))
    ids["km_training_id"] = training["training_id"]


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with provider_platform(TENANTS, tmp_path_factory.mktemp("matrix")) as platform, \
            httpx.AsyncClient(timeout=60) as http:
        ids: dict[str, str] = {"person_id": PERSON_A, "program": "hz-chronic", "county": "610702", "disease": "HTN",
                               "year": "2026", "future_year": "2099", "name": "chart", "list_id": "xl-none",
                               "missing_document": "sd-none", "month": MONTH, "ci_month": CI_MONTH}
        expert = await seed_chronic(Walk(platform.url, tokens.current(), http, "hz-p1"), ids)
        await seed_critical(Walk(platform.url, tokens.current(), http, "qz-ci"), ids)
        assessor = await seed_long_term_care(LtcWalk(platform.url, tokens.current(), http, "wz-b"), ids)
        await seed_supervision(KmWalk(platform.url, tokens.current(), http, "km-sv"), ids)
        yield World(platform, http, ids, {"hz-p1": expert, "qz-ci": expert, "wz-b": assessor})


# ---- the table is the services' ---------------------------------------------------------------------------------


def _routes(platform: EmbeddedPlatform) -> set[str]:
    out = set()
    for name, host in platform.hosts.items():
        assert host.parts is not None
        for route in iter_route_contexts(host.parts.app.routes):
            if isinstance(route.original_route, APIRoute):
                out |= {f"{name} {m} {route.path}" for m in route.methods or ()}
    return out


async def test_the_table_lists_every_route_and_every_rpc(world: World) -> None:
    listed = {d.key for d in DOORS}
    served = _routes(world.platform)
    assert served - listed == set(), "routes the role matrix does not list (add them to role_matrix.yaml)"
    assert listed - served == set(), "routes in role_matrix.yaml that no service has"
    rules = {m: r for host in world.platform.hosts.values() for m, r in (host.parts.grpc_access if host.parts
                                                                         else {}).items()}
    assert set(rules) == set(TABLE["grpc"]), "RPCs the role matrix does not list, or no longer has"
    for method, rule in rules.items():
        assert (sorted(rule.services), sorted(rule.roles)) == (
            sorted(TABLE["grpc"][method]["services"]), sorted(TABLE["grpc"][method]["roles"])), method


# ---- HTTP: every route × every role × own and other tenant ---------------------------------------------------------


def _value(world: World, value: Any) -> Any:
    return world.ids[value[1:]] if isinstance(value, str) and value.startswith("$") else value


def _request(world: World, door: Door, body: Any) -> dict[str, Any]:
    path = PARAM.sub(lambda m: world.ids[door.params.get(m.group(1), m.group(1))], door.path)
    out: dict[str, Any] = {"url": f"{world.platform.url(door.service)}{path}",
                           "params": {k: _value(world, v) for k, v in door.query.items()}}
    if body != "none" and door.method in ("POST", "PUT"):
        out["content"] = json.dumps(body).encode()
        out["headers"] = {"content-type": "application/json"}
    return out


def _error(r: httpx.Response) -> str:
    try:
        return str(r.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


CASES = [pytest.param(door, role, which, id=f"{door.key} | {role} | {which}")
         for door in DOORS for role in ROLES for which in ("own", "other")]


@pytest.mark.parametrize(("door", "role", "which"), CASES)
async def test_route_role_tenant(world: World, door: Door, role: str, which: str) -> None:
    tenant = door.tenant if which == "own" else OTHER[door.tenant]
    body = door.valid if which == "other" and door.names_object else door.body
    req = _request(world, door, body)
    headers = {**req.pop("headers", {}), **world.auth(tenant, role, door.tenant)}
    r = await world.http.request(door.method, headers=headers, **req)
    answer = f"{r.status_code} {_error(r)}".strip()
    assert r.status_code < 500, f"server error: {answer} {r.text[:300]}"
    if which == "other" and door.path.startswith(OUTSIDE_PROGRAM):
        assert answer == "404 not_found", f"outside the program the door is absent: {answer} {r.text[:300]}"
    elif not door.admits(role):
        refusal = door.answers.get(role, "403 forbidden")
        assert answer == refusal, f"{role} must be refused ({refusal}), got {answer} {r.text[:300]}"
    elif role in door.answers and not (which == "other" and door.names_object):
        assert answer == door.answers[role], r.text[:300]
    elif which == "other" and door.names_object and role in door.across:
        assert r.status_code == 200, f"the agency's {role} reads across its program: {answer} {r.text[:300]}"
    elif which == "other" and door.names_object:
        assert r.status_code == 404, f"another tenant's {role} must not find the object: {answer} {r.text[:300]}"
    else:
        assert r.status_code not in (401, 403), f"{role} must be let in: {answer} {r.text[:300]}"


@pytest.mark.parametrize("door", [pytest.param(d, id=d.key) for d in DOORS])
async def test_route_without_a_token(world: World, door: Door) -> None:
    req = _request(world, door, door.body)
    r = await world.http.request(door.method, **req)
    if door.roles == "public":
        assert r.status_code == 200, r.text[:300]
    else:
        assert (r.status_code, _error(r)) == (401, "unauthenticated"), r.text[:300]
        assert r.headers.get("www-authenticate") == "Bearer"


async def test_an_institution_sees_its_own_claims_and_nothing_of_a_person_beyond_them(world: World) -> None:
    """Within the tenant, an institution is let in to the claim routes but reads only its own: another institution's
    batch, statement, claims and a person's account answer as if absent, and its own view of a person's account
    holds its claims only — no year totals, no assistance status."""
    get, ids = world.http.get, world.ids
    settlement = world.platform.url("settlement")
    own = tokens.auth("hz-p1", "institution", INSTITUTION["hz-p1"])
    stranger = tokens.auth("hz-p1", "institution", "H610799009")
    for path in (f"/v1/claims/batches/{ids['batch_id']}", f"/v1/statements/{ids['statement_id']}",
                 f"/v1/statements/{ids['statement_id']}/documents"):
        assert (await get(f"{settlement}{path}", headers=own)).status_code == 200, path
        assert (await get(f"{settlement}{path}", headers=stranger)).status_code == 404, path
    r = await get(f"{settlement}/v1/claims", params={"statement_id": ids["statement_id"]}, headers=stranger)
    assert r.status_code == 200 and r.json()["claims"] == []
    r = await get(f"{settlement}/v1/statements", params={"month": MONTH}, headers=stranger)
    assert r.status_code == 200 and r.json()["statements"] == []
    ci_own = tokens.auth("qz-ci", "institution", INSTITUTION["qz-ci"])
    ci_stranger = tokens.auth("qz-ci", "institution", "H330899009")
    account = f"{settlement}/v1/critical/persons/{ids['ci_person']}/account"
    assert (await get(account, params={"year": 2026}, headers=ci_stranger)).status_code == 404
    for path in (f"/v1/critical/statements/{ids['ci_statement_id']}",
                 f"/v1/critical/statements/{ids['ci_statement_id']}/lines"):
        assert (await get(f"{settlement}{path}", headers=ci_stranger)).status_code == 404, path
    mine = await get(account, params={"year": 2026}, headers=ci_own)
    assert mine.status_code == 200, mine.text
    view = mine.json()
    assert {c["institution_code"] for c in view["claims"]} == {INSTITUTION["qz-ci"]}
    assert not {"cumulative_self_pay", "cumulative_paid", "assistance", "policy"} & set(view), sorted(view)


# ---- gRPC: every RPC × every role × own and other tenant, and every calling service --------------------------------


@dataclass(frozen=True)
class Rpc:
    service: str
    call: Callable[[grpc.aio.Channel, dict[str, str], Any], Awaitable[Any]]
    object: bool  # the request names an object of the own tenant (hz-p1)


def _rpcs() -> dict[str, Rpc]:
    def stub(kind: Any, method: str, request: Callable[[dict[str, str]], Any]) -> Callable[..., Awaitable[Any]]:
        async def call(channel: grpc.aio.Channel, ids: dict[str, str], metadata: Any) -> Any:
            return await getattr(kind(channel), method)(request(ids), metadata=metadata, timeout=30)
        return call

    v1 = "/jingban.contracts.v1."
    return {
        f"{v1}IntakeService/GetApplication": Rpc("intake", stub(
            intake_pb2_grpc.IntakeServiceStub, "GetApplication",
            lambda ids: intake_pb2.GetApplicationRequest(application_id=ids["application_id"])), True),
        f"{v1}AppraisalService/GetQualifications": Rpc("appraisal", stub(
            appraisal_pb2_grpc.AppraisalServiceStub, "GetQualifications",
            lambda ids: appraisal_pb2.GetQualificationsRequest(person_id=PERSON_A)), False),
        f"{v1}SettlementService/GetPolicy": Rpc("settlement", stub(
            settlement_pb2_grpc.SettlementServiceStub, "GetPolicy",
            lambda ids: settlement_pb2.GetPolicyRequest(program="hz-chronic")), False),
        f"{v1}SettlementService/GetAccumulators": Rpc("settlement", stub(
            settlement_pb2_grpc.SettlementServiceStub, "GetAccumulators",
            lambda ids: settlement_pb2.GetAccumulatorsRequest(person_id=PERSON_A, year=2026)), False),
        # An empty visit: refused as invalid (nothing settled) once the caller is let in.
        f"{v1}SettlementService/Adjudicate": Rpc("settlement", stub(
            settlement_pb2_grpc.SettlementServiceStub, "Adjudicate",
            lambda ids: settlement_pb2.AdjudicateRequest()), False),
        f"{v1}ArchiveService/GetPersonFile": Rpc("archive", stub(
            archive_pb2_grpc.ArchiveServiceStub, "GetPersonFile",
            lambda ids: archive_pb2.GetPersonFileRequest(person_id=PERSON_A)), True),
        f"{v1}ArchiveService/ListTrailAnchors": Rpc("archive", stub(
            archive_pb2_grpc.ArchiveServiceStub, "ListTrailAnchors",
            lambda ids: archive_pb2.ListTrailAnchorsRequest(limit=1)), False),
    }


RPCS = _rpcs()
REFUSED = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


async def _rpc(world: World, method: str, metadata: Any) -> grpc.StatusCode:
    rpc = RPCS[method]
    async with grpc.aio.insecure_channel(world.platform.grpc_target(rpc.service)) as channel:
        try:
            await rpc.call(channel, world.ids, metadata)
        except grpc.aio.AioRpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def test_every_rpc_has_a_call() -> None:
    assert set(RPCS) == set(TABLE["grpc"])


@pytest.mark.parametrize(("method", "role", "which"), [
    pytest.param(m, role, which, id=f"{m.rsplit('/', 2)[-2]}.{m.rsplit('/', 1)[-1]} | {role} | {which}")
    for m in TABLE["grpc"] for role in ROLES for which in ("own", "other")])
async def test_rpc_role_tenant(world: World, method: str, role: str, which: str) -> None:
    tenant = "hz-p1" if which == "own" else "hz-p2"
    metadata = (("authorization", world.auth(tenant, role, "hz-p1")["authorization"]),)
    code = await _rpc(world, method, metadata)
    assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), code
    if role not in TABLE["grpc"][method]["roles"]:
        assert code == grpc.StatusCode.PERMISSION_DENIED, f"{role} must be refused, got {code}"
    elif which == "other" and RPCS[method].object:
        assert code == grpc.StatusCode.NOT_FOUND, f"another tenant's {role} must not find the object, got {code}"
    else:
        assert code not in REFUSED, f"{role} must be let in, got {code}"


@pytest.mark.parametrize(("method", "caller"), [
    pytest.param(m, s, id=f"{m.rsplit('/', 2)[-2]}.{m.rsplit('/', 1)[-1]} | {s}")
    for m in TABLE["grpc"] for s in SERVICES])
async def test_rpc_calling_service(world: World, method: str, caller: str) -> None:
    token = tokens.current().service_token(caller)
    code = await _rpc(world, method, tokens.service_metadata(caller, "hz-p1"))
    assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), code
    audiences = tokens.claims_of(token).get("aud") or []
    if audience_of(RPCS[method].service) not in ([audiences] if isinstance(audiences, str) else audiences):
        assert code == grpc.StatusCode.UNAUTHENTICATED, f"{caller}'s token does not name the callee: {code}"
    elif caller in TABLE["grpc"][method]["services"]:
        assert code not in REFUSED, f"{caller} must be let in, got {code}"
    else:
        assert code == grpc.StatusCode.PERMISSION_DENIED, f"{caller} must be refused, got {code}"


async def test_rpc_without_a_token(world: World) -> None:
    for method in TABLE["grpc"]:
        assert await _rpc(world, method, ()) == grpc.StatusCode.UNAUTHENTICATED, method

