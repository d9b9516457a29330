"""Apache Kafka adapter (kafka-python 3). The client is blocking, so each consumer owns one worker
thread (KafkaConsumer is not thread-safe) and publishing waits for acks off the event loop."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from chassis.bus.port import BusMessage

log = logging.getLogger(__name__)


class KafkaBus:
    def __init__(self, bootstrap: str, client_id: str = "jingban", partitions: int = 3) -> None:
        self._bootstrap, self._client_id, self._partitions = bootstrap, client_id, partitions
        self._producer: KafkaProducer | None = None
        self._known_topics: set[str] = set()
        self._io = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kafka-io")
        self._admin: KafkaAdminClient | None = None
        self._health, self._health_checked_at = False, 0.0

    async def start(self) -> None:
        def make() -> KafkaProducer:
            return KafkaProducer(
                bootstrap_servers=self._bootstrap, client_id=self._client_id, acks="all",
                linger_ms=5, retries=10, max_in_flight_requests_per_connection=1,
                enable_idempotence=False,
            )

        self._producer = await asyncio.get_running_loop().run_in_executor(self._io, make)

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await asyncio.get_running_loop().run_in_executor(self._io, lambda: producer.close(timeout=5))
        if self._admin is not None:
            self._admin.close()
        self._io.shutdown(wait=False)

    async def ensure_topics(self, topics: list[str]) -> None:
        missing = [t for t in topics if t not in self._known_topics]
        if not missing:
            return

        def create() -> None:
            admin = KafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-admin")
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
            producer.flush()
            for f in futures:
                f.get(timeout=30)  # raises if the broker refused: the outbox keeps the events

        await asyncio.get_running_loop().run_in_executor(self._io, send_all)

    def consumer(self, group: str, topics: list[str]) -> KafkaBusConsumer:
        return KafkaBusConsumer(self._bootstrap, group, topics, self._client_id)

    async def healthy(self) -> bool:
        """Ready when the cluster answers a real request (DescribeCluster), checked at most every 5 s."""
        if self._producer is None:
            return False
        now = time.monotonic()
        if now - self._health_checked_at < 5:
            return self._health
        self._health_checked_at = now

        def describe() -> bool:
            if self._admin is None:
                self._admin = KafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-health",
                                               request_timeout_ms=3000)
            return bool(self._admin.describe_cluster().get("brokers"))

        try:
            self._health = await asyncio.get_running_loop().run_in_executor(self._io, describe)
        except Exception:  # any client failure means "not ready"
            self._health = False
        return self._health


class KafkaBusConsumer:
    def __init__(self, bootstrap: str, group: str, topics: list[str], client_id: str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"kafka-{group}")
        self._bootstrap, self._group, self._topics, self._client_id = bootstrap, group, topics, client_id
        self._consumer: KafkaConsumer | None = None
        self._assigned = False  # read on the event loop, written by the consumer's own thread after each poll

    def _ensure(self) -> KafkaConsumer:
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                *self._topics, bootstrap_servers=self._bootstrap, group_id=self._group,
                client_id=f"{self._client_id}-{self._group}", enable_auto_commit=False,
                auto_offset_reset="earliest", metadata_max_age_ms=5000,
                session_timeout_ms=10000, heartbeat_interval_ms=1000,
            )
        return self._consumer

    async def poll(self, timeout_s: float = 0.5, max_records: int = 200) -> list[BusMessage]:
        def run() -> list[BusMessage]:
            consumer = self._ensure()
            batch = consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
            self._assigned = bool(consumer.assignment())
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
            self._ensure().commit(offsets)

        await asyncio.get_running_loop().run_in_executor(self._thread, run)

    def assigned(self) -> bool:
        return self._assigned

    async def close(self) -> None:
        self._assigned = False

        def run() -> None:
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None

        await asyncio.get_running_loop().run_in_executor(self._thread, run)
        self._thread.shutdown(wait=False)
