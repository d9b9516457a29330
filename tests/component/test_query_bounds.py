"""Integer query and path parameters are bounded on every service: a number too large for the store (the audit
trail's `after=2**63`, a claims `offset`, a fund year in a path) is a 422 naming the field, never a 500; and no
service publishes an integer parameter without a maximum (read from each service's own OpenAPI document)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chassis.config import SERVICES
from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset

TOO_BIG = 2**63  # one past BSON int64: what made GET /v1/trail?after=... answer 500


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_TENANTS": "hz-p1,hz-p2"}, port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def refused_fields(r: httpx.Response) -> list[str]:
    assert r.status_code == 422, r.text
    body = r.json()["error"]
    assert body["code"] == "invalid_input"
    return [f["field"] for f in body["fields"]]


async def test_trail_after_beyond_int64_is_422_with_the_field(platform: EmbeddedPlatform,
                                                              http: httpx.AsyncClient) -> None:
    url, who = f"{platform.url('audit')}/v1/trail", auth("hz-p1", "inspector")
    assert refused_fields(await http.get(url, params={"after": TOO_BIG}, headers=who)) == ["query.after"]
    # The largest position still answers (an empty page), so the bound is exactly the store's integer.
    r = await http.get(url, params={"after": TOO_BIG - 1}, headers=who)
    assert r.status_code == 200 and r.json() == {"entries": []}


async def test_claims_offset_and_fund_year_paths_are_bounded(platform: EmbeddedPlatform,
                                                            http: httpx.AsyncClient) -> None:
    base = platform.url("settlement")
    finance = auth("hz-p1", "finance")
    claims = f"{base}/v1/claims"
    r = await http.get(claims, params={"statement_id": "none", "offset": TOO_BIG}, headers=finance)
    assert refused_fields(r) == ["query.offset"]
    r = await http.get(claims, params={"statement_id": "none", "offset": 2**31 - 1}, headers=finance)
    assert r.status_code == 200 and r.json()["claims"] == []
    assert refused_fields(await http.get(f"{base}/v1/fund/years/{TOO_BIG}", headers=finance)) == ["path.year"]
    assert refused_fields(await http.get(f"{base}/v1/fund/budgets/{TOO_BIG}", headers=finance)) == ["path.year"]
    assert (await http.get(f"{base}/v1/fund/years/2025", headers=finance)).status_code == 200
    r = await http.get(f"{base}/v1/fund/service-fee", headers=finance,
                       params={"year": 2025, "targets_met": TOO_BIG, "targets_total": TOO_BIG})
    assert sorted(refused_fields(r)) == ["query.targets_met", "query.targets_total"]


def _integer_schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    if schema.get("type") == "integer":
        return [schema]
    return [s for alt in schema.get("anyOf", []) for s in _integer_schemas(alt)]


async def test_no_service_publishes_an_unbounded_integer_parameter(platform: EmbeddedPlatform,
                                                                   http: httpx.AsyncClient) -> None:
    unbounded, seen = [], 0
    for service in SERVICES:
        spec = (await http.get(f"{platform.url(service)}/openapi.json")).json()
        for path, operations in spec["paths"].items():
            for method, op in operations.items():
                for param in op.get("parameters", []):
                    for schema in _integer_schemas(param.get("schema", {})):
                        seen += 1
                        if "maximum" not in schema and "exclusiveMaximum" not in schema:
                            unbounded.append(f"{service} {method.upper()} {path} {param['in']}.{param['name']}")
    assert seen >= 20, "the OpenAPI walk found too few integer parameters to be looking at the right thing"
    assert not unbounded, "integer parameters without a maximum:\n" + "\n".join(unbounded)
