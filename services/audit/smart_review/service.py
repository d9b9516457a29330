"""Smart review's use cases (智能审核), around the pure engine (domain/engine.py `review`):

- **The rule sets as data** (`rule_set`): `programs/<program>/review-rules.yaml` — `version`, `settings`
  (readmission_days, pooling_persons, pooling_minutes), the `rules` enabled and the `catalogue` file (its own
  `version` and `items`). Read once per process per program; every hit records both versions. A program without a
  rules file reviews with no rule (its submissions complete with no hit, rule set version `none`).
- **A submission reviewed** (`review_submission`, from claim_lines.submitted): its claims are reviewed against the
  tenant's history with the program's rule set (only hits touching a claim of the submission are kept), the hits
  stored (open), the claims kept as history (the person sealed, found by blind index), and claim_review.completed
  staged with the holds — each hit holds the lines of this submission its amount falls on (`held_lines`).
- **A decision** (`decide`): a reviewer confirms (拒付) or dismisses an open hit with a note; the hit and
  review_hit.decided in one write; a hit decided before is 409 `hit_already_decided`.
- **Screening** (`screen`, POST /v1/review/claims): claims in `jingban review`'s format reviewed against the
  screening history (Karamay's data extraction before a visit, the bench's in-platform run): hits stored with
  source `screening`, no holds, no event.
- Reading: hits (filters, paging), one hit, the rule set, a summary by rule and state.

Ids: a claim in review is `<source>|<institution>|<month>|<claim id>` (a screening one `screening|<institution>|<claim
id>`: an institution's claim sent again replaces it), a line `<claim's review id>#<line id>`; hits are stored and
shown with the submitter's claim and line ids. The engine knows only sex M|F and birth dates: a claim whose person's
sex or birth date is unknown ("" from the submitter) is reviewed without the sex or age rule (their hits on it are
dropped here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import Conflict, InvalidInput, NotFound, PoisonMessage
from chassis.events import derived_event_id, new_event
from chassis.money import parse_amount, to_fen
from chassis.programs import PROGRAMS_DIR, program_of_tenant
from contracts.v1 import events_pb2
from services.audit.smart_review.domain.catalogue import Catalogue, parse_catalogue
from services.audit.smart_review.domain.claims import Claim, Line, parse_claims
from services.audit.smart_review.domain.engine import Hit, review, summary
from services.audit.smart_review.domain.rules import RULES, Settings, parse_settings
from services.audit.smart_review.domain.values import CHINA, Reader
from services.audit.smart_review.store import OUTBOX, ReviewStore

__all__ = ["OUTBOX", "RuleSet", "decide", "ensure_indexes", "hit", "hits", "review_submission", "rule_set",
           "rules_view", "screen", "summary_of"]

RULES_FILE = "review-rules.yaml"
SCREENING = "screening"
STATES = ("open", "confirmed", "dismissed")
DECISIONS = {"confirm": "confirmed", "dismiss": "dismissed"}
UNKNOWN_BIRTH = date(1900, 1, 1)  # stands for a birth date the submitter could not read (age hits dropped)
Doc = dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def ensure_indexes(db: Any) -> None:
    await ReviewStore(db).ensure_indexes()


# ---- the rule sets as data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSet:
    """A program's rule set: its version, the settings and rules enabled, the catalogue and its version."""

    program: str
    version: str
    settings: Settings
    catalogue: Catalogue
    catalogue_file: str = ""
    label: str = ""

    @property
    def catalogue_version(self) -> str:
        return self.catalogue.version

    def view(self) -> Doc:
        return {"program": self.program, "version": self.version, "label": self.label,
                "settings": {k: v for k, v in self.settings.to_json().items() if k != "rules"},
                "rules": [{**r.to_json(), "enabled": code in self.settings.rules} for code, r in RULES.items()],
                "catalogue": {"file": self.catalogue_file, "version": self.catalogue_version,
                              "items": self.catalogue.to_json()}}


def parse_rule_set(program: str, data: Any, read_catalogue: Any) -> RuleSet:
    """A rule set from its YAML form; `read_catalogue(name)` gives the catalogue file's data. InvalidInput naming
    the field (`review-rules.version`, `…catalogue[3].kind`) for anything wrong."""
    if not isinstance(data, Mapping):
        raise InvalidInput("the review rules file must be a mapping", "review-rules")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise InvalidInput("the review rules need a version", "review-rules.version")
    unknown = sorted(set(data) - {"version", "label", "settings", "rules", "catalogue"})
    if unknown:
        raise InvalidInput(f"unknown fields in the review rules: {unknown}", f"review-rules.{unknown[0]}",
                           code="unknown_field")
    raw_settings = dict(data.get("settings") or {})
    if "rules" in data:
        raw_settings["rules"] = data["rules"]
    settings = parse_settings(raw_settings, "review-rules.settings")
    name = data.get("catalogue")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("the review rules name their catalogue file", "review-rules.catalogue")
    cat = read_catalogue(name)
    if not isinstance(cat, Mapping) or not isinstance(cat.get("version"), str) or not cat["version"].strip():
        raise InvalidInput(f"the catalogue {name} needs a version and items", f"{name}.version")
    catalogue = parse_catalogue(cat.get("items"), f"{name}.items", version=cat["version"])
    return RuleSet(program, version.strip(), settings, catalogue, name, str(data.get("label") or ""))


@cache
def _load(program: str, root: Path) -> RuleSet:
    path = root / program / RULES_FILE
    if not path.exists():
        return RuleSet(program, "none", Settings(rules=frozenset()), Catalogue({}, "none"))

    def read_catalogue(name: str) -> Any:
        file = (root / program / name).resolve()
        if file.parent != (root / program).resolve() or not file.exists():
            raise InvalidInput(f"the catalogue file {name} is not in programs/{program}", "review-rules.catalogue")
        return yaml.safe_load(file.read_text(encoding="utf-8"))

    return parse_rule_set(program, yaml.safe_load(path.read_text(encoding="utf-8")), read_catalogue)


def rule_set(tenant: str, root: Path = PROGRAMS_DIR) -> RuleSet:
    """The rule set of the tenant's program (read once per process)."""
    program = program_of_tenant(tenant, root)
    if program is None:
        raise NotFound(f"tenant {tenant} runs no program")
    return _load(program.code, root)


def rules_view(tenant: str) -> Doc:
    return rule_set(tenant).view()


# ---- claims for the engine ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInfo:
    """Where a line of a review came from: the submitter's ids, its batch, and what charging it back needs."""

    line_id: str
    claim_id: str
    claim_rid: str
    batch_id: str
    source: str
    institution_id: str
    institution_kind: str
    month: str
    date: str
    amount: Decimal
    new: bool

    def view(self) -> Doc:
        return {"line_id": self.line_id, "claim_id": self.claim_id, "batch_id": self.batch_id,
                "source": self.source, "institution_id": self.institution_id, "month": self.month,
                "date": self.date, "amount": f"{self.amount:.2f}"}


@dataclass
class Prepared:
    """The claims of one review: engine claims (history and new), what each line is, claims of unknown facts."""

    claims: list[Claim] = field(default_factory=list)
    new: set[str] = field(default_factory=set)
    lines: dict[str, LineInfo] = field(default_factory=dict)
    claim_ids: dict[str, str] = field(default_factory=dict)          # review id → the submitter's claim id
    unknown_sex: set[str] = field(default_factory=set)
    unknown_birth: set[str] = field(default_factory=set)


def claim_rid(source: str, institution: str, month: str, claim_id: str) -> str:
    return f"{SCREENING}|{institution}|{claim_id}" if source == SCREENING else \
        f"{source}|{institution}|{month}|{claim_id}"


def _payload_amount(value: str, what: str) -> Decimal:
    """An amount or unit price of an event (yuan, the money parser); a malformed one makes the event poison."""
    try:
        return parse_amount(value, what)
    except InvalidInput as exc:
        raise PoisonMessage(f"{what}: {exc.message}") from None


def _payload_quantity(value: str, what: str) -> Decimal:
    try:
        quantity = Reader().quantity(value, what)
    except InvalidInput as exc:
        raise PoisonMessage(f"{what}: {exc.message}") from None
    assert quantity is not None
    return quantity


def _day(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except (ValueError, TypeError):
        raise PoisonMessage(f"{what} is not a date: {value!r}") from None


def _moment(value: str) -> datetime | None:
    """A settlement time on China's clock, naive (as the engine reads it)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PoisonMessage(f"settled_at is not a date and time: {value!r}") from None
    return moment if moment.tzinfo is None else moment.astimezone(CHINA).replace(tzinfo=None)


def history_doc(rid: str, source: str, c: Mapping[str, Any], institution: str, kind_of_institution: str,
                month: str, batch_id: str, part: int, reviewed_at: str) -> Doc:
    """A claim as the history keeps it (store.py), from its review form (`c`: claim_id, person_id, sex, birth_date,
    kind, admitted_on, discharged_on, settled_at, lines [{line_id, item_code, date, quantity, unit_price, amount,
    days_supply}])."""
    return {"_id": rid, "source": source, "claim_id": c["claim_id"], "institution_id": institution,
            "institution_kind": kind_of_institution, "month": month, "batch_id": batch_id, "part": part,
            "kind": c["kind"], "admitted_on": c.get("admitted_on") or "", "discharged_on": c.get("discharged_on") or "",
            "settled_at": c.get("settled_at") or "", "person_id": str(c["person_id"]).strip().upper(),
            "facts": {"sex": c.get("sex") or "", "birth_date": c.get("birth_date") or ""},
            "lines": [{"l": ln["line_id"], "i": ln["item_code"], "d": ln["date"], "q": str(ln["quantity"]),
                       "p": str(ln["unit_price"]), "a": str(ln["amount"]), "s": int(ln.get("days_supply") or 0)}
                      for ln in c["lines"]],
            "reviewed_at": reviewed_at}


def _engine_kind(kind_of_institution: str) -> str:
    return "pharmacy" if kind_of_institution == "pharmacy" else "hospital"


def add_claim(prepared: Prepared, doc: Mapping[str, Any], new: bool) -> None:
    """A history document (or a new claim in that form) as an engine claim, its lines known by review id."""
    rid = doc["_id"]
    facts = doc.get("facts") or {}
    sex = facts.get("sex") or ""
    born = facts.get("birth_date") or ""
    if sex not in ("M", "F"):
        prepared.unknown_sex.add(rid)
    if not born:
        prepared.unknown_birth.add(rid)
    lines = []
    for n, ln in enumerate(doc["lines"]):
        lid = f"{rid}#{ln['l']}"
        what = f"claim {doc['claim_id']} line {n}"
        amount = _payload_amount(ln["a"], f"{what} amount")
        lines.append(Line(lid, ln["i"], _day(ln["d"], f"{what} date"), _payload_quantity(ln["q"], f"{what} quantity"),
                          _payload_amount(ln["p"], f"{what} unit_price"), amount, int(ln.get("s") or 0) or None))
        prepared.lines[lid] = LineInfo(ln["l"], doc["claim_id"], rid, doc.get("batch_id", ""), doc["source"],
                                       doc["institution_id"], doc.get("institution_kind", ""), doc.get("month", ""),
                                       ln["d"], amount, new)
    kind = doc.get("kind") or "outpatient"
    prepared.claims.append(Claim(
        rid, doc["institution_id"], _engine_kind(doc.get("institution_kind", "")), doc["person_id"],
        sex if sex in ("M", "F") else "M", _day(born, "birth_date") if born else UNKNOWN_BIRTH, kind, tuple(lines),
        _day(doc["admitted_on"], "admitted_on") if doc.get("admitted_on") else None,
        _day(doc["discharged_on"], "discharged_on") if doc.get("discharged_on") else None,
        _moment(doc.get("settled_at") or "")))
    prepared.claim_ids[rid] = doc["claim_id"]
    if new:
        prepared.new.add(rid)


def kept(prepared: Prepared, found: Iterable[Hit]) -> list[Hit]:
    """The engine's hits but the sex and age hits on claims whose person's sex or birth date is unknown."""
    return [h for h in found
            if not (h.rule == "sex_restricted" and h.claim_id in prepared.unknown_sex)
            and not (h.rule == "age_restricted" and h.claim_id in prepared.unknown_birth)]


def held_lines(hit: Hit, prepared: Prepared) -> list[str]:
    """The lines of the submission a hit holds: those its amount falls on, taken from the latest back (by date, the
    new after the history, claim and line) until they cover it — every line of the group but the first for a
    duplicate, the later line for duplicate medication, the excess for over-quantity, the line for a per-line rule;
    when none of those is new (the amount falls on history already paid), the hit's new lines."""
    info = prepared.lines
    ordered = sorted(hit.line_ids, key=lambda x: (info[x].date, info[x].new, info[x].claim_rid, x))
    charged: list[str] = []
    covered = Decimal(0)
    for lid in reversed(ordered):
        if charged and covered >= hit.amount:
            break
        charged.append(lid)
        covered += info[lid].amount
    held = [x for x in charged if info[x].new]
    return sorted(held or [x for x in hit.line_ids if info[x].new])


def hit_doc(hit: Hit, prepared: Prepared, held: Sequence[str], ctx: Mapping[str, Any]) -> Doc:
    """A hit as stored: the submitter's ids, where each line was submitted, the held lines, the versions."""
    lines = [prepared.lines[x] for x in hit.line_ids]
    lead = next((x for x in lines if x.claim_rid == hit.claim_id), lines[0])
    return {"_id": hit.hit_id, "hit_id": hit.hit_id, "rule": hit.rule, "source": ctx["source"],
            "program": ctx["program"], "institution_id": lead.institution_id,
            "institution_kind": lead.institution_kind, "month": lead.month or lead.date[:7],
            "batch_id": lead.batch_id, "part": ctx.get("part", 0), "claim_id": prepared.claim_ids[hit.claim_id],
            "line_ids": [x.line_id for x in lines], "lines": [x.view() for x in lines],
            "held_line_ids": [prepared.lines[x].line_id for x in held], "amount": f"{hit.amount:.2f}",
            "amount_fen": to_fen(hit.amount), "reason": hit.reason.to_json(), "state": "open",
            "rule_set_version": ctx["rule_set_version"], "catalogue_version": ctx["catalogue_version"],
            "found_at": ctx["found_at"]}


# ---- a submission reviewed (claim_lines.submitted) ------------------------------------------------------------------


def _payload_claims(payload: Any) -> list[Doc]:
    out = []
    for n, c in enumerate(payload.claims):
        if not c.claim_id or not c.person_id or not c.lines:
            raise PoisonMessage(f"claims[{n}] of claim_lines.submitted lacks claim_id, person_id or lines")
        out.append({"claim_id": c.claim_id, "person_id": c.person_id, "sex": c.sex, "birth_date": c.birth_date,
                    "kind": c.kind or "outpatient", "admitted_on": c.admitted_on, "discharged_on": c.discharged_on,
                    "settled_at": c.settled_at,
                    "lines": [{"line_id": ln.line_id, "item_code": ln.item_code, "date": ln.date,
                               "quantity": ln.quantity or "1", "unit_price": ln.unit_price or ln.amount,
                               "amount": ln.amount, "days_supply": ln.days_supply} for ln in c.lines]})
    return out


async def _reviewed(store: ReviewStore, rules: RuleSet, new_docs: Sequence[Doc], screening: bool) -> Prepared:
    """The new claims (history-document form) reviewed with the tenant's history of their persons (and, at
    pharmacies with settlement times, of the pharmacy around them)."""
    new_ids = [d["_id"] for d in new_docs]
    history = await store.history_of((d["person_id"] for d in new_docs), screening, exclude=new_ids)
    seen = {d["_id"] for d in history}
    bands: dict[str, tuple[str, str]] = {}
    for d in new_docs:
        if d["institution_kind"] == "pharmacy" and d.get("settled_at"):
            low, high = bands.get(d["institution_id"], (d["settled_at"], d["settled_at"]))
            bands[d["institution_id"]] = (min(low, d["settled_at"]), max(high, d["settled_at"]))
    minutes = rules.settings.pooling_minutes
    windows = {institution: (_shifted(datetime.fromisoformat(low), -timedelta(minutes=minutes)).isoformat(),
                             _shifted(datetime.fromisoformat(high), timedelta(minutes=minutes)).isoformat())
               for institution, (low, high) in bands.items()}
    if windows:
        # One query for every pharmacy of the import over the union of their windows, each kept to its own window.
        low, high = min(w[0] for w in windows.values()), max(w[1] for w in windows.values())
        for d in await store.pooling_history(sorted(windows), low, high, screening, exclude=new_ids):
            lo, hi = windows[d["institution_id"]]
            if d["_id"] not in seen and lo <= d["settled_at"] <= hi:
                history.append(d)
                seen.add(d["_id"])
    prepared = Prepared()
    for d in history:
        add_claim(prepared, d, new=False)
    for d in new_docs:
        add_claim(prepared, d, new=True)
    return prepared


def _shifted(moment: datetime, by: timedelta) -> datetime:
    """A moment moved by `by`, held at the calendar's first or last moment when it would pass it (a pooling window
    around a claim settled on 9999-12-31)."""
    try:
        return moment + by
    except OverflowError:
        return datetime.max if by > timedelta(0) else datetime.min


def _settled_at(value: str) -> str:
    moment = _moment(value)
    return moment.isoformat() if moment else ""


async def review_submission(db: Any, tenant: str, payload: Any, event_id: str, carrier: dict[str, str]) -> bool:
    """claim_lines.submitted → the part reviewed: hits stored, the claims kept as history, claim_review.completed
    staged with the holds. False when this part was reviewed before (a redelivery)."""
    source, batch_id, part = payload.source, payload.batch_id, int(payload.part)
    if not source or source == SCREENING or not batch_id or part < 1 or not payload.institution_id:
        raise PoisonMessage("claim_lines.submitted lacks source, batch_id, part or institution_id")
    store = ReviewStore(db)
    submission_id = f"{source}|{batch_id}|{part:04d}"
    if await store.submission(submission_id) is not None:
        return False
    rules = rule_set(tenant)
    now = _now()
    institution, month = payload.institution_id, payload.month
    docs = []
    for c in _payload_claims(payload):
        rid = claim_rid(source, institution, month, c["claim_id"])
        doc = history_doc(rid, source, {**c, "settled_at": _settled_at(c["settled_at"])}, institution,
                          payload.institution_kind, month, batch_id, part, now)
        docs.append(doc)
    if len({d["_id"] for d in docs}) != len(docs):
        raise PoisonMessage(f"claim_lines.submitted {batch_id} part {part} names a claim twice")
    prepared = await _reviewed(store, rules, docs, screening=False)
    found = kept(prepared, review(rules.settings, rules.catalogue, prepared.claims, new=prepared.new))
    ctx = {"source": source, "program": rules.program, "part": part,
           "rule_set_version": rules.version, "catalogue_version": rules.catalogue_version, "found_at": now}
    held = {h.hit_id: held_lines(h, prepared) for h in found}
    hit_docs = [hit_doc(h, prepared, held[h.hit_id], ctx) for h in found]
    before = await store.add_hits(hit_docs)
    await store.add_claims(docs)
    states = {h.hit_id: before.get(h.hit_id, "open") for h in found}  # a hit decided before holds nothing
    holds = [{"hit_id": d["hit_id"], "rule": d["rule"], "claim_id": d["claim_id"],
              "line_ids": d["held_line_ids"], "amount": d["amount"]}
             for d in hit_docs if states.get(d["hit_id"]) == "open" and d["held_line_ids"]]
    lines = sum(len(d["lines"]) for d in docs)
    event = new_event("claim_review.completed", tenant, batch_id, events_pb2.ClaimReviewCompleted(
        batch_id=batch_id, part=part, parts=int(payload.parts), program=payload.program or rules.program,
        source=source, institution_id=institution, month=month,
        holds=[events_pb2.ReviewHold(**h) for h in holds], rule_set_version=rules.version,
        catalogue_version=rules.catalogue_version, completed_at=now, claims=len(docs), lines=lines),
        source="audit", trace_context=carrier, causation_id=event_id,
        event_id=derived_event_id(event_id, "claim_review.completed", submission_id))
    return await store.add_submission({
        "_id": submission_id, "source": source, "batch_id": batch_id, "part": part, "parts": int(payload.parts),
        "program": rules.program, "institution_id": institution, "month": month, "claims": len(docs), "lines": lines,
        "hits": len(found), "holds": holds, "summary": summary(found), "rule_set_version": rules.version,
        "catalogue_version": rules.catalogue_version, "reviewed_at": now, "event_id": event_id}, [event])


# ---- screening (POST /v1/review/claims) -----------------------------------------------------------------------------


async def screen(db: Any, tenant: str, body: Mapping[str, Any], by: Mapping[str, str]) -> tuple[Doc, bool]:
    """Claims in `jingban review`'s format, reviewed against the screening history with the program's rule set;
    hits stored with source `screening` (no holds, no event). Checked whole first (InvalidInput naming the field,
    nothing written). Returns (the import's result, newly reviewed); an `import_id` sent again answers its result."""
    unknown = sorted(set(body) - {"claims", "import_id"})
    if unknown:
        raise InvalidInput(f"{unknown[0]} is not a field of a screening import (claims, import_id): the program's "
                           "rule set and catalogue apply", unknown[0], code="unknown_field")
    import_id = body.get("import_id") or f"s-{uuid.uuid4().hex[:16]}"
    if not isinstance(import_id, str) or not 1 <= len(import_id) <= 64 or "|" in import_id:
        raise InvalidInput("import_id must be 1-64 characters without '|'", "import_id")
    claims = parse_claims(body.get("claims"), "claims")
    store = ReviewStore(db)
    submission_id = f"{SCREENING}|{import_id}|0001"
    before = await store.submission(submission_id)
    if before is not None:
        return screening_view(before), False
    rules = rule_set(tenant)
    now = _now()
    docs = []
    for c in claims:
        data = c.to_json()
        month = min(ln.date for ln in c.lines).isoformat()[:7] if c.lines else ""
        docs.append(history_doc(claim_rid(SCREENING, c.institution, month, c.claim_id), SCREENING,
                                {**data, "person_id": c.person_id, "settled_at": _settled_at(data.get("settled_at",
                                                                                                       ""))},
                                c.institution, c.institution_kind, month, import_id, 1, now))
    prepared = await _reviewed(store, rules, docs, screening=True)
    found = kept(prepared, review(rules.settings, rules.catalogue, prepared.claims, new=prepared.new))
    ctx = {"source": SCREENING, "program": rules.program, "part": 1,
           "rule_set_version": rules.version, "catalogue_version": rules.catalogue_version, "found_at": now}
    hit_docs = []
    for h in found:
        d = hit_doc(h, prepared, [], ctx)  # screening holds nothing: no payment waits on it
        hit_docs.append(d)
    await store.add_hits(hit_docs)
    await store.add_claims(docs, replace=True)
    doc = {"_id": submission_id, "source": SCREENING, "batch_id": import_id, "part": 1, "parts": 1,
           "program": rules.program, "claims": len(docs), "lines": sum(len(d["lines"]) for d in docs),
           "hits": len(found), "holds": [], "summary": summary(found), "rule_set_version": rules.version,
           "catalogue_version": rules.catalogue_version, "reviewed_at": now, "imported_by": dict(by)}
    await store.add_submission(doc, [])
    return screening_view(doc), True


def screening_view(doc: Mapping[str, Any]) -> Doc:
    return {"import_id": doc["batch_id"], "claims": doc["claims"], "lines": doc["lines"], "hits": doc["hits"],
            "summary": doc["summary"], "rule_set_version": doc["rule_set_version"],
            "catalogue_version": doc["catalogue_version"], "reviewed_at": doc["reviewed_at"]}


# ---- reading and deciding --------------------------------------------------------------------------------------------


def hit_view(doc: Mapping[str, Any], institution: str | None = None) -> Doc:
    """A hit; an institution (`institution` = its id) sees only its own lines of it (a hit across institutions —
    over-quantity, duplicate medication — counts the others' without naming them)."""
    lines = list(doc.get("lines") or [])
    others = 0
    if institution is not None:
        mine = [x for x in lines if x.get("institution_id") == institution]
        others, lines = len(lines) - len(mine), mine
    return {"hit_id": doc["_id"], "rule": doc["rule"], "state": doc["state"], "source": doc["source"],
            "program": doc["program"], "institution_id": doc["institution_id"],
            "institution_kind": doc.get("institution_kind", ""), "month": doc["month"], "batch_id": doc["batch_id"],
            "claim_id": doc["claim_id"], "line_ids": [x["line_id"] for x in lines], "lines": lines,
            "other_institutions_lines": others, "held_line_ids": doc.get("held_line_ids", []),
            "amount": doc["amount"], "reason": doc["reason"], "rule_set_version": doc["rule_set_version"],
            "catalogue_version": doc["catalogue_version"], "found_at": doc["found_at"],
            "decision": doc.get("decision")}


async def hit(db: Any, hit_id: str, institution: str | None = None) -> Doc:
    found = await ReviewStore(db).hit(hit_id)
    if found is None or (institution is not None and found.get("institution_id") != institution):
        raise NotFound(f"hit {hit_id} not found")
    return hit_view(found, institution)


def _query(filters: Mapping[str, Any], institution: str | None) -> Doc | None:
    """The filters as plain field values (an institution reads its own only: asking for another's finds nothing,
    None)."""
    query: Doc = {k: v for k, v in filters.items() if v}
    if "institution" in query:
        query["institution_id"] = query.pop("institution")
    if institution is not None:
        if query.get("institution_id", institution) != institution:
            return None
        query["institution_id"] = institution
    return query


async def hits(db: Any, filters: Mapping[str, Any], after: str | None, limit: int,
               institution: str | None = None) -> Doc:
    query = _query(filters, institution)
    found = [] if query is None else await ReviewStore(db).hits(query, after, limit)
    return {"hits": [hit_view(d, institution) for d in found],
            "next_after": found[-1]["_id"] if len(found) == limit else None}


async def summary_of(db: Any, filters: Mapping[str, Any], institution: str | None = None) -> Doc:
    """Hits by rule and state, with the amounts in question (yuan) — confirmed ones are what was refused."""
    by_rule: dict[str, Doc] = {code: {"hits": 0, "amount_fen": 0, **{s: 0 for s in STATES},
                                      "confirmed_amount_fen": 0} for code in RULES}
    query = _query(filters, institution)
    for d in [] if query is None else await ReviewStore(db).hit_figures(query):
        row = by_rule.setdefault(d["rule"], {"hits": 0, "amount_fen": 0, **{s: 0 for s in STATES},
                                             "confirmed_amount_fen": 0})
        row["hits"] += 1
        row[d["state"]] = row.get(d["state"], 0) + 1
        row["amount_fen"] += int(d.get("amount_fen", 0))
        if d["state"] == "confirmed":
            row["confirmed_amount_fen"] += int(d.get("amount_fen", 0))
    total = {k: sum(r[k] for r in by_rule.values()) for k in ("hits", "amount_fen", *STATES,
                                                               "confirmed_amount_fen")}

    def money(row: Doc) -> Doc:
        return {**{k: v for k, v in row.items() if not k.endswith("_fen")},
                "amount": f"{Decimal(row['amount_fen']) / 100:.2f}",
                "confirmed_amount": f"{Decimal(row['confirmed_amount_fen']) / 100:.2f}"}

    return {"filters": {k: v for k, v in filters.items() if v}, "by_rule": {k: money(v) for k, v in by_rule.items()},
            "total": money(total)}


async def decide(db: Any, tenant: str, hit_id: str, decision: str, note: str, by: Mapping[str, str],
                 carrier: dict[str, str]) -> Doc:
    """A reviewer's or an inspector's decision on an open hit (`by`: their role and subject, kept with it), with
    review_hit.decided in the same write; decided before → 409."""
    state = DECISIONS.get(decision)
    if state is None:
        raise InvalidInput(f"decision is confirm or dismiss, not {decision!r}", "decision")
    if not note or not note.strip():
        raise InvalidInput("a decision carries a note saying why", "note")
    store = ReviewStore(db)
    found = await store.hit(hit_id)
    if found is None:
        raise NotFound(f"hit {hit_id} not found")
    if found["state"] != "open":
        raise Conflict(f"hit {hit_id} was already {found['state']}", "decision", code="hit_already_decided")
    now = _now()
    record = {"decision": decision, "note": note.strip(), "by": dict(by), "at": now}
    event = new_event("review_hit.decided", tenant, hit_id, events_pb2.ReviewHitDecided(
        hit_id=hit_id, rule=found["rule"], decision=decision, source=found["source"], batch_id=found["batch_id"],
        claim_id=found["claim_id"], line_ids=found.get("held_line_ids") or [], amount=found["amount"],
        institution_id=found["institution_id"], month=found["month"], program=found["program"], decided_at=now,
        decided_by=by.get("subject", ""), rule_set_version=found["rule_set_version"],
        catalogue_version=found["catalogue_version"]), source="audit", trace_context=carrier)
    if not await store.decide(hit_id, {"state": state, "decision": record}, [event]):
        raise Conflict(f"hit {hit_id} was decided meanwhile", "decision", code="hit_already_decided")
    return hit_view({**found, "state": state, "decision": record})
