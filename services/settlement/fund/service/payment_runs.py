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
from collections.abc import Awaitable, Callable, Sequence

from chassis.errors import Conflict
from services.settlement.fund.domain.payment_runs import (  # noqa: F401  (what the rooms paying runs use)
    MAX_IDS,
    NO_BANK_ACCOUNT,
    NOT_RECONCILED,
    PAYMENT_ISSUED,
    PAYMENT_MARKED_PAID,
    RECOVERY_ACTOR,
    RunRequest,
    RunResult,
    parse_run,
    sort_statements,
)

PendingIds = Callable[[list[str]], Awaitable[list[str]]]


async def drained(pending: PendingIds, ids: Sequence[str], kick: Callable[[], None],
                  timeout_s: float | None = None) -> None:
    """Before changing documents that carry events, let the relay publish and remove their pending ones (on
    FerretDB the relay's `$pullAll` and our update would otherwise race: an update is not atomic there) — for a
    whole run at once: one look for the run's documents still pending, the relay kicked once per look.

    `pending(ids)` answers which of the ids still carry events (a store's query)."""
    if not ids:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (timeout_s if timeout_s is not None else 10.0 + 0.05 * len(ids))
    wanted = sorted(set(ids))
    while True:
        still = sorted(await pending(wanted))
        if not still:
            return
        if loop.time() > deadline:
            raise Conflict(f"{len(still)} document(s) still have events not yet published (first {still[0]}); "
                           "nothing was written; try again shortly")
        kick()
        await asyncio.sleep(0.02)
        wanted = still
