"""The infrastructure the integration suite runs on is the real thing.

Kafka: a real broker keeps keys and per-partition order. FerretDB: real MongoDB wire protocol,
real unique indexes. Launcher: a second ``ensure_up()`` changes nothing.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections import defaultdict

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from tests.support.infra import LAUNCHER_PATH, Endpoints, load_launcher, real_infra

pytestmark = pytest.mark.integration

MESSAGES = 100
PARTITIONS = 3


@pytest.fixture(scope="module")
def infra() -> Endpoints:
    return real_infra()


def _launcher_owns_servers(infra: Endpoints) -> bool:
    if infra.source == "launcher":
        return True
    if "testcontainers" in infra.source:
        return False
    # Endpoints came from the environment: test the launcher only if it is what serves them.
    launcher = load_launcher()
    states = launcher.status()
    env = launcher.env()
    return (
        all(s.running and s.answers for s in states.values())
        and env["KAFKA_BOOTSTRAP_SERVERS"] == infra.kafka_bootstrap
        and env["MONGODB_URI"] == infra.mongodb_uri
    )


def test_kafka_roundtrip_keeps_keys_and_partition_order(infra: Endpoints) -> None:
    topic = f"it-infra-{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(**infra.kafka_config(), client_id="it-infra")
    try:
        admin.create_topics(
            {topic: {"num_partitions": PARTITIONS, "replication_factor": 1}}, wait_for_metadata=True
        )

        producer = KafkaProducer(**infra.kafka_config(), acks="all", linger_ms=5)
        sent: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
        futures = []
        for i in range(MESSAGES):
            key, value = f"claimant-{i % 7}".encode(), f"event-{i:03d}".encode()
            futures.append((key, value, producer.send(topic, key=key, value=value)))
        producer.flush()
        for key, value, fut in futures:
            meta = fut.get(timeout=30)
            sent[meta.partition].append((key, value))
        producer.close()

        consumer = KafkaConsumer(**infra.kafka_config(), group_id=None, enable_auto_commit=False)
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        got: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
        deadline = time.monotonic() + 60
        while sum(map(len, got.values())) < MESSAGES and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                got[tp.partition].extend((r.key, r.value) for r in records)
        consumer.close()
    finally:
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()

    assert sum(map(len, got.values())) == MESSAGES
    assert dict(got) == dict(sent)  # same records, same order in every partition
    # The default partitioner keeps each key on one partition.
    key_partitions: dict[bytes, set[int]] = defaultdict(set)
    for partition, records in got.items():
        for key, _ in records:
            key_partitions[key].add(partition)
    assert all(len(ps) == 1 for ps in key_partitions.values())
    assert len(got) > 1, "7 keys over 3 partitions should use more than one partition"


async def test_ferretdb_crud_and_unique_index(infra: Endpoints) -> None:
    client: AsyncMongoClient = AsyncMongoClient(infra.mongodb_uri, serverSelectionTimeoutMS=10_000)
    db = client[f"it_infra_{uuid.uuid4().hex[:12]}"]
    try:
        claims = db["claims"]
        inserted = await claims.insert_one({"claim_no": "C-0001", "tenant": "t1", "amount_cents": 12_345})
        found = await claims.find_one({"_id": inserted.inserted_id})
        assert found is not None and found["claim_no"] == "C-0001" and found["amount_cents"] == 12_345

        result = await claims.update_one(
            {"claim_no": "C-0001"}, {"$set": {"status": "adjudicated", "amount_cents": 10_000}}
        )
        assert result.matched_count == 1 and result.modified_count == 1
        updated = await claims.find_one({"claim_no": "C-0001"})
        assert (
            updated is not None and updated["status"] == "adjudicated" and updated["amount_cents"] == 10_000
        )

        await claims.create_index([("tenant", 1), ("claim_no", 1)], unique=True)
        with pytest.raises(DuplicateKeyError):
            await claims.insert_one({"claim_no": "C-0001", "tenant": "t1"})
        await claims.insert_one({"claim_no": "C-0001", "tenant": "t2"})  # other tenant: fine
        assert await claims.count_documents({}) == 2

        if infra.source != "testcontainers":
            build = await client.admin.command("buildInfo")
            assert build.get("ferretdbVersion", "").startswith("v1."), build
    finally:
        await client.drop_database(db.name)
        await client.close()


def test_second_ensure_up_is_a_no_op(infra: Endpoints) -> None:
    if not _launcher_owns_servers(infra):
        pytest.skip(f"servers come from {infra.source}, not from deploy/local/launcher.py")
    launcher = load_launcher()
    before = {name: s.pid for name, s in launcher.status().items()}
    assert all(before.values())

    t0 = time.monotonic()
    env = launcher.ensure_up()
    elapsed = time.monotonic() - t0

    after = {name: s.pid for name, s in launcher.status().items()}
    assert after == before
    assert env == launcher.env()  # the endpoints (and the Kafka users' credentials file)
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == infra.kafka_bootstrap and env["MONGODB_URI"] == infra.mongodb_uri
    assert elapsed < 5, f"a no-op ensure_up() took {elapsed:.1f}s"


def test_concurrent_cli_up_calls_share_one_server(infra: Endpoints) -> None:
    if not _launcher_owns_servers(infra):
        pytest.skip(f"servers come from {infra.source}, not from deploy/local/launcher.py")
    launcher = load_launcher()
    before = {name: s.pid for name, s in launcher.status().items()}
    procs = [
        subprocess.Popen(
            [sys.executable, str(LAUNCHER_PATH), "up", "--no-keycloak", "--no-zipkin"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    expected = "".join(f"{key}={value}\n" for key, value in launcher.env().items())
    assert f"KAFKA_BOOTSTRAP_SERVERS={infra.kafka_bootstrap}\n" in expected
    assert all(out == expected for out, _ in outputs), outputs
    assert {name: s.pid for name, s in launcher.status().items()} == before
