"""Integration tier: the real Apache Kafka and FerretDB (never the in-memory adapters)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from chassis.bus.kafka import KafkaBus
from chassis.store.mongo import MongoStore
from tests.support.infra import Endpoints, real_infra


@pytest.fixture(scope="session")
def infra() -> Endpoints:
    return real_infra()


@pytest.fixture
def run_id() -> str:
    """A fresh namespace (topic and database prefix) so reruns on the same servers start clean."""
    return "t" + uuid.uuid4().hex[:8]


@pytest.fixture
async def kafka_bus(infra: Endpoints) -> AsyncIterator[KafkaBus]:
    bus = KafkaBus(infra.kafka_bootstrap, client_id="jingban-test", credentials=infra.kafka_user())  # admin
    await bus.start()
    yield bus
    await bus.stop()


@pytest.fixture
async def mongo_store(infra: Endpoints, run_id: str) -> AsyncIterator[MongoStore]:
    store = MongoStore(infra.mongodb_uri, prefix=run_id)
    yield store
    await store.close()
    await drop_run_databases(infra.mongodb_uri, run_id)


async def drop_run_databases(uri: str, prefix: str) -> None:
    """Keep the shared FerretDB lean: every run's databases go when the test ends (named, not listed)."""
    from pymongo import AsyncMongoClient

    from chassis.config import SERVICES
    from chassis.store.port import database_name

    client: AsyncMongoClient = AsyncMongoClient(uri)
    try:
        for service in SERVICES:
            for tenant in ("hz-p1", "hz-p2"):
                await client.drop_database(database_name(prefix, service, tenant))
    finally:
        await client.close()
