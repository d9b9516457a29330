"""A case (案件) and its file (案卷), pure: the state machine, findings (查实的违规), decisions (处理决定), recoveries
(追回) and the closing (结案).

    open ──decide──▶ decided ──close──▶ closed
      └────────────close (nothing found)──────▶ closed

- `open` (立案, 调查取证): documents and findings are added; a decision moves it to `decided`.
- `decided`: further decisions, documents and recoveries; no new findings (they would reopen the decision).
- `closed` (结案): nothing more. A case closes with outcome `violation` once decided and every yuan decided to be
  recovered is recovered; with outcome `no_violation` when nothing was found (no decision needed).

Amounts are Decimal yuan (two places); each finding records the catalogue version its code comes from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from chassis.errors import Conflict, InvalidInput
from chassis.money import fmt, parse_amount
from services.audit.cases.domain.catalogue import ViolationCatalogue
from services.audit.cases.domain.leads import day

OPEN, DECIDED, CLOSED = "open", "decided", "closed"
STATES = (OPEN, DECIDED, CLOSED)
ADD_DOCUMENT, ADD_FINDING, DECIDE, RECOVER, CLOSE = "add_document", "add_finding", "decide", "recover", "close"
ALLOWED: Mapping[str, frozenset[str]] = {
    OPEN: frozenset({ADD_DOCUMENT, ADD_FINDING, DECIDE, CLOSE}),
    DECIDED: frozenset({ADD_DOCUMENT, DECIDE, RECOVER, CLOSE}),
    CLOSED: frozenset(),
}
# 处理决定: the kinds the agency decides (医疗保障基金使用监督管理条例 第三十八条 and the agreements' terms).
RECOVER, FINE = "recover", "fine"
DECISIONS = (RECOVER, FINE, "warning", "interview", "rectify", "suspend_agreement", "terminate_agreement",
             "refer_to_police")
MONEY_DECISIONS = (RECOVER, FINE)
DATED_DECISIONS = {"suspend_agreement": "effective_from", "terminate_agreement": "effective_from",
                   "rectify": "rectify_by"}
ZERO = Decimal("0.00")


def check_action(state: str, action: str) -> None:
    """409 `case_action_not_allowed` when the case's state does not take the action."""
    if action not in ALLOWED.get(state, frozenset()):
        raise Conflict(f"a case {state} does not take {action.replace('_', ' ')}", code="case_action_not_allowed",
                       params={"state": state, "action": action})


def next_state(state: str, action: str) -> str:
    check_action(state, action)
    return DECIDED if action == DECIDE else CLOSED if action == CLOSE else state


def total(amounts: Iterable[Any]) -> Decimal:
    return sum((Decimal(str(a)) for a in amounts), ZERO)


def totals(case: Mapping[str, Any]) -> dict[str, Decimal]:
    """found (the findings' amounts), to_recover and fines (decided), recovered, outstanding (to recover less
    recovered)."""
    decisions = case.get("decisions") or []
    found = total(f["amount"] for f in case.get("findings") or [])
    to_recover = total(d["amount"] for d in decisions if d["kind"] == RECOVER)
    fines = total(d["amount"] for d in decisions if d["kind"] == FINE)
    recovered = total(r["amount"] for r in case.get("recoveries") or [])
    return {"found": found, "to_recover": to_recover, "fines": fines, "recovered": recovered,
            "outstanding": max(to_recover - recovered, ZERO)}


def _documents(ids: Any, known: set[str], field: str) -> list[str]:
    ids = list(ids or [])
    for n, doc in enumerate(ids):
        if doc not in known:
            raise InvalidInput(f"the case file holds no document {doc!r}", f"{field}[{n}]", code="document_unknown")
    return ids


def _document(doc: Any, known: set[str], field: str, required: bool = False) -> str:
    if not doc:
        if required:
            raise InvalidInput(f"{field} names the document (one of the case file's) that proves it", field)
        return ""
    if doc not in known:
        raise InvalidInput(f"the case file holds no document {doc!r}", field, code="document_unknown")
    return str(doc)


def check_finding(body: Mapping[str, Any], catalogue: ViolationCatalogue, documents: set[str],
                  today: date) -> dict[str, Any]:
    """A finding: a catalogue code, the amount in question (≥ 0), what was found, its evidence (the case's documents)
    and the day it was found."""
    item = catalogue.item(str(body.get("code") or ""), "code")
    amount = parse_amount(body.get("amount"), "amount", minimum=ZERO)
    return {"code": item.code, "name": item.name, "group": item.group, "amount": fmt(amount),
            "catalogue_version": catalogue.version, "description": str(body.get("description") or ""),
            "document_ids": _documents(body.get("document_ids"), documents, "document_ids"),
            "found_on": day(body.get("found_on"), "found_on", today, today).isoformat()}


def check_decision(case: Mapping[str, Any], body: Mapping[str, Any], documents: set[str],
                   today: date) -> dict[str, Any]:
    """A decision (处理决定): its kind, the amount for recover and fine (above zero; what is decided to be recovered in
    all at most what the findings put in question), the day it takes effect for a suspension or termination, the
    day to rectify by, the decision letter among the case's documents."""
    check_action(case["state"], DECIDE)
    if not case.get("findings"):
        raise Conflict("a decision follows at least one finding", "kind", code="decision_without_findings")
    kind = body.get("kind")
    if kind not in DECISIONS:
        raise InvalidInput(f"kind is one of {', '.join(DECISIONS)}", "kind")
    decision: dict[str, Any] = {"kind": kind, "note": str(body.get("note") or ""),
                                "decided_on": day(body.get("decided_on"), "decided_on", today, today).isoformat(),
                                "document_id": _document(body.get("document_id"), documents, "document_id")}
    raw = body.get("amount")
    if kind in MONEY_DECISIONS:
        if raw in (None, ""):
            raise InvalidInput(f"a decision to {kind} states its amount", "amount", code="decision_amount_required")
        amount = parse_amount(raw, "amount", minimum=ZERO)
        if amount <= ZERO:
            raise InvalidInput(f"a decision to {kind} states an amount above zero", "amount",
                               code="decision_amount_required")
        if kind == RECOVER:
            sums = totals(case)
            if sums["to_recover"] + amount > sums["found"]:
                raise InvalidInput(f"{fmt(sums['to_recover'] + amount)} decided to be recovered in all is more than "
                                   f"the {fmt(sums['found'])} the findings put in question", "amount",
                                   code="recovery_above_findings",
                                   params={"found": fmt(sums["found"]), "decided": fmt(sums["to_recover"])})
        decision["amount"] = fmt(amount)
    elif raw not in (None, ""):
        raise InvalidInput(f"a decision of kind {kind} carries no amount", "amount")
    dated = DATED_DECISIONS.get(kind)
    if dated:
        value = body.get(dated)
        if value in (None, ""):
            raise InvalidInput(f"a decision of kind {kind} states {dated}", dated)
        try:
            decision[dated] = (value if isinstance(value, date) else date.fromisoformat(str(value))).isoformat()
        except ValueError:
            raise InvalidInput(f"{dated} is not a date (YYYY-MM-DD): {value!r}", dated) from None
    return decision


def check_recovery(case: Mapping[str, Any], body: Mapping[str, Any], documents: set[str],
                   today: date) -> dict[str, Any]:
    """追回: an amount above zero, the day it was received, its receipt (a document of the case); in all at most what
    was decided to be recovered."""
    check_action(case["state"], RECOVER)
    sums = totals(case)
    if sums["to_recover"] <= ZERO:
        raise Conflict("no decision to recover was made in this case", "amount", code="recovery_without_decision")
    amount = parse_amount(body.get("amount"), "amount", minimum=ZERO)
    if amount <= ZERO:
        raise InvalidInput("a recovery is an amount above zero", "amount", code="invalid_amount")
    if sums["recovered"] + amount > sums["to_recover"]:
        raise InvalidInput(f"{fmt(amount)} more would make {fmt(sums['recovered'] + amount)} recovered, above the "
                           f"{fmt(sums['to_recover'])} decided", "amount", code="recovery_above_decided",
                           params={"outstanding": fmt(sums["outstanding"])})
    return {"amount": fmt(amount),
            "recovered_on": day(body.get("recovered_on"), "recovered_on", today).isoformat(),
            "receipt_document_id": _document(body.get("receipt_document_id"), documents, "receipt_document_id",
                                             required=True),
            "note": str(body.get("note") or "")}


def closing_outcome(case: Mapping[str, Any]) -> str:
    """结案: `no_violation` when nothing was found; `violation` once decided and fully recovered."""
    check_action(case["state"], CLOSE)
    if not case.get("findings"):
        return "no_violation"
    if case["state"] != DECIDED:
        raise Conflict("the case has findings but no decision (处理决定) yet", code="case_undecided")
    outstanding = totals(case)["outstanding"]
    if outstanding > ZERO:
        raise Conflict(f"{fmt(outstanding)} is still to be recovered", code="case_recovery_outstanding",
                       params={"outstanding": fmt(outstanding)})
    return "violation"


def findings_of_inspection(findings: Sequence[Mapping[str, Any]], catalogue: ViolationCatalogue, ended_on: str,
                           inspection_id: str) -> list[dict[str, Any]]:
    """An inspection's reported findings as the case's first findings (their codes checked against the catalogue;
    one the catalogue no longer has keeps its code with an empty name)."""
    out = []
    for f in findings:
        item = catalogue.items.get(str(f["code"]))
        out.append({"code": str(f["code"]), "name": item.name if item else "", "group": item.group if item else "",
                    "amount": fmt(Decimal(str(f.get("amount") or "0"))),
                    "catalogue_version": str(f.get("catalogue_version") or catalogue.version),
                    "description": str(f.get("description") or ""), "document_ids": [],
                    "found_on": ended_on, "inspection_id": inspection_id,
                    "inspection_finding_id": str(f.get("finding_id") or "")})
    return out
