"""archive's gRPC door: a person's file for other services (the tenant comes from the token)."""

from __future__ import annotations

import grpc

from chassis.errors import InvalidInput
from chassis.rpc import access, current_scope
from contracts.v1 import archive_pb2, archive_pb2_grpc
from services.archive.person_files import service
from services.archive.person_files.service import READERS

# Who may call (chassis/rpc.py): the person file's readers, an applicant only their own file; no service reads
# whole files on its own account.
ACCESS = access(archive_pb2.DESCRIPTOR.services_by_name["ArchiveService"].full_name, {
    "GetPersonFile": ((), READERS),
})


class ArchiveRpc(archive_pb2_grpc.ArchiveServiceServicer):
    async def GetPersonFile(self, request: archive_pb2.GetPersonFileRequest,
                            context: grpc.aio.ServicerContext) -> archive_pb2.PersonFile:
        if not request.person_id:
            raise InvalidInput("person_id is required", "person_id")
        scope = current_scope()
        own = scope.subject if scope.role == "applicant" else None
        view = await service.person_file(scope.db(), request.person_id, scope, own=own, channel="grpc")
        return archive_pb2.PersonFile(person_id=request.person_id, entries=[
            archive_pb2.FileEntry(entry_id=e["entry_id"], kind=e["kind"], title=e["title"],
                                  occurred_at=e["occurred_at"], attributes=e["attributes"]) for e in view["entries"]],
            accesses=[archive_pb2.FileAccess(
                access_id=a["access_id"], subject=a["who"], role=a["role"], accessed_at=a["when"],
                object_kind=a["what"]["kind"], object_id=a["what"]["id"], action=a["action"], service=a["service"],
                trace_id=a["trace_id"]) for a in view["accesses"]])
