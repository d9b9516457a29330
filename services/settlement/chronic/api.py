"""settlement's HTTP door: policies, benefit accounts, month-end claims, real-time settlement, statements,
payments, and an ops path to import holdings. The tenant comes from the token only; another tenant's object
answers 404 exactly as a missing one does; an institution sees only its own claims and statements."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

import yaml
from fastapi import APIRouter, Query, Request, Response

from chassis.calendar import today_cn
from chassis.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.identity import Identity
from services.settlement.chronic.domain.benefits import benefit_start, caps_for
from services.settlement.chronic.domain.records import (
    CODE_RE,
    LineIn,
    claim_view,
    holding_doc,
    holdings_on,
    institution_of_statement,
    settle_view,
    yuan,
)
from services.settlement.chronic.domain.uploads import (
    Upload,
    batch_id_of,
    from_csv,
    from_json,
    institution_of,
    month_of,
    parse_amount,
    parse_covered,
    parse_day,
    parse_json_body,
)
from services.settlement.chronic.service import statements as stm
from services.settlement.chronic.service.settler import Settler, program_code, program_for
from services.settlement.chronic.store import SettlementStore
from services.settlement.fund.service.payment_runs import parse_run
from services.settlement.policies.domain.policy import parse_policy
from services.settlement.policies.service import PolicyBook
from services.settlement.policies.service import view as policy_view
from services.settlement.statement_documents.api import require_documents

READERS = ("clerk", "finance", "reviewer", "supervisor", "ops", "institution", "inspector")
POLICY_READERS = (*READERS, "expert", "service")
STATEMENT_READERS = ("clerk", "finance", "supervisor", "ops", "inspector", "institution")
CLAIMS_MAX_BYTES = 64 * 1024 * 1024
MAX_LINES = 200_000
MAX_HOLDINGS = 200_000
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
# Paging offsets fit every store's skip (int32): a larger one is refused (422) rather than failing in the store.
MAX_OFFSET = 2**31 - 1


def _content_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body is larger than {limit} bytes", "body")
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"body is larger than {limit} bytes", "body")
    return body


def _own_institution(caller: Identity, institution: str) -> None:
    """An institution reads only its own: anything else looks missing."""
    if caller.role == "institution" and caller.subject != institution:
        raise NotFound("not found")


def _institution_of_caller(caller: Identity) -> str:
    if not CODE_RE.match(caller.subject):
        raise Forbidden("an institution token's subject must be its institution code")
    return caller.subject


def router(ctx: ServiceContext, book: PolicyBook, settler: Settler) -> APIRouter:
    r = APIRouter(prefix="/v1")

    def store(tenant: str) -> SettlementStore:
        return SettlementStore(ctx.db(tenant))

    # ---- policies ------------------------------------------------------------------------------------------

    @r.post("/policies", tags=["policies"], summary="Publish a policy table version (JSON or YAML)",
            responses={201: {"description": "published"}, 200: {"description": "the same table again"},
                       409: {"description": "overlaps another version, or the version exists with other content"}})
    async def publish_policy(request: Request, response: Response, caller: Caller) -> dict[str, Any]:
        require_role(caller, "ops", "finance")
        body = await _body(request, 1024 * 1024)
        kind = _content_type(request)
        if kind in ("application/yaml", "text/yaml", "application/x-yaml"):
            try:
                data = yaml.safe_load(body.decode("utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise InvalidInput(f"body is not valid YAML: {exc}", "body") from exc
        elif kind == "application/json":
            data = parse_json_body(body)
        else:
            raise UnsupportedMediaType("send the table as application/json or application/yaml", "content-type")
        if not isinstance(data, dict):
            raise InvalidInput("the policy table must be an object", "body")
        doc, created = await book.publish(caller.tenant, data, caller.subject)
        if created:
            ctx.relay.kick()
        response.status_code = 201 if created else 200
        return {**policy_view(doc), "created": created}

    @r.get("/policies/{program}", tags=["policies"], summary="The version in force on a date (default today)")
    async def policy_in_force(program: str, caller: Caller, on: date | None = None) -> dict[str, Any]:
        require_role(caller, *POLICY_READERS)
        day = on or today_cn()
        for doc in await book.docs(caller.tenant, program):
            if parse_policy(doc["table"]).covers(day):
                return policy_view(doc)
        raise NotFound(f"no policy version of {program} is in force on {day.isoformat()}")

    @r.get("/policies/{program}/versions", tags=["policies"], summary="Every published version, oldest first")
    async def policy_versions(program: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *POLICY_READERS)
        docs = await book.docs(caller.tenant, program)
        if not docs:
            raise NotFound(f"no policy version of {program} is published")
        return {"program": program, "versions": [
            {k: d.get(k) for k in ("version", "effective_from", "effective_to", "published_at", "published_by")}
            | {"label": d["table"].get("label", "")} for d in docs]}

    # ---- holdings and accounts -----------------------------------------------------------------------------

    @r.post("/admin/holdings", tags=["persons"], status_code=200,
            summary="Import qualifications held (data migration, ops)",
            description="For moving an existing book of qualified persons in (and for benchmarks): "
                        "`{\"holdings\": [{\"person_id\", \"disease\", \"granted_on\", \"qualification_id\"?}]}`. "
                        "Idempotent by qualification id (default `import:<person>:<disease>:<granted_on>`). "
                        "New qualifications normally arrive as appraisal's qualification.granted events.")
    async def import_holdings(request: Request, caller: Caller) -> dict[str, Any]:
        require_role(caller, "ops")
        if _content_type(request) != "application/json":
            raise UnsupportedMediaType("send application/json", "content-type")
        data = parse_json_body(await _body(request, CLAIMS_MAX_BYTES))
        rows = data.get("holdings")
        if not isinstance(rows, list) or not rows:
            raise InvalidInput("holdings must be a non-empty list", "holdings")
        if len(rows) > MAX_HOLDINGS:
            raise InvalidInput(f"at most {MAX_HOLDINGS} holdings per request", "holdings")
        versions = await book.versions(caller.tenant, program_code(caller.tenant), fresh=True)
        known = set().union(*(set(p.diseases) for p in versions)) if versions else set()
        errors: list[dict[str, Any]] = []
        pairs = []
        for i, row in enumerate(rows):
            path = f"holdings[{i}]"
            if not isinstance(row, dict):
                errors.append({"field": path, "message": "must be an object"})
                continue
            pid, disease = row.get("person_id"), row.get("disease")
            if not isinstance(pid, str) or not pid.strip() or len(pid) > 64:
                errors.append({"field": f"{path}.person_id", "message": "person_id is required (≤ 64 characters)"})
                continue
            if not isinstance(disease, str) or disease not in known:
                errors.append({"field": f"{path}.disease", "message": f"disease {disease!r} is in no policy version"})
                continue
            try:
                granted = parse_day(row.get("granted_on"), "granted_on")
            except InvalidInput as exc:
                errors.append({"field": f"{path}.granted_on", "message": exc.message})
                continue
            qid = row.get("qualification_id") or f"import:{pid}:{disease}:{granted.isoformat()}"
            pairs.append((pid.strip(), holding_doc(str(qid), disease, granted.isoformat(), source="import")))
        if errors:
            raise InvalidInput(f"{len(errors)} holdings are invalid; nothing was stored", fields=errors[:1000])
        by_person: dict[str, list[dict[str, Any]]] = {}
        for pid, holding in pairs:
            by_person.setdefault(pid, []).append(holding)

        def adding(new: list[dict[str, Any]]) -> Any:
            def change(holdings: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
                known = {h["qualification_id"] for h in holdings}
                fresh = [h for h in new if h["qualification_id"] not in known]
                return [*holdings, *fresh] if fresh else None

            return change

        changed = await settler.change_holdings(caller.tenant, {p: adding(h) for p, h in by_person.items()},
                                                f"import by {caller.subject}")
        return {"received": len(pairs), "persons": len(by_person), "persons_changed": changed}

    @r.get("/persons/{person_id}/accumulators", tags=["persons"], summary="Benefit accounts (待遇累计) of one year")
    async def accumulators(person_id: str, caller: Caller, year: int = Query(ge=2000, le=2100)) -> dict[str, Any]:
        require_role(caller, *READERS)
        return await accumulators_of(settler, caller.tenant, person_id, year)

    # ---- month-end claims ----------------------------------------------------------------------------------

    @r.post("/claims/batches", tags=["claims"], summary="Upload an institution's month of claims (JSON or CSV)",
            responses={201: {"description": "adjudicated and stored"},
                       200: {"description": "this batch id was processed before: its result"},
                       422: {"description": "line-level errors; nothing stored"}})
    async def upload_batch(request: Request, response: Response, caller: Caller,
                           month: str | None = Query(default=None, description="CSV only"),
                           institution_code: str | None = Query(default=None, description="CSV, clerk only"),
                           batch_id: str | None = Query(default=None, description="CSV only")) -> dict[str, Any]:
        require_role(caller, "institution", "clerk")
        body = await _body(request, CLAIMS_MAX_BYTES)
        kind = _content_type(request)
        if kind == "application/json":
            m, inst, bid, raw, errors = from_json(parse_json_body(body))
        elif kind in ("text/csv", "application/csv"):
            raw, errors = from_csv(body)
            m, inst, bid = month, institution_code, batch_id
        else:
            raise UnsupportedMediaType("send the claims as application/json or text/csv", "content-type")
        if len(raw) + len(errors) > MAX_LINES:
            raise InvalidInput(f"at most {MAX_LINES} lines per batch; split the month into several batches", "lines")
        month_value = month_of(m)
        if caller.role == "institution":
            own = _institution_of_caller(caller)
            if inst not in (None, "", own):
                raise Forbidden("an institution uploads its own claims only", "institution_code")
            inst = own
        elif not inst:
            raise InvalidInput("institution_code is required when a clerk uploads", "institution_code")
        institution = institution_of(inst)
        digest = hashlib.sha256(b"|".join([kind.encode(), institution.encode(), month_value.encode(), body]))
        sha = digest.hexdigest()
        bid_value = batch_id_of(bid) if bid else f"b{sha[:32]}"
        upload = Upload(month_value, institution, bid_value, raw, errors)
        result, created = await settler.submit_batch(caller.tenant, upload, sha, caller.subject)
        response.status_code = 201 if created else 200
        return result

    @r.get("/claims/batches/{batch_id}", tags=["claims"], summary="One upload's status and totals")
    async def get_batch(batch_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *STATEMENT_READERS)
        doc = await store(caller.tenant).batch(batch_id)
        if doc is None or (caller.role == "institution" and caller.subject != doc["institution_code"]):
            raise NotFound(f"batch {batch_id} not found")
        return await settler.batch_status(caller.tenant, doc)  # "interrupted" when its lease died with its holder

    @r.get("/claims", tags=["claims"], summary="Adjudicated claims of a statement or a batch, with their lines, "
                                                "reasons and policy version")
    async def list_claims(caller: Caller, statement_id: str | None = None, batch_id: str | None = None,
                          person_id: str | None = None, claim_id: str | None = None,
                          offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
                          limit: int = Query(default=100, ge=1, le=1000)
                          ) -> dict[str, Any]:
        require_role(caller, *STATEMENT_READERS)
        s = store(caller.tenant)
        query: dict[str, Any] = {}
        if batch_id:
            batch = await s.batch(batch_id)
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
        if caller.role == "institution" and institution_of_statement(statement_id) != _institution_of_caller(caller):
            return {"claims": [], "offset": offset, "limit": limit}  # another institution's: nothing to see
        docs = await s.claims(statement_id, query, offset, limit)
        return {"claims": [claim_view(d) for d in docs], "offset": offset, "limit": limit}

    # ---- real-time settlement ------------------------------------------------------------------------------

    @r.post("/visits/settle", tags=["visits"], summary="Settle one visit now (即时结算): the patient pays their share")
    async def settle(request: Request, response: Response, caller: Caller) -> dict[str, Any]:
        require_role(caller, "institution")
        institution = _institution_of_caller(caller)
        if _content_type(request) != "application/json":
            raise UnsupportedMediaType("send application/json", "content-type")
        data = parse_json_body(await _body(request, 1024 * 1024))
        claim_id, person_id, on, lines = parse_visit(data)
        doc, fresh = await settler.settle_visit(caller.tenant, institution, claim_id, person_id, on, lines,
                                                str(data.get("program") or ""))
        response.status_code = 201 if fresh else 200
        return {**settle_view(doc), "replayed": not fresh}

    # ---- statements and payments ---------------------------------------------------------------------------

    @r.get("/statements", tags=["statements"], summary="Statements of a month, one per institution")
    async def list_statements(caller: Caller, month: str = Query(pattern=MONTH_PATTERN),
                              limit: int = Query(default=500, ge=1, le=5000)) -> dict[str, Any]:
        require_role(caller, *STATEMENT_READERS)
        query: dict[str, Any] = {"month": month}
        if caller.role == "institution":
            query["institution_code"] = _institution_of_caller(caller)
        docs = await store(caller.tenant).statements(query, limit)
        return {"month": month, "statements": [await stm.statement_view(settler, caller.tenant, d) for d in docs]}

    async def _statement(caller: Identity, sid: str) -> dict[str, Any]:
        doc = await store(caller.tenant).statement(sid)
        if doc is None:
            raise NotFound(f"statement {sid} not found")
        _own_institution(caller, doc["institution_code"])
        return doc

    @r.get("/statements/{statement_id}", tags=["statements"], summary="One statement: totals and status")
    async def get_statement(statement_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *STATEMENT_READERS)
        try:
            doc = await _statement(caller, statement_id)
        except NotFound:
            raise NotFound(f"statement {statement_id} not found") from None
        return await stm.statement_view(settler, caller.tenant, doc)

    @r.post("/statements/{statement_id}/close", tags=["statements"],
            summary="Close the month: statement.closed, and benefits.settled for each person")
    async def close_statement(statement_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, "finance")
        # The program's settlement documents (购药明细, 结算表, 发票) first, when it asks for them.
        await require_documents(ctx.db(caller.tenant), caller.tenant, statement_id)
        result = await stm.close(settler, caller.tenant, statement_id, caller.subject)
        ctx.relay.kick()
        return result

    @r.post("/statements/{statement_id}/reconcile", tags=["statements"],
            summary="Reconcile totals with the provincial platform (3201 对总账)",
            responses={409: {"description": "not closed, or already reconciled"},
                       422: {"description": "does not balance (the result is stored)"}})
    async def reconcile_statement(statement_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, "finance")
        try:
            return await stm.reconcile(settler, caller.tenant, statement_id, caller.subject,
                                       ctx.settings.provincial_url)
        finally:
            ctx.relay.kick()

    @r.post("/statements/{statement_id}/payments", tags=["payments"], status_code=201,
            summary="Issue the payment instruction for a reconciled statement (once)")
    async def pay_statement(statement_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, "finance")
        result = await stm.pay(settler, caller.tenant, statement_id, caller.subject)
        ctx.relay.kick()
        return result

    @r.post("/statements/payments", tags=["payments"], status_code=201,
            summary="Payment run (批量支付): every reconciled statement of a month (or those named), booked as one "
                    "batch in the dedicated account",
            responses={200: {"description": "nothing left to pay (a retry): what was paid before is listed"},
                       409: {"description": "the account cannot cover the whole run (InsufficientFunds, naming the "
                                            "shortfall), or a named statement is not reconciled; nothing written"},
                       422: {"description": "bad month or ids (the field named)"}})
    async def pay_run(request: Request, response: Response, caller: Caller) -> dict[str, Any]:
        require_role(caller, "finance")
        run = parse_run(parse_json_body(await _body(request, 1024 * 1024)), payables=False)
        result = await stm.pay_run(settler, caller.tenant, run, caller.subject)
        response.status_code = 201 if result["count"] else 200
        return result

    @r.get("/payments", tags=["payments"], summary="Payment instructions of a month")
    async def list_payments(caller: Caller, month: str = Query(pattern=MONTH_PATTERN),
                            limit: int = Query(default=500, ge=1, le=5000)) -> dict[str, Any]:
        require_role(caller, "finance", "supervisor", "ops", "inspector")
        docs = await store(caller.tenant).payments({"month": month}, limit)
        return {"month": month, "payments": [stm.payment_view(d) for d in docs]}

    return r


def parse_visit(data: dict[str, Any]) -> tuple[str, str, date, list[LineIn]]:
    """A visit's body, every field checked; errors name `lines[i].<field>`."""
    errors: list[dict[str, str]] = []

    def text(key: str, max_len: int = 64) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > max_len or "|" in value:
            errors.append({"field": key, "message": f"{key} is required: a string of at most {max_len} characters"})
            return ""
        return value.strip()

    claim_id, person_id = text("claim_id"), text("person_id")
    on: date | None = None
    try:
        on = parse_day(data.get("date"))
    except InvalidInput as exc:
        errors.append({"field": "date", "message": exc.message})
    raw = data.get("lines")
    if not isinstance(raw, list) or not raw:
        errors.append({"field": "lines", "message": "lines must be a non-empty list"})
        raw = []
    if len(raw) > 500:
        errors.append({"field": "lines", "message": "at most 500 lines per visit"})
    parsed: list[tuple[str, Decimal, bool, str, str]] = []
    for i, line in enumerate(raw):
        path = f"lines[{i}]"
        if not isinstance(line, dict):
            errors.append({"field": path, "message": "each line must be an object"})
            continue
        before = len(errors)
        disease = line.get("disease")
        if not isinstance(disease, str) or not disease.strip():
            errors.append({"field": f"{path}.disease", "message": "disease is required"})
        amount = covered = None
        try:
            amount = parse_amount(line.get("amount"))
        except InvalidInput as exc:
            errors.append({"field": f"{path}.amount", "message": exc.message})
        try:
            covered = parse_covered(line.get("covered"))
        except InvalidInput as exc:
            errors.append({"field": f"{path}.covered", "message": exc.message})
        item, desc = line.get("item_code", ""), line.get("description", "")
        if not isinstance(item, str) or len(item) > 64:
            errors.append({"field": f"{path}.item_code", "message": "item_code must be a string of ≤ 64 characters"})
        if not isinstance(desc, str) or len(desc) > 500:
            errors.append({"field": f"{path}.description",
                           "message": "description must be a string of ≤ 500 characters"})
        if len(errors) == before:
            parsed.append((str(disease).strip(), amount, bool(covered), item, desc))  # type: ignore[arg-type]
    if errors:
        raise InvalidInput("the visit is invalid: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]),
                           fields=errors)
    assert on is not None
    lines = [LineIn(n=i + 1, claim_id=claim_id, line=i + 1, person_id=person_id, date=on, disease=d, amount=a,
                    covered=c, item_code=item, description=desc) for i, (d, a, c, item, desc) in enumerate(parsed)]
    return claim_id, person_id, on, lines


async def accumulators_of(settler: Settler, tenant: str, person_id: str, year: int) -> dict[str, Any]:
    """A person's year: caps (from the policy), what the fund paid, the deductible used, per disease."""
    state = await settler.book.get(tenant, person_id)
    doc = {"holdings": state.holdings}
    account = state.accounts.get(str(year)) or {}
    today = today_cn()
    try:
        policy = await settler.policies.for_year(tenant, program_for(tenant), year, today)
    except NotFound:
        policy = None
    by_disease = account.get("paid_by_disease_fen") or {}
    rows = []
    for h in doc.get("holdings") or []:
        rule = policy.diseases.get(h["disease"]) if policy else None
        start = benefit_start(rule, date.fromisoformat(h["granted_on"])).isoformat() if rule else h.get(
            "benefit_start") or h["granted_on"]
        if int(start[:4]) > year or (h.get("revoked_on") and int(h["revoked_on"][:4]) < year):
            continue
        rows.append({
            "disease_code": h["disease"], "qualification_id": h["qualification_id"], "granted_on": h["granted_on"],
            "benefit_start": start, "revoked_on": h.get("revoked_on"), "paid": yuan(by_disease.get(h["disease"], 0)),
            # re-review (复审): not paid after review_due, nor in a lapse, until a passed re-review
            "review_due": h.get("review_due") or None, "lapses": h.get("lapses") or [],
            "insutype": h.get("insutype") or None,
            "paid_fen": by_disease.get(h["disease"], 0),
            "annual_cap": None if rule is None or rule.annual_cap is None else f"{rule.annual_cap:.2f}",
            "deductible": None if rule is None else f"{rule.deductible:.2f}",
            "ratio": None if rule is None else str(rule.ratio),
        })
    year_cap = monthly_cap = None
    if policy is not None and doc.get("holdings"):
        on = min(today, date(year, 12, 31)) if today.year == year else date(year, 12, 31)
        caps = caps_for(policy, holdings_on(doc["holdings"], on, policy), year)
        year_cap, monthly_cap = caps.year_cap, caps.monthly_cap
    capped = account.get("capped_paid_fen", 0)
    uncapped = account.get("uncapped_paid_fen", 0)
    monthly = account.get("monthly_capped_paid_fen") or [0] * 12
    return {
        "person_id": person_id, "year": year, "policy_version": policy.version if policy else None,
        "year_cap": None if year_cap is None else f"{year_cap:.2f}",
        "monthly_cap": None if monthly_cap is None else f"{monthly_cap:.2f}",
        "paid": yuan(capped + uncapped), "capped_paid": yuan(capped), "uncapped_paid": yuan(uncapped),
        "year_cap_left": None if year_cap is None else f"{max(year_cap - Decimal(capped) / 100, Decimal(0)):.2f}",
        "deductible_used": yuan(account.get("deductible_used_fen", 0)),
        "months": [{"month": f"{year}-{i + 1:02d}", "capped_paid": yuan(f)} for i, f in enumerate(monthly) if f],
        "accounts": rows,
    }

