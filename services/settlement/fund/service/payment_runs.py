"""Payment runs (批量支付): finance pays a month of reconciled statements at once, chronic
(statements.py `pay_run`) and critical illness (critical_statements.py `CriticalStatements.pay_run`, with the
month's payables to persons). What the two share: the request, the one wait for the relay, the inserts a retry
finds done, and the answer.

A run is all or nothing where money is concerned: its ledger entries are posted as one batch (`fund.post_payments`,
`Fund.post_many`), refused whole with 409 `InsufficientFunds` naming the run's shortfall before anything is written.
It is idempotent: a retry pays only what is not yet paid (and finishes what a crash cut short); the payment ids and
event ids are those of the single-statement endpoints, so a statement is paid once whichever way it is paid."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import BulkWriteError

from chassis.errors import Conflict, InvalidInput

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:|\-]{0,127}$")
MAX_IDS = 5000
DUPLICATE_KEY = 11000

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


async def drained(collection: Any, ids: Sequence[str], kick: Callable[[], None], timeout_s: float | None = None
                  ) -> None:
    """Before changing documents that carry events, let the relay publish and remove their pending ones (on
    FerretDB the relay's `$pullAll` and our update would otherwise race: an update is not atomic there) — for a
    whole run at once: one query for the run's documents still pending, the relay kicked once per look."""
    if not ids:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (timeout_s if timeout_s is not None else 10.0 + 0.05 * len(ids))
    wanted = sorted(set(ids))
    while True:
        pending: list[str] = []
        for start in range(0, len(wanted), 1000):
            docs = await collection.find({"_id": {"$in": wanted[start:start + 1000]},
                                          "_outbox_pending": {"$gt": 0}}, {"_id": 1}).to_list(None)
            pending += [d["_id"] for d in docs]
        if not pending:
            return
        if loop.time() > deadline:
            raise Conflict(f"{len(pending)} document(s) still have events not yet published (first {pending[0]}); "
                           "nothing was written; try again shortly")
        kick()
        await asyncio.sleep(0.02)
        wanted = sorted(pending)


async def insert_new(collection: Any, docs: Sequence[dict[str, Any]]) -> None:
    """Insert documents keyed by their ids; those already there (a retry after a crash) are left as they are."""
    if not docs:
        return
    try:
        await collection.insert_many(list(docs), ordered=False)
    except BulkWriteError as exc:
        others = [e for e in exc.details.get("writeErrors", []) if e.get("code") != DUPLICATE_KEY]
        if others:
            raise
