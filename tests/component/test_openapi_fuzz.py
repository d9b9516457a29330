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
from tests.conftest import PERSON_A, embedded_port_offset
from tests.support import tokens

# Per operation and generation mode (positive, negative). JINGBAN_FUZZ_EXAMPLES / JINGBAN_FUZZ_SEED explore further
# by hand (more examples, another seed than CI's derandomized one); `make test` runs the defaults.
MAX_EXAMPLES = int(os.environ.get("JINGBAN_FUZZ_EXAMPLES", "12"))
EXPLORE_SEED = os.environ.get("JINGBAN_FUZZ_SEED")
USER_ROLES = tuple(sorted(ROLES - {SERVICE_ROLE}))
TENANTS = ("hz-p1", "xy-c", "qz-ci")
SUBJECTS = ("u1", PERSON_A, "H001")  # a plain user, a resident (an applicant's own id), an institution's code
CHECKS = [not_a_server_error, response_schema_conformance]
# Operations not fuzzed, each with the reason (printed with the test's output).
EXCLUDED: dict[tuple[str, str], str] = {}


@dataclass
class Outcome:
    operation: str
    failures: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)  # answers by status code
    seconds: float = 0.0


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_TENANTS": ",".join(("hz-p1", "hz-p2", "qz-ci", "xy-c"))},
                         port_offset=embedded_port_offset())
    await p.start()
    async with httpx.AsyncClient(timeout=30) as http:
        walk = Walk(p.url, tokens.current(), http, "hz-p1")
        await walk.load_policy()
        await walk.import_experts()
    yield p
    await p.stop()


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

def fuzz_operations(schema: Any, base_url: str, roles: dict[tuple[str, str], tuple[str, ...]]) -> list[Outcome]:
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
        who = st.tuples(st.sampled_from(_tenants_for(operation.path)), st.sampled_from(roles.get(key, USER_ROLES)),
                        st.sampled_from(SUBJECTS))
        started = time.perf_counter()
        modes = [schemathesis.GenerationMode.POSITIVE]
        if negatable(schema.raw_schema["paths"][operation.path][operation.method.lower()]):
            modes.append(schemathesis.GenerationMode.NEGATIVE)
        for mode in modes:
            _fuzz_one(operation, mode, who, base_url, session, outcome)
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


def _fuzz_one(operation: Any, mode: Any, who: Any, base_url: str, session: requests.Session,
              outcome: Outcome) -> None:
    @settings(max_examples=MAX_EXAMPLES, derandomize=EXPLORE_SEED is None, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink],
              print_blob=False)
    @given(case=operation.as_strategy(generation_mode=mode), caller=who)
    def run(case: Any, caller: tuple[str, str, str]) -> None:
        headers = _headers(*caller)
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        outcome.statuses[response.status_code] = outcome.statuses.get(response.status_code, 0) + 1
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
async def test_no_server_error_on_any_operation(platform: EmbeddedPlatform, service: str) -> None:
    base_url = platform.url(service)
    config = SchemathesisConfig(cache=CacheConfig(enabled=False), seed=20260101)
    schema = await asyncio.to_thread(schemathesis.openapi.from_url, f"{base_url}/openapi.json", config=config)
    app = platform.hosts[service].parts.app  # type: ignore[union-attr]
    outcomes = await asyncio.to_thread(fuzz_operations, schema, base_url, admitted_roles(app))
    failed = [o for o in outcomes if o.failures]
    for o in outcomes:
        print(f"  {o.operation} ({o.seconds:.1f} s): {dict(sorted(o.statuses.items()))}")
    sent = sum(sum(o.statuses.values()) for o in outcomes)
    print(f"{service}: {len(outcomes)} operations, {sent} requests, {len(failed)} failing")
    assert not failed, "\n\n".join(f"{o.operation}:\n" + "\n".join(o.failures) for o in failed)
