"""The policies room's HTTP door: publish a policy table version (JSON or YAML), the version in force on a date,
and every published version. The tenant comes from the token only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import yaml
from fastapi import APIRouter, Request, Response

from chassis.bodies import parse_json
from chassis.calendar import today_cn
from chassis.errors import InvalidInput, UnsupportedMediaType
from chassis.http import Scope, content_type, read_raw
from services.settlement.policies.service import PolicyBook
from services.settlement.policies.service import view as policy_view

# The policy table is public (the agency publishes it): an applicant reads it too, to choose a disease on the phone.
READERS = ("applicant", "clerk", "finance", "reviewer", "supervisor", "ops", "institution", "inspector", "expert",
           "service")
MAX_TABLE_BYTES = 1024 * 1024
YAML_TYPES = ("application/yaml", "text/yaml", "application/x-yaml")

# The table's shape for /docs (the table is parsed field by field by the domain, policy.parse_policy, whose errors
# name the field: a JSON Schema cannot say everything it checks, e.g. versions that must not overlap).
POLICY_TABLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["program", "version", "effective_from", "diseases"],
    "properties": {
        "program": {"type": "string", "example": "hz-chronic"},
        "version": {"type": "string", "example": "2025.1"},
        "label": {"type": "string"},
        "effective_from": {"type": "string", "format": "date"},
        "effective_to": {"type": ["string", "null"], "format": "date"},
        "monthly_cap_multiple": {"type": "integer"},
        "second_disease_weight": {"type": "string", "example": "0.5"},
        "diseases": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}, "category": {"type": "string"},
            "annual_cap": {"type": ["string", "null"], "example": "3000.00"},
            "deductible": {"type": "string", "example": "300.00"}, "ratio": {"type": "string", "example": "0.6"},
            "start": {"type": "string", "enum": ["next_month", "immediate"]},
            "review_months": {"type": "integer"}, "specialty": {"type": "string"},
            "required_documents": {"type": "array", "items": {"type": "string"}}}}},
    },
}


def router(book: PolicyBook, kick: Callable[[], None]) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["policies"])

    @r.post("/policies", summary="Publish a policy table version (JSON or YAML)",
            responses={201: {"description": "published"}, 200: {"description": "the same table again"},
                       409: {"description": "overlaps another version, or the version exists with other content"}},
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/json": {"schema": POLICY_TABLE_SCHEMA},
                "application/yaml": {"schema": POLICY_TABLE_SCHEMA}}}})
    async def publish_policy(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("ops", "finance")
        body = await read_raw(request, MAX_TABLE_BYTES)
        kind = content_type(request)
        if kind in YAML_TYPES:
            try:
                data = yaml.safe_load(body.decode("utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise InvalidInput(f"body is not valid YAML: {exc}", "body") from exc
            except RecursionError as exc:  # `[[[[…]]]]` thousands deep
                raise InvalidInput("body is not valid YAML: nested too deeply", "body") from exc
        elif kind == "application/json":
            data = parse_json(body, object_required=True)
        else:
            raise UnsupportedMediaType("send the table as application/json or application/yaml", "content-type")
        if not isinstance(data, dict):
            raise InvalidInput("the policy table must be an object", "body")
        doc, created = await book.publish(scope.tenant, data, scope.subject)
        if created:
            kick()
        response.status_code = 201 if created else 200
        return {**policy_view(doc), "created": created}

    @r.get("/policies/{program}", summary="The version in force on a date (default today)")
    async def policy_in_force(program: str, scope: Scope, on: date | None = None) -> dict[str, Any]:
        scope.require(*READERS)
        return policy_view(await book.doc_in_force(scope.tenant, program, on or today_cn()))

    @r.get("/policies/{program}/versions", summary="Every published version, oldest first")
    async def policy_versions(program: str, scope: Scope) -> dict[str, Any]:
        scope.require(*READERS)
        return {"program": program, "versions": await book.version_list(scope.tenant, program)}

    return r
