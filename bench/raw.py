"""Raw throughput of the infrastructure itself, as a ceiling for the services' own benches.

    python -m bench.raw [--messages N] [--size BYTES] [--docs N]

Endpoints come from ``KAFKA_BOOTSTRAP_SERVERS`` / ``MONGODB_URI``, or else the local launcher
(deploy/local/launcher.py) is started. Every run uses a fresh topic / database and removes it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from pymongo import MongoClient

PARTITIONS = 3


def kafka_security() -> dict[str, Any]:
    """SASL keyword arguments as the broker's admin (benches create, fill and drop their own topics): from the
    credentials file in JINGBAN_KAFKA_CREDENTIALS (`_endpoints` sets it for the launcher's broker); none without."""
    path = os.environ.get("JINGBAN_KAFKA_CREDENTIALS")
    if not path:
        return {}
    from chassis.bus.kafka import credentials_from_file

    return credentials_from_file(path).client_config()
INSERT_BATCH = 1000


def raw_kafka_rate(bootstrap: str, messages: int = 50_000, size: int = 512) -> float:
    """Produce `messages` records of `size` bytes (acks=all), then consume them all back.

    Returns messages per second over the whole produce + consume span.
    """
    topic = f"bench-raw-{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-raw", **kafka_security())
    try:
        admin.create_topics(
            {topic: {"num_partitions": PARTITIONS, "replication_factor": 1}}, wait_for_metadata=True
        )
        payload = os.urandom(size)  # incompressible, built before the clock starts
        keys = [f"k{i}".encode() for i in range(64)]
        # acks=all as the services use it; batching tuned for throughput, not latency.
        producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            **kafka_security(),
            acks="all",
            linger_ms=10,
            batch_size=256 * 1024,
            max_request_size=4 * 1024 * 1024,
        )
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            **kafka_security(),
            group_id=None,
            enable_auto_commit=False,
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=8 * 1024 * 1024,
            max_poll_records=10_000,
        )
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)

        t0 = time.perf_counter()
        for i in range(messages):
            producer.send(topic, key=keys[i % len(keys)], value=payload)
        producer.flush()
        received = 0
        deadline = time.monotonic() + max(120.0, messages / 500)
        while received < messages:
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumed {received}/{messages} messages before the deadline")
            for records in consumer.poll(timeout_ms=500).values():
                received += len(records)
        elapsed = time.perf_counter() - t0
        producer.close()
        consumer.close()
    finally:
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()
    return messages / elapsed


def drop_topics(bootstrap: str, prefix: str, client_id: str) -> None:
    """Delete the topics a bench run created under its own prefix."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id, **kafka_security())
    try:
        mine = [t for t in admin.list_topics() if t.startswith(f"{prefix}.")]
        if mine:
            admin.delete_topics(mine)
    finally:
        admin.close()


def _claim_line(rng: random.Random, i: int) -> dict[str, object]:
    # Shaped like a small adjudicated claim line (~10 fields).
    return {
        "tenant_id": f"tenant-{i % 4}",
        "claim_no": f"C{i // 5:09d}",
        "line_no": i % 5 + 1,
        "member_id": f"M{rng.randrange(10**8):08d}",
        "service_date": dt.datetime(2025, 1, 1) + dt.timedelta(days=rng.randrange(365)),
        "item_code": f"Y{rng.randrange(10**6):06d}",
        "diagnosis": rng.choice(["J06.9", "I10", "E11.9", "K29.7", "M54.5"]),
        "quantity": rng.randint(1, 10),
        "amount_cents": rng.randrange(100, 500_000),
        "status": rng.choice(["submitted", "adjudicated", "paid"]),
    }


def raw_store_insert_rate(uri: str, docs: int = 20_000) -> float:
    """insert_many in batches of 1000 into a fresh database; returns documents per second."""
    rng = random.Random(42)
    batches = [
        [_claim_line(rng, i) for i in range(start, min(start + INSERT_BATCH, docs))]
        for start in range(0, docs, INSERT_BATCH)
    ]
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=10_000)
    db_name = f"bench_raw_{uuid.uuid4().hex[:12]}"
    try:
        coll = client[db_name]["claim_lines"]
        client.admin.command("ping")  # connect before the clock starts
        t0 = time.perf_counter()
        for batch in batches:
            coll.insert_many(batch, ordered=False)
        elapsed = time.perf_counter() - t0
        count = coll.estimated_document_count()
        if count != docs:
            raise AssertionError(f"stored {count} documents, expected {docs}")
    finally:
        client.drop_database(db_name)
        client.close()
    return docs / elapsed


def _endpoints() -> tuple[str, str]:
    bootstrap, uri = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("MONGODB_URI")
    path = Path(__file__).resolve().parents[1] / "deploy" / "local" / "launcher.py"
    spec = importlib.util.spec_from_file_location("jingban_local_launcher", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    launcher = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = launcher
    spec.loader.exec_module(launcher)
    layout = launcher.Layout.from_env()
    env = launcher.ensure_up(kafka=not bootstrap, mongo=not uri) if not (bootstrap and uri) else {}
    if (not bootstrap or bootstrap == layout.kafka_bootstrap) and layout.kafka_credentials_file.is_file():
        # The launcher's broker: its SASL users, for the benches' own clients (admin) and the services they start
        # (LocalPlatform gives each its own user from the file).
        os.environ.setdefault("JINGBAN_KAFKA_CREDENTIALS", str(layout.kafka_credentials_file))
    return bootstrap or env["KAFKA_BOOTSTRAP_SERVERS"], uri or env["MONGODB_URI"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.raw", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--docs", type=int, default=20_000)
    args = parser.parse_args(argv)
    bootstrap, uri = _endpoints()
    kafka_rate = raw_kafka_rate(bootstrap, args.messages, args.size)
    print(
        f"kafka  {bootstrap:<28} {kafka_rate:>10,.0f} msg/s  "
        f"({args.messages} x {args.size} B, acks=all, produce+consume)"
    )
    store_rate = raw_store_insert_rate(uri, args.docs)
    print(
        f"store  {uri:<28} {store_rate:>10,.0f} doc/s  "
        f"({args.docs} claim lines, insert_many x {INSERT_BATCH})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
