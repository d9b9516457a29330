"""The service host: runs one service's HTTP and gRPC doors, event consumer and outbox relay on
whatever bus and store the mode provides. Local mode runs one host per process; embedded mode
runs all five in one process on the in-memory adapters. Same code, different adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import uvicorn
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from chassis.bus.port import Bus
from chassis.config import Settings
from chassis.consumer import PROCESSED, EventConsumer, Subscription
from chassis.outbox import OutboxRelay
from chassis.rpc import PeerChannels, create_server, mark_serving
from chassis.store.port import Store

log = logging.getLogger(__name__)


@dataclass
class ServiceContext:
    """What a service's wiring receives: its settings, adapters, peers and its outbox relay."""

    settings: Settings
    bus: Bus
    store: Store
    peers: PeerChannels
    relay: OutboxRelay
    ready: Callable[[], Awaitable[dict[str, bool]]]

    def db(self, tenant: str) -> Any:
        return self.store.database(self.settings.service, tenant)


@dataclass
class ServiceParts:
    app: FastAPI
    grpc_servicers: list[Callable[[grpc.aio.Server], Any]] = field(default_factory=list)
    grpc_service_names: list[str] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    on_start: Callable[[], Awaitable[None]] | None = None
    # Long-running loops of the service (e.g. a filing worker), started after the doors and cancelled on stop.
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    outbox_collections: list[str]
    build: Callable[[ServiceContext], ServiceParts]


class ServiceHost:
    def __init__(self, spec: ServiceSpec, settings: Settings, bus: Bus, store: Store) -> None:
        self.spec, self.settings, self.bus, self.store = spec, settings, bus, store
        self.peers = PeerChannels(settings.jwt_secret, settings.peers, spec.name)
        self.relay = OutboxRelay(spec.name, store, bus, settings.tenants, spec.outbox_collections,
                                 settings.topic_prefix)
        self.context = ServiceContext(settings, bus, store, self.peers, self.relay, self.ready)
        self.parts: ServiceParts | None = None
        self.consumer: EventConsumer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._http: uvicorn.Server | None = None
        self._grpc: grpc.aio.Server | None = None

    async def ready(self) -> dict[str, bool]:
        checks = {"store": await self.store.ping(), "bus": await self.bus.healthy()}
        if self.parts is not None and self.parts.subscriptions:
            checks["consumers"] = self.consumer is not None and self.consumer.joined
        return checks

    async def start(self) -> None:
        name = self.spec.name
        parts = self.spec.build(self.context)
        self.parts = parts
        FastAPIInstrumentor.instrument_app(parts.app, excluded_urls="healthz,readyz")
        for tenant in self.settings.tenants:
            await self.store.database(name, tenant)[PROCESSED].create_index("at")
        if parts.on_start:
            await parts.on_start()

        server, health_servicer = create_server(self.settings.jwt_secret, parts.grpc_servicers,
                                                parts.grpc_service_names)
        bound = server.add_insecure_port(f"{self.settings.http_host}:{self.settings.grpc_port}")
        if not bound:
            raise RuntimeError(f"{name}: cannot bind gRPC port {self.settings.grpc_port}")
        await server.start()
        await mark_serving(health_servicer, parts.grpc_service_names)
        self._grpc = server

        config = uvicorn.Config(parts.app, host=self.settings.http_host, port=self.settings.http_port,
                                log_config=None, lifespan="off", access_log=False)
        self._http = uvicorn.Server(config)
        self._http.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # the host owns signals
        self._tasks.append(asyncio.create_task(self._http.serve(), name=f"{name}-http"))
        while not self._http.started:
            await asyncio.sleep(0.02)
            if self._tasks[-1].done():
                self._tasks[-1].result()  # surfaces bind errors

        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{name}-relay"))
        for loop_fn in parts.background:
            self._tasks.append(asyncio.create_task(loop_fn(), name=f"{name}-{loop_fn.__name__}"))
        if parts.subscriptions:
            self.consumer = EventConsumer(name, self.bus, self.store, self.settings.tenants, parts.subscriptions,
                                          self.settings.topic_prefix)
            self._tasks.append(asyncio.create_task(self.consumer.run(), name=f"{name}-consumer"))
        log.info("%s serving http://%s:%s grpc :%s", name, self.settings.http_host, self.settings.http_port,
                 self.settings.grpc_port)

    async def stop(self) -> None:
        self.relay.stop()
        if self.consumer:
            self.consumer.stop()
        if self._http:
            self._http.should_exit = True
        if self._grpc:
            await self._grpc.stop(grace=2)
        for task in self._tasks:
            if task.get_name().endswith(("-http", "-relay", "-consumer")):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, 10)
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self.peers.close()


def run_process(spec: ServiceSpec) -> None:
    """Entry point of one service in local or cluster mode: real Kafka and a MongoDB-wire store."""
    from chassis.bus.kafka import KafkaBus
    from chassis.logs import setup_logging
    from chassis.store.mongo import MongoStore
    from chassis.telemetry import setup_telemetry

    settings = Settings.from_env(spec.name)
    setup_logging(spec.name)
    setup_telemetry(f"jingban-{spec.name}", settings.trace_file, settings.otlp_endpoint)
    if not settings.kafka_bootstrap or not settings.mongodb_uri:
        raise SystemExit("KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI are required outside embedded mode")

    async def main() -> None:
        bus = KafkaBus(settings.kafka_bootstrap, client_id=f"jingban-{spec.name}")
        store = MongoStore(settings.mongodb_uri, settings.db_prefix)
        await bus.start()
        host = ServiceHost(spec, settings, bus, store)
        await host.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await host.stop()
        await bus.stop()
        await store.close()

    asyncio.run(main())
