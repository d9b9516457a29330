"""settlement's HTTP door for chronic & special disease benefits (门诊慢特病): benefit accounts, month-end claims,
real-time settlement, statements, payments, and an ops path to import holdings. The tenant comes from the token only;
another tenant's object answers 404 exactly as a missing one does; an institution sees only its own claims and
statements.

Bodies are read exactly (JSON numbers as decimals, never floats) and checked field by field by the domain, which
answers every bad field (and every bad line of an upload) at once; the pydantic models below document them in
/docs (`openapi_extra`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from chassis.bodies import parse_json
from chassis.body_limit import body_limit
from chassis.errors import Forbidden, InvalidInput, NotFound, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, content_type, read_json, read_raw
from chassis.scope import TenantScope
from services.settlement.chronic.domain.records import CODE_RE, claim_view, institution_of_statement, settle_view
from services.settlement.chronic.domain.uploads import (
    from_csv,
    from_json,
    institution_of,
    month_of,
    upload_of,
)
from services.settlement.chronic.domain.visits import parse_visit
from services.settlement.chronic.service import review
from services.settlement.chronic.service import statements as stm
from services.settlement.chronic.service.accounts import read_accumulators
from services.settlement.chronic.service.holdings import import_holdings
from services.settlement.chronic.service.settler import Settler
from services.settlement.fund.domain.payment_runs import parse_run
from services.settlement.statement_documents.service import require_documents

# A person's benefit accounts are the carrier's and the agency's to read; an institution sees its own claims and
# statements and nothing of a person beyond them (their accounts hold every institution's claims).
PERSON_READERS = ("clerk", "finance", "reviewer", "supervisor", "ops", "inspector")
PERSON_LOOKUP_REFUSED = "person_lookup_refused"
STATEMENT_READERS = ("clerk", "finance", "supervisor", "ops", "inspector", "institution")
CLAIMS_MAX_BYTES = 64 * 1024 * 1024
MAX_LINES = 200_000
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
# Paging offsets fit every store's skip (int32): a larger one is refused (422) rather than failing in the store.
MAX_OFFSET = 2**31 - 1
AMOUNT = "yuan, a decimal string such as \"12.34\" (a JSON number is read exactly; at most two decimals)"


# ---- request bodies (documented in /docs; checked by the domain, see the module's docstring) -------------------
# The line models are the items of their body's list (json_schema_extra): a body's schema has no references.


class HoldingIn(BaseModel):
    person_id: str = Field(max_length=64)
    disease: str = Field(description="a disease code of some policy version of the program")
    granted_on: date
    qualification_id: str | None = Field(default=None,
                                         description="default `import:<person>:<disease>:<granted_on>`")


class HoldingsImport(BaseModel):
    holdings: list[dict[str, Any]] = Field(min_length=1, max_length=200_000,
                                           json_schema_extra={"items": HoldingIn.model_json_schema()})


class VisitLine(BaseModel):
    disease: str
    amount: str = Field(description=AMOUNT, examples=["120.50"])
    covered: bool = Field(description="inside the catalogues and related to the disease")
    item_code: str = Field(default="", max_length=64)
    description: str = Field(default="", max_length=500)


class Visit(BaseModel):
    claim_id: str = Field(max_length=64, description="the institution's own id of the visit (idempotency key)")
    person_id: str = Field(max_length=64)
    date: date
    program: str = Field(default="", description="default: the tenant's program")
    lines: list[dict[str, Any]] = Field(min_length=1, max_length=500,
                                        json_schema_extra={"items": VisitLine.model_json_schema()})


class ClaimLine(BaseModel):
    claim_id: str = Field(max_length=64)
    person_id: str = Field(max_length=64)
    date: date
    disease: str = Field(max_length=32)
    amount: str = Field(description=AMOUNT)
    covered: bool | str = Field(description="true/false (CSV: true, 1, yes, y, t / false, 0, no, n, f)")
    item_code: str = Field(default="", max_length=64)
    description: str = Field(default="", max_length=500)
    line: int | None = Field(default=None, ge=1, description="the line's number within its claim (default: next)")
    quantity: str | None = Field(default=None, description="数量, a positive decimal (default 1)", examples=["2"])
    unit_price: str | None = Field(default=None, description="单价, " + AMOUNT + "; default the amount; the amount "
                                   "must be quantity × unit_price (else `amount_mismatch`)")
    days_supply: int | None = Field(default=None, ge=1, le=366, description="用药天数 of a drug line")


class ClaimsUpload(BaseModel):
    """A month of an institution's claims as JSON (CSV: the same line columns, with month, institution_code and
    batch_id as query parameters). Every line is checked before anything is stored; a bad upload is answered
    422 with `fields: [{"line", "field", "message"}]`, one per problem of every line. An accepted upload is
    adjudicated at once and sent to smart review (智能审核): nothing of it is paid before the review completes
    (`GET /v1/claims/batches/{batch_id}` → `review.state`), and lines a hit holds wait for a reviewer."""

    month: str = Field(pattern=MONTH_PATTERN)
    institution_code: str | None = Field(default=None, description="a clerk names it; an institution's is its own")
    batch_id: str | None = Field(default=None, description="default: derived from the content (a re-upload is "
                                                           "the same batch)")
    lines: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_LINES,
                                        json_schema_extra={"items": ClaimLine.model_json_schema()})


class PaymentRun(BaseModel):
    """One or the other: every reconciled statement of a month, or the statements named."""

    month: str | None = Field(default=None, pattern=MONTH_PATTERN)
    statement_ids: list[str] | None = Field(default=None, min_length=1, max_length=5000)


def body_of(model: type[BaseModel], *more: str) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON request body (and other content types of the same shape). The models nest
    none (their lists of objects carry the item's schema), so the schema stands alone."""
    schema = model.model_json_schema()
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    for kind in more:
        content[kind] = {"schema": {"type": "string", "description": f"{kind}: see the JSON shape"}}
    return {"requestBody": {"required": True, "content": content}}


def _own_institution(scope: TenantScope, institution: str) -> None:
    """An institution reads only its own: anything else looks missing."""
    if scope.role == "institution" and scope.subject != institution:
        raise NotFound("not found")


def _institution_of_caller(scope: TenantScope) -> str:
    if not CODE_RE.match(scope.subject):
        raise Forbidden("an institution token's subject must be its institution code")
    return scope.subject


def router(ctx: ServiceContext, settler: Settler) -> APIRouter:
    r = APIRouter(prefix="/v1")

    # ---- holdings and accounts -----------------------------------------------------------------------------

    @r.post("/admin/holdings", tags=["persons"], status_code=200,
            summary="Import qualifications held (data migration, ops)",
            description="For moving an existing book of qualified persons in (and for benchmarks): "
                        "`{\"holdings\": [{\"person_id\", \"disease\", \"granted_on\", \"qualification_id\"?}]}`. "
                        "Idempotent by qualification id (default `import:<person>:<disease>:<granted_on>`). "
                        "New qualifications normally arrive as appraisal's qualification.granted events.",
            openapi_extra=body_limit(CLAIMS_MAX_BYTES, body_of(HoldingsImport)))
    async def import_holdings_door(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("ops")
        data = await read_json(request, CLAIMS_MAX_BYTES, object_required=True, media_required=True)
        return await import_holdings(settler, scope.tenant, data.get("holdings"), scope.subject)

    @r.get("/persons/{person_id}/accumulators", tags=["persons"], summary="Benefit accounts (待遇累计) of one year")
    async def accumulators(person_id: str, scope: Scope, year: int = Query(ge=2000, le=2100)) -> dict[str, Any]:
        if scope.role == "institution":
            raise Forbidden("an institution reads its own claims, not a person's benefit accounts", "person_id",
                            code=PERSON_LOOKUP_REFUSED)
        scope.require(*PERSON_READERS)
        return await read_accumulators(settler, scope.db(), scope, person_id, year)  # the read is recorded

    # ---- month-end claims ----------------------------------------------------------------------------------

    @r.post("/claims/batches", tags=["claims"], summary="Upload an institution's month of claims (JSON or CSV)",
            responses={201: {"description": "adjudicated and stored"},
                       200: {"description": "this batch id was processed before: its result"},
                       422: {"description": "line-level errors; nothing stored"}},
            openapi_extra=body_limit(CLAIMS_MAX_BYTES, body_of(ClaimsUpload, "text/csv")))
    async def upload_batch(request: Request, response: Response, scope: Scope,
                           month: str | None = Query(default=None, description="CSV only"),
                           institution_code: str | None = Query(default=None, description="CSV, clerk only"),
                           batch_id: str | None = Query(default=None, description="CSV only")) -> dict[str, Any]:
        scope.require("institution", "clerk")
        body = await read_raw(request, CLAIMS_MAX_BYTES)
        kind = content_type(request)
        if kind == "application/json":
            m, inst, bid, raw, errors = from_json(parse_json(body, object_required=True))
        elif kind in ("text/csv", "application/csv"):
            raw, errors = from_csv(body)
            m, inst, bid = month, institution_code, batch_id
        else:
            raise UnsupportedMediaType("send the claims as application/json or text/csv", "content-type")
        if len(raw) + len(errors) > MAX_LINES:
            raise InvalidInput(f"at most {MAX_LINES} lines per batch; split the month into several batches", "lines")
        month_value = month_of(m)
        if scope.role == "institution":
            own = _institution_of_caller(scope)
            if inst not in (None, "", own):
                raise Forbidden("an institution uploads its own claims only", "institution_code")
            inst = own
        elif not inst:
            raise InvalidInput("institution_code is required when a clerk uploads", "institution_code")
        upload, sha = upload_of(kind, month_value, institution_of(inst), bid, body, raw, errors)
        result, created = await settler.submit_batch(scope.tenant, upload, sha, scope.subject)
        response.status_code = 201 if created else 200
        return result

    @r.get("/claims/batches/{batch_id}", tags=["claims"], summary="One upload's status and totals")
    async def get_batch(batch_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS)
        doc = await settler.batch(scope.tenant, batch_id)
        if doc is None or (scope.role == "institution" and scope.subject != doc["institution_code"]):
            raise NotFound(f"batch {batch_id} not found")
        return await settler.batch_status(scope.tenant, doc)  # "interrupted" when its lease died with its holder

    @r.get("/claims", tags=["claims"], summary="Adjudicated claims of a statement or a batch, with their lines, "
                                                "reasons and policy version")
    async def list_claims(scope: Scope, statement_id: str | None = None, batch_id: str | None = None,
                          person_id: str | None = None, claim_id: str | None = None,
                          offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
                          limit: int = Query(default=100, ge=1, le=1000)
                          ) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS)
        query: dict[str, Any] = {}
        if batch_id:
            batch = await settler.batch(scope.tenant, batch_id)
            if batch is None:
                return {"claims": [], "offset": offset, "limit": limit}
            if statement_id and statement_id != batch["statement_id"]:
                raise InvalidInput("this batch belongs to another statement", "batch_id")
            statement_id = batch["statement_id"]
            query["batch_id"] = batch_id
        if not statement_id:
            raise InvalidInput("name the statement_id (or a batch_id) whose claims to list", "statement_id")
        for key, value in (("person_id", person_id), ("claim_id", claim_id)):
            if value:
                query[key] = value
        if scope.role == "institution" and institution_of_statement(statement_id) != _institution_of_caller(scope):
            return {"claims": [], "offset": offset, "limit": limit}  # another institution's: nothing to see
        store, sid = settler.store(scope.tenant), statement_id
        docs = await review.with_review(scope.db(), statement_id,
                                        await settler.claims(scope.tenant, statement_id, query, offset, limit),
                                        lambda: store.claim_lines(sid, ("amount_fen",)))
        return {"claims": [claim_view(d) for d in docs], "offset": offset, "limit": limit}

    # ---- real-time settlement ------------------------------------------------------------------------------

    @r.post("/visits/settle", tags=["visits"], summary="Settle one visit now (即时结算): the patient pays their share",
            openapi_extra=body_of(Visit))
    async def settle(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("institution")
        institution = _institution_of_caller(scope)
        data = await read_json(request, 1024 * 1024, object_required=True, media_required=True)
        claim_id, person_id, on, lines = parse_visit(data)
        doc, fresh = await settler.settle_visit(scope.tenant, institution, claim_id, person_id, on, lines,
                                                str(data.get("program") or ""))
        response.status_code = 201 if fresh else 200
        return {**settle_view(doc), "replayed": not fresh}

    # ---- statements and payments ---------------------------------------------------------------------------

    @r.get("/statements", tags=["statements"], summary="Statements of a month, one per institution")
    async def list_statements(scope: Scope, month: str = Query(pattern=MONTH_PATTERN),
                              limit: int = Query(default=500, ge=1, le=5000)) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS)
        institution = _institution_of_caller(scope) if scope.role == "institution" else None
        docs = await stm.statements_of(settler, scope.tenant, month, institution, limit)
        return {"month": month, "statements": [await stm.statement_view(settler, scope.tenant, d) for d in docs]}

    @r.get("/statements/{statement_id}", tags=["statements"], summary="One statement: totals and status")
    async def get_statement(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS)
        doc = await stm.find(settler, scope.tenant, statement_id)
        if doc is None:
            raise NotFound(f"statement {statement_id} not found")
        try:
            _own_institution(scope, doc["institution_code"])
        except NotFound:
            raise NotFound(f"statement {statement_id} not found") from None
        return await stm.statement_view(settler, scope.tenant, doc)

    @r.post("/statements/{statement_id}/close", tags=["statements"],
            summary="Close the month: statement.closed, and benefits.settled for each person; what smart review "
                    "refused (拒付) is not paid",
            responses={409: {"description": "batches still processing, or `review_pending`: a batch under smart "
                                            "review or lines held by open hits (params: the counts)"}})
    async def close_statement(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        # The program's settlement documents (购药明细, 结算表, 发票) first, when it asks for them.
        await require_documents(scope.db(), scope.tenant, statement_id)
        result = await stm.close(settler, scope.tenant, statement_id, scope.subject)
        ctx.relay.kick()
        return result

    @r.post("/statements/{statement_id}/reconcile", tags=["statements"],
            summary="Reconcile totals with the provincial platform (3201 对总账)",
            responses={409: {"description": "not closed, or already reconciled"},
                       422: {"description": "does not balance (the result is stored)"}})
    async def reconcile_statement(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        try:
            return await stm.reconcile(settler, scope.tenant, statement_id, scope.subject,
                                       ctx.settings.provincial_url)
        finally:
            ctx.relay.kick()

    @r.post("/statements/{statement_id}/payments", tags=["payments"], status_code=201,
            summary="Issue the payment instruction for a reconciled statement (once)")
    async def pay_statement(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        result = await stm.pay(settler, scope.tenant, statement_id, scope.subject)
        ctx.relay.kick()
        return result

    @r.post("/statements/payments", tags=["payments"], status_code=201,
            summary="Payment run (批量支付): every reconciled statement of a month (or those named), booked as one "
                    "batch in the dedicated account",
            responses={200: {"description": "nothing left to pay (a retry): what was paid before is listed"},
                       409: {"description": "the account cannot cover the whole run (InsufficientFunds, naming the "
                                            "shortfall), or a named statement is not reconciled; nothing written"},
                       422: {"description": "bad month or ids (the field named)"}},
            openapi_extra=body_of(PaymentRun))
    async def pay_run(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        run = parse_run(parse_json(await read_raw(request, 1024 * 1024), object_required=True), payables=False)
        result = await stm.pay_run(settler, scope.tenant, run, scope.subject)
        response.status_code = 201 if result["count"] else 200
        return result

    @r.get("/payments", tags=["payments"], summary="Payment instructions of a month")
    async def list_payments(scope: Scope, month: str = Query(pattern=MONTH_PATTERN),
                            limit: int = Query(default=500, ge=1, le=5000)) -> dict[str, Any]:
        scope.require("finance", "supervisor", "ops", "inspector")
        docs = await stm.payments_of(settler, scope.tenant, month, limit)
        return {"month": month, "payments": [stm.payment_view(d) for d in docs]}

    return r
