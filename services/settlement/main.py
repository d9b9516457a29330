"""settlement wiring: holdings from appraisal's qualification events; policies, month-end claims, real-time
settlement, statements and payments over HTTP; GetPolicy, Adjudicate and GetAccumulators over gRPC; events
policy.published, benefits.settled, statement.closed, statement.reconciled and payment.issued through the outbox;
audit's finding.raised books a carrier-caused loss in the carrier's dedicated account (liability.py), and its
carrier_score.assessed pays the long-term care carrier's performance money by the yearly score (fund/ltc-fee,
ltc_fee.performance_paid); each read of a person's account is recorded (settlement.person.accessed). Smart review
(智能审核): each accepted upload is sent to audit (claim_lines.submitted) and nothing of it is paid until audit's
claim_review.completed; review_hit.decided refuses (拒付) or releases the lines a hit holds."""

from __future__ import annotations

from typing import Any

from chassis import access as access_records
from chassis.consumer import Subscription
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from contracts.v1 import settlement_pb2, settlement_pb2_grpc
from services.settlement.agency_feed import api as agency_feed_api
from services.settlement.agency_feed import handlers as agency_feed_handlers
from services.settlement.agency_feed import service as agency_feed
from services.settlement.agency_feed.service.worker import AgencyFeed
from services.settlement.care import api as care_api
from services.settlement.care import handlers as care_handlers
from services.settlement.care.service.care import CareService
from services.settlement.care.store import CARE_OUTBOX_COLLECTIONS
from services.settlement.chronic import api, handlers, rpc
from services.settlement.chronic.service.settler import Settler
from services.settlement.chronic.store import OUTBOX_COLLECTIONS
from services.settlement.critical.api import critical_router
from services.settlement.critical.service.claims import CRITICAL_OUTBOX_COLLECTIONS, CriticalService
from services.settlement.fund import api as api_fund
from services.settlement.fund import handlers as liability
from services.settlement.fund.service import account as fund
from services.settlement.instances.service import Instances
from services.settlement.policies import api as policies
from services.settlement.policies.service import PolicyBook
from services.settlement.policies.store import OUTBOX_COLLECTIONS as POLICY_OUTBOX_COLLECTIONS
from services.settlement.recovery.service import Recovery
from services.settlement.review import handlers as review_handlers
from services.settlement.review import service as review
from services.settlement.statement_documents import api as statement_documents
from services.settlement.statement_documents import service as documents


def build(ctx: ServiceContext) -> ServiceParts:
    app = create_app("settlement", "Jingban settlement (结算)", ctx.ready)
    book = PolicyBook(ctx.db)
    # This process's heartbeat: a batch's lease is held only while its holder is alive (instances.py). One process
    # per service except in cluster mode (replicas).
    instances = Instances(ctx.db, ctx.settings.tenants, ctx.instance, single_process=ctx.settings.mode != "cluster")
    settler = Settler(ctx.db, book, ctx.relay.kick, instances)
    app.include_router(policies.router(book, ctx.relay.kick))  # policy tables as data
    app.include_router(api.router(ctx, settler))  # 门诊慢特病: accounts, claims, visits, statements, payments
    app.include_router(statement_documents.router(ctx))  # 结算资料 with the monthly statements
    critical = CriticalService(ctx.db, ctx.relay.kick)  # 大病保险
    app.include_router(critical_router(ctx, critical))
    ledger = fund.Fund(ctx.db, tuple(ctx.settings.tenants), ctx.relay.kick)  # 专户
    app.include_router(api_fund.router(ctx, ledger))
    care = CareService(ctx.db, ctx.relay.kick, ledger,  # 长护险: plans, service records, care statements, fees
                       single_process=ctx.settings.mode != "cluster")
    app.include_router(care_api.router(ctx, care))
    feed = AgencyFeed(ctx)  # 长护险信息管理系统推送: assessments, service records, statements to the agency's system
    app.include_router(agency_feed_api.router(feed.kick))
    servicer = rpc.SettlementRpc(ctx, book, settler)
    # What a crash left half-done (a statement closing, a payment, a year end ...) is finished on start (recovery.py).
    recovery = Recovery(ctx.settings.tenants, settler, critical, ledger)
    app.state.recovery = recovery  # what it finished, and what it left for a person (ops, tests)

    async def on_start() -> None:
        for tenant in ctx.settings.tenants:
            await book.ensure_indexes(tenant)
            await settler.ensure_indexes(tenant)
            await documents.ensure_indexes(ctx.db(tenant))
            await access_records.ensure_indexes(ctx.db(tenant))  # 查阅记录 of accounts (settlement.person.accessed)
            await agency_feed.ensure_indexes(ctx.db(tenant))
            await review.ensure_indexes(ctx.db(tenant))  # 智能审核: the parts sent, the lines held
            await settler.book.warm(tenant)  # every person's latest state, read once before serving
        await critical.start(ctx.settings.tenants)
        await care.start(ctx.settings.tenants)  # the care book of each wz-ltc tenant, read once before serving
        fund.validate_served(tuple(ctx.settings.tenants))  # e.g. a bid above its year's ceiling: refuse to serve
        for tenant in ctx.settings.tenants:
            await ledger.ensure_indexes(tenant)

    async def heartbeat() -> None:  # named loops: the host names its tasks (and readiness detail) after them
        await instances.run()

    async def recovery_on_start() -> None:
        await recovery.run()

    async def agency_feed_loop() -> None:
        await feed.run()

    return ServiceParts(
        app=app,
        grpc_servicers=[lambda s: settlement_pb2_grpc.add_SettlementServiceServicer_to_server(servicer, s)],
        grpc_access=rpc.ACCESS,
        grpc_service_names=[settlement_pb2.DESCRIPTOR.services_by_name["SettlementService"].full_name],
        subscriptions=merged([
            Subscription("qualification.granted", handlers.on_qualification_granted(ctx, settler)),
            Subscription("qualification.revoked", handlers.on_qualification_revoked(ctx, settler)),
            Subscription("qualification.renewed", handlers.on_qualification_renewed(ctx, settler)),
            Subscription("finding.raised", liability.on_finding_raised(ledger)),  # 承办方全额承担
            # 长护险 cover, designated institutions, status surveys (care room)
            Subscription("disability.concluded", care_handlers.on_disability_concluded(ctx, care)),
            Subscription("institution.changed", care_handlers.on_institution_changed(ctx, care)),
            Subscription("status_survey.recorded", care_handlers.on_status_survey_recorded(ctx, care)),
            *agency_feed_handlers.subscriptions(ctx, feed.kick),  # → the agency's system (LTC01–LTC03)
            Subscription("carrier_score.assessed", liability.on_carrier_score_assessed(ctx)),  # 长护险绩效考核
            # 智能审核: audit's review of the uploads sent (claim_lines.submitted) and the reviewers' decisions
            Subscription("claim_review.completed", review_handlers.on_claim_review_completed(ctx)),
            Subscription("review_hit.decided", review_handlers.on_review_hit_decided(ctx)),
        ]),
        on_start=on_start,
        background=[heartbeat, recovery_on_start, agency_feed_loop],
    )


def merged(subscriptions: list[Subscription]) -> list[Subscription]:
    """One subscription per event type (the consumer keeps one handler per type): rooms that read the same event
    (disability.concluded: the care room and the agency feed) each get it, in the order listed. Each handler is
    idempotent, so an event redelivered after a later one failed changes nothing the earlier one did."""
    by_type: dict[str, list[Any]] = {}
    for sub in subscriptions:
        by_type.setdefault(sub.event_type, []).append(sub.handler)

    def chain(found: list[Any]) -> Any:
        if len(found) == 1:
            return found[0]

        async def handle(event: Any) -> None:
            for handler in found:
                await handler(event)

        return handle

    return [Subscription(event_type, chain(found)) for event_type, found in by_type.items()]


SPEC = ServiceSpec(name="settlement",
                   outbox_collections=[*POLICY_OUTBOX_COLLECTIONS, *OUTBOX_COLLECTIONS, *CRITICAL_OUTBOX_COLLECTIONS,
                                       *fund.FUND_OUTBOX_COLLECTIONS, *CARE_OUTBOX_COLLECTIONS, *review.OUTBOX,
                                       access_records.ACCESS_LOG],
                   build=build)

if __name__ == "__main__":
    run_process(SPEC)
