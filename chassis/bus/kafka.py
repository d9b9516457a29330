"""Apache Kafka adapter (kafka-python 3). The client is blocking, so each consumer owns one worker
thread (KafkaConsumer is not thread-safe) and publishing waits for acks off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from chassis.bus.port import BusMessage

log = logging.getLogger(__name__)

# The client's own default grows to 30 s between reconnects: a broker back from an outage would wait that long.
RECONNECT_BACKOFF_MAX_MS = 2000


class KafkaBus:
    def __init__(self, bootstrap: str, client_id: str = "jingban", partitions: int = 3) -> None:
        self._bootstrap, self._client_id, self._partitions = bootstrap, client_id, partitions
        self._producer: KafkaProducer | None = None
        self._known_topics: set[str] = set()
        self._io = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kafka-io")
        self._admin: KafkaAdminClient | None = None
        self._health, self._health_checked_at = False, 0.0
        # Health has its own thread: a publish waiting out an outage must not hold the answer of /readyz.
        self._health_io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kafka-health")
        self._health_check: asyncio.Future[bool] | None = None

    async def start(self) -> None:
        def make() -> KafkaProducer:
            return KafkaProducer(
                bootstrap_servers=self._bootstrap, client_id=self._client_id, acks="all",
                linger_ms=5, retries=10, max_in_flight_requests_per_connection=1,
                enable_idempotence=False, max_block_ms=10000, request_timeout_ms=15000,
                reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
            )

        self._producer = await asyncio.get_running_loop().run_in_executor(self._io, make)

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await asyncio.get_running_loop().run_in_executor(self._io, lambda: producer.close(timeout=5))
        if self._admin is not None:
            self._admin.close()
        self._io.shutdown(wait=False)
        self._health_io.shutdown(wait=False)

    async def ensure_topics(self, topics: list[str]) -> None:
        missing = [t for t in topics if t not in self._known_topics]
        if not missing:
            return

        def create() -> None:
            admin = KafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-admin",
                                     reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS)
            try:
                existing = set(admin.list_topics())
                new = [NewTopic(t, self._partitions, 1) for t in missing if t not in existing]
                if new:
                    try:
                        admin.create_topics(new)
                    except TopicAlreadyExistsError:
                        pass  # another process won the race: fine
            finally:
                admin.close()

        await asyncio.get_running_loop().run_in_executor(self._io, create)
        self._known_topics.update(missing)

    async def publish(self, messages: list[BusMessage]) -> None:
        if not messages:
            return
        producer = self._producer
        if producer is None:
            raise RuntimeError("KafkaBus.publish before start()")

        def send_all() -> None:
            futures = [
                producer.send(m.topic, key=m.key.encode(), value=m.value,
                              headers=[(k, v.encode()) for k, v in m.headers.items()])
                for m in messages
            ]
            producer.flush(timeout=30)
            for f in futures:
                f.get(timeout=30)  # raises if the broker refused: the outbox keeps the events

        await asyncio.get_running_loop().run_in_executor(self._io, send_all)

    def consumer(self, group: str, topics: list[str]) -> KafkaBusConsumer:
        return KafkaBusConsumer(self._bootstrap, group, topics, self._client_id)

    async def healthy(self) -> bool:
        """Ready when the cluster answers a real request (DescribeCluster), checked at most every 2 s. The
        check runs in the background: a caller waits at most 0.8 s and otherwise gets the last answer, so
        `/readyz` answers within a second even while the broker is away."""
        if self._producer is None:
            return False
        now = time.monotonic()
        if self._health_check is None and now - self._health_checked_at >= 2:
            self._health_checked_at = now
            self._health_check = asyncio.ensure_future(
                asyncio.get_running_loop().run_in_executor(self._health_io, self._describe))
            self._health_check.add_done_callback(self._checked)
        if self._health_check is not None:
            with contextlib.suppress(TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(self._health_check), 0.8)
        return self._health

    def _checked(self, future: asyncio.Future[bool]) -> None:
        self._health_check = None
        self._health = not future.cancelled() and future.exception() is None and bool(future.result())

    def _describe(self) -> bool:
        if self._admin is None:
            self._admin = KafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-health",
                                           request_timeout_ms=3000, reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS)
        try:
            return bool(self._admin.describe_cluster().get("brokers"))
        except Exception:
            # A client that lost its broker is rebuilt on the next check rather than trusted again.
            admin, self._admin = self._admin, None
            with contextlib.suppress(Exception):
                admin.close()
            raise


class KafkaBusConsumer:
    def __init__(self, bootstrap: str, group: str, topics: list[str], client_id: str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"kafka-{group}")
        self._bootstrap, self._group, self._topics, self._client_id = bootstrap, group, topics, client_id
        self._consumer: KafkaConsumer | None = None
        self._assigned = False  # read on the event loop, written by the consumer's own thread after each poll
        self._lag: int | None = None
        self._lag_at = 0.0
        self._assignment: set[TopicPartition] = set()
        self._generation = 0  # bumped whenever the group gives this consumer a different set of partitions

    def _ensure(self) -> KafkaConsumer:
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                *self._topics, bootstrap_servers=self._bootstrap, group_id=self._group,
                client_id=f"{self._client_id}-{self._group}", enable_auto_commit=False,
                auto_offset_reset="earliest", metadata_max_age_ms=5000,
                session_timeout_ms=10000, heartbeat_interval_ms=1000,
                reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
            )
        return self._consumer

    async def poll(self, timeout_s: float = 0.5, max_records: int = 200) -> list[BusMessage]:
        def run() -> list[BusMessage]:
            consumer = self._ensure()
            batch = consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
            assignment = consumer.assignment()
            if assignment != self._assignment:
                self._assignment, self._generation = set(assignment), self._generation + 1
            self._assigned = bool(assignment)
            if time.monotonic() - self._lag_at >= 5:
                self._lag, self._lag_at = self._measure_lag(consumer, assignment), time.monotonic()
            out: list[BusMessage] = []
            for records in batch.values():
                for r in records:
                    headers = {k: (v or b"").decode("utf-8", "replace") for k, v in (r.headers or [])}
                    key = r.key.decode("utf-8", "replace") if r.key else ""
                    out.append(BusMessage(r.topic, key, r.value or b"", headers, r.partition, r.offset))
            return out

        return await asyncio.get_running_loop().run_in_executor(self._thread, run)

    async def commit(self, messages: list[BusMessage]) -> None:
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for m in messages:
            tp = TopicPartition(m.topic, m.partition)
            if tp not in offsets or offsets[tp].offset <= m.offset:
                offsets[tp] = OffsetAndMetadata(m.offset + 1, "", -1)
        if not offsets:
            return

        def run() -> None:
            # Bounded: with the coordinator away this raises (the batch is redelivered) instead of hanging.
            self._ensure().commit(offsets, timeout_ms=15000)

        await asyncio.get_running_loop().run_in_executor(self._thread, run)

    def assigned(self) -> bool:
        return self._assigned

    def lag(self) -> int | None:
        return self._lag

    def generation(self) -> int:
        return self._generation

    @staticmethod
    def _measure_lag(consumer: KafkaConsumer, assignment: set[TopicPartition]) -> int | None:
        """Messages behind the high-water marks the last fetches reported (None until they have).

        Read from the client's fetch state, not `KafkaConsumer.position()`: that one revalidates every partition
        on each call, and for a few hundred partitions twice a second it cost a quarter of a core while idle."""
        try:
            states = consumer._subscription.assignment
            total = 0
            for tp in assignment:
                state = states.get(tp)
                if state is None or state.highwater is None or not state.has_valid_position:
                    return None
                total += max(0, state.highwater - state.position.offset)
            return total
        except Exception:  # the client's internals moved: lag is a nicety, never a failure
            return None

    async def close(self) -> None:
        self._assigned = False

        def run() -> None:
            if self._consumer is not None:
                self._consumer.close(autocommit=False, timeout_ms=3000)
                self._consumer = None

        await asyncio.get_running_loop().run_in_executor(self._thread, run)
        self._thread.shutdown(wait=False)
