"""appraisal's event handlers: a complete application opens a case and experts are drawn for it."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, date, datetime

from chassis.calendar import add_working_days
from chassis.consumer import Handler
from chassis.errors import Conflict
from chassis.events import Event, derived_event_id, new_event
from chassis.host import ServiceContext
from chassis.policies import PolicyReader
from chassis.programs import load_program
from jingban.contracts.v1 import events_pb2, intake_pb2, intake_pb2_grpc
from services.appraisal.domain.case import draw, eligible_experts
from services.appraisal.store import AppraisalStore

log = logging.getLogger(__name__)


def on_application_completed(ctx: ServiceContext, policies: PolicyReader) -> Handler:
    async def handle(event: Event) -> None:
        completed = event.payload
        tenant = event.tenant
        store = AppraisalStore(ctx.db(tenant))
        if await store.case(completed.application_id):
            return
        # Intake owns the application; appraisal asks for the current record rather than trusting a copy.
        stub = intake_pb2_grpc.IntakeServiceStub(ctx.peers.channel("intake"))
        app = await stub.GetApplication(
            intake_pb2.GetApplicationRequest(application_id=completed.application_id),
            metadata=ctx.peers.metadata(tenant), timeout=10,
        )
        program = load_program(app.program)
        required = int(program.setting("appraisal", "opinions_required", 2))
        due = add_working_days(date.fromisoformat(completed.completed_on),
                               int(program.setting("appraisal", "working_days", 10)))
        rule = await policies.disease(tenant, app.program, app.disease_code)
        now = datetime.now(UTC).isoformat()
        case = {
            "_id": app.application_id, "application_id": app.application_id, "person_id": app.person_id,
            "person_name": app.person_name, "disease_code": app.disease_code, "program": app.program,
            "specialty": rule.specialty, "treating_hospital": completed.treating_hospital,
            "psn_no": completed.psn_no, "insuplc_admdvs": completed.insuplc_admdvs,
            "documents": [{"document_id": d.document_id, "kind": d.kind, "sha256": d.sha256} for d in app.documents],
            "status": "open", "opened_at": now, "completed_on": completed.completed_on, "due_on": due.isoformat(),
            "opinions_required": required, "opinions": [], "opinion_experts": [], "assigned": [], "draws": [],
            "source_event_id": event.id,
            # The application's trace continues through the case to its conclusion's events.
            "trace_context": dict(event.envelope.trace_context),
        }
        events = []
        pool = await store.experts(rule.specialty)
        seed = secrets.token_hex(16)
        candidates = eligible_experts(pool, rule.specialty, completed.treating_hospital, [])
        try:
            chosen = draw(candidates, required, seed)
        except Conflict as exc:
            case["status"], case["awaiting"] = "awaiting_experts", exc.message
            chosen = []
        if chosen:
            case["assigned"] = chosen
            case["draws"] = [{"seed": seed, "candidates": [c["_id"] for c in candidates], "chosen": chosen, "at": now,
                              "reason": "initial"}]
            events.append(new_event("experts.assigned", tenant, app.person_id, events_pb2.ExpertsAssigned(
                case_id=app.application_id, application_id=app.application_id, person_id=app.person_id,
                expert_ids=chosen, draw_seed=seed, candidates=[c["_id"] for c in candidates], assigned_at=now,
                due_on=due.isoformat()), source="appraisal", trace_context=case["trace_context"],
                event_id=derived_event_id(event.id, "experts.assigned", "initial")))
        if await store.open_case(case, events):
            ctx.relay.kick()
            log.info("case %s opened for %s, experts %s", case["_id"], case["disease_code"], chosen)

    return handle
