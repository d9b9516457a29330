"""archive's gRPC door: a person's file for other services (the tenant comes from the token)."""

from __future__ import annotations

import grpc

from chassis.errors import InvalidInput
from chassis.rpc import current_scope
from contracts.v1 import archive_pb2, archive_pb2_grpc
from services.archive.person_files import service


class ArchiveRpc(archive_pb2_grpc.ArchiveServiceServicer):
    async def GetPersonFile(self, request: archive_pb2.GetPersonFileRequest,
                            context: grpc.aio.ServicerContext) -> archive_pb2.PersonFile:
        if not request.person_id:
            raise InvalidInput("person_id is required", "person_id")
        entries = await service.entries(current_scope().db(), request.person_id)
        return archive_pb2.PersonFile(person_id=request.person_id, entries=[
            archive_pb2.FileEntry(entry_id=e["_id"], kind=e["kind"], title=e["title"], occurred_at=e["occurred_at"],
                                  attributes=e["attributes"]) for e in entries])
