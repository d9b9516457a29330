"""settlement's HTTP door for long-term care services (护理服务管理, /v1/ltc): persons' cover and the clerk's death
notice, care plans (护理计划, and family-care agreements), uploads of service records (护理服务记录), the monthly care
statements and their payment (待遇支付审核结算), and the assessment fee statements (评估费用).

The tenant comes from the token only; a tenant outside wz-ltc gets 404 before any body is read; another tenant's (or,
for an institution, another institution's) plan or statement answers 404 like a missing one. Bad input is refused
whole with the field named, nothing written.

Choices documented here:
- family care's signed service agreement (亲情居家护理服务协议) is given as `agreement: {signed_on, caregiver_id,
  sha256}` — the checksum of the signed file the clerk keeps (no upload through this door);
- service records: JSON `{month, records: [...]}` or CSV (`text/csv`, `?month=YYYY-MM`, header
  `record_id,person_id,caregiver_id,date,start,end,items[,evidence]`, items separated by `|`, evidence as
  `kind:sha256|…`); `caregiver_id` is the caregiver's code (工号), never an identity number;
- family care is settled on one statement a month, `LTC-FAMILY-<YYYY-MM>`, one line per person."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from chassis.access import Access, record_access
from chassis.bodies import parse_json
from chassis.body_limit import body_limit
from chassis.calendar import today_cn
from chassis.errors import Forbidden, InvalidInput, NotFound, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, content_type, read_raw
from services.settlement.care.service.care import FAMILY_MODE, CareService, PlanIn
from services.settlement.care.service.records import MIDNIGHT, RecordIn
from services.settlement.care.service.statements import statement_view

SERVICE = "settlement"
MAX_RECORDS = 2000
MAX_PLANS = 1000
MAX_RECORDS_BODY = 4 * 1024 * 1024
MAX_BODY = 64 * 1024
# ASCII digits only (`\d` is any script's), and `\Z`: Python's `$` also matches before a final newline, so "2026-03\n"
# would be a month of its own. MONTH_PATTERN is for query parameters (pydantic's `$` is the end of the text).
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
MONTH_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])\Z")
YEARS = range(2000, 2101)  # as the fund's years: a month no calendar or contract holds is refused
PERSON_RE = re.compile(r"^[0-9]{17}[0-9Xx]\Z")
INSTITUTION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}\Z")   # it names a collection: no '.', ':' or '$'
RECORD_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,39}\Z")
CAREGIVER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}\Z")
ITEM_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}\Z")
TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z")
SHA256_RE = re.compile(r"^[0-9a-f]{64}\Z")
EVIDENCE_KINDS = ("photo", "audio", "video", "signature", "location")
MAX_ITEMS, MAX_EVIDENCE = 8, 10
MODES = ("institutional", "home_visit", "family")

PERSON_READERS = ("clerk", "reviewer", "finance", "supervisor", "ops", "inspector")
STATEMENT_READERS = ("finance", "supervisor", "ops")
CSV_FIELDS = ("record_id", "person_id", "caregiver_id", "date", "start", "end", "items")


# ---- request bodies (shown in /docs; the door checks each field itself, naming it) --------------------------------


def _shown(pattern: re.Pattern[str]) -> str:
    """A door's pattern as /docs show it (JSON Schema's `$` is the end of the text)."""
    return pattern.pattern.removesuffix("\\Z") + "$"


DAY = {"format": "date"}  # shown as a date; read as text, so a bad one is the door's 422 naming its field
SHOWN_MONTH = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"  # YEARS


class PlanItem(BaseModel):
    code: str = Field(pattern=_shown(ITEM_RE),
                      description="an item of the care catalogue (programs/wz-ltc/care-catalogue-*.yaml)")
    per_month: int = Field(ge=1, le=31, description="times a month, within the catalogue's limit for the grade")


class Agreement(BaseModel):
    signed_on: str = Field(json_schema_extra=DAY, description="YYYY-MM-DD, not after the plan's start")
    caregiver_id: str = Field(pattern=_shown(CAREGIVER_RE), description="the family caregiver's code in the agreement")
    sha256: str = Field(pattern=_shown(SHA256_RE), description="checksum of the signed agreement file (64 hex)")


class PlanBody(BaseModel):
    person_id: str = Field(pattern=_shown(PERSON_RE), description="18-character identity number")
    mode: Literal[MODES] = Field(description=" | ".join(MODES))  # type: ignore[valid-type]
    institution_id: str | None = Field(None, pattern=_shown(INSTITUTION_RE),
                                       description="the designated institution (none for family care)")
    valid_from: str = Field(json_schema_extra=DAY, description="YYYY-MM-DD")
    valid_to: str = Field(json_schema_extra=DAY, description="YYYY-MM-DD")
    items: list[PlanItem] = Field(min_length=1, max_length=50)
    agreement: Agreement | None = Field(None, description="family care (亲情居家护理): the signed service agreement")


class PlansBody(BaseModel):
    plans: list[PlanBody] = Field(min_length=1, max_length=MAX_PLANS, description=f"at most {MAX_PLANS}")


class Evidence(BaseModel):
    kind: Literal[EVIDENCE_KINDS] = Field(description=" | ".join(EVIDENCE_KINDS))  # type: ignore[valid-type]
    sha256: str = Field(pattern=_shown(SHA256_RE))


class ServiceRecordBody(BaseModel):
    record_id: str = Field(pattern=_shown(RECORD_ID_RE),
                           description="the institution's own id of the record (unique within its month)")
    person_id: str = Field(pattern=_shown(PERSON_RE))
    caregiver_id: str = Field(pattern=_shown(CAREGIVER_RE),
                              description="the caregiver's code (工号), not an identity number")
    date: str = Field(json_schema_extra=DAY, description="YYYY-MM-DD, in `month`")
    start: str = Field(pattern=_shown(TIME_RE), description="HH:MM")
    end: str = Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", description="HH:MM after start (24:00 for "
                                                                                       "midnight)")
    items: list[Annotated[str, Field(pattern=_shown(ITEM_RE))]] = Field(
        min_length=1, max_length=MAX_ITEMS, description=f"catalogue item codes, 1–{MAX_ITEMS}")
    evidence: list[Evidence] | None = Field(None, max_length=MAX_EVIDENCE)


class RecordsBody(BaseModel):
    month: str = Field(pattern=SHOWN_MONTH, description="YYYY-MM")
    records: list[ServiceRecordBody] = Field(min_length=1, max_length=MAX_RECORDS, description=f"at most {MAX_RECORDS}")


class MonthBody(BaseModel):
    month: str = Field(pattern=SHOWN_MONTH, description="YYYY-MM")


class DeathBody(BaseModel):
    date: str = Field(json_schema_extra=DAY, description="YYYY-MM-DD, the day of death, today or earlier")


_DEFS, _REF = "\u0024defs", "\u0024ref"  # JSON Schema keywords (spelled so: only stores spell Mongo's operators)


def _documented(model: type[BaseModel], media: dict[str, Any] | None = None) -> dict[str, Any]:
    """The body's schema in /docs, nested models inlined (the door reads and checks the body itself)."""
    schema = model.model_json_schema()
    defs = schema.pop(_DEFS, {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get(_REF, "")
            if ref.startswith(f"#/{_DEFS}/"):
                return inline(defs[ref.rsplit("/", 1)[1]])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)},
                                                          **(media or {})}}}


# ---- reading what was sent --------------------------------------------------------------------------------------


def _json_object(raw: bytes) -> dict[str, Any]:
    data = parse_json(raw, exact_numbers=False)
    if not isinstance(data, dict):
        raise InvalidInput("body must be a JSON object", "body")
    return data


def _month(value: Any, field: str = "month") -> str:
    if not isinstance(value, str) or not MONTH_RE.match(value) or int(value[:4]) not in YEARS:
        raise InvalidInput(f"{field} must be YYYY-MM, a year {YEARS[0]}–{YEARS[-1]}, got {value!r}", field)
    return value


def _date(value: Any, field: str) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise InvalidInput(f"{field} must be a date YYYY-MM-DD", field)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{field} is not a date YYYY-MM-DD: {value!r}", field) from exc


def _person(value: Any, field: str = "person_id") -> str:
    if not isinstance(value, str) or not PERSON_RE.match(value):
        raise InvalidInput(f"{field} must be an 18-character identity number", field)
    return value.upper()


class _Row:
    """Collects a record's problems under its path instead of stopping at the first."""

    def __init__(self, data: Any, path: str, errors: list[dict[str, Any]]) -> None:
        self.data = data if isinstance(data, dict) else {}
        self.path, self.errors = path, errors
        if not isinstance(data, dict):
            errors.append({"field": path, "message": "must be an object"})

    def fail(self, key: str, message: str) -> None:
        self.errors.append({"field": f"{self.path}.{key}", "message": message})

    def text(self, key: str, pattern: re.Pattern[str], what: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not pattern.match(value):
            self.fail(key, f"{key} is required: {what}")
            return ""
        return value


def parse_records(data: Any) -> tuple[str, list[RecordIn]]:
    """`{month, records: [...]}`, each record checked for its shape (every problem listed, with its index)."""
    if not isinstance(data, dict):
        raise InvalidInput("body must be a JSON object", "body")
    month = _month(data.get("month"))
    rows = data.get("records")
    if not isinstance(rows, list) or not rows:
        raise InvalidInput("records must be a non-empty list", "records")
    if len(rows) > MAX_RECORDS:
        raise InvalidInput(f"at most {MAX_RECORDS} records per upload, got {len(rows)}", "records")
    errors: list[dict[str, Any]] = []
    out: list[RecordIn] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(rows):
        row = _Row(raw, f"records[{i}]", errors)
        before = len(errors)
        rid = row.text("record_id", RECORD_ID_RE, "letters, digits, _ . : - (at most 40)")
        if rid in seen:
            row.fail("record_id", f"record_id {rid} appears twice in the upload (records[{seen[rid]}])")
        seen.setdefault(rid, i)
        person = row.data.get("person_id")
        if not isinstance(person, str) or not PERSON_RE.match(person):
            row.fail("person_id", "person_id must be an 18-character identity number")
            person = ""
        caregiver = row.text("caregiver_id", CAREGIVER_RE, "the caregiver's code, letters, digits, _ . - (at most 40)")
        if caregiver and PERSON_RE.match(caregiver):
            row.fail("caregiver_id", "caregiver_id is the caregiver's code (工号), not an identity number")
        day: date | None = None
        try:
            day = _date(row.data.get("date"), f"records[{i}].date")
            if day.isoformat()[:7] != month:
                row.fail("date", f"date {day.isoformat()} is not in {month}")
        except InvalidInput as exc:
            row.fail("date", exc.message)
        start = row.text("start", TIME_RE, "HH:MM")
        end = row.data.get("end")
        if not isinstance(end, str) or not (TIME_RE.match(end) or end == MIDNIGHT):
            row.fail("end", "end is required: HH:MM (24:00 for midnight)")
        elif start and end != MIDNIGHT and end <= start:
            row.fail("end", f"end {end} is not after start {start}")
        items = row.data.get("items")
        if (not isinstance(items, list) or not items or len(items) > MAX_ITEMS
                or not all(isinstance(x, str) and ITEM_RE.match(x) for x in items)):
            row.fail("items", f"items must be 1–{MAX_ITEMS} catalogue item codes")
            items = []
        elif len(set(items)) != len(items):
            row.fail("items", "an item appears twice in the record")
        evidence = row.data.get("evidence")
        proofs: list[tuple[str, str]] = []
        if evidence is not None:
            if not isinstance(evidence, list) or len(evidence) > MAX_EVIDENCE:
                row.fail("evidence", f"evidence must be a list of at most {MAX_EVIDENCE} {{kind, sha256}}")
            else:
                for j, e in enumerate(evidence):
                    kind = e.get("kind") if isinstance(e, dict) else None
                    digest = e.get("sha256") if isinstance(e, dict) else None
                    if kind not in EVIDENCE_KINDS or not isinstance(digest, str) or not SHA256_RE.match(digest):
                        row.fail(f"evidence[{j}]", f"evidence is {{kind: {'|'.join(EVIDENCE_KINDS)}, sha256: 64 "
                                                   "lower-case hex}")
                    else:
                        proofs.append((kind, digest))
        if len(errors) == before and day is not None and isinstance(end, str):
            out.append(RecordIn(rid, person.upper(), caregiver, day, start, end, tuple(items), tuple(proofs)))
    if errors:
        first = errors[0]
        raise InvalidInput(f"{len(errors)} problem(s) in the records; nothing was stored. First: {first['field']}: "
                           f"{first['message']}", first["field"], fields=errors[:2000], code="invalid_record")
    return month, out


def csv_records(raw: bytes, month: str) -> dict[str, Any]:
    """The CSV form as the JSON one (its rows numbered as records[i], the header not counted)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the CSV must be UTF-8", "body") from exc
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not set(CSV_FIELDS) <= set(reader.fieldnames):
        raise InvalidInput(f"the CSV header must name {', '.join(CSV_FIELDS)} (and may name evidence)", "body")
    rows: list[Any] = []
    for n, row in enumerate(reader):
        if n >= MAX_RECORDS:
            raise InvalidInput(f"at most {MAX_RECORDS} records per upload", "records")
        record: dict[str, Any] = {k: (row.get(k) or "").strip() for k in CSV_FIELDS}
        record["items"] = [x.strip() for x in record["items"].split("|") if x.strip()]
        if (row.get("evidence") or "").strip():
            record["evidence"] = [{"kind": k, "sha256": h} for k, _, h in
                                  (x.strip().partition(":") for x in row["evidence"].split("|") if x.strip())]
        rows.append(record)
    return {"month": month, "records": rows}


def parse_plan(data: dict[str, Any]) -> PlanIn:
    person = _person(data.get("person_id"))
    mode = data.get("mode")
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}, got {mode!r}", "mode", code="invalid_plan")
    institution = data.get("institution_id")
    if mode == FAMILY_MODE:
        if institution not in (None, ""):
            raise InvalidInput("family care (亲情居家护理) has no institution", "institution_id", code="invalid_plan")
        institution = ""
    elif not isinstance(institution, str) or not INSTITUTION_RE.match(institution):
        raise InvalidInput(f"institution_id is required for {mode}: letters, digits, _ - (at most 64)",
                           "institution_id")
    valid_from, valid_to = _date(data.get("valid_from"), "valid_from"), _date(data.get("valid_to"), "valid_to")
    items = data.get("items")
    if not isinstance(items, list) or not items or len(items) > 50:
        raise InvalidInput("items must be a list of 1–50 {code, per_month}", "items", code="invalid_plan")
    out: list[tuple[str, int]] = []
    for i, item in enumerate(items):
        code = item.get("code") if isinstance(item, dict) else None
        times = item.get("per_month") if isinstance(item, dict) else None
        if not isinstance(code, str) or not ITEM_RE.match(code):
            raise InvalidInput("code must be a catalogue item code", f"items[{i}].code", code="invalid_plan")
        if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= 31:
            raise InvalidInput("per_month must be a whole number of times, 1–31", f"items[{i}].per_month",
                               code="invalid_plan")
        out.append((code, times))
    agreement = data.get("agreement")
    signed: dict[str, str] | None = None
    if agreement is not None:
        if mode != FAMILY_MODE:
            raise InvalidInput("a service agreement is family care's (亲情居家护理)", "agreement", code="invalid_plan")
        if not isinstance(agreement, dict):
            raise InvalidInput("agreement must be {signed_on, caregiver_id, sha256}", "agreement", code="invalid_plan")
        signed_on = _date(agreement.get("signed_on"), "agreement.signed_on")
        if signed_on > valid_from or signed_on > today_cn():
            raise InvalidInput("the agreement is signed on or before the plan's start, and not in the future",
                               "agreement.signed_on", code="invalid_plan")
        caregiver = agreement.get("caregiver_id")
        if not isinstance(caregiver, str) or not CAREGIVER_RE.match(caregiver) or PERSON_RE.match(caregiver):
            raise InvalidInput("agreement.caregiver_id is the family caregiver's code, not an identity number",
                               "agreement.caregiver_id", code="invalid_plan")
        digest = agreement.get("sha256")
        if not isinstance(digest, str) or not SHA256_RE.match(digest):
            raise InvalidInput("agreement.sha256 is the signed file's checksum: 64 lower-case hex",
                               "agreement.sha256", code="invalid_plan")
        signed = {"signed_on": signed_on.isoformat(), "caregiver_id": caregiver, "sha256": digest}
    return PlanIn(person, str(mode), institution, valid_from, valid_to, tuple(out), signed)


def router(ctx: ServiceContext, care: CareService) -> APIRouter:
    r = APIRouter(prefix="/v1/ltc", tags=["long-term care"])

    def own_institution(scope: Scope) -> str | None:
        """An institution's token sees its own plans and statements only (its subject is its code)."""
        if scope.role != "institution":
            return None
        if not INSTITUTION_RE.match(scope.subject):
            raise Forbidden("an institution token's subject must be its institution code")
        return scope.subject

    def target(scope: Scope, tenant: str | None) -> str:
        """The tenant read: the caller's own, or (the agency supervisor) one of its program's."""
        chosen = tenant or scope.tenant
        if chosen not in scope.readable:
            raise NotFound(f"no long-term care books of {chosen}")
        care.serves(chosen)
        return chosen

    # ---- persons -------------------------------------------------------------------------------------------

    @r.get("/persons/{person_id}", summary="A person's cover (待遇资格) and care plans")
    async def get_person(person_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*PERSON_READERS)
        care.serves(scope.tenant)
        pid = _person(person_id)
        view = await care.person(scope.tenant, pid)
        await record_access(scope.db(), SERVICE, scope, Access(pid, "account", "ltc:cover"))
        return view

    @r.put("/persons/{person_id}/death", summary="The clerk's death notice (死亡): the cover ends on that day",
           openapi_extra=_documented(DeathBody))
    async def death(person_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("clerk")
        care.serves(scope.tenant)
        pid = _person(person_id)
        body = _json_object(await read_raw(request, MAX_BODY))
        on = _date(body.get("date"), "date")
        if on > today_cn():
            raise InvalidInput(f"date {on.isoformat()} is in the future", "date")
        return await care.died(scope.tenant, pid, on, scope.subject)

    # ---- care plans ----------------------------------------------------------------------------------------

    @r.post("/plans", status_code=201, summary="Approve a care plan (护理计划) or a family-care agreement",
            responses={200: {"description": "the same plan was approved before"},
                       409: {"description": "the institution is not designated for the mode"},
                       422: {"description": "outside the catalogue for the grade, or the person is not eligible"}},
            openapi_extra=_documented(PlanBody))
    async def approve_plan(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("institution", "clerk")
        care.serves(scope.tenant)  # 404 for a tenant outside the program, before the body is read
        institution = own_institution(scope)
        plan = parse_plan(_json_object(await read_raw(request, MAX_BODY)))
        if institution is not None and (plan.mode == FAMILY_MODE or plan.institution_id != institution):
            raise Forbidden("an institution drafts its own plans (family care agreements are the clerk's)",
                            "institution_id")
        view, fresh = await care.approve_plan(scope.tenant, plan, scope.subject)
        response.status_code = 201 if fresh else 200
        return view

    @r.post("/plans/batches", status_code=201,
            summary="Approve many care plans at once (an institution's residents): all or none",
            responses={200: {"description": "every plan was approved before"},
                       422: {"description": "a plan refused: every refused plan listed (plans[i].field, code); "
                                            "nothing stored"}},
            openapi_extra=body_limit(MAX_PLANS * 2048, _documented(PlansBody)))
    async def approve_plans(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("institution", "clerk")
        care.serves(scope.tenant)  # 404 for a tenant outside the program, before the body is read
        institution = own_institution(scope)
        data = _json_object(await read_raw(request, MAX_PLANS * 2048))
        rows = data.get("plans")
        if not isinstance(rows, list) or not rows or len(rows) > MAX_PLANS:
            raise InvalidInput(f"plans must be a list of 1–{MAX_PLANS} plans", "plans")
        plans, errors = [], []
        for i, row in enumerate(rows):
            try:
                plan = parse_plan(row if isinstance(row, dict) else {})
                if institution is not None and (plan.mode == FAMILY_MODE or plan.institution_id != institution):
                    raise Forbidden("an institution drafts its own plans (family care agreements are the clerk's)",
                                    "institution_id")
                plans.append(plan)
            except InvalidInput as exc:
                errors.append({"field": f"plans[{i}].{exc.field}", "index": i, "code": exc.code,
                               "message": exc.message})
        if errors:
            raise InvalidInput(f"{len(errors)} plan(s) malformed; nothing was stored. First: {errors[0]['field']}: "
                               f"{errors[0]['message']}", errors[0]["field"], fields=errors, code=errors[0]["code"])
        views, fresh = await care.approve_plans(scope.tenant, plans, scope.subject)
        response.status_code = 201 if fresh else 200
        return {"plans": views, "approved": fresh, "replayed": len(plans) - fresh}

    @r.get("/plans", summary="A person's care plans (an institution: its own)")
    async def list_plans(scope: Scope, person_id: str = Query(description="18-character identity number")
                         ) -> dict[str, Any]:
        scope.require(*PERSON_READERS, "institution")
        care.serves(scope.tenant)
        pid = _person(person_id)
        plans = await care.plans_of(scope.tenant, pid, own_institution(scope))
        await record_access(scope.db(), SERVICE, scope, Access(pid, "account", "ltc:plans"))
        return {"person_id": pid, "plans": plans}

    @r.get("/plans/{plan_id}", summary="One care plan (an institution: its own)")
    async def get_plan(plan_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*PERSON_READERS, "institution")
        care.serves(scope.tenant)
        view = await care.plan(scope.tenant, plan_id, own_institution(scope))
        await record_access(scope.db(), SERVICE, scope, Access(view["person_id"], "account", f"ltc:{plan_id}"))
        return view

    # ---- service records -----------------------------------------------------------------------------------

    @r.post("/service-records", status_code=201,
            summary="Upload service records (护理服务记录): an institution's own, a clerk's for family care",
            responses={200: {"description": "the same upload was stored before (its result)"},
                       409: {"description": "a record id used for other content, the month's statement closed, or "
                                            "the institution not designated; nothing stored"},
                       422: {"description": "records malformed or refused by the rules: every one listed (index, "
                                            "record_id, code, field); nothing stored"}},
            openapi_extra=body_limit(MAX_RECORDS_BODY, _documented(RecordsBody, {"text/csv": {"schema": {
                "type": "string", "description": "header " + ",".join(CSV_FIELDS) + "[,evidence]; ?month="}}})))
    async def upload(request: Request, response: Response, scope: Scope,
                     month: str | None = Query(default=None, pattern=MONTH_PATTERN,
                                               description="the month of a CSV upload")) -> dict[str, Any]:
        scope.require("institution", "clerk")
        care.serves(scope.tenant)  # 404 for a tenant outside the program, before the body is read
        institution = own_institution(scope)
        kind = content_type(request)
        raw = await read_raw(request, MAX_RECORDS_BODY)
        if kind == "text/csv":
            if month is None:
                raise InvalidInput("a CSV upload names its month: ?month=YYYY-MM", "month")
            data: Any = csv_records(raw, month)
        elif kind in ("application/json", ""):
            data = parse_json(raw, exact_numbers=False)
        else:
            raise UnsupportedMediaType("send application/json or text/csv", "content-type")
        month_of, records = parse_records(data)
        result, fresh = await care.records.upload(scope.tenant, institution, month_of, records, scope.subject)
        response.status_code = 201 if fresh else 200
        return {**result, "replayed": not fresh}

    # ---- monthly statements ----------------------------------------------------------------------------------

    @r.post("/statements", tags=["long-term care statements"],
            summary="Build (or price again, while open) every institution's care statement of a month",
            openapi_extra=_documented(MonthBody))
    async def build_statements(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        care.serves(scope.tenant)
        month = _month(_json_object(await read_raw(request, MAX_BODY)).get("month"))
        return {"month": month, "statements": await care.statements.build(scope.tenant, month, scope.subject)}

    @r.get("/statements", tags=["long-term care statements"], summary="The care statements of a month")
    async def list_statements(scope: Scope, month: str = Query(pattern=MONTH_PATTERN),
                              tenant: str | None = Query(default=None, description="supervisor: one of its program's"),
                              limit: int = Query(default=1000, ge=1, le=5000)) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS, "institution")
        t = target(scope, tenant)
        return {"tenant": t, "month": month,
                "statements": await care.statements.statements(t, month, own_institution(scope), limit)}

    @r.get("/statements/{statement_id}", tags=["long-term care statements"],
           summary="One care statement with its lines (person-months priced, with reasons and version)")
    async def get_statement(statement_id: str, scope: Scope,
                            tenant: str | None = Query(default=None, description="supervisor: one of its program's")
                            ) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS, "institution")
        t = target(scope, tenant)
        doc = await care.statements.statement(t, statement_id, own_institution(scope))
        # smart review (智能审核), live: a statement closes once nothing of its month is pending or held
        return {**statement_view(doc, lines=True), "review": await care.statements.review_of(t, statement_id)}

    @r.post("/statements/{statement_id}/close", tags=["long-term care statements"],
            summary="Close a month's care statement once the month is over (priced a last time; records smart "
                    "review refused are left out, 拒付)",
            responses={409: {"description": "not open, the month is not over, or `review_pending`: an upload under "
                                            "smart review or records held by open hits"}})
    async def close_statement(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        care.serves(scope.tenant)
        return await care.statements.close(scope.tenant, statement_id, scope.subject)

    @r.post("/statements/{statement_id}/payments", tags=["long-term care statements"], status_code=201,
            summary="Pay a closed care statement once: benefits_paid booked in the lot's dedicated account",
            responses={409: {"description": "not closed, already paid, or the account cannot cover it "
                                            "(InsufficientFunds, naming the shortfall); nothing written"}})
    async def pay_statement(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        care.serves(scope.tenant)
        return await care.statements.pay(scope.tenant, statement_id, scope.subject)

    # ---- assessment fees (评估费用) ----------------------------------------------------------------------------

    @r.post("/assessment-fees/statements", tags=["long-term care assessment fees"],
            summary="Build (or again, while unpaid) the month's assessment fee statement (AF-<YYYY-MM>)",
            openapi_extra=_documented(MonthBody))
    async def build_fees(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        care.serves(scope.tenant)
        month = _month(_json_object(await read_raw(request, MAX_BODY)).get("month"))
        view, fresh = await care.fees.build(scope.tenant, month, scope.subject)
        response.status_code = 201 if fresh else 200
        return view

    @r.get("/assessment-fees/statements", tags=["long-term care assessment fees"],
           summary="Assessment fee statements (of a month)")
    async def list_fees(scope: Scope, month: str | None = Query(default=None, pattern=MONTH_PATTERN),
                        tenant: str | None = Query(default=None, description="supervisor: one of its program's")
                        ) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS)
        t = target(scope, tenant)
        return {"tenant": t, "month": month, "statements": await care.fees.statements(t, month)}

    @r.get("/assessment-fees/statements/{statement_id}", tags=["long-term care assessment fees"],
           summary="One assessment fee statement: each fee, city-level shares and what the other lots owe")
    async def get_fees(statement_id: str, scope: Scope,
                       tenant: str | None = Query(default=None, description="supervisor: one of its program's")
                       ) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS)
        t = target(scope, tenant)
        return await care.fees.statement(t, statement_id)

    @r.post("/assessment-fees/statements/{statement_id}/payments", tags=["long-term care assessment fees"],
            status_code=201, summary="Record the carrier's payment of the month's assessment fees (no fund booking)",
            responses={409: {"description": "already paid, or the month is not over"}})
    async def pay_fees(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        care.serves(scope.tenant)
        return await care.fees.pay(scope.tenant, statement_id, scope.subject)

    return r

