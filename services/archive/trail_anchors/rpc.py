"""archive's gRPC door to the trail's anchors: ListTrailAnchors, for audit only."""

from __future__ import annotations

import grpc

from chassis.errors import InvalidInput
from chassis.rpc import access, current_scope
from contracts.v1 import archive_pb2, archive_pb2_grpc, events_pb2
from services.archive.trail_anchors import service

# Who may call (chassis/rpc.py): the audit service alone, with its own token, acting for a tenant; no user role
# (people read the verdict at audit's GET /v1/trail/verify, not the anchors).
ACCESS = access(archive_pb2.DESCRIPTOR.services_by_name["ArchiveService"].full_name, {
    "ListTrailAnchors": (("audit",), ()),
})
_SIGNED = tuple(f.name for f in events_pb2.TrailAnchored.DESCRIPTOR.fields)


class TrailAnchorsRpc(archive_pb2_grpc.ArchiveServiceServicer):
    async def ListTrailAnchors(self, request: archive_pb2.ListTrailAnchorsRequest,
                               context: grpc.aio.ServicerContext) -> archive_pb2.TrailAnchorPage:
        """The calling tenant's trail anchors as archive received them, in position order, `limit` (1..1000,
        0 = 500) after the cursor `after` (the `next` of the page before). Intended caller: the audit service
        only (ACCESS), verifying its trail (GET /v1/trail/verify); the tenant is the one its token acts for."""
        limit = request.limit or service.PAGE
        if not 1 <= limit <= service.MAX_PAGE:
            raise InvalidInput(f"limit must be 1..{service.MAX_PAGE}", "limit")
        if len(request.after) > 100:
            raise InvalidInput("after is not a cursor of this list", "after")
        docs = await service.anchors(current_scope().db(), request.after, limit)
        return archive_pb2.TrailAnchorPage(
            anchors=[archive_pb2.KeptTrailAnchor(
                anchor=events_pb2.TrailAnchored(**{k: d[k] for k in _SIGNED if k in d}), event_id=d["event_id"],
                received_at=d["received_at"], signature_valid=d["signature_valid"], problem=d["problem"])
                for d in docs],
            next=docs[-1]["_id"] if len(docs) == limit else "")
