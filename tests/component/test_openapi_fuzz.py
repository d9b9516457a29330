"""Schemathesis against each service's own OpenAPI document (模糊测试): every operation of the five services, with
valid tokens of roles the route admits, bad input included — and no answer is a server error (>= 500).

Bad input must meet a precise 4xx with a stable code and the field it concerns (chassis/errors.py), never a 500.

- The services run in process (`EmbeddedPlatform`, the development issuer); Schemathesis reads each service's
  `/openapi.json` and sends real HTTP requests from a worker thread while the platform serves on the test loop.
- Tokens: the roles a route admits are read from the route itself — its `dependencies=[admit(...)]` or the
  `scope.require(...)` its handler calls first — so this test keeps no table of its own; each example draws one of
  those roles, a tenant and a subject. A route with neither (its rule is in the service) is tried with every role.
- Bounded and stable for CI: `MAX_EXAMPLES` per operation, half of them conforming to the schema and half not
  (Schemathesis' positive and negative modes), derandomized (the same examples on every run), no example database.
- Checks: `not_a_server_error` (the one that matters) and `response_schema_conformance` (the answer matches the
  documented response schema).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
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
from schemathesis.config import SchemathesisConfig
from schemathesis.config._cache import CacheConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from chassis.config import SERVICES
from chassis.http import admit
from chassis.identity import ROLES
from chassis.programs import program_of_tenant
from chassis.scope import SERVICE_ROLE
from jingban.embedded import EmbeddedPlatform
from jingban.flow import Walk
from tests.conftest import PERSON_A, PERSON_B, embedded_port_offset
from tests.support import tokens

# Per operation and generation mode (positive, negative). JINGBAN_FUZZ_EXAMPLES / JINGBAN_FUZZ_SEED explore further
# by hand (more examples, another seed than CI's derandomized one); `make test` runs the defaults.
MAX_EXAMPLES = int(os.environ.get("JINGBAN_FUZZ_EXAMPLES", "12"))
EXPLORE_SEED = os.environ.get("JINGBAN_FUZZ_SEED")
USER_ROLES = tuple(sorted(ROLES - {SERVICE_ROLE}))
TENANTS = ("hz-p1", "xy-c", "qz-ci")
INSTITUTION = "H330802001"  # a Quzhou hospital: the subject of an institution's token is its code
SUBJECTS = ("u1", PERSON_A, INSTITUTION)  # a plain user, a resident (an applicant's own id), an institution
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
        if 200 <= response.status_code < 300 and response.headers.get("content-type", "").startswith(
                "application/json"):
            self.learn(tenant, response.json())

    def cases(self, operation: Any, mode: Any, who: Any, roles: Any) -> Any:
        """(case, caller) pairs: the schema's own, and, in positive mode, some on a known record with its tenant."""
        generated = st.tuples(operation.as_strategy(generation_mode=mode), who)
        names = [n for n in re.findall(r"\{(\w+)\}", operation.path) if self.by_name.get(n)]
        if mode != schemathesis.GenerationMode.POSITIVE or not names:
            return generated
        name = names[0]

        def on_record(known: tuple[str, str]) -> Any:
            tenant, value = known
            return st.tuples(operation.as_strategy(generation_mode=mode, path_parameters={name: value}),
                             st.tuples(st.just(tenant), roles, st.sampled_from(SUBJECTS)))

        return st.one_of(generated, st.sampled_from(list(self.by_name[name])).flatmap(on_record))


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_TENANTS": ",".join(("hz-p1", "hz-p2", "qz-ci", "xy-c"))},
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
    return ids


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


def _tenants_for(path: str) -> tuple[str, ...]:
    """Critical illness lives in qz-ci alone (any other tenant gets 404 for all of /v1/critical at once)."""
    return ("qz-ci",) if path.startswith("/v1/critical") else TENANTS


# ---- the run ------------------------------------------------------------------------------------------------------

def fuzz_operations(schema: Any, base_url: str, roles: dict[tuple[str, str], tuple[str, ...]],
                    known: KnownIds) -> list[Outcome]:
    """Every operation of one service's schema, each in both generation modes (in a worker thread: blocking HTTP)."""
    outcomes: list[Outcome] = []
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key in EXCLUDED:
            print(f"not fuzzed: {key[0]} {key[1]}: {EXCLUDED[key]}")
            continue
        outcome = Outcome(f"{key[0]} {key[1]}")
        outcomes.append(outcome)
        admitted = st.sampled_from(roles.get(key, USER_ROLES))
        who = st.tuples(st.sampled_from(_tenants_for(operation.path)), admitted, st.sampled_from(SUBJECTS))
        started = time.perf_counter()
        modes = [schemathesis.GenerationMode.POSITIVE]
        if negatable(schema.raw_schema["paths"][operation.path][operation.method.lower()]):
            modes.append(schemathesis.GenerationMode.NEGATIVE)
        for mode in modes:
            _fuzz_one(known.cases(operation, mode, who, admitted), mode, base_url, session, outcome, known)
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
        outcome.failures.append(f"[{mode.value}] {type(exc).__name__}: {exc}")


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
