"""Opening cases (立案): a complete application (application.completed) opens a case per disease, with its appraisal
clock and deadline, and experts are drawn for each at random."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, date, datetime
from typing import Any

from chassis.errors import Conflict
from chassis.events import Event, derived_event_id, new_event
from chassis.host import ServiceContext
from chassis.policies import PolicyReader
from chassis.programs import load_program
from contracts.v1 import events_pb2, intake_pb2, intake_pb2_grpc
from services.appraisal.cases.domain.case import case_id_for, draw, eligible_experts
from services.appraisal.cases.domain.clock import clock_start
from services.appraisal.cases.domain.deadline import stored_case_deadline
from services.appraisal.cases.service.drawing import deadline_fields
from services.appraisal.cases.store import CaseStore
from services.appraisal.experts.service import pool_for_draw

log = logging.getLogger(__name__)


async def open_cases(ctx: ServiceContext, policies: PolicyReader, db: Any, event: Event) -> bool:
    """Open every disease's case of a complete application; True when a case was opened (its events to relay)."""
    completed = event.payload
    tenant = event.tenant
    store = CaseStore(db)
    known = list(completed.disease_codes) or [completed.disease_code]
    several = len(known) > 1
    if all([await store.case(case_id_for(completed.application_id, d, several)) for d in known]):
        return False  # a redelivery: every case is open already
    # Intake owns the application; appraisal asks for the current record rather than trusting a copy.
    stub = intake_pb2_grpc.IntakeServiceStub(ctx.peers.channel("intake"))
    app = await stub.GetApplication(
        intake_pb2.GetApplicationRequest(application_id=completed.application_id),
        metadata=await ctx.peers.metadata(tenant), timeout=10,
    )
    program = load_program(app.program)
    required = int(program.setting("appraisal", "opinions_required", 2))
    # The clock starts where the program says (appraisal.clock_starts: completed | submitted).
    clock_from = clock_start(program, app.submitted_at, completed.documents_complete_on or completed.completed_on)
    # Saved with its calendar: a provisional (unpublished-year) deadline is worked out again when read.
    clock = stored_case_deadline(clock_from, int(program.setting("appraisal", "working_days", 10)))
    due = date.fromisoformat(clock["due_on"])
    diseases = list(app.disease_codes) or [app.disease_code]
    opened = False
    for disease in diseases:  # one case per disease (申请两种及以上病种: each its own conclusion)
        opened = await _open_case(policies, db, store, event, app, disease, len(diseases) > 1, required, clock_from,
                                  clock, due) or opened
    return opened


async def _open_case(policies: PolicyReader, db: Any, store: CaseStore, event: Event, app: Any,
                     disease: str, several: bool, required: int, clock_from: date, clock: dict[str, Any],
                     due: date) -> bool:
    """Open one disease's case with its experts drawn; a redelivery finds it open and changes nothing. A re-review
    application (复审) opens a `review` case of the qualification it names."""
    completed = event.payload
    tenant = event.tenant
    case_id = case_id_for(app.application_id, disease, several)
    if await store.case(case_id):
        return False
    rule = await policies.disease(tenant, app.program, disease)
    now = datetime.now(UTC).isoformat()
    case = {
        "_id": case_id, "application_id": app.application_id, "person_id": app.person_id,
        "person_name": app.person_name, "disease_code": disease, "program": app.program,
        "kind": "review" if app.kind == "review" else "initial",
        **({"reviews_qualification_id": app.qualification_id} if app.kind == "review" else {}),
        "specialty": rule.specialty, "treating_hospital": completed.treating_hospital,
        "psn_no": completed.psn_no, "insuplc_admdvs": completed.insuplc_admdvs,
        # The person's insurance type from 1101 (310 employees, 390 residents): filed with 2503, carried on.
        "insutype": completed.insutype or app.insutype,
        "documents": [{"document_id": d.document_id, "kind": d.kind, "sha256": d.sha256} for d in app.documents],
        "status": "open", "opened_at": now, "completed_on": completed.completed_on, "due_on": due.isoformat(),
        "clock_from": clock_from.isoformat(), **clock,
        "opinions_required": required, "opinions": [], "opinion_experts": [], "assigned": [], "draws": [],
        "source_event_id": event.id,
        # The application's trace continues through the case to its conclusion's events.
        "trace_context": dict(event.envelope.trace_context),
    }
    events = []
    pool, withheld = await pool_for_draw(db, app.program, rule.specialty)
    seed = secrets.token_hex(16)
    candidates = eligible_experts(pool, rule.specialty, completed.treating_hospital, [])
    try:
        if withheld:  # the program's expert list awaits the agency's approval (审核备案)
            raise Conflict(withheld)
        chosen = draw(candidates, required, seed)
    except Conflict as exc:
        case["status"], case["awaiting"] = "awaiting_experts", exc.message
        chosen = []
    if chosen:
        case["assigned"] = chosen
        case["draws"] = [{"seed": seed, "candidates": [c["_id"] for c in candidates], "chosen": chosen, "at": now,
                          "reason": "initial"}]
        events.append(new_event("experts.assigned", tenant, app.person_id, events_pb2.ExpertsAssigned(
            case_id=case_id, application_id=app.application_id, person_id=app.person_id,
            expert_ids=chosen, draw_seed=seed, candidates=[c["_id"] for c in candidates], assigned_at=now,
            disease_code=disease, kind=case["kind"], **deadline_fields(case)), source="appraisal",
            trace_context=case["trace_context"],
            event_id=derived_event_id(event.id, "experts.assigned", f"initial|{disease}" if several else "initial")))
    if not await store.open_case(case, events):
        return False
    log.info("case %s opened for %s, experts %s", case["_id"], case["disease_code"], chosen)
    return True

