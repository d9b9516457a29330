"""Recovery without a person (自动恢复): what a crash of settlement left half-done is finished when it starts again.

Settlement's multi-step flows write in an order that a retry of the same request finishes (no transactions on
FerretDB 1.x; see engine.py, statements.py, critical_statements.py, fund.py). This is that retry, made by the service
itself when it starts, for every state a crash leaves behind that still says what was asked:
- a chronic statement `closing` (statements.close): closed, in the name of whoever began closing it;
- a critical illness statement `closing` (one close, or a closing run): closed likewise;
- a batch finished but still registered on its statement (a crash between the two writes): taken off it. A batch
  interrupted half-way cannot be finished without its file: its lease died with its process (instances.py), it shows
  `interrupted`, and sending it again resumes it at once;
- a payment (one, or in a payment run) booked in the dedicated account but not issued, or issued but its statement
  or payable not marked paid: finished (`payment_issued`, `payment_marked_paid`);
- a year end (年度决算) begun: finished from the request it kept (fund/service/year_end.py `finish_year_close`);
- an allocation (基金拨付) split between carriers, posted to some of their books: the others' shares posted
  (fund.unfinished_allocations);
- critical illness claims applied to their accounts but not yet on a statement or payable, selected claims whose
  review was not opened, completed reviews whose recovery was not booked (CriticalService.finish_settled).

Every step is idempotent — ids derive from the request, ledger entries are found by id before anything is posted, a
step re-reads its state under the same in-process lock as the request it finishes — so a second pass, or a person
retrying the same request meanwhile, pays nothing twice.

It runs in the background once the doors are open (closing waits for the relay to publish a statement's earlier
events, so the relay must be running), one pass over the tenants served. A pass that meets a failure other than a
domain refusal (the store away, typically) is tried again with backoff for as long as it takes: a store unreachable
at start never stops the process. Work the domain refuses is logged with its code and tried again on the next passes
(for REFUSED_HORIZON_S), then left for a person — who finishes it by sending the same request again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from chassis.errors import JingbanError, NotFound, is_transient
from chassis.programs import Program, program_of_tenant
from services.settlement.chronic.service import statements as stm
from services.settlement.chronic.service.settler import Settler
from services.settlement.critical.service import claims as ci
from services.settlement.fund.service import account as fd
from services.settlement.fund.service import year_end as fund_year_end
from services.settlement.fund.service.payment_runs import RECOVERY_ACTOR

log = logging.getLogger(__name__)

RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0
# Refused work is tried again this long (a refusal may pass: e.g. a statement's earlier events not yet published while
# the broker is away), then left for a person.
REFUSED_HORIZON_S = 600.0

# What recovery finished (stable codes: logged, and kept in `Recovery.finished`).
STATEMENT_CLOSED = "statement_closed"
CRITICAL_STATEMENT_CLOSED = "critical_statement_closed"
BATCH_UNREGISTERED = "batch_unregistered"
YEAR_CLOSED = "year_closed"
ALLOCATION_SPLIT = "allocation_split"   # an allocation's missing shares posted to the other carriers' books
# ... and why it could not (with the error's own message in the log).
REFUSED = "recovery_refused"      # the domain refused the step: a person's retry of the request is needed
FAILED = "recovery_failed"        # anything else (the store away): the pass is tried again with backoff


@dataclass
class Pass:
    finished: list[tuple[str, str, str]] = field(default_factory=list)        # (tenant, code, id)
    refused: list[tuple[str, str, str, str]] = field(default_factory=list)    # (tenant, step, id, error)
    failed: bool = False


class Recovery:
    def __init__(self, tenants: tuple[str, ...], settler: Settler, critical: ci.CriticalService, ledger: fd.Fund
                 ) -> None:
        self.tenants = tenants
        self.settler = settler
        self.critical = critical
        self.ledger = ledger
        self.finished: list[tuple[str, str, str]] = []   # everything finished since the start
        self.left: list[tuple[str, str, str, str]] = []  # refused work left for a person after the last pass
        self.done = asyncio.Event()                      # set once a pass completed (refusals aside)

    async def run(self) -> None:
        """Passes until one completes, with backoff while the store (or anything else) fails; then parks, since the
        host's watchdog starts again a loop that returns."""
        loop = asyncio.get_running_loop()
        delay, give_up_at = RETRY_FIRST_S, loop.time() + REFUSED_HORIZON_S
        while True:
            result = await self.pass_once()
            self.finished += result.finished
            self.left = result.refused
            if not result.failed and (not result.refused or loop.time() > give_up_at):
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
        for tenant, step, item, error in self.left:  # the error's name only: its message may name a person
            log.warning("%s: %s %s of %s left for a person (%s)", REFUSED, step, item, tenant, error.split(":")[0])
        self.done.set()
        await asyncio.Event().wait()

    async def pass_once(self) -> Pass:
        result = Pass()
        for tenant in self.tenants:
            try:
                await self._tenant(tenant, result)
            except Exception as exc:  # the store away (or a bug): the whole pass again, later
                self._failed(result, tenant, exc)
        for program in _split_programs(self.tenants):
            try:
                await self._allocations(program, result)
            except Exception as exc:
                self._failed(result, program.code, exc)
        return result

    @staticmethod
    def _failed(result: Pass, where: str, exc: Exception) -> None:
        # The error's name only: a driver's message may quote a document's key (a person's id).
        log.warning("%s for %s (%s, transient: %s); trying again", FAILED, where, type(exc).__name__,
                    is_transient(exc))
        result.failed = True

    async def _allocations(self, program: Program, result: Pass) -> None:
        """An allocation split between the carriers served here, posted to some before a crash: the others' shares."""
        for entry in await fd.unfinished_allocations(self.ledger, program, self.tenants):
            async def finish(entry: dict[str, Any] = entry) -> str | None:
                await fd.finish_allocation(self.ledger, program, self.tenants, entry)
                return ALLOCATION_SPLIT

            await self._step(result, program.code, "allocation", entry["allocation_id"], finish)

    async def _step(self, result: Pass, tenant: str, step: str, item: str,
                    work: Callable[[], Awaitable[str | None]]) -> None:
        """One item: finished (logged with its code), nothing to do (None), or refused by the domain (kept)."""
        try:
            code = await work()
        except JingbanError as exc:
            result.refused.append((tenant, step, item, f"{type(exc).__name__}: {exc.message}"))
            return
        if code:
            self._finished(result, tenant, code, item)

    @staticmethod
    def _finished(result: Pass, tenant: str, code: str, item: str) -> None:
        log.info("recovery: %s %s of %s", code, item, tenant)
        result.finished.append((tenant, code, item))

    async def _payments_begun(self, tenant: str, ids: list[str]) -> list[str]:
        """Of these critical illness statements (payables), those whose payment was begun: its instruction stored
        (`PAY-<id>`) or its entry booked (`payment:PAY-<id>`) — two reads per 1,000, rather than two per item."""
        begun: set[str] = set()
        for start in range(0, len(ids), 1000):
            part = ids[start:start + 1000]
            stored = await self.critical.finance.payments_stored(tenant, [f"PAY-{x}" for x in part])
            begun |= {p[len("PAY-"):] for p in stored}
            booked = await self.ledger.entry_heads(tenant, [f"payment:PAY-{x}" for x in part])
            begun |= {e[len("payment:PAY-"):] for e in booked}
        return [x for x in ids if x in begun]

    async def _tenant(self, tenant: str, result: Pass) -> None:
        await self._chronic(tenant, result)
        program = program_of_tenant(tenant)
        if program is not None and program.code == ci.PROGRAM:
            await self._critical(tenant, result)
        for request in await self.ledger.year_closings(tenant):
            async def finish_year(request: dict[str, Any] = request) -> str | None:
                finished = await fund_year_end.finish_year_close(self.ledger, request, self.tenants)
                return YEAR_CLOSED if finished else None

            await self._step(result, tenant, "year_end", request["_id"], finish_year)

    async def _chronic(self, tenant: str, result: Pass) -> None:
        settler = self.settler
        docs = await stm.unfinished(settler, tenant)
        for d in docs:
            sid = d["_id"]
            if d["status"] == "open" and d.get("active_batches"):
                async def unregister(sid: str = sid) -> str | None:
                    return BATCH_UNREGISTERED if await stm.unregister_finished_batches(settler, tenant, sid) else None

                await self._step(result, tenant, "batches", sid, unregister)
            elif d["status"] == "closing":
                async def close(sid: str = sid, who: str = d.get("closing_by") or RECOVERY_ACTOR) -> str | None:
                    if (await stm.find(settler, tenant, sid) or {}).get("status") != "closing":
                        return None  # finished meanwhile by a person's retry
                    await stm.close(settler, tenant, sid, who)
                    settler.kick()
                    return STATEMENT_CLOSED

                await self._step(result, tenant, "close", sid, close)
        reconciled = [d["_id"] for d in docs if d["status"] == "reconciled"]
        for sid in await stm.payments_begun(settler, tenant, reconciled):
            await self._step(result, tenant, "payment", sid,
                             lambda sid=sid: stm.finish_payment(settler, tenant, sid))

    async def _critical(self, tenant: str, result: Pass) -> None:
        finance = self.critical.finance
        docs, unpaid = await finance.left_half_done(tenant)
        for d in docs:
            if d["status"] == "closing":
                async def close(sid: str = d["_id"], who: str = d.get("closing_by") or RECOVERY_ACTOR) -> str | None:
                    try:
                        now = await finance.statement(tenant, sid, lines=False)
                    except NotFound:
                        return None
                    if now.get("status") != "closing":
                        return None
                    await finance.close(tenant, sid, who)
                    return CRITICAL_STATEMENT_CLOSED

                await self._step(result, tenant, "critical_close", d["_id"], close)
        reconciled = [d["_id"] for d in docs if d["status"] == "reconciled"]
        for sid in await self._payments_begun(tenant, reconciled):
            await self._step(result, tenant, "critical_payment", sid,
                             lambda sid=sid: finance.finish_payment(tenant, sid))
        for pid in await self._payments_begun(tenant, unpaid):
            await self._step(result, tenant, "person_payment", pid,
                             lambda pid=pid: finance.finish_payable(tenant, pid))

        try:
            done = await self.critical.finish_settled(tenant)
        except JingbanError as exc:
            result.refused.append((tenant, "critical_claims", tenant, f"{type(exc).__name__}: {exc.message}"))
            return
        for code, count in done.items():  # e.g. ("claims_placed", "3")
            if count:
                self._finished(result, tenant, code, str(count))


def _split_programs(tenants: tuple[str, ...]) -> list[Program]:
    """The programs with books whose allocations are split between several carriers served here."""
    programs: dict[str, Program] = {}
    for t in tenants:
        program = program_of_tenant(t)
        if program is not None and fd.finance_of(program) and \
                sum(1 for m in program.tenants if m.tenant in tenants) > 1:
            programs[program.code] = program
    return [programs[c] for c in sorted(programs)]
