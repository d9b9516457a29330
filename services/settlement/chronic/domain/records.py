"""Between the stored documents and the pure domain: year accounts in integer fen, holdings, views.

No benefit rule lives here: amounts are only converted, and holdings only filtered by the dates the events gave
(a qualification counts for claims dated before its revocation)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from chassis.money import fmt, from_fen, to_fen
from chassis.reasons import Reason
from services.settlement.chronic.domain.benefits import ClaimResult, Holding, YearAccount
from services.settlement.policies.domain.policy import Policy

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def statement_id(institution: str, month: str) -> str:
    """One statement per institution per month, e.g. `H61070200001-2025-06`."""
    return f"{institution}-{month}"


def institution_of_statement(sid: str) -> str:
    return sid[:-8]  # "<institution>-YYYY-MM"


def claim_key(institution: str, claim_id: str) -> str:
    """Claim ids are the institution's own (two institutions may use the same one); a claim is unique within its
    statement (the institution's month)."""
    return f"{institution}|{claim_id}"


# ---- year accounts ------------------------------------------------------------------------------------------


def account_from_doc(year: int, doc: dict[str, Any] | None) -> YearAccount:
    if not doc:
        return YearAccount(year)
    return YearAccount(
        year=year,
        deductible_used=from_fen(doc.get("deductible_used_fen", 0)),
        capped_paid=from_fen(doc.get("capped_paid_fen", 0)),
        uncapped_paid=from_fen(doc.get("uncapped_paid_fen", 0)),
        monthly_capped_paid=tuple(from_fen(f) for f in doc.get("monthly_capped_paid_fen", [0] * 12)),
    )


def account_to_doc(account: YearAccount, paid_by_disease: dict[str, int]) -> dict[str, Any]:
    return {
        "year": account.year,
        "deductible_used_fen": to_fen(account.deductible_used),
        "capped_paid_fen": to_fen(account.capped_paid),
        "uncapped_paid_fen": to_fen(account.uncapped_paid),
        "monthly_capped_paid_fen": [to_fen(m) for m in account.monthly_capped_paid],
        # Bookkeeping for the per-disease view: the sum of line payables by the line's disease.
        "paid_by_disease_fen": dict(paid_by_disease),
    }


# ---- holdings -----------------------------------------------------------------------------------------------


def holding_doc(qualification_id: str, disease: str, granted_on: str, benefit_start: str = "",
                revoked_on: str | None = None, source: str = "", review_due: str = "",
                insutype: str = "") -> dict[str, Any]:
    """A held qualification as settlement keeps it. `review_due` (empty: none) and `lapses` ([{due, resumed_on}],
    re-reviews passed late) decide the days not covered for want of a re-review; `insutype` (310/390, from 1101)
    splits the statement's reconciliation with the provincial platform."""
    return {"qualification_id": qualification_id, "disease": disease, "granted_on": granted_on,
            "benefit_start": benefit_start, "revoked_on": revoked_on, "source": source, "review_due": review_due,
            "lapses": [], "insutype": insutype}


def _holding(h: dict[str, Any]) -> Holding:
    due = h.get("review_due") or ""
    lapses = tuple((date.fromisoformat(x["due"]), date.fromisoformat(x["resumed_on"])) for x in h.get("lapses") or ())
    return Holding(h["disease"], date.fromisoformat(h["granted_on"]), date.fromisoformat(due) if due else None,
                   lapses)


def holdings_on(docs: Iterable[dict[str, Any]], on: date, policy: Policy) -> tuple[Holding, ...]:
    """The qualifications in force on `on` (granted, not yet revoked) for diseases the policy lists."""
    out = []
    for h in docs:
        revoked = h.get("revoked_on")
        if revoked and on >= date.fromisoformat(revoked):
            continue
        if h["disease"] in policy.diseases:
            out.append(_holding(h))
    return tuple(sorted(out, key=lambda x: (x.disease, x.granted_on)))


# ---- claim results ------------------------------------------------------------------------------------------


def stored_reasons(reasons: Sequence[Reason]) -> list[str]:
    """A line's reasons as stored beside its sentences: one compact JSON object per reason (code, detail, params) —
    strings, so that a claim line stays a flat document (FerretDB writes those fastest)."""
    return [json.dumps(r.to_json(), ensure_ascii=False, separators=(",", ":")) for r in reasons]


def reason_codes(line: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored line's reasons as data: `[{"code", "detail", "params"}]` (lines stored before reasons were data
    carry none)."""
    return [json.loads(r) for r in line.get("reason_codes") or ()]


@dataclass(frozen=True)
class LineIn:
    """One claimed line as uploaded or sent for real-time settlement (already validated)."""

    n: int                 # position in the upload (1-based), for error messages
    claim_id: str
    line: int              # the line's number within its claim (feedetl_sn), 1-based
    person_id: str
    date: date
    disease: str
    amount: Decimal
    covered: bool
    item_code: str = ""
    description: str = ""
    quantity: Decimal = Decimal(1)        # 数量 (smart review)
    unit_price: Decimal | None = None     # 单价; None: the amount is the price of one
    days_supply: int | None = None        # 用药天数, a drug line's

    @property
    def price(self) -> Decimal:
        return self.amount if self.unit_price is None else self.unit_price


def line_review_fields(ln: LineIn) -> dict[str, Any]:
    """What smart review reads of a line, stored beside it (only when it differs from the defaults: a line of one
    item priced at its amount stays as small as before)."""
    out: dict[str, Any] = {}
    if ln.quantity != 1 or (ln.unit_price is not None and ln.unit_price != ln.amount):
        out["quantity"] = str(ln.quantity)
        out["unit_price"] = str(ln.price)
    if ln.days_supply is not None:
        out["days_supply"] = ln.days_supply
    return out


REVIEW_LINE_FIELDS = ("quantity", "unit_price", "days_supply")


def claim_doc(institution: str, month: str, lines: Sequence[LineIn], result: ClaimResult, policy_version: str,
              source: str, batch_id: str) -> dict[str, Any]:
    """The stored claim (in its statement's collection, which names the institution and the month; the patient's
    share of a line is its amount less what the fund and the deductible took)."""
    first = lines[0]
    claimed = sum((ln.amount for ln in lines), Decimal(0))
    return {
        "_id": claim_key(institution, first.claim_id), "claim_id": first.claim_id, "person_id": first.person_id,
        "date": first.date.isoformat(), "batch_id": batch_id, "source": source, "policy_version": policy_version,
        "claimed_fen": to_fen(claimed), "payable_fen": to_fen(result.payable), "line_count": len(lines),
        "lines": [
            {"line": ln.line, "disease": ln.disease, "amount_fen": to_fen(ln.amount), "covered": ln.covered,
             "item_code": ln.item_code, "description": ln.description, "payable_fen": to_fen(r.payable),
             "deductible_fen": to_fen(r.deductible), "reasons": list(r.reasons),
             "reason_codes": stored_reasons(r.reason_codes), **line_review_fields(ln)}
            for ln, r in zip(lines, result.lines, strict=True)
        ],
    }


def claim_view(doc: dict[str, Any]) -> dict[str, Any]:
    claimed, payable = doc["claimed_fen"], doc["payable_fen"]
    institution, month = doc["_id"].split("|", 1)[0], doc["date"][:7]
    return {
        "claim_id": doc["claim_id"], "institution_code": institution, "person_id": doc["person_id"],
        "date": doc["date"], "month": month, "statement_id": statement_id(institution, month),
        "batch_id": doc.get("batch_id", ""), "source": doc.get("source", ""),
        "policy_version": doc["policy_version"], "claimed": fmt(from_fen(claimed)),
        "payable": fmt(from_fen(payable)), "patient_pays": fmt(from_fen(claimed - payable)),
        "lines": [
            {"line": ln["line"], "disease": ln["disease"], "amount": fmt(from_fen(ln["amount_fen"])),
             "covered": ln["covered"], "item_code": ln["item_code"], "description": ln["description"],
             "payable": fmt(from_fen(ln["payable_fen"])), "deductible": fmt(from_fen(ln["deductible_fen"])),
             "patient_share": fmt(from_fen(ln["amount_fen"] - ln["payable_fen"] - ln["deductible_fen"])),
             "reasons": ln["reasons"], "reason_codes": reason_codes(ln),
             "quantity": ln.get("quantity", "1"), "unit_price": ln.get("unit_price") or fmt(from_fen(ln["amount_fen"])),
             **({"days_supply": ln["days_supply"]} if ln.get("days_supply") is not None else {}),
             **({"review": ln["review"]} if ln.get("review") else {})}
            for ln in doc["lines"]
        ],
    }


def settle_view(doc: dict[str, Any]) -> dict[str, Any]:
    """What the counter needs (即时结算): the fund's part, the patient's part, each line's reasons."""
    claimed, payable = doc["claimed_fen"], doc["payable_fen"]
    return {
        "claim_id": doc["claim_id"], "person_id": doc["person_id"], "date": doc["date"],
        "statement_id": statement_id(doc["_id"].split("|", 1)[0], doc["date"][:7]), "payable": fmt(from_fen(payable)),
        "patient_pays": fmt(from_fen(claimed - payable)), "policy_version": doc["policy_version"],
        "lines": [{"line": ln["line"], "payable": fmt(from_fen(ln["payable_fen"])), "reasons": ln["reasons"],
                   "reason_codes": reason_codes(ln)} for ln in doc["lines"]],
    }


LINE_CLAIM_FIELDS = ("claim_id", "person_id", "date", "batch_id", "source", "policy_version")


def to_line_docs(claim: dict[str, Any]) -> list[dict[str, Any]]:
    """How a claim is stored: one flat document per line (`<claim key>|<line>`), carrying the claim's fields.
    FerretDB writes flat documents several times faster than documents with arrays of sub-documents."""
    head = {k: claim[k] for k in LINE_CLAIM_FIELDS}
    return [{"_id": f"{claim['_id']}|{ln['line']}", **head, **ln} for ln in claim["lines"]]


def claims_from_lines(docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored lines back into claims (in the order of their first line), as `claim_doc` builds them."""
    claims: dict[str, dict[str, Any]] = {}
    for d in docs:
        key = d["_id"].rsplit("|", 1)[0]
        claim = claims.get(key)
        if claim is None:
            claim = claims[key] = {"_id": key, **{k: d.get(k, "") for k in LINE_CLAIM_FIELDS}, "claimed_fen": 0,
                                   "payable_fen": 0, "line_count": 0, "lines": []}
        claim["claimed_fen"] += d["amount_fen"]
        claim["payable_fen"] += d["payable_fen"]
        claim["line_count"] += 1
        claim["lines"].append({**{k: d[k] for k in ("line", "disease", "amount_fen", "covered", "item_code",
                                                    "description", "payable_fen", "deductible_fen", "reasons")},
                               "reason_codes": list(d.get("reason_codes") or []),
                               **{k: d[k] for k in REVIEW_LINE_FIELDS if d.get(k) is not None}})
    for claim in claims.values():
        claim["lines"].sort(key=lambda ln: ln["line"])
    return list(claims.values())


def add_paid_by_disease(paid: dict[str, int], docs: Sequence[dict[str, Any]]) -> dict[str, int]:
    out = dict(paid)
    for d in docs:
        for ln in d["lines"]:
            if ln["payable_fen"]:
                out[ln["disease"]] = out.get(ln["disease"], 0) + ln["payable_fen"]
    return out


def yuan(fen: int) -> str:
    return fmt(from_fen(fen))
