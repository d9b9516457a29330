"""appraisal's event handlers: an application arrives, a case opens (after asking intake for it)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from chassis.events import Event
from chassis.host import ServiceContext
from jingban.contracts.v1 import intake_pb2, intake_pb2_grpc
from services.appraisal.store import AppraisalStore

log = logging.getLogger(__name__)


def on_application_submitted(ctx: ServiceContext):
    async def handle(event: Event) -> None:
        submitted = event.payload
        # Intake owns the application; appraisal asks for the current record rather than trusting a copy.
        stub = intake_pb2_grpc.IntakeServiceStub(ctx.peers.channel("intake"))
        app = await stub.GetApplication(
            intake_pb2.GetApplicationRequest(application_id=submitted.application_id),
            metadata=ctx.peers.metadata(event.tenant), timeout=10,
        )
        case = {
            "_id": app.application_id, "application_id": app.application_id, "person_id": app.person_id,
            "person_name": app.person_name, "disease_code": app.disease_code, "program": app.program,
            "documents": [{"document_id": d.document_id, "kind": d.kind, "sha256": d.sha256} for d in app.documents],
            "status": "open", "opened_at": datetime.now(UTC).isoformat(), "opinions": [], "opinion_experts": [],
            "source_event_id": event.id,
            # The application's trace continues through the case to its conclusion's events.
            "trace_context": dict(event.envelope.trace_context),
        }
        if await AppraisalStore(ctx.db(event.tenant)).open_case(case):
            log.info("case %s opened for disease %s", case["_id"], case["disease_code"])

    return handle
