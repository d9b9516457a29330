"""Leads (线索) and their verification (核查), pure. A lead names the designated institution it is about and where it
came from — a superior's assignment (上级交办), another department's transfer (部门移交) or a public tip (群众举报,
from intake) — and is verified once by an inspector: substantiated (属实) or not. Only a substantiated lead opens a
case."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from chassis.errors import Conflict, InvalidInput

SOURCES = ("superior", "department", "tip")
ENTERED = ("superior", "department")   # entered at the door; tips arrive from intake
OUTCOMES = ("substantiated", "unsubstantiated")
OPEN, VERIFIED = "open", "verified"


def day(value: Any, field: str, today: date, default: date | None = None) -> date:
    """A date of something that happened (YYYY-MM-DD): never in the future."""
    if value in (None, "") and default is not None:
        return default
    try:
        parsed = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field} is not a date (YYYY-MM-DD): {value!r}", field) from None
    if parsed > today:
        raise InvalidInput(f"{field} {parsed} lies in the future", field, code="date_in_future")
    return parsed


def check_entered_lead(body: Mapping[str, Any], today: date) -> dict[str, Any]:
    """A lead from a superior or a department, as stored: its source, institution, summary, detail, the reference of
    the assignment or transfer (文号) and who sent it, the day it was received."""
    source = body.get("source")
    if source not in ENTERED:
        raise InvalidInput(f"source is one of {', '.join(ENTERED)}; tips come from intake's complaints",
                           "source", code="lead_source_entered")
    received = day(body.get("received_on"), "received_on", today, today)
    return {"source": source, "institution_id": body["institution_id"], "summary": body["summary"],
            "detail": body.get("detail") or "", "reference": body.get("reference") or "",
            "origin": body.get("origin") or "", "received_on": received.isoformat()}


def check_verification(lead: Mapping[str, Any], body: Mapping[str, Any], today: date) -> dict[str, Any]:
    """核查: once, by an inspector, substantiated or not, with a note; dated on or after the lead was received."""
    if lead["status"] != OPEN:
        raise Conflict("the lead was verified already", "outcome", code="lead_already_verified")
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome is one of {', '.join(OUTCOMES)}", "outcome")
    if not str(body.get("note") or "").strip():
        raise InvalidInput("a verification states what was found (note)", "note")
    verified = day(body.get("verified_on"), "verified_on", today, today)
    if verified < date.fromisoformat(lead["received_on"]):
        raise InvalidInput(f"verified_on {verified} is before the lead was received ({lead['received_on']})",
                           "verified_on", code="date_before_received")
    return {"outcome": outcome, "note": str(body["note"]).strip(), "verified_on": verified.isoformat()}


def check_can_open_case(lead: Mapping[str, Any]) -> None:
    if lead.get("case_id"):
        raise Conflict(f"case {lead['case_id']} was opened from this lead already", "lead_id", code="lead_has_case",
                       params={"case_id": str(lead["case_id"])})
    if (lead.get("verification") or {}).get("outcome") != "substantiated":
        raise Conflict("the lead is not verified substantiated (核查属实): no case opens from it", "lead_id",
                       code="lead_not_substantiated")
