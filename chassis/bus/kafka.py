"""Apache Kafka adapter (kafka-python 3). The client is blocking, so each consumer owns one worker
thread (KafkaConsumer is not thread-safe) and publishing waits for acks off the event loop.

Identity: with a username the clients authenticate with SASL SCRAM-SHA-512 (the local broker and cluster mode
require it; each service has its own user and the broker's ACLs, `chassis/bus/acls.py`, say what it may touch)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka import errors as kafka_errors
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)
from kafka.errors import TopicAlreadyExistsError, TopicAuthorizationFailedError
from kafka.structs import OffsetAndMetadata

from chassis.bus.acls import GROUP, TOPIC, AclEntry, in_scope
from chassis.bus.port import BusMessage
from chassis.events import is_compacted

log = logging.getLogger(__name__)
# kafka-python warns on every SCRAM login over SASL_PLAINTEXT (local mode). SCRAM never sends the password itself, and
# cluster mode runs SASL_SSL: the warning says nothing an operator can act on, once per connection.
logging.getLogger("kafka.net.sasl.scram").setLevel(logging.ERROR)

# The client's own default grows to 30 s between reconnects: a broker back from an outage would wait that long.
RECONNECT_BACKOFF_MAX_MS = 2000
SASL_MECHANISM = "SCRAM-SHA-512"
ADMIN_USER = "admin"


@dataclass(frozen=True)
class KafkaCredentials:
    """A SASL SCRAM-SHA-512 identity on the broker. Its repr never shows the password."""

    username: str
    password: str
    # Cluster mode: SASL over TLS to the brokers, trusting their CA (JINGBAN_KAFKA_SECURITY_PROTOCOL, _CA_FILE).
    security_protocol: str = "SASL_PLAINTEXT"
    ca_file: str = ""

    def __repr__(self) -> str:
        return f"KafkaCredentials(username={self.username!r}, security_protocol={self.security_protocol!r})"

    def client_config(self) -> dict[str, Any]:
        """The kafka-python keyword arguments that make a client (producer, consumer, admin) this user."""
        return client_security(self.username, self.password, self.security_protocol, self.ca_file)


def client_security(username: str, password: str, protocol: str = "SASL_PLAINTEXT",
                    ca_file: str = "") -> dict[str, Any]:
    """SCRAM-SHA-512 for a user over SASL_PLAINTEXT (local) or SASL_SSL with the brokers' CA (cluster); nothing
    (PLAINTEXT) without a username."""
    if not username:
        return {}
    if protocol not in ("SASL_PLAINTEXT", "SASL_SSL"):
        raise ValueError(f"unsupported Kafka security protocol {protocol!r}")
    out: dict[str, Any] = {"security_protocol": protocol, "sasl_mechanism": SASL_MECHANISM,
                           "sasl_plain_username": username, "sasl_plain_password": password}
    if protocol == "SASL_SSL":
        out["ssl_check_hostname"] = True
        if ca_file:
            out["ssl_cafile"] = ca_file
    return out


def credentials_from_file(path: str | Path, user: str = ADMIN_USER) -> KafkaCredentials:
    """One user's credentials from a credentials file (the local launcher writes `<data>/kafka/credentials.json`:
    `{"mechanism": "SCRAM-SHA-512", "users": {"admin": "...", "intake": "...", ...}}`; the path travels as
    `JINGBAN_KAFKA_CREDENTIALS`)."""
    raw = json.loads(Path(path).read_text())
    if raw.get("mechanism", SASL_MECHANISM) != SASL_MECHANISM:
        raise ValueError(f"{path}: unsupported SASL mechanism {raw.get('mechanism')!r}")
    users = raw.get("users") or {}
    if user not in users:
        raise KeyError(f"{path} holds no Kafka user {user!r}")
    return KafkaCredentials(user, str(users[user]))


def topic_spec(partitions: int, replication: int, compacted: bool = False) -> dict[str, Any]:
    """How a service creates a topic: `replication` copies (JINGBAN_TOPIC_REPLICATION: 1 locally, 3 in cluster
    mode) and, from three copies on, min.insync.replicas of a majority (2 of 3): an acks=all write then survives a
    broker down and is refused rather than kept on a single copy. `compacted` (the catalogue's `compacted` event
    types, chassis.events.is_compacted): cleanup.policy=compact, the latest message per key kept for good."""
    spec: dict[str, Any] = {"num_partitions": partitions, "replication_factor": replication}
    configs: dict[str, str] = {}
    if replication >= 3:
        configs["min.insync.replicas"] = str(replication // 2 + 1)
    if compacted:
        configs["cleanup.policy"] = "compact"
    if configs:
        spec["configs"] = configs
    return spec


class KafkaBus:
    def __init__(self, bootstrap: str, client_id: str = "jingban", partitions: int = 3,
                 credentials: KafkaCredentials | None = None, replication: int = 1) -> None:
        self._bootstrap, self._client_id, self._partitions = bootstrap, client_id, partitions
        self._replication = replication
        self._security = credentials.client_config() if credentials else {}
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
                reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS, **self._security,
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

        def create() -> set[str]:
            """Creates what is missing and this identity may create; returns the topics now known to exist.
            A topic this user may not see or create (another service's, under ACLs) is left alone: using it
            fails where it is used (a publish is refused), never here."""
            admin = KafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-admin",
                                     reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS, **self._security)
            try:
                existing = set(admin.list_topics())
                new = [t for t in missing if t not in existing]
                known = {t for t in missing if t in existing}
                if new:
                    result = admin.create_topics(
                        {t: topic_spec(self._partitions, self._replication, is_compacted(t)) for t in new},
                        raise_errors=False)
                    denied = []
                    for topic in result.get("topics", []):
                        code, name = topic.get("error_code", 0), topic.get("name")
                        if code in (0, TopicAlreadyExistsError.errno):  # created, or another process won the race
                            known.add(name)
                        elif code == TopicAuthorizationFailedError.errno:
                            denied.append(name)
                        else:  # the broker's own error class: a retriable one stays transient for the callers
                            raise kafka_errors.for_code(code)(f"creating topic {name}: "
                                                              f"{topic.get('error_message') or ''}")
                    if denied:
                        log.debug("%s may not create %d topic(s), e.g. %s", self._client_id, len(denied), denied[0])
                return known
            finally:
                admin.close()

        created = await asyncio.get_running_loop().run_in_executor(self._io, create)
        self._known_topics.update(created)

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
        return KafkaBusConsumer(self._bootstrap, group, topics, self._client_id, self._security)

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
                # Half a second: /readyz answers within one, with room for a busy machine's scheduler.
                await asyncio.wait_for(asyncio.shield(self._health_check), 0.5)
        return self._health

    def _checked(self, future: asyncio.Future[bool]) -> None:
        self._health_check = None
        self._health = not future.cancelled() and future.exception() is None and bool(future.result())

    def _describe(self) -> bool:
        if self._admin is None:
            self._admin = KafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-health",
                                           request_timeout_ms=3000, reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
                                           **self._security)
        try:
            return bool(self._admin.describe_cluster().get("brokers"))
        except Exception:
            # A client that lost its broker is rebuilt on the next check rather than trusted again.
            admin, self._admin = self._admin, None
            with contextlib.suppress(Exception):
                admin.close()
            raise


class KafkaBusConsumer:
    def __init__(self, bootstrap: str, group: str, topics: list[str], client_id: str,
                 security: dict[str, Any] | None = None) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"kafka-{group}")
        self._bootstrap, self._group, self._topics, self._client_id = bootstrap, group, topics, client_id
        self._security = dict(security or {})
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
                reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS, **self._security,
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


# ---- applying the ACL plan (chassis/bus/acls.py) with the admin client ----

_RESOURCE = {TOPIC: ResourceType.TOPIC, GROUP: ResourceType.GROUP}
_RESOURCE_NAME = {v: k for k, v in _RESOURCE.items()}


def _to_acl(entry: AclEntry) -> ACL:
    return ACL(principal=entry.principal, host="*", operation=ACLOperation[entry.operation],
               permission_type=ACLPermissionType.ALLOW,
               resource_pattern=ResourcePattern(_RESOURCE[entry.resource_type], entry.name,
                                                ACLResourcePatternType.LITERAL))


def _existing_allows(admin: KafkaAdminClient, services: Iterable[str]) -> set[AclEntry]:
    """The literal ALLOW bindings on topics and groups held by these services' principals."""
    out: set[AclEntry] = set()
    for service in services:
        acls, _ = admin.describe_acls(ACLFilter(
            principal=f"User:{service}", host=None, operation=ACLOperation.ANY,
            permission_type=ACLPermissionType.ANY,
            resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY)))
        for acl in acls:
            pattern = acl.resource_pattern
            if (acl.permission_type == ACLPermissionType.ALLOW and acl.host == "*"
                    and pattern.pattern_type == ACLResourcePatternType.LITERAL
                    and pattern.resource_type in _RESOURCE_NAME):
                out.add(AclEntry(acl.principal, _RESOURCE_NAME[pattern.resource_type], pattern.resource_name,
                                 acl.operation.name))
    return out


def _delete(admin: KafkaAdminClient, entries: Iterable[AclEntry]) -> None:
    filters = [_to_acl(e) for e in sorted(entries)]
    for i in range(0, len(filters), 500):
        for _filter, _matched, error in admin.delete_acls(filters[i:i + 500]):
            if error.errno != 0:
                raise RuntimeError(f"deleting ACLs failed: {error.__name__}")


def sync_acls(admin: KafkaAdminClient, plan: list[AclEntry], services: Iterable[str], tenants: Iterable[str],
              prefix: str = "") -> tuple[int, int]:
    """Make the broker hold exactly `plan` for these services, tenants and prefix: create the missing bindings,
    remove the stale ones in scope (other prefixes are left alone). Returns (created, removed)."""
    services, tenants = sorted(set(services)), sorted(set(tenants))
    have = _existing_allows(admin, services)
    want = set(plan)
    missing = sorted(want - have)
    stale = sorted(e for e in have - want if in_scope(e, services, tenants, prefix))
    for i in range(0, len(missing), 500):
        result = admin.create_acls([_to_acl(e) for e in missing[i:i + 500]])
        if result["failed"]:
            raise RuntimeError(f"creating ACLs failed: {result['failed'][0]}")
    if stale:
        _delete(admin, stale)
    return len(missing), len(stale)


def revoke_acls(admin: KafkaAdminClient, plan: list[AclEntry]) -> None:
    """Remove a plan's bindings (a test run's prefix when it ends)."""
    if plan:
        _delete(admin, plan)
