"""The service host: runs one service's HTTP and gRPC doors, event consumer and outbox relay on
whatever bus and store the mode provides. Local mode runs one host per process; embedded mode
runs all five in one process on the in-memory adapters. Same code, different adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import uuid
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
from chassis.errors import TenantNotServed, is_transient
from chassis.events import CATALOGUE, Event, dead_letter_topic, topic_for
from chassis.http import HandBackOnStop
from chassis.keys import KeyProvider
from chassis.metrics import LOOP_RESTARTS
from chassis.outbox import OutboxRelay
from chassis.pii import Sealer, with_sealer
from chassis.rpc import PeerChannels, RpcAccess, TlsFiles, create_server, mark_serving
from chassis.scope import TenantScope, event_scope
from chassis.store.port import Store
from chassis.trust import credentials_for, verifier_for

log = logging.getLogger(__name__)


@dataclass
class ServiceContext:
    """What a service's wiring receives: its settings, adapters, peers and its outbox relay."""

    settings: Settings
    bus: Bus
    store: Store
    peers: PeerChannels
    relay: OutboxRelay
    ready: Callable[[], Awaitable[dict[str, Any]]]
    keys: KeyProvider = field(default_factory=lambda: KeyProvider(".jingban/keys"))
    # This process's instance id (a new one at every start): a lease or claim it holds dies with the process.
    instance: str = field(default_factory=lambda: uuid.uuid4().hex)

    def db(self, tenant: str) -> Any:
        """The tenant's database of this service, for a tenant it serves; writes that stage events wake the
        relay; it carries the tenant's sealer of personal data (chassis/pii.py), which its stores use."""
        if tenant not in self.settings.tenants:
            raise TenantNotServed(f"tenant {tenant!r} is not served by this deployment")
        return with_sealer(self.relay.watch(tenant, self.store.database(self.settings.service, tenant)),
                           Sealer(self.keys, tenant))

    def scope_for(self, event: Event) -> TenantScope:
        """The tenant scope an event's handler works in: the event's tenant, as this service."""
        return event_scope(event.tenant, self.settings.service, frozenset(self.settings.tenants), self.db)


@dataclass
class ServiceParts:
    app: FastAPI
    grpc_servicers: list[Callable[[grpc.aio.Server], Any]] = field(default_factory=list)
    grpc_service_names: list[str] = field(default_factory=list)
    # Who may call each RPC (chassis.rpc.access, declared in each room's rpc.py); a method without a rule is closed.
    grpc_access: dict[str, RpcAccess] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    on_start: Callable[[], Awaitable[None]] | None = None
    # Takes a tenant's new events of one poll batch at once, in arrival order, before the per-event handlers
    # (audit appends them to its trail in one write). Must be idempotent: a redelivered batch comes again.
    batch_handler: Callable[[str, list[Event]], Awaitable[None]] | None = None
    # Long-running loops of the service (e.g. a filing worker), started after the doors and cancelled on stop.
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    outbox_collections: list[str]
    build: Callable[[ServiceContext], ServiceParts]


STOP_DEADLINE_S = 10.0  # SIGTERM to exit; the manifests' terminationGracePeriodSeconds leave room for it


class ServiceHost:
    def __init__(self, spec: ServiceSpec, settings: Settings, bus: Bus, store: Store) -> None:
        self.spec, self.settings, self.bus, self.store = spec, settings, bus, store
        # Outside embedded mode this refuses to go on without an identity provider (chassis/trust.py).
        self.verifier = verifier_for(settings, spec.name)
        self.tls = TlsFiles.load(settings.grpc_tls_dir, spec.name)
        self.peers = PeerChannels(credentials_for(settings, spec.name), settings.peers, spec.name, self.tls)
        keys = KeyProvider(settings.keys_path, create=settings.mode != "cluster")
        # The relay makes every message key a pseudonym of the business key with the service's keys (outbox.py).
        self.relay = OutboxRelay(spec.name, store, bus, settings.tenants, spec.outbox_collections,
                                 settings.topic_prefix, keys=keys)
        self.context = ServiceContext(settings, bus, store, self.peers, self.relay, self.ready, keys=keys)
        self.parts: ServiceParts | None = None
        self.consumer: EventConsumer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._http: uvicorn.Server | None = None
        self._grpc: grpc.aio.Server | None = None
        self._stopping = False

    async def ready(self) -> dict[str, Any]:
        """Readiness with its detail; answers within a second whatever is down (each check is bounded)."""
        store_ok, bus_ok = await asyncio.gather(self.store.ping(), self.bus.healthy())
        checks: dict[str, bool] = {"store": store_ok, "bus": bus_ok}
        report: dict[str, Any] = {"checks": checks, "instance": self.context.instance,
                                  "outbox": self.relay.status()}
        if self.parts is not None and self.parts.subscriptions:
            checks["consumers"] = self.consumer is not None and self.consumer.joined
            report["consumers"] = {self.consumer.group: self.consumer.status()} if self.consumer else {}
        loops = {t.get_name(): "running" if not t.done() else "stopped" for t in self._tasks}
        report["loops"] = loops
        return report

    def topics(self) -> list[str]:
        """Every topic of the tenants served, plus this service's dead-letter topics: created before anyone
        subscribes or publishes, so no client ever asks for a topic that is not there."""
        tenants, prefix = self.settings.tenants, self.settings.topic_prefix
        return sorted({topic_for(t, et, prefix) for t in tenants for et in CATALOGUE}
                      | {dead_letter_topic(t, self.spec.name, prefix) for t in tenants})

    async def start(self) -> None:
        name = self.spec.name
        parts = self.spec.build(self.context)
        self.parts = parts
        parts.app.state.tenants = frozenset(self.settings.tenants)
        parts.app.state.verifier = self.verifier
        parts.app.state.open_db = self.context.db  # what a door's TenantScope opens (chassis/scope.py)
        FastAPIInstrumentor.instrument_app(parts.app, excluded_urls="healthz,readyz")
        for tenant in self.settings.tenants:
            await self.store.database(name, tenant)[PROCESSED].create_index("at")
        try:
            await asyncio.wait_for(self.bus.ensure_topics(self.topics()), 30)
        except Exception as exc:  # the broker may be away at start; the consumer's loop creates them later
            log.warning("%s: topics not created at start (%s); the consumer will retry", name, exc)
        if parts.on_start:
            await parts.on_start()

        server, health_servicer = create_server(self.verifier, parts.grpc_servicers, parts.grpc_service_names,
                                                parts.grpc_access, self.settings.tenants, self.context.db)
        address = f"{self.settings.http_host}:{self.settings.grpc_port}"
        bound = (server.add_secure_port(address, self.tls.server_credentials()) if self.tls
                 else server.add_insecure_port(address))
        if not bound:
            raise RuntimeError(f"{name}: cannot bind gRPC port {self.settings.grpc_port}")
        await server.start()
        await mark_serving(health_servicer, parts.grpc_service_names)
        self._grpc = server

        config = uvicorn.Config(HandBackOnStop(parts.app), host=self.settings.http_host, port=self.settings.http_port,
                                log_config=None, lifespan="off", access_log=False,
                                timeout_graceful_shutdown=int(STOP_DEADLINE_S // 2))
        self._http = uvicorn.Server(config)
        self._http.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # the host owns signals
        self._tasks.append(asyncio.create_task(self._http.serve(), name=f"{name}-http"))
        while not self._http.started:
            await asyncio.sleep(0.02)
            if self._tasks[-1].done():
                self._tasks[-1].result()  # surfaces bind errors

        self._tasks.append(asyncio.create_task(self._supervised("relay", self.relay.run), name=f"{name}-relay"))
        for loop_fn in parts.background:
            self._tasks.append(asyncio.create_task(self._supervised(loop_fn.__name__, loop_fn),
                                                   name=f"{name}-{loop_fn.__name__}"))
        if parts.subscriptions:
            self.consumer = EventConsumer(name, self.bus, self.store, self.settings.tenants, parts.subscriptions,
                                          self.settings.topic_prefix, batch_handler=parts.batch_handler,
                                          retry_horizon_s=self.settings.retry_horizon_s)
            self._tasks.append(asyncio.create_task(self._supervised("consumer", self.consumer.run),
                                                   name=f"{name}-consumer"))
        log.info("%s serving http://%s:%s grpc :%s (instance %s)", name, self.settings.http_host,
                 self.settings.http_port, self.settings.grpc_port, self.context.instance)

    async def _supervised(self, loop: str, run: Callable[[], Awaitable[None]]) -> None:
        """The watchdog: a loop that stops or fails while the service is not stopping is started again."""
        delay = 0.5
        while not self._stopping:
            try:
                await run()
                if self._stopping:
                    return
                log.error("%s: loop %s returned on its own; restarting it", self.spec.name, loop)
            except asyncio.CancelledError:
                raise
            except Exception:
                if self._stopping:
                    return
                log.exception("%s: loop %s failed; restarting it in %.1f s", self.spec.name, loop, delay)
            LOOP_RESTARTS.labels(self.spec.name, loop).inc()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def stop(self) -> None:
        """Graceful stop within STOP_DEADLINE_S: stop taking requests and let those under way finish, let the
        consumer finish (and commit) its batch or hand it back, flush the outbox, then close."""
        self._stopping = True
        deadline = asyncio.get_running_loop().time() + STOP_DEADLINE_S - 1

        def left() -> float:
            return max(0.1, deadline - asyncio.get_running_loop().time())

        if self.consumer:
            self.consumer.stop()
        if self._http:
            self._http.should_exit = True
        grpc_stop = asyncio.ensure_future(self._grpc.stop(grace=3)) if self._grpc else None
        by_name = {t.get_name(): t for t in self._tasks}
        name = self.spec.name
        for key in (f"{name}-http", f"{name}-consumer"):
            task = by_name.get(key)
            if task is not None:
                await self._finish(task, min(left(), STOP_DEADLINE_S / 2))
        self.relay.stop()
        relay_task = by_name.get(f"{name}-relay")
        if relay_task is not None:
            await self._finish(relay_task, min(left(), 2))
        with contextlib.suppress(Exception):
            flushed = await asyncio.wait_for(self.relay.flush(), min(left(), 2))
            if flushed:
                log.info("%s: flushed %d outbox events on stop", name, flushed)
        for task in self._tasks:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, 1)
        if grpc_stop is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(grpc_stop, left())
        await self.peers.close()

    @staticmethod
    async def _finish(task: asyncio.Task[None], timeout: float) -> None:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(asyncio.shield(task), timeout)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 1)


def run_process(spec: ServiceSpec) -> None:
    """Entry point of one service in local or cluster mode: real Kafka and a MongoDB-wire store."""
    from chassis.bus.kafka import KafkaBus, KafkaCredentials
    from chassis.logs import setup_logging
    from chassis.store.mongo import MongoStore
    from chassis.telemetry import setup_telemetry

    # Whatever started us may have blocked these (a parent waiting in sigwait): a service must hear its stop.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    settings = Settings.from_env(spec.name)
    setup_logging(spec.name)
    setup_telemetry(f"jingban-{spec.name}", settings.trace_file, settings.otlp_endpoint, settings.zipkin_endpoint)
    if not settings.kafka_bootstrap or not settings.mongodb_uri:
        raise SystemExit("KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI are required outside embedded mode")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        bus = KafkaBus(settings.kafka_bootstrap, client_id=f"jingban-{spec.name}",  # its own SASL user, if any
                       credentials=KafkaCredentials(settings.kafka_username, settings.kafka_password,
                                                    settings.kafka_security_protocol, settings.kafka_ca_file)
                       if settings.kafka_username else None, replication=settings.topic_replication)
        store = MongoStore(settings.mongodb_uri, settings.db_prefix)
        host = ServiceHost(spec, settings, bus, store)
        # Kafka or the store may be away when the process starts: wait for them (a stop still stops).
        for step in (bus.start, host.start):
            delay = 0.5
            while not stop.is_set():
                try:
                    await step()
                    break
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    log.warning("%s: %s waits for the infrastructure (%s)", spec.name, step.__name__, exc)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    delay = min(delay * 2, 10.0)
        await stop.wait()
        log.info("%s: stopping (instance %s)", spec.name, host.context.instance)
        await host.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(bus.stop(), 3)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(store.close(), 2)
        log.info("%s: stopped", spec.name)

    asyncio.run(main())
    # The Kafka client's worker threads may sit in a blocking call for many seconds; the work is stored and
    # the offsets committed by now, so exit without joining them (the stop deadline is STOP_DEADLINE_S).
    with contextlib.suppress(Exception):
        from opentelemetry import trace as otel_trace

        provider = otel_trace.get_tracer_provider()
        if hasattr(provider, "shutdown"):
            provider.shutdown()
    logging.shutdown()
    os._exit(0)
