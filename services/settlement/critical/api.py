"""settlement's HTTP door for critical illness insurance (大病保险, /v1/critical): assistance recipients
(救助对象), claims from institutions (the platform's settled claims), provincial settlement records, manual
reimbursements (零星报销), accounts, large-claim reviews (大额医疗费用核查), the quota dashboard, and the money
chain: monthly statements per institution (月度结算单: close, reconcile by 3201, pay), payables to persons for
manual reimbursements (paid to their bank account) and the payments (see critical_statements.py).

The tenant comes from the token only; a tenant that does not run the program, another tenant's person, claim or
review, and (for an institution) another institution's claims all answer 404. Every upload is validated whole
before anything is written: one bad claim refuses it with its index and field."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from chassis.bodies import parse_json
from chassis.body_limit import body_limit
from chassis.errors import Forbidden, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, content_type, read_raw
from chassis.money import parse_amount
from chassis.programs import program_of_tenant
from services.settlement.critical.domain.claims import ZERO, parse_care, parse_date
from services.settlement.critical.domain.review import parse_lines
from services.settlement.critical.domain.statements import parse_bank_account, parse_insutype
from services.settlement.critical.service.claims import OUTCOMES, ClaimIn, CriticalService, parse_recovered
from services.settlement.critical.service.reads import read_account, read_person
from services.settlement.critical.service.statements import payable_view, statement_lines_view, statement_view
from services.settlement.fund.domain.payment_runs import parse_run

MAX_BODY = 32 * 1024 * 1024
MAX_CLAIMS = 20_000
MAX_DOCUMENT = 10 * 1024 * 1024
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
AREAS = ("in_area", "out_of_area")
QUZHOU_PREFIX = "3308"  # 衢州市 administrative divisions (医保区划)
DOCUMENT_KINDS = ("invoice", "discharge_summary", "expense_list")   # 发票, 出院小结, 费用清单
MANUAL_MAX_BODY = MAX_DOCUMENT * len(DOCUMENT_KINDS) + 65536  # a manual claim: its documents and the form around them
CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg")

# Provincial med_type (医疗类别) → care kind. **(choice)** 21 普通住院, 14 门诊慢特病, 15 特殊病种门诊 and 16 大病
#特殊用药 as this deployment reads them; a record may name `care` itself to override.
MED_TYPES = {"21": "inpatient", "14": "chronic_outpatient", "15": "special_outpatient", "16": "special_drug"}

WRITERS = ("clerk", "ops")
READERS = ("clerk", "reviewer", "finance", "supervisor", "ops", "inspector")
STATEMENT_READERS = ("finance", "clerk", "supervisor", "ops", "inspector")
PERSON_LOOKUP_REFUSED = "person_lookup_refused"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


# ---- request bodies (shown in /docs). Fields are typed loosely where the door checks them itself, so that every
# refusal keeps its answer (422 naming the field, with the row's index in an upload). ---------------------------------


class PersonBody(BaseModel):
    assistance_recipient: Any = Field(None, description="true | false: 救助对象 from effective_from")
    effective_from: Any = Field(None, description="YYYY-MM-DD")


class ReviewOutcomeBody(BaseModel):
    outcome: Any = Field(None, description=" | ".join(OUTCOMES))
    recovered: Any = Field(None, description="yuan recovered, a decimal string (\"0.00\" when nothing)")
    note: Any = Field("", description="at most 2000 characters")


class BankAccount(BaseModel):
    bank_name: str
    account_name: str
    account_no: str = Field(description="8 to 30 digits")


class PayPayableBody(BaseModel):
    bank_account: Any = Field(None, description="{bank_name, account_name, account_no}; default: the one given "
                                                "with the claim")


class RunBody(BaseModel):
    month: Any = Field(None, description="YYYY-MM: every item of the month; or name the items")
    statement_ids: Any = Field(None, description="the statements to run (not with month)")


class PaymentRunBody(RunBody):
    payable_ids: Any = Field(None, description="the payables to persons to pay (not with month)")


class ItemLineBody(BaseModel):
    line_id: str
    item_code: str
    date: str = Field(description="YYYY-MM-DD")
    quantity: str = Field(description="a positive decimal string")
    unit_price: str = Field(description="yuan, a decimal string")
    amount: str = Field(description="yuan: quantity × unit_price, half up to the fen")
    days_supply: int | None = Field(None, description="a drug line's days of supply")


LINES_DOC = ("optional item lines (费用明细): a claim with lines is sent to smart review (智能审核) and its "
             "statement does not close until reviewed; their sum must not exceed the total cost")


class PlatformClaim(BaseModel):
    claim_id: str
    person_id: str
    date: str = Field(description="YYYY-MM-DD")
    care: str = Field(description="inpatient | chronic_outpatient | special_outpatient | special_drug")
    area: str = Field(description=" | ".join(AREAS))
    networked: bool
    total_cost: str = Field(description="yuan, a decimal string")
    self_pay: str = Field(description="yuan, a decimal string, not above total_cost")
    institution_code: str | None = Field(None, description="a clerk names the institution; an institution its own")
    disease: str | None = None
    insutype: str | None = Field(None, description="310 | 390 (default 390)")
    lines: list[ItemLineBody] | None = Field(None, description=LINES_DOC)


class ClaimsUpload(BaseModel):
    claims: list[PlatformClaim] = Field(description=f"at most {MAX_CLAIMS}")


class SettlementRecord(BaseModel):
    """A provincial settlement record (结算信息), the platform's field names."""

    setl_id: str
    psn_no: str
    setl_time: str
    med_type: str | None = Field(None, description=", ".join(f"{k} {v}" for k, v in MED_TYPES.items()))
    care: str | None = None
    medfee_sumamt: str
    psn_part_amt: str
    fulamt_ownpay_amt: str
    overlmt_selfpay: str | None = None
    mdtrt_admdvs: str = Field(description="6-digit division code (3308xx: in area)")
    fixmedins_code: str
    dise_codg: str | None = None
    insutype: str | None = None
    lines: list[ItemLineBody] | None = Field(None, description=LINES_DOC)


class RecordsImport(BaseModel):
    records: list[SettlementRecord] = Field(description=f"at most {MAX_CLAIMS} (a bare list is taken too)")


_DEFS, _REF = "\u0024defs", "\u0024ref"  # JSON Schema keywords (spelled so: only stores spell Mongo's operators)


def _documented(model: type[BaseModel], required: bool = True, media: str = "application/json") -> dict[str, Any]:
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

    return {"requestBody": {"required": required, "content": {media: {"schema": inline(schema)}}}}


async def _read(request: Request, model: type[BaseModel], limit: int, optional: bool = False) -> Any:
    """A JSON object body as `model` (an empty one is `{}` when optional); refusals as the door answered them."""
    raw = await read_raw(request, limit)
    data = parse_json(raw, exact_numbers=False) if (raw.strip() or not optional) else {}
    if not isinstance(data, dict):
        raise InvalidInput("body must be an object", "body")
    return model.model_validate(data)


def _refuse(errors: list[dict[str, str]], what: str) -> None:
    """Every problem at once, nothing stored; the answer's code is the first problem's (an amount's is
    `invalid_amount`), each problem carrying its own."""
    if errors:
        first = errors[0]
        raise InvalidInput(f"{len(errors)} error(s) in the {what}; nothing was stored. First: {first['field']}: "
                           f"{first['message']}", first["field"], fields=errors[:1000], code=first.get("code"))


class _Row:
    """Collects a row's errors under its path instead of stopping at the first."""

    def __init__(self, data: Any, path: str, errors: list[dict[str, str]]) -> None:
        self.data = data if isinstance(data, dict) else {}
        self.path, self.errors = path, errors
        if not isinstance(data, dict):
            errors.append({"field": path, "message": "must be an object"})

    def fail(self, key: str, message: str, code: str | None = None) -> None:
        problem = {"field": f"{self.path}.{key}" if self.path else key, "message": message}
        if code and code != InvalidInput.code:
            problem["code"] = code  # e.g. invalid_amount: an amount beyond the books, "1E+30"
        self.errors.append(problem)

    def ident(self, key: str, required: bool = True) -> str:
        value = self.data.get(key)
        if value in (None, "") and not required:
            return ""
        if not isinstance(value, str) or not ID_RE.match(value.strip()):
            self.fail(key, f"{key} is required: letters, digits, _ . : - (at most 64), got {value!r}")
            return ""
        return value.strip()

    def get(self, key: str, parse: Any, *args: Any) -> Any:
        try:
            return parse(self.data.get(key), f"{self.path}.{key}" if self.path else key, *args)
        except InvalidInput as exc:
            self.fail(key, exc.message, exc.code)
            return None


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false, got {value!r}", field)
    return value


def _area(value: Any, field: str) -> str:
    if value not in AREAS:
        raise InvalidInput(f"{field} must be one of {', '.join(AREAS)}, got {value!r}", field)
    return str(value)


def _non_negative(value: Any, field: str) -> Decimal:
    """A non-negative amount, by chassis' one money parser (code `invalid_amount`, the field named)."""
    return parse_amount(value, field, minimum=ZERO)


def _ident(value: Any, field: str) -> str:
    if not isinstance(value, str) or not ID_RE.match(value.strip()):
        raise InvalidInput(f"{field} is required: letters, digits, _ . : - (at most 64), got {value!r}", field)
    return value.strip()


def _lines(row: _Row, total: Decimal | None) -> tuple[Any, ...]:
    """The row's optional item lines (智能审核 reviews a claim that has them: domain/review.py), problems collected."""
    lines, problems = parse_lines(row.data.get("lines"), row.path, total, _ident)
    row.errors.extend(problems)
    return lines


def _costs(row: _Row, total: Decimal | None, self_pay: Decimal | None, total_key: str, self_key: str) -> None:
    if total is not None and self_pay is not None and self_pay > total:
        row.fail(self_key, f"{self_key} {self_pay} exceeds {total_key} {total}")


def parse_platform_claims(data: Any, institution: str | None) -> list[ClaimIn]:
    """`{"claims": [{claim_id, person_id, date, care, area, networked, total_cost, self_pay,
    institution_code?, disease?, insutype?}]}` from an institution (its own code) or a clerk, who names the
    institution (its monthly statement pays it). `insutype` 310/390; 390 when absent."""
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list) or not data["claims"]:
        raise InvalidInput("claims must be a non-empty list", "claims")
    if len(data["claims"]) > MAX_CLAIMS:
        raise InvalidInput(f"at most {MAX_CLAIMS} claims per upload", "claims")
    errors: list[dict[str, str]] = []
    out = []
    for i, raw in enumerate(data["claims"]):
        row = _Row(raw, f"claims[{i}]", errors)
        before = len(errors)
        claim_id, person_id = row.ident("claim_id"), row.ident("person_id")
        on = row.get("date", parse_date)
        care = row.get("care", parse_care)
        area = row.get("area", _area)
        networked = row.get("networked", _bool)
        total, self_pay = row.get("total_cost", _non_negative), row.get("self_pay", _non_negative)
        _costs(row, total, self_pay, "total_cost", "self_pay")
        inst = row.ident("institution_code", required=institution is None)
        if institution is not None and inst not in ("", institution):
            row.fail("institution_code", "an institution uploads its own claims only")
        disease = row.ident("disease", required=False)
        insutype = row.get("insutype", parse_insutype)
        lines = _lines(row, total)
        if len(errors) == before:
            out.append(ClaimIn(claim_id, person_id, on, care, area, networked, total, self_pay, "platform",
                               institution or inst, disease, insutype=insutype or "", lines=lines))
    _refuse(errors, "claims")
    return out


def _setl_date(value: Any, field: str) -> date:
    if isinstance(value, str) and len(value) >= 10:
        return parse_date(value[:10], field)
    return parse_date(value, field)


def parse_provincial(data: Any) -> list[ClaimIn]:
    """Provincial settlement records (结算信息), field names as the platform's (see shared/domain/PROVINCIAL.md):
    setl_id → claim_id; psn_no → person_id; setl_time → date; med_type → care (MED_TYPES, or `care`);
    medfee_sumamt → total_cost; fixmedins_code → institution_code; mdtrt_admdvs (就医地区划) 3308xx → in_area,
    else out_of_area; dise_codg → disease; insutype (310/390, 390 when absent); networked: always (the platform
    settled them).
    **(choice)** The self-pay that accumulates (政策范围内自付) = psn_part_amt (个人负担) − fulamt_ownpay_amt
    (全自费) − overlmt_selfpay (超限价自费, default 0): costs outside the three catalogues do not count."""
    records = data.get("records") if isinstance(data, dict) else data
    if not isinstance(records, list) or not records:
        raise InvalidInput("send a non-empty JSON list of settlement records (or {\"records\": [...]})", "records")
    if len(records) > MAX_CLAIMS:
        raise InvalidInput(f"at most {MAX_CLAIMS} records per import", "records")
    errors: list[dict[str, str]] = []
    out = []
    for i, raw in enumerate(records):
        row = _Row(raw, f"records[{i}]", errors)
        before = len(errors)
        claim_id, person_id = row.ident("setl_id"), row.ident("psn_no")
        on = row.get("setl_time", _setl_date)
        care = None
        if "care" in row.data:
            care = row.get("care", parse_care)
        elif isinstance(row.data.get("med_type"), str) and row.data["med_type"] in MED_TYPES:  # not a list or object
            care = MED_TYPES[row.data["med_type"]]
        else:
            row.fail("med_type", f"med_type must be one of {sorted(MED_TYPES)} ({', '.join(MED_TYPES.values())}); "
                                 f"got {row.data.get('med_type')!r}")
        total = row.get("medfee_sumamt", _non_negative)
        part = row.get("psn_part_amt", _non_negative)
        ownpay = row.get("fulamt_ownpay_amt", _non_negative)
        over = row.get("overlmt_selfpay", _non_negative) if "overlmt_selfpay" in row.data else Decimal("0.00")
        self_pay = None
        if part is not None and ownpay is not None and over is not None:
            self_pay = part - ownpay - over
            if self_pay < 0:
                row.fail("psn_part_amt", f"psn_part_amt {part} is less than fulamt_ownpay_amt + overlmt_selfpay")
                self_pay = None
        _costs(row, total, self_pay, "medfee_sumamt", "psn_part_amt")
        admdvs = row.data.get("mdtrt_admdvs")
        if not isinstance(admdvs, str) or not re.fullmatch(r"\d{6}", admdvs):
            row.fail("mdtrt_admdvs", f"mdtrt_admdvs must be a 6-digit division code, got {admdvs!r}")
        inst = row.ident("fixmedins_code")
        disease = row.ident("dise_codg", required=False)
        insutype = row.get("insutype", parse_insutype)
        lines = _lines(row, total)
        if len(errors) == before:
            area = "in_area" if admdvs.startswith(QUZHOU_PREFIX) else "out_of_area"
            out.append(ClaimIn(claim_id, person_id, on, care, area, True, total, self_pay, "provincial", inst,
                               disease, insutype=insutype or "", lines=lines))
    _refuse(errors, "records")
    return out


def _sniff(content_type: str, head: bytes) -> bool:
    """The bytes must be what the declared type says (a renamed executable is not an invoice)."""
    return {"application/pdf": head.startswith(b"%PDF-"), "image/png": head.startswith(b"\x89PNG\r\n\x1a\n"),
            "image/jpeg": head.startswith(b"\xff\xd8\xff")}.get(content_type, False)


async def parse_manual(request: Request) -> tuple[ClaimIn, dict[str, bytes], dict[str, Any]]:
    """multipart: a `claim` JSON field {claim_id?, person_id, date, care, area, total_cost, self_pay,
    institution_code?, disease?, insutype?, bank_account?: {bank_name, account_name, account_no}} and the files
    `invoice`, `expense_list` and (inpatient) `discharge_summary`. The bank account is where the person is paid;
    it is not part of the claim (the same claim with another account is the same claim). Returns the claim, the
    documents' bytes by sha256 and the claim's fields as sent (what its id is derived from when it has none)."""
    if not content_type(request) == "multipart/form-data":
        raise UnsupportedMediaType("send multipart/form-data: a `claim` JSON field and the documents "
                                   f"{', '.join(DOCUMENT_KINDS)}", "content-type")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MANUAL_MAX_BODY:
        raise PayloadTooLarge(f"request of {declared} bytes exceeds the upload limit", "body")
    form = await request.form(max_files=len(DOCUMENT_KINDS), max_part_size=MAX_DOCUMENT + 1)
    raw = form.get("claim")
    if not isinstance(raw, str):
        raise InvalidInput("the `claim` field (JSON) is required", "claim")
    # JSON refused as a body is (code invalid_json): unreadable, nested too deeply, or a lone surrogate escape.
    data = parse_json(raw.encode("utf-8", "replace"), exact_numbers=False, field="claim")
    errors: list[dict[str, str]] = []
    row = _Row(data, "claim", errors)
    claim_id = row.ident("claim_id", required=False)
    person_id = row.ident("person_id")
    on, care = row.get("date", parse_date), row.get("care", parse_care)
    area = row.get("area", _area)
    if row.data.get("networked") not in (None, False):
        row.fail("networked", "a manual reimbursement (零星报销) is non-networked by definition")
    total, self_pay = row.get("total_cost", _non_negative), row.get("self_pay", _non_negative)
    _costs(row, total, self_pay, "total_cost", "self_pay")
    inst, disease = row.ident("institution_code", required=False), row.ident("disease", required=False)
    insutype = row.get("insutype", parse_insutype)
    bank_account = None
    try:  # the nested field is named (claim.bank_account.account_no)
        bank_account = parse_bank_account(row.data.get("bank_account"), "claim.bank_account")
    except InvalidInput as exc:
        errors.append({"field": exc.field or "claim.bank_account", "message": exc.message})
    refs: list[dict[str, Any]] = []
    blobs: dict[str, bytes] = {}
    for name, value in form.multi_items():
        if name == "claim":
            continue
        if name not in DOCUMENT_KINDS or not isinstance(value, UploadFile):
            errors.append({"field": f"documents.{name}", "message": f"unexpected field; documents are "
                                                                      f"{', '.join(DOCUMENT_KINDS)}"})
            continue
        content = await value.read()
        ctype = (value.content_type or "").lower()
        if ctype not in CONTENT_TYPES or not _sniff(ctype, content[:16]):
            errors.append({"field": f"documents.{name}",
                           "message": f"{value.filename}: must be PDF, PNG or JPEG and its content must match"})
            continue
        if len(content) > MAX_DOCUMENT or not content:
            errors.append({"field": f"documents.{name}", "message": f"must be 1 byte to {MAX_DOCUMENT} bytes"})
            continue
        sha = hashlib.sha256(content).hexdigest()
        refs.append({"kind": name, "filename": value.filename or name, "content_type": ctype,
                     "size": len(content), "sha256": sha})
        blobs[sha] = content
    needed = ["invoice", "expense_list"] + (["discharge_summary"] if care == "inpatient" else [])
    for kind in needed:
        if kind not in {r["kind"] for r in refs} and not any(e["field"] == f"documents.{kind}" for e in errors):
            errors.append({"field": f"documents.{kind}", "message": f"the {kind} document is required"})
    _refuse(errors, "manual claim")
    # Without a claim id, the service derives one from the claim as sent (the bank account left out: where it is
    # paid is not the claim) and its documents: the same claim and documents again make the same id.
    as_sent = {k: v for k, v in data.items() if k != "bank_account"}
    return ClaimIn(claim_id, person_id, on, care, area, False, total, self_pay, "manual", inst, disease,
                   tuple(refs), insutype=insutype or "", bank_account=bank_account), blobs, as_sent


def parse_assistance_csv(body: bytes) -> list[tuple[str, date, bool]]:
    """CSV `person_id,effective_from[,assistance_recipient]` (true by default: the list names recipients)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"CSV must be UTF-8: {exc}", "body") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
        records = list(reader)
    except csv.Error as exc:  # e.g. a field over the reader's size limit
        raise InvalidInput(f"the CSV cannot be read: {exc}", "body") from exc
    missing = [c for c in ("person_id", "effective_from") if c not in header]
    if missing:
        raise InvalidInput(f"CSV header lacks {missing}", "header")
    errors: list[dict[str, str]] = []
    rows = []
    for n, rec in enumerate(records, start=2):
        path = f"row {n}"
        pid = (rec.get("person_id") or "").strip()
        if not ID_RE.match(pid):
            errors.append({"field": f"{path}.person_id", "message": f"invalid person_id {pid!r}"})
            continue
        try:
            on = parse_date(rec.get("effective_from"), f"{path}.effective_from")
        except InvalidInput as exc:
            errors.append({"field": f"{path}.effective_from", "message": exc.message})
            continue
        flag = (rec.get("assistance_recipient") or "true").strip().lower()
        if flag not in ("true", "false", "1", "0", "yes", "no"):
            errors.append({"field": f"{path}.assistance_recipient", "message": f"not true/false: {flag!r}"})
            continue
        rows.append((pid, on, flag in ("true", "1", "yes")))
    if not rows and not errors:
        errors.append({"field": "body", "message": "the CSV has no rows"})
    _refuse(errors, "CSV")
    return rows


def critical_router(ctx: ServiceContext, critical: CriticalService) -> APIRouter:
    r = APIRouter(prefix="/v1/critical", tags=["critical illness"])

    def upload_view(views: list[dict[str, Any]], fresh: bool) -> dict[str, Any]:
        return {"received": len(views), "created": fresh,
                "total_payable": f"{sum((Decimal(v['payable']) for v in views), Decimal(0)):.2f}",
                "reviews_opened": sum(1 for v in views if v["review_required"]), "claims": views}

    @r.put("/persons/{person_id}", summary="Set a person's assistance status (救助对象) from a date",
           openapi_extra=_documented(PersonBody))
    async def put_person(person_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require(*WRITERS)
        if not ID_RE.match(person_id):
            raise InvalidInput(f"invalid person_id {person_id!r}", "person_id")
        body = await _read(request, PersonBody, 64 * 1024)
        recipient = _bool(body.assistance_recipient, "assistance_recipient")
        on = parse_date(body.effective_from, "effective_from")
        return await critical.set_assistance(scope.tenant, person_id, [(on, recipient)], scope.subject, "manual")

    @r.post("/persons/import", summary="Import the civil affairs list of assistance recipients (CSV)",
            openapi_extra=body_limit(MAX_BODY, {"requestBody": {"required": True, "content": {"text/csv": {
                "schema": {"type": "string", "description": "person_id,effective_from[,assistance_recipient]"}}}}}))
    async def import_persons(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require(*WRITERS)
        if content_type(request) not in ("text/csv", "application/csv"):
            raise UnsupportedMediaType("send text/csv: person_id,effective_from[,assistance_recipient]",
                                       "content-type")
        rows = parse_assistance_csv(await read_raw(request, MAX_BODY))
        critical.serves(scope.tenant)  # 404 before parsing more for a tenant outside the program
        by_person: dict[str, list[tuple[date, bool]]] = {}
        for pid, on, flag in rows:
            by_person.setdefault(pid, []).append((on, flag))
        for pid, changes in sorted(by_person.items()):
            await critical.set_assistance(scope.tenant, pid, changes, scope.subject, "import")
        return {"rows": len(rows), "persons": len(by_person)}

    @r.post("/claims", summary="Upload settled claims (an institution's own, or a clerk's)",
            responses={201: {"description": "settled"}, 200: {"description": "every claim was settled before"},
                       409: {"description": "a claim id was settled with other content"},
                       422: {"description": "a claim is invalid (index and field); nothing stored"}},
            openapi_extra=body_limit(MAX_BODY, _documented(ClaimsUpload)))
    async def upload_claims(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("institution", "clerk")
        if content_type(request) != "application/json":
            raise UnsupportedMediaType("send application/json", "content-type")
        institution = None
        if scope.role == "institution":
            if not ID_RE.match(scope.subject):
                raise Forbidden("an institution token's subject must be its institution code")
            institution = scope.subject
        claims = parse_platform_claims(parse_json(await read_raw(request, MAX_BODY), exact_numbers=False), institution)
        views, fresh = await critical.submit(scope.tenant, claims)
        response.status_code = 201 if fresh else 200
        return upload_view(views, fresh)

    @r.post("/imports", summary="Import provincial settlement records (省平台结算数据)",
            openapi_extra=body_limit(MAX_BODY, _documented(RecordsImport)))
    async def import_records(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require(*WRITERS)
        if content_type(request) != "application/json":
            raise UnsupportedMediaType("send application/json", "content-type")
        claims = parse_provincial(parse_json(await read_raw(request, MAX_BODY), exact_numbers=False))
        views, fresh = await critical.submit(scope.tenant, claims)
        response.status_code = 201 if fresh else 200
        return upload_view(views, fresh)

    @r.post("/manual-claims", summary="Manual reimbursement (零星报销) with its documents (multipart)",
            openapi_extra=body_limit(MANUAL_MAX_BODY, {"requestBody": {"required": True, "content": {
                "multipart/form-data": {"schema": {
                    "type": "object", "required": ["claim", "invoice", "expense_list"], "properties": {
                        "claim": {"type": "string", "description": "JSON: person_id, date, care, area, total_cost, "
                                                                   "self_pay, claim_id?, institution_code?, disease?, "
                                                                   "insutype?, bank_account?"},
                        **{kind: {"type": "string", "format": "binary", "description": "PDF, PNG or JPEG"}
                           for kind in DOCUMENT_KINDS}}}}}}}))
    async def manual_claim(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("clerk")
        claim, blobs, as_sent = await parse_manual(request)
        views, fresh = await critical.submit_manual(scope.tenant, claim, blobs, as_sent)
        response.status_code = 201 if fresh else 200
        return views[0]

    @r.get("/persons/{person_id}", summary="A person's assistance status periods")
    async def get_person(person_id: str, scope: Scope) -> dict[str, Any]:
        if scope.role == "institution":  # its own claims, nothing of the person beyond them
            raise Forbidden("an institution reads its own claims, not a person's assistance status", "person_id",
                            code=PERSON_LOOKUP_REFUSED)
        scope.require(*READERS)
        return await read_person(critical, scope.db(), scope, person_id)  # the read is recorded

    @r.get("/persons/{person_id}/account", summary="The person's year account and claims with reasons")
    async def account(person_id: str, scope: Scope, year: int = Query(ge=2000, le=2100)) -> dict[str, Any]:
        scope.require(*READERS, "institution")
        institution = scope.subject if scope.role == "institution" else None
        return await read_account(critical, scope.db(), scope, person_id, year, institution)  # recorded

    @r.get("/reviews", summary="Large-claim reviews (大额医疗费用核查): the reviewer's worklist")
    async def reviews(scope: Scope, status: str | None = Query(default=None, pattern="^(open|completed)$"),
                      year: int | None = Query(default=None, ge=2000, le=2100),
                      limit: int = Query(default=500, ge=1, le=5000)) -> dict[str, Any]:
        scope.require("reviewer", "clerk", "supervisor", "inspector", "ops")
        return {"reviews": await critical.reviews(scope.tenant, status, year, limit)}

    @r.post("/reviews/{review_id}/outcome", summary="Record a review's outcome (核查结果) and what it recovers",
            openapi_extra=_documented(ReviewOutcomeBody))
    async def outcome(review_id: str, request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("reviewer")
        body = await _read(request, ReviewOutcomeBody, 64 * 1024)
        result = body.outcome
        if result not in OUTCOMES:
            raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}, got {result!r}", "outcome")
        note = body.note
        if not isinstance(note, str) or len(note) > 2000:
            raise InvalidInput("note must be a string of at most 2000 characters", "note")
        view, fresh = await critical.complete_review(scope.tenant, review_id, result,
                                                     parse_recovered(body.recovered), note, scope.subject)
        response.status_code = 200
        return {**view, "replayed": not fresh}

    @r.get("/quotas", summary="Review quota attainment per stratum (dashboard)")
    async def quotas(scope: Scope, year: int = Query(ge=2000, le=2100)) -> dict[str, Any]:
        scope.require("reviewer", "clerk", "supervisor", "inspector", "finance", "ops")
        return await critical.quotas(scope.tenant, year)

    # ---- the money chain: statements (月度结算), payables to persons (零星报销), payments -----------------------

    finance = critical.finance

    def own_institution(scope: Scope) -> str | None:
        return scope.subject if scope.role == "institution" else None

    @r.get("/statements", tags=["critical statements"], summary="Monthly statements of a month, per institution")
    async def list_statements(scope: Scope, month: str = Query(pattern=MONTH_PATTERN),
                              limit: int = Query(default=500, ge=1, le=5000)) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS, "institution")
        return {"month": month,
                "statements": await finance.statements(scope.tenant, month, own_institution(scope), limit)}

    @r.get("/statements/{statement_id}", tags=["critical statements"],
           summary="One statement: totals, reconciliation groups (insutype × clr_type), status")
    async def get_statement(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS, "institution")
        doc = await finance.statement(scope.tenant, statement_id, own_institution(scope))
        return statement_view(doc, program_of_tenant(scope.tenant), await finance.live_review(scope.tenant, doc))

    @r.get("/statements/{statement_id}/lines", tags=["critical statements"], summary="The claims a statement pays")
    async def statement_lines(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS, "institution")
        doc = await finance.statement(scope.tenant, statement_id, own_institution(scope))
        return {"statement_id": statement_id, "lines": statement_lines_view(doc)}

    @r.post("/statements/{statement_id}/close", tags=["critical statements"],
            summary="Close a month's statement once the month is over (statement.closed)",
            responses={409: {"description": "already closed, or the month is not over"}})
    async def close_statement(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        return await finance.close(scope.tenant, statement_id, scope.subject)

    @r.post("/statements/{statement_id}/reconcile", tags=["critical statements"],
            summary="Reconcile with the provincial platform: one 3201 per insutype and clr_type",
            responses={409: {"description": "not closed, or already reconciled"},
                       422: {"description": "a group does not balance (the result is stored)"}})
    async def reconcile_statement(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        return await finance.reconcile(scope.tenant, statement_id, scope.subject, ctx.settings.provincial_url)

    @r.post("/statements/{statement_id}/payments", tags=["critical statements"], status_code=201,
            summary="Pay a reconciled statement once, booked benefits_paid in the dedicated account",
            responses={409: {"description": "not reconciled, already paid, or the account cannot cover it "
                                            "(InsufficientFunds, naming the shortfall); nothing written"}})
    async def pay_statement(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        return await finance.pay(scope.tenant, statement_id, scope.subject)

    @r.post("/statements/closings", tags=["critical statements"],
            summary="Closing run: every statement of a month that is over (or those named), the relay woken once",
            responses={409: {"description": "the month (or a named statement's) is not over; nothing closed"},
                       422: {"description": "bad month or ids (the field named)"}},
            openapi_extra=_documented(RunBody))
    async def close_run(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        critical.serves(scope.tenant)  # 404 for a tenant outside the program, before the body is read
        run = parse_run(parse_json(await read_raw(request, 1024 * 1024), exact_numbers=False), payables=False)
        return await finance.close_run(scope.tenant, run, scope.subject)

    @r.post("/statements/reconciliations", tags=["critical statements"],
            summary="Reconciliation run: every closed statement of a month (or those named), one platform session",
            responses={409: {"description": "a named statement is not closed; nothing sent"},
                       422: {"description": "bad month or ids (the field named)"}},
            openapi_extra=_documented(RunBody))
    async def reconcile_run(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        critical.serves(scope.tenant)  # 404 for a tenant outside the program, before the body is read
        run = parse_run(parse_json(await read_raw(request, 1024 * 1024), exact_numbers=False), payables=False)
        return await finance.reconcile_run(scope.tenant, run, scope.subject, ctx.settings.provincial_url)

    @r.post("/statements/payments", tags=["critical statements"], status_code=201,
            summary="Payment run (批量支付): every reconciled statement and unpaid payable to a person of a month (or "
                    "those named), booked as one batch in the dedicated account",
            responses={200: {"description": "nothing left to pay (a retry): what was paid before is listed"},
                       409: {"description": "the account cannot cover the whole run (InsufficientFunds, naming the "
                                            "shortfall), or a named statement is not reconciled; nothing written"},
                       422: {"description": "bad month or ids (the field named), or a named payable has no bank "
                                            "account; nothing written"}},
            openapi_extra=_documented(PaymentRunBody))
    async def pay_run(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        critical.serves(scope.tenant)  # 404 for a tenant outside the program, before the body is read
        run = parse_run(parse_json(await read_raw(request, 1024 * 1024), exact_numbers=False), payables=True)
        out = await finance.pay_run(scope.tenant, run, scope.subject)
        response.status_code = 201 if out["count"] else 200
        return out

    @r.get("/person-payables", tags=["critical statements"],
           summary="Payables to persons for manual reimbursements (零星报销), by month and status")
    async def list_payables(scope: Scope, month: str | None = Query(default=None, pattern=MONTH_PATTERN),
                            status: str | None = Query(default=None, pattern="^(unpaid|paid)$"),
                            limit: int = Query(default=500, ge=1, le=5000)) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS)
        return {"month": month, "payables": await finance.payables(scope.tenant, month, status, limit)}

    @r.get("/person-payables/{payable_id}", tags=["critical statements"], summary="One payable to a person")
    async def get_payable(payable_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*STATEMENT_READERS)
        return payable_view(await finance.payable(scope.tenant, payable_id))

    @r.post("/person-payables/{payable_id}/payments", tags=["critical statements"], status_code=201,
            summary="Pay a manual reimbursement to the person's bank account, once (booked benefits_paid)",
            responses={409: {"description": "already paid, or the account cannot cover it; nothing written"},
                       422: {"description": "no bank account known, or a bad one"}},
            openapi_extra=_documented(PayPayableBody, required=False))
    async def pay_payable(payable_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        body = await _read(request, PayPayableBody, 64 * 1024, optional=True)
        account = parse_bank_account(body.bank_account)
        return await finance.pay_person(scope.tenant, payable_id, account, scope.subject)

    @r.get("/payments", tags=["critical statements"], summary="Payments of a month (institutions and persons)")
    async def list_payments(scope: Scope, month: str = Query(pattern=MONTH_PATTERN),
                            limit: int = Query(default=500, ge=1, le=5000)) -> dict[str, Any]:
        scope.require("finance", "supervisor", "ops", "inspector")
        return {"month": month, "payments": await finance.payments(scope.tenant, month, limit)}

    return r
