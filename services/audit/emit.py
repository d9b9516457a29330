"""The events audit publishes, built in the form the outbox stores (chassis.events.new_event)."""

from __future__ import annotations

from typing import Any

from chassis.events import new_event
from chassis.money import fmt, from_fen
from contracts.v1 import events_pb2


def finding_raised(tenant: str, finding: dict[str, Any], carrier: dict[str, str]) -> dict[str, Any]:
    payload = events_pb2.FindingRaised(
        finding_id=finding["_id"], person_id=finding["person_id"], kind=finding["kind"],
        description=finding["description"], amount=fmt(from_fen(finding["amount_fen"])),
        raised_at=finding["raised_at"], carrier_caused=bool(finding.get("carrier_caused")),
        carrier_reason=finding.get("carrier_reason") or "", raised_on=finding.get("raised_on", ""),
        fund_year=int(finding.get("fund_year") or 0))
    return new_event("finding.raised", tenant, finding["person_id"], payload, source="audit", trace_context=carrier)


def warning_issued(tenant: str, warning: dict[str, Any], carrier: dict[str, str]) -> dict[str, Any]:
    payload = events_pb2.WarningIssued(warning_id=warning["_id"], kind=warning["kind"],
                                       description=warning["description"], due_on=warning["due_on"],
                                       issued_at=warning["issued_at"])
    # Warnings concern the fund, not a person: keyed by the warning so they spread over partitions.
    return new_event("warning.issued", tenant, warning["_id"], payload, source="audit", trace_context=carrier)


def report_produced(tenant: str, report: dict[str, Any], carrier: dict[str, str]) -> dict[str, Any]:
    payload = events_pb2.ReportProduced(report_id=report["_id"], kind=report["kind"], period=report["period"],
                                        due_on=report["due_on"], produced_at=report["produced_at"],
                                        overdue=report["overdue"])
    return new_event("report.produced", tenant, report["_id"], payload, source="audit", trace_context=carrier)
