"""Filing with the provincial platform (备案, 2503, with the person's insurance type from 1101), its renewal after a
passed re-review (2504 of the old period, 2503 of the new) and its revocation (2504): a worker moves each
qualification's `filing_status` on, retrying transport failures with backoff and keeping business
refusals visible (`rejected`, with the platform's message) for a clerk to act on.

Crash safety (the worker runs in the background from the service's start, so whatever is due is picked up again): a
request is marked sent (`filing_sent`: its step and time) before it leaves, and the answer recorded after. A crash
between the two leaves the platform holding what we asked — a filing (2503) or a revocation (2504) — while the case
still says pending. Sent again, the platform refuses it (a filing of that disease already stands; the filing is
revoked already): when the case says it was sent, the worker asks the platform (5301) what stands and adopts it — the
filing of the same disease and period (its serial), or the revoked filing gone — instead of leaving a refusal for a
clerk. A refusal of a request never sent before stays a refusal."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime
from typing import Any

from chassis.errors import is_transient
from chassis.events import derived_event_id, new_event
from chassis.host import ServiceContext
from chassis.policies import PolicyReader
from chassis.programs import load_program
from contracts.v1 import common_pb2, events_pb2
from services.appraisal.filing.domain.states import STEPS, MissingInsutype, after_transport_failure
from services.appraisal.filing.store import FilingStore

log = logging.getLogger(__name__)
IDLE_S = 30.0  # the longest wait between checks when nothing is due (a backoff is at most 300 s)


class FilingWorker:
    def __init__(self, ctx: ServiceContext, policies: PolicyReader, interval_s: float = 1.0) -> None:
        self._ctx, self._policies, self._interval = ctx, policies, interval_s
        self._wake = asyncio.Event()
        self._clients: dict[tuple[str, str], Any] = {}

    def kick(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """File what is due; woken at once by new work (`kick`), otherwise checking less often the longer
        nothing is due (1 s up to IDLE_S): an idle platform does not keep its store busy."""
        idle_s = self._interval
        while True:
            self._wake.clear()
            found = 0
            for tenant in self._ctx.settings.tenants:
                try:
                    found += await self.work(tenant)
                except Exception as exc:  # keep filing for other tenants and later passes
                    if is_transient(exc):
                        log.warning("filing pass for %s waits for the store: %s", tenant, type(exc).__name__)
                    else:
                        log.exception("filing pass failed for %s", tenant)
            idle_s = self._interval if found else min(idle_s * 2, IDLE_S)
            try:
                await asyncio.wait_for(self._wake.wait(), idle_s)
                idle_s = self._interval
            except TimeoutError:
                pass

    def _client(self, program_code: str, tenant: str) -> Any:
        """One client per carrier and program, so its sign-in (9001) session is reused."""
        from provincial.client import ProvincialClient

        key = (program_code, tenant)
        if key in self._clients:
            return self._clients[key]
        program = load_program(program_code)
        carrier = next(t for t in program.tenants if t.tenant == tenant)
        self._clients[key] = ProvincialClient(self._ctx.settings.provincial_url, carrier.fixmedins_code,
                                              carrier.name, f"appraisal-{tenant}", division=program.division)
        return self._clients[key]

    async def work(self, tenant: str) -> int:
        store = FilingStore(self._ctx.db(tenant))
        now = datetime.now(UTC).isoformat()
        # Due ones only, chosen by the store: cases waiting out a backoff never hide those due behind the limit.
        due = await store.due(STEPS, now, 200)
        for case in due:
            await self._one(store, tenant, case)
        return len(due)

    async def _file(self, store: FilingStore, client: Any, tenant: str, case: dict[str, Any], status: str,
                    begins: date, ends: date | None) -> None:
        """2503 for the qualification over [begins, ends], with the person's insurance type from 1101."""
        from provincial.errors import ProvincialError

        q = case["qualification"]
        insutype = case.get("insutype") or q.get("insutype") or ""
        if not insutype:
            raise MissingInsutype("the case carries no insurance type (insutype) from 1101: the person's check at "
                                  "the preliminary review gave none; file after correcting it")
        rule = await self._policies.disease(tenant, case["program"], case["disease_code"])
        sent_before = await self._sending(store, case, status, "2503")
        try:
            result = await client.file_qualification(
                person_no=case.get("psn_no", ""), disease_code=case["disease_code"], disease_name=rule.name,
                insurance_type=insutype, begins=begins, ends=ends, hospital_code=case.get("treating_hospital", ""),
                appraised_on=date.fromisoformat(q["granted_on"]),
                doctor_name=(case.get("conclusion") or {}).get("concluded_by", ""))
            serial = result.serial
        except ProvincialError:
            # Sent before and refused now: was the earlier one accepted, its answer lost in a crash?
            standing = await self._standing_filing(client, case, begins, ends) if sent_before else None
            if standing is None:
                raise
            serial = standing
            log.info("filing of case %s: adopted the platform's standing filing (filing_sent_before)", case["_id"])
        filed_q = {**q, "filing_serial": serial}
        event = new_event("qualification.filed", tenant, case["person_id"], events_pb2.QualificationFiled(
            qualification=common_pb2.Qualification(**filed_q), filing_serial=serial,
            filed_at=datetime.now(UTC).isoformat()), source="appraisal", trace_context=case.get("trace_context") or {},
            event_id=derived_event_id(q["qualification_id"], "qualification.filed", serial))
        await store.filed(case["_id"], status, serial, [event])
        self._ctx.relay.kick()

    @staticmethod
    async def _sending(store: FilingStore, case: dict[str, Any], status: str, request: str) -> bool:
        """Mark the request sent, before it leaves; True when it had been sent already (by an attempt cut short)."""
        sent = case.get("filing_sent") or {}
        before = sent.get("step") == status and sent.get("request") == request
        if not before:
            await store.mark_sent(case["_id"], status, request, datetime.now(UTC).isoformat())
        return before

    @staticmethod
    async def _standing_filing(client: Any, case: dict[str, Any], begins: date, ends: date | None) -> str | None:
        """The serial of the platform's active filing (5301) of this person for this disease and period, if any."""
        for f in await client.query_filings(person_no=case.get("psn_no", "")):
            if f.disease_code == case["disease_code"] and f.begins == begins and f.ends == ends and f.serial:
                return str(f.serial)
        return None

    async def _one(self, store: FilingStore, tenant: str, case: dict[str, Any]) -> None:
        from provincial.errors import ProvincialError

        status = case["filing_status"]
        q = case["qualification"]
        client = self._client(case["program"], tenant)
        try:
            if status == "pending":
                await self._file(store, client, tenant, case, status, date.fromisoformat(q["benefit_start"]),
                                 date.fromisoformat(q["review_due"]) if q.get("review_due") else None)
            elif status == "renewing":
                # A passed re-review (复审): the filing of the old period is revoked, one for the new period made.
                if not case.get("filing_renew_revoked"):
                    try:
                        await client.revoke_filing(person_no=case.get("psn_no", ""),
                                                   serial=q.get("filing_serial", ""), memo="复审通过，按新期限重新备案")
                    except ProvincialError:
                        # Revoked by an earlier attempt that stopped before recording it? 5301 tells.
                        standing = {f.serial for f in await client.query_filings(person_no=case.get("psn_no", ""))}
                        if q.get("filing_serial", "") in standing:
                            raise
                    await store.old_period_revoked(case["_id"])
                period = case.get("filing_period") or {}
                begins = period.get("begins") or q["benefit_start"]
                ends = period.get("ends") or q.get("review_due") or ""
                await self._file(store, client, tenant, case, status, date.fromisoformat(begins),
                                 date.fromisoformat(ends) if ends else None)
            else:
                serial = q.get("filing_serial", "")
                sent_before = await self._sending(store, case, status, "2504")
                try:
                    await client.revoke_filing(person_no=case.get("psn_no", ""), serial=serial,
                                               memo=(case.get("revocation") or {}).get("reason", ""))
                except ProvincialError:
                    # Sent before and refused now: revoked by the attempt a crash cut short, if no longer standing.
                    if not sent_before or serial in {f.serial for f in await client.query_filings(
                            person_no=case.get("psn_no", ""))}:
                        raise
                await store.revoked(case["_id"])
        except (ProvincialError, MissingInsutype) as exc:
            # The platform judged the request: retrying the same request cannot help; a clerk must act.
            # Refused: nothing of this request stands at the platform (a clerk's retry sends it anew).
            await store.refused(case["_id"], status, exc.message)
        except Exception as exc:  # transport trouble: try again later, then give up visibly
            attempts = case.get("filing_attempts", 0) + 1
            await store.retry_later(case["_id"], status, after_transport_failure(
                status, attempts, f"{type(exc).__name__}: {exc}", datetime.now(UTC)))
