"""archive wiring: files every event about a person; serves the file over HTTP and gRPC; produces the
handover archive (publishing archive.handover.ready) and imports one into an empty tenant; records every read of a
person's data (archive.person.accessed) and files every service's access records in the person's file; keeps the
audit trail's signed anchors (trail.anchored) and gives them to audit (ListTrailAnchors)."""

from __future__ import annotations

from chassis import access as access_records
from chassis.consumer import Subscription
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from contracts.v1 import archive_pb2, archive_pb2_grpc
from services.archive.accesses import handlers as accesses_handlers
from services.archive.accesses import service as accesses_service
from services.archive.handover import api as handover_api
from services.archive.handover.store import EXPORTS, HandoverStore
from services.archive.person_files import api as person_files_api
from services.archive.person_files import handlers as person_files_handlers
from services.archive.person_files import rpc as person_files_rpc
from services.archive.person_files.domain.long_term_care import LTC_FILED_EVENTS
from services.archive.person_files.domain.person_file import FILED_EVENTS
from services.archive.person_files.store import EntryStore
from services.archive.trail_anchors import handlers as trail_anchors_handlers
from services.archive.trail_anchors import rpc as trail_anchors_rpc
from services.archive.trail_anchors.store import AnchorStore

STORES = (EntryStore, HandoverStore, AnchorStore)


class ArchiveServicer(person_files_rpc.ArchiveRpc, trail_anchors_rpc.TrailAnchorsRpc):
    """ArchiveService, its methods from the rooms that answer them: GetPersonFile, ListTrailAnchors."""


def build(ctx: ServiceContext) -> ServiceParts:
    app = create_app("archive", "Jingban archive (档案)", ctx.ready)
    app.include_router(person_files_api.router())
    app.include_router(handover_api.router(ctx))
    servicer = ArchiveServicer()
    handle = person_files_handlers.file_event(ctx)
    file_access = accesses_handlers.file_access(ctx)  # 查阅记录 of every service

    async def on_start() -> None:
        for tenant in ctx.settings.tenants:
            for store in STORES:
                await store(ctx.db(tenant)).ensure_indexes()
            await accesses_service.ensure_indexes(ctx.db(tenant))
            await access_records.ensure_indexes(ctx.db(tenant))

    return ServiceParts(
        app=app,
        grpc_servicers=[lambda server: archive_pb2_grpc.add_ArchiveServiceServicer_to_server(servicer, server)],
        grpc_access={**person_files_rpc.ACCESS, **trail_anchors_rpc.ACCESS},
        grpc_service_names=[archive_pb2.DESCRIPTOR.services_by_name["ArchiveService"].full_name],
        subscriptions=[*(Subscription(t, handle) for t in (*FILED_EVENTS, *LTC_FILED_EVENTS)),
                       *(Subscription(t, file_access) for t in accesses_handlers.SUBSCRIBED),
                       Subscription(trail_anchors_handlers.ANCHORED, trail_anchors_handlers.keep_anchor(ctx))],
        on_start=on_start,
    )


SPEC = ServiceSpec(name="archive", outbox_collections=[EXPORTS, access_records.ACCESS_LOG], build=build)

if __name__ == "__main__":
    run_process(SPEC)
