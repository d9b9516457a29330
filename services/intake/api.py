"""intake's HTTP door: applicants, window clerks and agents file applications with documents."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from chassis.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from chassis.events import new_event
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.telemetry import current_carrier
from jingban.contracts.v1 import common_pb2, events_pb2
from services.intake.domain.application import (
    DOCUMENT_KINDS,
    ApplicationIn,
    UploadedDocument,
    check_document,
    sniff_matches,
)
from services.intake.store import IntakeStore

FILING_ROLES = ("applicant", "clerk", "service")
READING_ROLES = ("applicant", "clerk", "reviewer", "supervisor", "ops", "service")


def public_view(app: dict[str, Any]) -> dict[str, Any]:
    return {
        "application_id": app["_id"], "person_id": app["person_id"], "person_name": app["person_name"],
        "disease_code": app["disease_code"], "channel": app["channel"], "program": app["program"],
        "status": app["status"], "submitted_at": app["submitted_at"], "filed_by": app.get("filed_by"),
        "documents": [{k: d[k] for k in ("document_id", "kind", "filename", "content_type", "size", "sha256")}
                      for d in app["documents"]],
    }


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["applications"])
    max_bytes = ctx.settings.max_upload_bytes

    @r.post("/applications", status_code=201, summary="Submit an application with its documents (multipart)")
    async def submit(request: Request, caller: Caller) -> dict[str, Any]:
        require_role(caller, *FILING_ROLES)
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise UnsupportedMediaType("send multipart/form-data: an `application` JSON field plus one file "
                                       "field per document, named by its kind")
        declared = int(request.headers.get("content-length") or 0)
        if declared > max_bytes * len(DOCUMENT_KINDS) + 65536:
            raise PayloadTooLarge(f"request of {declared} bytes exceeds the upload limit")
        form = await request.form(max_files=len(DOCUMENT_KINDS) * 4, max_part_size=max_bytes + 1)
        raw = form.get("application")
        if not isinstance(raw, str):
            raise InvalidInput("the `application` field (JSON) is required", "application")
        try:
            body = ApplicationIn.model_validate(json.loads(raw))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"`application` is not valid JSON: {exc.msg}", "application") from exc
        except ValidationError as exc:
            fields = [{"field": "application." + ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                      for e in exc.errors()]
            raise InvalidInput("application is invalid: " + "; ".join(f"{f['field']}: {f['message']}" for f in fields),
                               fields=fields) from exc
        if caller.role == "applicant" and caller.subject != body.person_id:
            raise InvalidInput("an applicant files only for themself; agents file as `agent` channel clerks",
                               "application.person_id")

        uploads: list[tuple[UploadedDocument, bytes]] = []
        for name, value in form.multi_items():
            if name == "application":
                continue
            if not isinstance(value, UploadFile):
                raise InvalidInput(f"unexpected form field {name!r}", name)
            content = await value.read()
            doc = UploadedDocument(name, value.filename or name, value.content_type or "", len(content))
            check_document(doc, max_bytes)
            if not sniff_matches(doc.content_type, content[:16]):
                raise UnsupportedMediaType(f"{doc.filename}: content is not {doc.content_type}", f"documents.{name}")
            uploads.append((doc, content))
        if not uploads:
            raise InvalidInput("at least one document is required", "documents")

        # Everything is checked; only now is anything written.
        tenant = caller.tenant
        store = IntakeStore(ctx.db(tenant))
        application_id = str(uuid.uuid4())
        now = datetime.now(UTC).isoformat()
        refs, blobs = [], []
        for doc, content in uploads:
            ref = {"document_id": str(uuid.uuid4()), "kind": doc.kind, "filename": doc.filename,
                   "content_type": doc.content_type, "size": doc.size, "sha256": hashlib.sha256(content).hexdigest()}
            refs.append(ref)
            blobs.append({"_id": ref["document_id"], "application_id": application_id, "content": content, **ref})
        application = {
            "_id": application_id, "person_id": body.person_id, "person_name": body.person_name,
            "disease_code": body.disease_code, "channel": body.channel, "program": body.program,
            "phone": body.phone, "status": "submitted", "submitted_at": now, "documents": refs,
            "filed_by": {"role": caller.role, "subject": caller.subject},
            "trace_context": current_carrier(),
        }
        payload = events_pb2.ApplicationSubmitted(
            application_id=application_id, person_id=body.person_id, person_name=body.person_name,
            disease_code=body.disease_code, channel=body.channel, submitted_at=now, program=body.program,
            documents=[common_pb2.DocumentRef(**ref) for ref in refs],
        )
        event = new_event("application.submitted", tenant, body.person_id, payload, source="intake",
                          trace_context=application["trace_context"])
        await store.add_documents(blobs)
        await store.add_application(application, [event])
        ctx.relay.kick()
        return public_view(application)

    @r.get("/applications/{application_id}", summary="An application and its status")
    async def get(application_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READING_ROLES)
        app = await IntakeStore(ctx.db(caller.tenant)).application(application_id)
        if app is None or (caller.role == "applicant" and app["person_id"] != caller.subject):
            raise NotFound(f"application {application_id} not found")
        return public_view(app)

    @r.get("/applications/{application_id}/documents/{document_id}", summary="A document's bytes")
    async def document(application_id: str, document_id: str, caller: Caller) -> Response:
        require_role(caller, *READING_ROLES)
        store = IntakeStore(ctx.db(caller.tenant))
        app = await store.application(application_id)
        doc = await store.document(application_id, document_id)
        if app is None or doc is None or (caller.role == "applicant" and app["person_id"] != caller.subject):
            raise NotFound(f"document {document_id} not found")
        return Response(bytes(doc["content"]), media_type=doc["content_type"])

    return r
