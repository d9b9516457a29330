"""settlement's long-term care consumers (wz-ltc):

- `disability.concluded` (appraisal): the person's cover begins at the conclusion with its grade when eligible; a
  later conclusion (objection, re-check) replaces it from its own date; its `assessment_fee` is kept for the month's
  assessment fee statement (评估费用), with the lot and whether the person is city-level (市本级);
- `institution.changed` (appraisal, the registry of designated institutions): an institution's status, modes and
  agreement term — only a designated care institution drafts plans and records services;
- `status_survey.recorded` (audit, 失能人员基本状态调查): `deceased` and `moved` end the cover on the survey's date.

Idempotent by event id (the consumer's dedupe) and by what each event names (an assessment once, a survey once, an
institution change once). Bad input — a missing id, a date that is not one, a grade outside 0–5, a fee that is not an
amount — is a poison message naming the field: dead-lettered with the reason, nothing written. An event of a tenant
outside wz-ltc is refused the same way, but for `institution.changed`: the registry is every program's (fund
supervision's hospitals, pharmacies and agency), so another program's institutions are passed over, not parked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from chassis.calendar import day_cn
from chassis.errors import InvalidInput, NotFound, PoisonMessage
from chassis.events import Event
from chassis.host import ServiceContext
from chassis.money import parse_amount, to_fen
from services.settlement.care.service.care import CareService


def _day(value: str, what: str, optional: bool = False) -> date | None:
    if optional and not value:
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else day_cn(value)
    except ValueError as exc:
        raise PoisonMessage(f"{what} is not a date: {value!r}") from exc


def _tenant(ctx: ServiceContext, care: CareService, event: Event) -> str:
    tenant = ctx.scope_for(event).tenant  # the event's tenant, served here (chassis/scope.py)
    try:
        care.serves(tenant)
    except NotFound as exc:
        raise PoisonMessage(f"{event.type} of tenant {tenant!r}, which does not run long-term care") from exc
    return tenant


def conclusion_of(p: Any) -> dict[str, Any]:
    """A DisabilityConcluded payload as the service keeps it (PoisonMessage naming a bad field)."""
    if not p.person_id or not p.assessment_id:
        raise PoisonMessage("disability.concluded lacks person_id or assessment_id")
    if not 0 <= p.grade <= 5:
        raise PoisonMessage(f"disability.concluded grade must be 0–5, got {p.grade}")
    # The business day (业务日期) of the conclusion; events from before the field existed carry only the instant.
    concluded = (_day(p.concluded_on, "disability.concluded concluded_on") if p.concluded_on
                 else _day(p.concluded_at, "disability.concluded concluded_at"))
    recheck = _day(p.recheck_due, "disability.concluded recheck_due", optional=True)
    fee_fen = 0
    if p.assessment_fee:
        try:
            fee_fen = to_fen(parse_amount(p.assessment_fee, "assessment_fee", minimum=Decimal(0)))
        except InvalidInput as exc:
            raise PoisonMessage(f"disability.concluded assessment_fee: {exc.message}") from exc
    assert concluded is not None
    return {"assessment_id": p.assessment_id, "person_id": p.person_id, "concluded_on": concluded.isoformat(),
            "grade": int(p.grade), "eligible": bool(p.eligible),
            "recheck_due": recheck.isoformat() if recheck else None, "lot": p.lot, "kind": p.kind or "initial",
            "city_level": bool(p.city_level), "fee_fen": fee_fen}


def on_disability_concluded(ctx: ServiceContext, care: CareService):
    async def handle(event: Event) -> None:
        tenant = _tenant(ctx, care, event)
        await care.concluded(tenant, event.id, conclusion_of(event.payload))

    return handle


def on_institution_changed(ctx: ServiceContext, care: CareService):
    async def handle(event: Event) -> None:
        p = event.payload
        if not p.institution_id or not p.status:
            raise PoisonMessage("institution.changed lacks institution_id or status")
        for name in ("agreement_from", "agreement_to"):
            _day(getattr(p, name), f"institution.changed {name}", optional=True)
        try:
            care.serves(ctx.scope_for(event).tenant)
        except NotFound:
            return  # another program's registry (km-supervision's institutions): nothing of long-term care
        tenant = _tenant(ctx, care, event)
        await care.institution_changed(tenant, event.id, {
            "institution_id": p.institution_id, "kind": p.kind, "name": p.name, "status": p.status, "step": p.step,
            "modes": list(p.modes), "agreement_from": p.agreement_from, "agreement_to": p.agreement_to,
            "occurred_at": p.occurred_at or event.occurred_at.isoformat()})

    return handle


def on_status_survey_recorded(ctx: ServiceContext, care: CareService):
    async def handle(event: Event) -> None:
        p = event.payload
        if not p.person_id or not p.status:
            raise PoisonMessage("status_survey.recorded lacks person_id or status")
        on = _day(p.surveyed_on, "status_survey.recorded surveyed_on")
        assert on is not None
        tenant = _tenant(ctx, care, event)
        await care.surveyed(tenant, p.survey_id or event.id, p.person_id, p.status, on)

    return handle
