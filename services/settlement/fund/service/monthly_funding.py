"""Monthly funding by actual spending (按月据实拨付), program.yaml `finance.funding: monthly_actual` (Xunyang:
"区医保部门按门诊特殊慢性病实际发生费用，按月据实拨付承办方"; "根据当月门诊特殊慢性病支出为基数，划拨至经办商保公司").

No budget shares and no 25% / 60% allocations: the agency reimburses, month by month, what each carrier's dedicated
account actually paid out. An allocation of month M (`kind: monthly_actual`, `month: "YYYY-MM"`) equals the payments
booked in the account-year's books with a value date in M (reversed payments left out), less what was already
reimbursed for M — so a late payment of M is reimbursed by a second allocation of the difference. The amount may be
left out (it is computed) or given (it must equal the computation, else 422 `allocation_not_actual`).

(choice) Before the month's reimbursement arrives, a payment is made from the carrier's own float, booked as an
advance (垫付, POST /v1/fund/advances): the account is never overdrawn (`InsufficientFunds` as for every program), and
the carrier repays its advance from the reimbursement (POST /v1/fund/advances/{id}/repayments)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.money import from_fen
from chassis.programs import Program
from chassis.reasons import Reason
from services.settlement.fund.domain import ledger as lg
from services.settlement.fund.domain.reasons import REASONS
from services.settlement.fund.service import account as fd

MONTHLY_ACTUAL = "monthly_actual"
KIND = "monthly_actual"
NOT_ACTUAL = "allocation_not_actual"       # reason code: the amount is not the month's actual spending
NOTHING_DUE = "nothing_to_reimburse"       # reason code: the month's payments are reimbursed already (or none)
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def is_monthly_actual(program: Program) -> bool:
    return str(fd.finance_of(program).get("funding", "")) == MONTHLY_ACTUAL


def parse_month(value: Any) -> str:
    if not isinstance(value, str) or not _MONTH.match(value):
        raise InvalidInput(f"month must be YYYY-MM, the month whose payments are reimbursed, got {value!r}", "month")
    return value


@dataclass(frozen=True)
class MonthDue:
    """One account's month: payments booked, already reimbursed, and what is still due."""

    paid: Decimal
    reimbursed: Decimal

    @property
    def due(self) -> Decimal:
        return self.paid - self.reimbursed


def month_due(docs: list[dict[str, Any]], month: str, excluding: str = "") -> MonthDue:
    """From the account-year's entry documents: payments with a value date in `month` (not reversed) and the
    monthly allocations already made for it (not reversed; `excluding` an allocation id being replayed)."""
    reversed_ids = {d.get("reverses") for d in docs if d.get("reverses")}
    live = [d for d in docs if d["_id"] not in reversed_ids]
    paid = sum((from_fen(d["amount_fen"]) for d in live if d["kind"] == "payment" and d["date"][:7] == month),
               lg.ZERO)
    reimbursed = sum((from_fen(d["amount_fen"]) for d in live if d["kind"] == "allocation"
                      and d.get("allocation_month") == month and d.get("allocation_id") != excluding), lg.ZERO)
    return MonthDue(paid, reimbursed)


def check_amount(month: str, dues: dict[str, MonthDue], amount: Decimal | None) -> tuple[dict[str, Decimal], str]:
    """Each account's part (only those with something due) and the reason (its sentence); refused when nothing is
    due or the amount given is not the month's actual spending."""
    parts, reason = month_parts(month, dues, amount)
    return parts, str(reason)


def month_parts(month: str, dues: dict[str, MonthDue], amount: Decimal | None
                ) -> tuple[dict[str, Decimal], Reason]:
    """`check_amount` with the reason as data (code `monthly_actual`)."""
    parts = {t: d.due for t, d in dues.items() if d.due > 0}
    total = sum(parts.values(), lg.ZERO)
    paid = sum((d.paid for d in dues.values()), lg.ZERO)
    reimbursed = sum((d.reimbursed for d in dues.values()), lg.ZERO)
    if total <= 0:
        raise Conflict(f"{NOTHING_DUE}: payments booked in {month} come to {paid:.2f} and {reimbursed:.2f} is "
                       "reimbursed already: nothing is due", "month", code=NOTHING_DUE)
    if amount is not None and amount != total:
        raise InvalidInput(f"{NOT_ACTUAL}: a monthly allocation reimburses the month's actual payments: {month} "
                           f"payments {paid:.2f} − reimbursed {reimbursed:.2f} = {total:.2f}, not {amount:.2f}",
                           "amount", code=NOT_ACTUAL)
    reason = REASONS.reason(KIND, f"payments booked in {month} {paid:.2f} − already reimbursed {reimbursed:.2f} = "
                                  f"{total:.2f} (按月据实拨付)",
                            month=month, paid=f"{paid:.2f}", reimbursed=f"{reimbursed:.2f}", due=f"{total:.2f}")
    return parts, reason


async def allocate_monthly(fund: fd.Fund, program: Program, targets: tuple[str, ...], allocation_id: str, year: int,
                           month: str, amount: Decimal | None, day: date, who: str) -> dict[str, Any]:
    """The agency reimburses month `month` into every served carrier's account of the program, each its own
    spending. Idempotent by allocation id (the same id with another month or amount is a 409)."""
    if day < date(int(month[:4]), int(month[5:7]), 1):
        raise InvalidInput(f"a reimbursement of {month} is dated in or after that month, not {day}", "date")
    members = [(t.tenant, t.share) for t in program.tenants if t.tenant in targets]
    if not members:
        raise NotFound(f"no carrier of {program.code} is served here")
    keys = [fd.account_lock(t, program.code, year) for t, _ in members]
    async with fd.LOCKS.hold(*keys):
        docs = {t: await fund.store(t).entry_docs(program.code, year) for t, _ in members}
        earlier = [d for t in docs for d in docs[t] if d.get("allocation_id") == allocation_id]
        if earlier:  # a replay: the same request answers the same entries
            total = sum((from_fen(d["amount_fen"]) for d in earlier), lg.ZERO)
            if any(d.get("allocation_month") != month for d in earlier) or (amount is not None and amount != total):
                raise Conflict(f"allocation id {allocation_id} was already used for another month or amount", "id")
            return {"allocation_id": allocation_id, "program": program.code, "year": year, "kind": KIND,
                    "month": month, "amount": f"{total:.2f}", "reason": earlier[0].get("reason", ""),
                    "reason_codes": earlier[0].get("reason_codes", []), "replayed": True,
                    "entries": [{**fd.entry_view(d), "created": False} for d in earlier]}
        dues = {t: month_due(docs[t], month) for t, _ in members}
        parts, why = month_parts(month, dues, amount)
        reason, reason_codes = str(why), [why.to_json()]
        total = sum(parts.values(), lg.ZERO)
        planned = []
        for t, share in members:
            if t not in parts:
                continue
            entry = lg.allocation(f"allocation:{allocation_id}", day, parts[t],
                                  f"按月据实拨付 {month} ({allocation_id})")
            _, existing = await fund._prepare(t, program.code, year, entry)
            planned.append((t, share, entry, existing))
        out = []
        for t, share, entry, existing in planned:  # all checked: now write
            extra = {"allocation_id": allocation_id, "allocation_kind": KIND, "allocation_month": month,
                     "program_amount": f"{total:.2f}", "expected_amount": f"{parts[t]:.2f}", "share": str(share),
                     "reason": reason, "reason_codes": reason_codes, "month_paid": f"{dues[t].paid:.2f}",
                     "month_reimbursed_before": f"{dues[t].reimbursed:.2f}"}
            posted = fd.Posted(existing, False) if existing is not None else await fund._post_locked(
                t, program.code, year, entry, who, extra)
            out.append({**fd.entry_view(posted.doc), "created": posted.created})
    return {"allocation_id": allocation_id, "program": program.code, "year": year, "kind": KIND, "month": month,
            "amount": f"{total:.2f}", "reason": reason, "reason_codes": reason_codes, "replayed": False,
            "entries": out}


async def months(fund: fd.Fund, tenant: str, program: Program, year: int) -> list[dict[str, Any]]:
    """Per month of the account-year: payments booked, reimbursed, still due (the agency's worklist)."""
    docs = await fund.store(tenant).entry_docs(program.code, year)
    seen = sorted({d["date"][:7] for d in docs if d["kind"] == "payment"}
                  | {d["allocation_month"] for d in docs if d.get("allocation_month")})
    rows = []
    for m in seen:
        d = month_due(docs, m)
        rows.append({"month": m, "paid": f"{d.paid:.2f}", "reimbursed": f"{d.reimbursed:.2f}", "due": f"{d.due:.2f}"})
    return rows
