"""Schemathesis against each service's own OpenAPI document (模糊测试): every operation of the five services, with
valid tokens of roles the route admits, bad input included — and no answer is a server error (>= 500). Bad input
meets a precise 4xx with a stable code and the field it concerns (chassis/errors.py). Part of `make test` (the fast
tier runs tests/component), about a minute on a two-core machine.

- The services run in process (`EmbeddedPlatform`, the development issuer); Schemathesis reads each service's
  `/openapi.json` and sends real HTTP requests from a worker thread while the platform serves on the test loop.
- Tokens: the roles a route admits are read from the route itself — its `dependencies=[admit(...)]` or the
  `scope.require(...)` its handler calls first — so this test keeps no table of its own; each example draws one of
  those roles, a tenant and a subject. A route with neither (its rule is in the service) is tried with every role.
- Tenants: a program's own doors are tried in its own tenants, else they answer 404 before reading anything —
  /v1/critical in qz-ci, long-term care (/v1/ltc, /v1/fund/ltc-fee) in lot B (wz-b, with a Wenzhou resident and a
  care institution of the lot as subjects), fund supervision (/v1/supervision) in km-sv (with a supervised hospital
  as subject); the institution registry, smart review (/v1/review) and complaints (tips) in every tenant, wz-b and
  km-sv included.
- Records to work on: besides 404s on made-up ids, positive examples also take ids the services answered with
  (`KnownIds`: a few records the fixture creates — long-term care's through its own doors, `ltc_records`, fund
  supervision's through `KmWalk`, `km_records` — and whatever the fuzz itself creates), with their tenant.
- Bounded and stable for CI: `MAX_EXAMPLES` examples per operation conforming to its schema and as many breaking it
  (Schemathesis' positive and negative modes; negative only where something can be broken), derandomized (the same
  examples on every run), no example database. JINGBAN_FUZZ_EXAMPLES and JINGBAN_FUZZ_SEED explore further by hand.
- Checks: `not_a_server_error` (the one that matters) and `response_schema_conformance` (the answer matches the
  documented response schema); both pass.
- What the fuzz found (each a 500 until fixed in its room) is kept below as plain requests: `FOUND`.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import os
import re
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi.routing import APIRoute, iter_route_contexts
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.config import CacheConfig, SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from chassis.calendar import today_cn
from chassis.config import SERVICES
from chassis.http import admit
from chassis.identity import ROLES
from chassis.programs import program_of_tenant
from chassis.scope import SERVICE_ROLE
from jingban.embedded import EmbeddedPlatform
from jingban.flow import Walk
from jingban.km_flow import KmWalk
from tests.conftest import PERSON_A, PERSON_B, embedded_port_offset, eventually
from tests.support import tokens

# Per operation and generation mode. JINGBAN_FUZZ_EXAMPLES / JINGBAN_FUZZ_SEED explore further by hand (more examples,
# another seed than CI's derandomized one), JINGBAN_FUZZ_PATHS (a regex) on some paths only; `make test` runs the
# defaults.
MAX_EXAMPLES = int(os.environ.get("JINGBAN_FUZZ_EXAMPLES", "12"))
EXPLORE_SEED = os.environ.get("JINGBAN_FUZZ_SEED")
EXPLORE_PATHS = re.compile(os.environ.get("JINGBAN_FUZZ_PATHS", ""))  # e.g. "^/v1/ltc/": only the operations it finds
USER_ROLES = tuple(sorted(ROLES - {SERVICE_ROLE}))
TENANTS = ("hz-p1", "xy-c", "qz-ci")
INSTITUTION = "H330802001"  # a Quzhou hospital: the subject of an institution's token is its code
SUBJECTS = ("u1", PERSON_A, INSTITUTION)  # a plain user, a resident (an applicant's own id), an institution
# Long-term care (program wz-ltc) answers 404 to every other tenant before a body is read: its doors are fuzzed in
# lot B, with a Wenzhou resident and a care institution of the lot as subjects.
LTC_TENANT = "wz-b"
LTC_PERSON = "33030319580312001X"  # born 1958, lives in 龙湾区 (lot B)
LTC_OTHER_PERSON = "330303194506120019"  # another of 龙湾区, whose application awaits screening
LTC_INSTITUTION = "WZB-C001"
LTC_SUBJECTS = ("u1", LTC_PERSON, LTC_INSTITUTION)
LTC_PATHS = ("/v1/ltc/", "/v1/fund/ltc-fee")
# Fund supervision (program km-supervision) answers 404 to every other tenant before a body is read: its doors are
# fuzzed in km-sv, with a supervised hospital (of the SAMPLE roster the fixture imports) as the institution subject.
KM_TENANT = "km-sv"
KM_INSTITUTION = "KM-H001"
KM_SUBJECTS = ("u1", KM_INSTITUTION)
CHECKS = [not_a_server_error, response_schema_conformance]
# Operations not fuzzed, each with the reason (printed with the test's output).
EXCLUDED: dict[tuple[str, str], str] = {}
# A handover archive (archive's POST /v1/imports) is sent as bytes, as any binary body.
schemathesis.serializer.alias("application/zip", "application/octet-stream")


@dataclass
class Outcome:
    operation: str
    failures: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)  # answers by status code
    seconds: float = 0.0


class KnownIds:
    """Ids the services answered with (`*_id` fields of 2xx JSON answers, and of the records the fixture creates),
    by field name with the tenant that holds them: an operation with a path parameter of that name takes one of them
    in some of its positive examples, so the fuzz reaches records that exist (a complaint to resolve, an export to
    download, a review to conclude), not only 404s."""

    LIMIT = 16  # per name: the newest

    def __init__(self) -> None:
        self.by_name: dict[str, list[tuple[str, str]]] = {}

    def learn(self, tenant: str, data: Any, depth: int = 0) -> None:
        if depth > 4:
            return
        items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
        for key, value in items:
            if isinstance(key, str) and key.endswith("_id") and isinstance(value, str) and 0 < len(value) <= 64:
                seen = self.by_name.setdefault(key, [])
                if (tenant, value) not in seen:
                    seen.append((tenant, value))
                    del seen[:-self.LIMIT]
            elif isinstance(value, dict | list):
                self.learn(tenant, value, depth + 1)

    def learn_response(self, tenant: str, response: Any) -> None:
        kind = response.headers.get("content-type") or [""]  # Schemathesis' headers: name → values
        if 200 <= response.status_code < 300 and (kind[0] if isinstance(kind, list) else kind).startswith(
                "application/json"):
            self.learn(tenant, response.json())

    def cases(self, operation: Any, mode: Any, who: Any, roles: Any, subjects: tuple[str, ...]) -> Any:
        """(case, caller) pairs: the schema's own, and, in positive mode, some on a known record with its tenant."""
        generated = st.tuples(operation.as_strategy(generation_mode=mode), who)
        names = [n for n in re.findall(r"\{(\w+)\}", operation.path) if self.by_name.get(n)]
        if mode != schemathesis.GenerationMode.POSITIVE or not names:
            return generated
        name = names[0]

        def on_record(known: tuple[str, str]) -> Any:
            tenant, value = known
            return st.tuples(operation.as_strategy(generation_mode=mode, path_parameters={name: value}),
                             st.tuples(st.just(tenant), roles, st.sampled_from(subjects)))

        return st.one_of(generated, st.sampled_from(list(self.by_name[name])).flatmap(on_record))


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_TENANTS": ",".join(("hz-p1", "hz-p2", "qz-ci", "xy-c", LTC_TENANT,
                                                           KM_TENANT))},
                         port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def known(platform: EmbeddedPlatform) -> KnownIds:
    """A few records to fuzz on besides what the fuzz itself creates: an application waiting for documents, a case
    with its experts drawn, critical claims with a large-claim review, a manual reimbursement and their statement."""
    ids = KnownIds()
    async with httpx.AsyncClient(timeout=30) as http:
        walk = Walk(platform.url, tokens.current(), http, "hz-p1")
        await walk.load_policy()
        await walk.import_experts()
        waiting = await walk.submit(PERSON_A, "张三", "HTN", documents=("application_form", "id_card"))
        await walk.review(waiting["application_id"], "missing", ["medical_record"])
        complete = await walk.submit(PERSON_B, "李四", "HTN")
        await walk.review(complete["application_id"], "complete")
        for answer in (waiting, complete, await walk.case(complete["application_id"])):
            ids.learn("hz-p1", answer)

        critical = Walk(platform.url, tokens.current(), http, "qz-ci")
        ids.learn("qz-ci", await critical.critical_claims(INSTITUTION, [
            {"claim_id": f"fz-{n}", "person_id": f"P{n}", "date": f"2025-03-0{n}", "care": "inpatient",
             "area": "in_area", "networked": True, "total_cost": "60000.00", "self_pay": "30000.00"}
            for n in (1, 2)]))
        ids.learn("qz-ci", await critical.manual_claim({
            "person_id": "P3", "date": "2025-03-05", "care": "special_drug", "area": "out_of_area",
            "total_cost": "30000.00", "self_pay": "25000.00",
            "bank_account": {"bank_name": "衢州银行", "account_name": "王五", "account_no": "6222000011112222"}}))
        ids.learn("qz-ci", await critical.critical_reviews(2025))
        r = await http.get(f"{platform.url('settlement')}/v1/critical/statements", params={"month": "2025-03"},
                           headers=critical.auth("finance"))
        ids.learn("qz-ci", r.json())
        await ltc_records(platform, http, ids)
        await km_records(platform, http, ids)
    return ids


ASSESSOR_POOL = """assessor_id,name,background,institution_id,degree
AS-M1,王建医,medical,,本科
AS-N1,张素护,nursing,,大专
AS-O1,赵社助,other,,本科
"""
SEVERE = {"eating": 10, "dressing": 10, "grooming": 5, "bowels": 10, "bladder": 5, "toileting": 0, "walking": 0,
          "transfer": 0, "stairs": 0, "bathing": 0, "time": 4, "person": 4, "place": 4, "memory": 4,
          "consciousness": 4, "vision_hearing": 4, "communication": 4}  # 重度失能I级 in the SAMPLE table
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 40


async def ltc_records(platform: EmbeddedPlatform, http: httpx.AsyncClient, ids: KnownIds) -> None:
    """Long-term care's records in lot B, each through its door: the assessor pool, a designated care institution
    and one applying, an application screened (its assessment drawn, visited, concluded severe), one awaiting
    screening, a care plan with a day of service records, the month's care and assessment fee statements, the
    year's patrol plan, the quarter's sample, a patrol and a status survey, the pushes to the agency's system."""
    today = today_cn()
    month, quarter = today.isoformat()[:7], f"{today.year}-Q{(today.month - 1) // 3 + 1}"

    def url(service: str, path: str) -> str:
        return f"{platform.url(service)}{path}"

    def who(role: str, subject: str = "u1") -> dict[str, str]:
        return _headers(LTC_TENANT, role, subject)

    async def call(method: str, service: str, path: str, role: str, subject: str = "u1",
                   headers: dict[str, str] | None = None, **kw: Any) -> Any:
        r = await http.request(method, url(service, path), headers={**who(role, subject), **(headers or {})}, **kw)
        assert r.status_code in (200, 201), f"{method} {path}: {r.status_code} {r.text[:500]}"
        ids.learn(LTC_TENANT, r.json())
        return r.json()

    async def until(service: str, path: str, role: str, found: Callable[[Any], Any], **params: Any) -> Any:
        async def probe() -> Any:
            r = await http.get(url(service, path), headers=who(role), params=params)
            return found(r.json()) if r.status_code == 200 else None
        answer = await eventually(probe, what=f"GET {path}")
        ids.learn(LTC_TENANT, answer)
        return answer

    await call("POST", "appraisal", "/v1/ltc/assessors/import", "clerk", content=ASSESSOR_POOL.encode(),
               headers={"content-type": "text/csv"})
    await call("POST", "appraisal", "/v1/institutions/import", "ops", json={"institutions": [{
        "institution_id": LTC_INSTITUTION, "kind": "care", "name": "龙湾颐养院", "district": "330303",
        "modes": ["institutional", "home_visit"], "beds": 120,
        "agreement": {"valid_from": f"{today.year}-01-01", "valid_to": f"{today.year + 2}-12-31"}}]})
    await call("POST", "appraisal", "/v1/institutions", "clerk", files={
        "institution": (None, json.dumps({"institution_id": "WZB-C002", "kind": "care", "name": "永中护理院",
                                          "district": "330303", "modes": ["home_visit"],
                                          "contact": {"name": "欧阳丽娟", "phone": "13698765432"}})),
        "licence": ("licence.png", PNG, "image/png")})

    def application(person: str) -> dict[str, Any]:
        return {"application": (None, json.dumps({
            "person_id": person, "district": "龙湾区", "channel": "window", "basis": "illness", "insutype": "310",
            "disabled_since": (today - timedelta(days=300)).isoformat(), "care_institution_id": "WZB-C009"})),
            "id_card": ("id.png", PNG, "image/png"), "medical_records": ("records.png", PNG, "image/png")}

    filed = await call("POST", "intake", "/v1/ltc/applications", "clerk", files=application(LTC_PERSON))
    await call("POST", "intake", "/v1/ltc/applications", "clerk", files=application(LTC_OTHER_PERSON))
    await call("POST", "intake", f"/v1/ltc/applications/{filed['application_id']}/screening", "clerk",
               json={"outcome": "accept"})
    drawn = await until("appraisal", "/v1/ltc/assessments", "clerk",
                        lambda found: [a for a in found if a["application_id"] == filed["application_id"]
                                       and len(a.get("assessors") or ()) == 2])
    assessment, pair = drawn[0]["assessment_id"], drawn[0]["assessors"]
    await call("POST", "appraisal", f"/v1/ltc/assessments/{assessment}/visit", "expert", pair[0], files={
        "visit": (None, json.dumps({"visited_on": today.isoformat(), "place": "龙湾区永中街道", "notes": "卧床"})),
        "photo": ("bed.jpg", JPEG, "image/jpeg")})
    await call("POST", "appraisal", f"/v1/ltc/assessments/{assessment}/scores", "expert", pair[1],
               json={"assessors": pair, "items": SEVERE})

    await until("settlement", f"/v1/ltc/persons/{LTC_PERSON}", "clerk", lambda p: p if p.get("conclusions") else None)
    plan = {"person_id": LTC_PERSON, "mode": "home_visit", "institution_id": LTC_INSTITUTION,
            "valid_from": today.isoformat(), "valid_to": (today + timedelta(days=180)).isoformat(),
            "items": [{"code": "basic_care", "per_month": 20}, {"code": "bathing", "per_month": 4}]}

    async def approved() -> Any:  # once settlement knows the institution designated too (409 until then)
        r = await http.post(url("settlement", "/v1/ltc/plans"), json=plan, headers=who("institution", LTC_INSTITUTION))
        assert r.status_code in (200, 201, 409), r.text[:500]
        return r.json() if r.status_code != 409 else None
    ids.learn(LTC_TENANT, await eventually(approved, what="the care plan approved"))
    await call("POST", "settlement", "/v1/ltc/service-records", "institution", LTC_INSTITUTION, json={
        "month": month, "records": [{"record_id": "r1", "person_id": LTC_PERSON, "caregiver_id": "CG01",
                                     "date": today.isoformat(), "start": "08:00", "end": "09:00",
                                     "items": ["basic_care"], "evidence": [{"kind": "photo", "sha256": "ab" * 32}]}]})
    await call("POST", "settlement", "/v1/ltc/statements", "finance", json={"month": month})
    await call("POST", "settlement", "/v1/ltc/assessment-fees/statements", "finance", json={"month": month})
    await until("settlement", "/v1/ltc/agency-pushes", "ops", lambda found: found if found.get("pushes") else None)

    await call("POST", "audit", "/v1/ltc/patrol-plans", "supervisor", json={
        "year": today.year, "title": "B片区长护险监管巡查方案", "measures": "每季度抽查不少于20%",
        "quarters": [{"quarter": f"Q{n}", "sample_percent": 20, "survey_percent": 25} for n in (1, 2, 3, 4)]})
    await until("audit", "/v1/ltc/patrols/attainment", "inspector",  # audit knows the institution and the service
                lambda a: a if a["services"]["delivered"] and LTC_INSTITUTION in a["institutions"]["missing"] else None,
                quarter=quarter)
    sample = await call("POST", "audit", "/v1/ltc/samples", "inspector", json={"quarter": quarter, "seed": "fuzz"})
    await call("POST", "audit", "/v1/ltc/patrols", "inspector", json={
        "quarter": quarter, "date": today.isoformat(), "institution_ids": [LTC_INSTITUTION],
        "checked_record_ids": [e["service_id"] for e in sample.get("entries", ())],
        "inspectors": [{"inspector_id": "insp-1", "background": "nursing", "degree": "college"},
                       {"inspector_id": "insp-2", "background": "other", "degree": "bachelor"}]})
    await call("POST", "audit", "/v1/ltc/status-surveys", "clerk", json={
        "person_id": LTC_PERSON, "year": today.year, "status": "unchanged", "surveyed_on": today.isoformat()})


async def km_records(platform: EmbeddedPlatform, http: httpx.AsyncClient, ids: KnownIds) -> None:
    """Fund supervision's records in km-sv, one of each kind through `KmWalk.one_of_each`: the SAMPLE roster, a
    screening's hits, the coverage plan, a draw, inspections ended (its report due), open and reported, a sample half
    answered, a tip's lead verified into an open case with its documents, a superior's lead, the agency's audit open,
    credit evaluations draft and approved — each id learnt under its path parameter's name."""
    made = await KmWalk(platform.url, tokens.current(), http, KM_TENANT).one_of_each(today_cn())
    ids.learn(KM_TENANT, made)
    for name, alias in (("inspection_id", "open_inspection_id"), ("inspection_id", "reported_inspection_id"),
                        ("lead_id", "tip_lead_id"), ("evaluation_id", "approved_evaluation_id"),
                        ("institution_id", "pharmacy_id"), ("institution_id", "agency_id")):
        ids.learn(KM_TENANT, {name: made[alias]})


# ---- who may call a route: its own scope.require(...) ---------------------------------------------------------------

def _required_roles(endpoint: Callable[..., Any]) -> tuple[str, ...] | None:
    """The roles of the first `scope.require(...)` in a route's handler, its names looked up in the handler's own
    namespace (module constants such as READERS, closure variables); None when the handler has none."""
    source = textwrap.dedent(inspect.getsource(endpoint))
    names = {**endpoint.__globals__, **inspect.getclosurevars(endpoint).nonlocals}
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "require"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "scope"):
            roles: list[str] = []
            for arg in node.args:  # "clerk", READERS, *READERS: constants and names, nothing else
                expr = arg.value if isinstance(arg, ast.Starred) else arg
                value = expr.value if isinstance(expr, ast.Constant) else names[expr.id]  # type: ignore[attr-defined]
                roles.extend(value if isinstance(arg, ast.Starred) else [value])
            return tuple(r for r in roles if r != SERVICE_ROLE)
    return None


def _admitted(route: APIRoute) -> tuple[str, ...] | None:
    """The roles of a route's `dependencies=[admit(...)]` (chassis.http.admit), if it declares them so."""
    for dependency in route.dependencies:
        check = dependency.dependency
        if check is not None and check.__qualname__.startswith(f"{admit.__name__}."):
            roles = inspect.getclosurevars(check).nonlocals["roles"]
            return tuple(r for r in roles if r != SERVICE_ROLE)
    return None


def admitted_roles(app: Any) -> dict[tuple[str, str], tuple[str, ...]]:
    """(METHOD, path) → the user roles the route admits."""
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in iter_route_contexts(app.routes):  # included routers too, with their effective paths
        if isinstance(route.original_route, APIRoute) and route.endpoint is not None:
            roles = _admitted(route.original_route) or _required_roles(route.endpoint) or USER_ROLES
            for method in route.methods or ():
                out[(method, route.path_format or "")] = roles
    return out


def _headers(tenant: str, role: str, subject: str) -> dict[str, str]:
    program = ""
    if role == "supervisor":
        found = program_of_tenant(tenant)
        program = found.code if found else ""
    return tokens.auth(tenant, role, subject, program)


def _callers_for(path: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tenants and subjects an operation is tried with. Critical illness lives in qz-ci alone, long-term care in
    the wz-ltc lots and fund supervision in km-sv (any other tenant gets 404 for all of /v1/critical, /v1/ltc,
    /v1/fund/ltc-fee or /v1/supervision at once); the institution registry is every tenant's, long-term care's lot B
    and km-sv with their institutions included; smart review and complaints (tips are km-sv's) km-sv's too."""
    if path.startswith("/v1/critical"):
        return ("qz-ci",), SUBJECTS
    if path.startswith(LTC_PATHS):
        return (LTC_TENANT,), LTC_SUBJECTS
    if path.startswith("/v1/supervision"):
        return (KM_TENANT,), KM_SUBJECTS
    if path.startswith("/v1/institutions"):
        return (*TENANTS, LTC_TENANT, KM_TENANT), (*SUBJECTS, LTC_INSTITUTION, KM_INSTITUTION)
    if path.startswith(("/v1/review", "/v1/complaints")):
        return (*TENANTS, KM_TENANT), (*SUBJECTS, KM_INSTITUTION)
    return TENANTS, SUBJECTS


# ---- the run ------------------------------------------------------------------------------------------------------

def fuzz_operations(schema: Any, base_url: str, roles: dict[tuple[str, str], tuple[str, ...]],
                    known: KnownIds) -> list[Outcome]:
    """Every operation of one service's schema, each in both generation modes (in a worker thread: blocking HTTP)."""
    outcomes: list[Outcome] = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            key = (operation.method.upper(), operation.path)
            if not EXPLORE_PATHS.search(operation.path):
                continue
            if key in EXCLUDED:
                print(f"not fuzzed: {key[0]} {key[1]}: {EXCLUDED[key]}")
                continue
            outcome = Outcome(f"{key[0]} {key[1]}")
            outcomes.append(outcome)
            admitted = st.sampled_from(roles.get(key, USER_ROLES))
            tenants, subjects = _callers_for(operation.path)
            who = st.tuples(st.sampled_from(tenants), admitted, st.sampled_from(subjects))
            started = time.perf_counter()
            modes = [schemathesis.GenerationMode.POSITIVE]
            if negatable(schema.raw_schema["paths"][operation.path][operation.method.lower()]):
                modes.append(schemathesis.GenerationMode.NEGATIVE)
            for mode in modes:
                _fuzz_one(known.cases(operation, mode, who, admitted, subjects), mode, base_url, session, outcome,
                          known)
            outcome.seconds = time.perf_counter() - started
    return outcomes


def negatable(operation: dict[str, Any]) -> bool:
    """Whether a request can break the operation's schema: a body, a query (or header) parameter, or a path
    parameter narrower than any string. (A route taking only free-form path segments has nothing to negate:
    Hypothesis would search for one for seconds and give up.)"""
    if operation.get("requestBody"):
        return True
    for parameter in operation.get("parameters", ()):
        if parameter.get("in") != "path":
            return True
        if set(parameter.get("schema", {})) - {"type", "title", "description"} or \
                parameter.get("schema", {}).get("type") != "string":
            return True
    return False


def _fuzz_one(cases: Any, mode: Any, base_url: str, session: requests.Session, outcome: Outcome,
              known: KnownIds) -> None:
    @settings(max_examples=MAX_EXAMPLES, derandomize=EXPLORE_SEED is None, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink],
              print_blob=False)
    @given(example=cases)
    def run(example: tuple[Any, tuple[str, str, str]]) -> None:
        case, caller = example
        headers = _headers(*caller)
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        outcome.statuses[response.status_code] = outcome.statuses.get(response.status_code, 0) + 1
        known.learn_response(caller[0], response)
        case.validate_response(response, checks=CHECKS, headers=headers)

    if EXPLORE_SEED is not None:
        run = seed(int(EXPLORE_SEED))(run)
    try:
        run()
    except Unsatisfiable:  # nothing in this operation can break its schema in this mode
        pass
    except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, reported together
        outcome.failures.append(f"[{mode.value}] {_described(exc)}")


def _described(exc: BaseException) -> str:
    """An exception with what it groups (Hypothesis' FlakyFailure: a failure the replay did not meet again, as a
    record's state moved on); Schemathesis' own groups already say everything, curl included."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, BaseExceptionGroup) and not isinstance(exc, FailureGroup):
        text += "".join("\n" + textwrap.indent(_described(sub), "    ") for sub in exc.exceptions)
    return text


@pytest.mark.parametrize("service", SERVICES)
async def test_no_server_error_on_any_operation(platform: EmbeddedPlatform, known: KnownIds, service: str) -> None:
    base_url = platform.url(service)
    config = SchemathesisConfig(cache=CacheConfig(enabled=False), seed=20260101)
    schema = await asyncio.to_thread(schemathesis.openapi.from_url, f"{base_url}/openapi.json", config=config)
    app = platform.hosts[service].parts.app  # type: ignore[union-attr]
    outcomes = await asyncio.to_thread(fuzz_operations, schema, base_url, admitted_roles(app), known)
    failed = [o for o in outcomes if o.failures]
    for o in outcomes:
        print(f"  {o.operation} ({o.seconds:.1f} s): {dict(sorted(o.statuses.items()))}")
    sent = sum(sum(o.statuses.values()) for o in outcomes)
    print(f"{service}: {len(outcomes)} operations, {sent} requests, {len(failed)} failing")
    assert not failed, "\n\n".join(f"{o.operation}:\n" + "\n".join(o.failures) for o in failed)


# ---- what the fuzz (and probes around it) found, kept as plain requests -------------------------------------------

DEEP_JSON = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
SETTLEMENT_RECORD = {"setl_id": "S1", "psn_no": "P1", "setl_time": "2025-03-01", "medfee_sumamt": "100.00",
                     "psn_part_amt": "50.00", "fulamt_ownpay_amt": "0.00", "mdtrt_admdvs": "330802",
                     "fixmedins_code": "H1"}
FOUND: list[tuple[str, str, str, tuple[str, str, str], dict[str, Any], tuple[int, str, str]]] = [
    # service, method, path, (tenant, role, subject), request, (status, code, field)
    ("settlement", "POST", "/v1/critical/imports", ("qz-ci", "clerk", "u1"),
     {"json": {"records": [{**SETTLEMENT_RECORD, "med_type": {"a": 1}}]}},
     (422, "invalid_input", "records[0].med_type")),
    ("audit", "GET", "/v1/figures?period=9999-12", ("hz-p1", "inspector", "u1"), {}, (422, "invalid_input", "period")),
    ("audit", "POST", "/v1/reports", ("hz-p1", "inspector", "u1"), {"json": {"kind": "monthly", "period": "0000-01"}},
     (422, "invalid_input", "period")),
    ("intake", "GET", "/v1/surveys/results?period=0000", ("xy-c", "clerk", "u1"), {}, (422, "invalid_input", "period")),
    ("archive", "POST", "/v1/exports", ("hz-p1", "ops", "u1"), {"json": {"period": "0000-01"}},
     (422, "invalid_input", "period")),
    ("appraisal", "POST", "/v1/experts/import", ("hz-p1", "clerk", "u1"),
     {"content": "U\rÛ".encode(), "headers": {"content-type": "text/csv"}}, (422, "invalid_input", "header")),
    ("appraisal", "POST", "/v1/experts/import", ("hz-p1", "clerk", "u1"),
     {"content": b"\xff\xfe\x00", "headers": {"content-type": "text/csv"}}, (422, "invalid_input", "body")),
    ("settlement", "POST", "/v1/critical/persons/import", ("qz-ci", "clerk", "u1"),
     {"content": b"person_id,effective_from\n" + b"x" * 200_000 + b",2025-01-01\n",
      "headers": {"content-type": "text/csv"}}, (422, "invalid_input", "body")),
    ("settlement", "POST", "/v1/fund/advances", ("hz-p1", "finance", "u1"),
     {"content": DEEP_JSON, "headers": {"content-type": "application/json"}}, (422, "invalid_json", "body")),
    ("settlement", "POST", "/v1/fund/advances", ("hz-p1", "finance", "u1"),
     {"content": b'{"advance_id": "v1", "date": "2025-01-02", "amount": "1.00", "memo": "x\\ud800"}',
      "headers": {"content-type": "application/json"}}, (422, "invalid_json", "body")),
    ("settlement", "POST", "/v1/policies", ("hz-p1", "ops", "u1"),
     {"content": b"a: " + b"[" * 5_000 + b"]" * 5_000, "headers": {"content-type": "application/yaml"}},
     (422, "invalid_input", "body")),
    ("intake", "POST", "/v1/applications", ("hz-p1", "clerk", "u1"),
     {"files": {"application": (None, b'{"person_id": "610702195803120012", "person_name": "x\\ud800"}')}},
     (422, "invalid_json", "application")),
    ("settlement", "POST", "/v1/critical/manual-claims", ("qz-ci", "clerk", "u1"),
     {"files": {"claim": (None, b"[" * 50_000)}}, (422, "invalid_json", "claim")),
    ("appraisal", "GET", "/v1/reviews/due?on=9999-12-31&within_days=366", ("hz-p1", "clerk", "u1"), {},
     (422, "invalid_input", "on")),
    *[("settlement", "POST", "/v1/claims/batches", ("hz-p1", "institution", "H610702001"),
       {"json": {"month": "2025-03", "batch_id": f"fz-line-{n}", "lines": [
           {"claim_id": "c1", "person_id": PERSON_A, "date": "2025-03-02", "disease": "HTN", "amount": "10.00",
            "covered": True, "item_code": "X1", "description": "d", "line": line}]}},
       (422, "invalid_input", "line")) for n, line in enumerate(({"a": 1}, 10**30))],
    # Long-term care, in lot B (the records of `known`). A surrogate as raw bytes, which json.loads(bytes) decodes:
    ("audit", "POST", "/v1/ltc/scores", (LTC_TENANT, "supervisor", "u1"),
     {"content": b'{"year": 2025, "deductions": {}, "note": "x\xed\xa0\x80"}',
      "headers": {"content-type": "application/json"}}, (422, "invalid_json", "body")),
    # An agreement term whose three-year limit no calendar holds:
    ("appraisal", "POST", f"/v1/institutions/{LTC_INSTITUTION}/agreement", (LTC_TENANT, "reviewer", "u1"),
     {"json": {"valid_from": "9999-12-31", "valid_to": "9999-12-31"}}, (422, "invalid_input", "valid_from")),
    # Not 500s but records written for no real month, quarter or person: a year no contract holds, a final newline,
    # digits of another script (the same number as another string).
    ("settlement", "POST", "/v1/ltc/assessment-fees/statements", (LTC_TENANT, "finance", "u1"),
     {"json": {"month": "0000-01"}}, (422, "invalid_input", "month")),
    ("settlement", "POST", "/v1/ltc/statements", (LTC_TENANT, "finance", "u1"), {"json": {"month": "2026-12\n"}},
     (422, "invalid_input", "month")),
    ("audit", "POST", "/v1/ltc/samples", (LTC_TENANT, "inspector", "u1"), {"json": {"quarter": "２０２６-Q1"}},
     (422, "invalid_input", "quarter")),
    ("intake", "POST", "/v1/ltc/applications", (LTC_TENANT, "clerk", "u1"),
     {"files": {"application": (None, json.dumps({
         "person_id": LTC_PERSON.translate(str.maketrans("0123456789", "０１２３４５６７８９")), "district": "龙湾区",
         "basis": "old_age", "insutype": "390"}))}}, (422, "invalid_input", "application.person_id")),
]


@pytest.mark.parametrize(("service", "method", "path", "caller", "request_", "expected"), FOUND,
                         ids=[f"{m} {p.split('?')[0]} #{i}" for i, (_, m, p, *_) in enumerate(FOUND)])
async def test_what_the_fuzz_found_is_a_precise_4xx(platform: EmbeddedPlatform, known: KnownIds, service: str,
                                                    method: str, path: str, caller: tuple[str, str, str],
                                                    request_: dict[str, Any], expected: tuple[int, str, str]) -> None:
    """Each was a 500: a lone surrogate, a nesting too deep for the parser, a year no date holds, a CSV the reader
    cannot read, a JSON object where a code or a number was expected, a number beyond the store's integers — or, the
    last few, a record written for a month, quarter or person that is none. Each is now refused naming its field
    (`known`: the policies are loaded, so a claim line gets as far as its number)."""
    headers = {**_headers(*caller), **request_.get("headers", {})}
    args = {k: v for k, v in request_.items() if k != "headers"}
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.request(method, f"{platform.url(service)}{path}", headers=headers, **args)
    error = r.json()["error"]
    assert (r.status_code, error["code"], error.get("field")) == expected, r.text[:500]
