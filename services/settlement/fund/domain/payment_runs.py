"""Payment runs (批量支付), the pure part: which items a run pays (the request, each field checked and named), how a
run sorts its statements, and what it answers (see service/payment_runs.py for the writes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chassis.errors import Conflict, InvalidInput

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:|~\-]{0,127}$")  # `~`: a critical claim's institution namespace
MAX_IDS = 5000

# Reasons a run leaves something unpaid (stable codes, shown with the item).
NOT_RECONCILED = "not_reconciled"      # a statement not (yet) reconciled and balanced with the platform
NO_BANK_ACCOUNT = "no_bank_account"    # a payable to a person with no bank account known: pay it alone, giving one

# Finishing a payment a crash cut short (recovery.py: when settlement starts again), what was done (stable codes).
RECOVERY_ACTOR = "settlement-recovery"      # who finishes it when nobody's name was recorded
PAYMENT_MARKED_PAID = "payment_marked_paid"  # the instruction was stored: the statement (payable) is marked paid
PAYMENT_ISSUED = "payment_issued"            # only the entry was booked: the instruction is issued, then marked


@dataclass(frozen=True)
class RunRequest:
    """Which items a run pays: every one of a month, or those named."""

    month: str | None = None
    statement_ids: tuple[str, ...] = ()
    payable_ids: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.month is not None:
            return f"the payment run of {self.month}"
        return f"the payment run of {len(self.statement_ids) + len(self.payable_ids)} named item(s)"


def _ids(data: dict[str, Any], key: str) -> tuple[str, ...]:
    raw = data.get(key)
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(f"{key} must be a non-empty list of ids", key)
    if len(raw) > MAX_IDS:
        raise InvalidInput(f"at most {MAX_IDS} ids per run", key)
    seen: set[str] = set()
    for i, value in enumerate(raw):
        if not isinstance(value, str) or not ID_RE.match(value):
            raise InvalidInput(f"{key}[{i}] is not an id: {value!r}", f"{key}[{i}]")
        if value in seen:
            raise InvalidInput(f"{key}[{i}]: {value} is named twice", f"{key}[{i}]")
        seen.add(value)
    return tuple(raw)


def parse_run(data: Any, payables: bool) -> RunRequest:
    """`{"month": "YYYY-MM"}`, or `{"statement_ids": [...]}` (and, where persons are paid, `"payable_ids"`): one or
    the other, each field checked and named when wrong."""
    if not isinstance(data, dict):
        raise InvalidInput("body must be an object: {\"month\": \"YYYY-MM\"} or {\"statement_ids\": [...]}", "body")
    allowed = {"month", "statement_ids", *(("payable_ids",) if payables else ())}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}; a run takes {', '.join(sorted(allowed))}", unknown[0])
    statement_ids = _ids(data, "statement_ids")
    payable_ids = _ids(data, "payable_ids") if payables else ()
    month = data.get("month")
    if month is None:
        if not statement_ids and not payable_ids:
            raise InvalidInput("give the month to pay (YYYY-MM), or the ids of what to pay", "month")
        return RunRequest(None, statement_ids, payable_ids)
    if not isinstance(month, str) or not MONTH_RE.match(month):
        raise InvalidInput(f"month must be YYYY-MM, got {month!r}", "month")
    if statement_ids or payable_ids:
        raise InvalidInput("give the month or the ids of what to pay, not both",
                           "statement_ids" if statement_ids else "payable_ids")
    return RunRequest(month)


@dataclass
class RunResult:
    """What a run did: paid now, found paid already (or finished now after a crash), left unpaid and why."""

    request: RunRequest
    paid: list[dict[str, Any]] = field(default_factory=list)
    already_paid: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    amount_fen: int = 0
    entries: int = 0

    def view(self, yuan: Callable[[int], str]) -> dict[str, Any]:
        return {"month": self.request.month, "paid": self.paid, "count": len(self.paid),
                "amount": yuan(self.amount_fen), "entries_posted": self.entries,
                "already_paid": sorted(self.already_paid), "skipped": self.skipped, "replayed": not self.paid}


def sort_statements(docs: Sequence[dict[str, Any]], paid_ids: set[str] | dict[str, Any], run: RunRequest,
                    result: RunResult) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read under the statements' locks: (due, finish) — reconciled statements to pay, and those whose payment was
    stored before a crash and only need marking. Paid ones are listed as already paid; a named statement that is
    not reconciled stops the run (409 naming it), a month run skips it with its reason."""
    due: list[dict[str, Any]] = []
    finish: list[dict[str, Any]] = []
    for d in docs:
        if d["status"] == "paid":
            result.already_paid.append(d["_id"])
        elif d["status"] != "reconciled":
            if run.month is None:
                raise Conflict(f"statement {d['_id']} is {d['status']}: it must be closed and reconciled "
                               "(balanced) with the provincial platform before payment; nothing was written",
                               f"statement_ids[{run.statement_ids.index(d['_id'])}]")
            result.skipped.append({"id": d["_id"], "status": d["status"], "reason": NOT_RECONCILED})
        elif f"PAY-{d['_id']}" in paid_ids:  # paid, not yet marked (a crash): finish it
            finish.append(d)
            result.already_paid.append(d["_id"])
        else:
            due.append(d)
    return due, finish
