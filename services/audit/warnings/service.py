"""Warnings' use cases: issue a warning (by hand, from the spending-growth check, or from the anomaly checks of
the anomalies room), once per id; file its written report (书面预警); read them. `warning.issued` rides in the
warning's own outbox; the door kicks the relay when one was created."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from chassis.calendar import today_cn, working_days_after
from chassis.errors import Conflict, NotFound
from chassis.events import new_event
from chassis.money import fmt
from contracts.v1 import events_pb2
from services.audit.readmodel import service as readmodel
from services.audit.reports.domain.periods import parse_period, previous_month
from services.audit.sampling.domain.ids import derived_id
from services.audit.warnings.domain.settings import warning_working_days
from services.audit.warnings.domain.warnings import check_detected_on, spending_growth, warning_due_on
from services.audit.warnings.store import OUTBOX, WarningStore

__all__ = ["OUTBOX"]

Doc = dict[str, Any]


def warning_issued(tenant: str, warning: Doc, carrier: dict[str, str]) -> Doc:
    """`warning.issued`, in the form the outbox stores (chassis.events.new_event)."""
    payload = events_pb2.WarningIssued(warning_id=warning["_id"], kind=warning["kind"],
                                       description=warning["description"], due_on=warning["due_on"],
                                       issued_at=warning["issued_at"])
    # Warnings concern the fund, not a person: keyed by the warning so they spread over partitions.
    return new_event("warning.issued", tenant, warning["_id"], payload, source="audit", trace_context=carrier)


async def ensure_indexes(db: Any) -> None:
    await WarningStore(db).ensure_indexes()


async def issue(db: Any, tenant: str, by: dict[str, str], warning_id: str, kind: str, description: str,
                detected_on: date, source: str, carrier: dict[str, str], evidence: Any = None,
                **extra: Any) -> tuple[Doc, bool]:
    """(the warning, whether this call created it): a warning with this id already issued is returned as stored.
    Its written report is due `warning_working_days` (7) working days after `detected_on`."""
    today = today_cn()
    check_detected_on(detected_on, today)
    days = warning_working_days(tenant)
    deadline = warning_due_on(detected_on, days, working_days_after)
    warning = {"_id": warning_id, "kind": kind, "description": description,
               "detected_on": detected_on.isoformat(), **deadline.stored(), "due_working_days": days,
               "issued_at": datetime.now(UTC).isoformat(), "issued_on": today.isoformat(),
               "issued_by": by, "status": "open", "source": source, **extra, "evidence": evidence}
    s = WarningStore(db)
    # One single-document insert per warning, its event inside; a re-run finds it and changes nothing.
    if await s.add_warning(warning, [warning_issued(tenant, warning, carrier)]):
        return warning, True
    return await s.warning(warning_id) or warning, False


async def issue_by_hand(db: Any, tenant: str, by: dict[str, str], kind: str, description: str,
                        detected_on: date | None, carrier: dict[str, str]) -> Doc:
    warning, _ = await issue(db, tenant, by, str(uuid.uuid4()), kind, description, detected_on or today_cn(),
                             "manual", carrier)
    return warning


def pseudonym_of(db: Any) -> Callable[[str], str]:
    """What an id derived from a person is derived from (the tenant's keyed pseudonym of their number)."""
    return WarningStore(db).pseudonym


def spending_growth_id(month: str) -> str:
    """One spending-growth warning per month, whichever check opens it (this one or the anomaly checks)."""
    return derived_id("spending_growth", month)


async def check_spending(db: Any, tenant: str, by: dict[str, str], month: str, threshold: str,
                         detected_on: date | None, carrier: dict[str, str]) -> tuple[Doc, Doc | None, bool]:
    """(the comparison as answered, the warning or None, created): a month's fund payments against the month
    before; growth above the threshold issues a warning."""
    parse_period(month, ("month",), field="month")
    months = [month, previous_month(month)]
    result = spending_growth(await readmodel.benefits(db, months), month, threshold)
    out: Doc = {
        "month": result.month, "previous_month": result.previous_month, "current": fmt(result.current),
        "previous": fmt(result.previous), "growth": None if result.growth is None else str(result.growth),
        "threshold": str(result.threshold), "triggered": result.triggered}
    if not result.triggered:
        return out, None, False
    evidence = {k: out[k] for k in ("month", "previous_month", "current", "previous", "growth", "threshold")}
    warning, created = await issue(
        db, tenant, by, spending_growth_id(result.month), "spending_growth",
        f"Fund payments of {result.month} ({out['current']}) grew {out['growth']} over "
        f"{result.previous_month} ({out['previous']}), above the threshold {out['threshold']}",
        detected_on or today_cn(), "check", carrier, evidence)
    return out, warning, created


async def warnings(db: Any, status: str | None = None) -> list[Doc]:
    return await WarningStore(db).warnings(status)


async def get_warning(db: Any, warning_id: str) -> Doc:
    w = await WarningStore(db).warning(warning_id)
    if w is None:
        raise NotFound(f"warning {warning_id} not found")
    return w


async def file_report(db: Any, by: dict[str, str], warning_id: str, report: str, sent_to: str) -> Doc:
    """The written warning filed, once; the warning as it now stands."""
    w = await get_warning(db, warning_id)
    if w["status"] != "open":
        raise Conflict(f"the written report of warning {warning_id} was already filed on {w.get('reported_on')}")
    today = today_cn()
    changes = {"status": "reported", "report": report, "sent_to": sent_to,
               "reported_at": datetime.now(UTC).isoformat(), "reported_on": today.isoformat(), "reported_by": by}
    if not await WarningStore(db).file_warning_report(warning_id, changes):
        raise Conflict(f"the written report of warning {warning_id} was filed meanwhile")
    return {**w, **changes}
