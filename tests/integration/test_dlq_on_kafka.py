"""`jingban dlq` on the real Kafka: parked messages (one undecodable, one refused by the domain) are listed and shown
without moving any consumer group, and replayed to their original topic with `dlq-replayed-from`, each replay
recorded in audit's trail (audit's door in process, on the in-memory store) and refused a second time."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition

from chassis.bus.kafka import KafkaBus
from chassis.bus.memory import MemoryBus
from chassis.bus.port import BusMessage
from chassis.config import Settings
from chassis.events import dead_letter_topic, encode, topic_for
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from jingban import dlq
from services.audit.dead_letters.domain.replays import REPLAYED
from services.audit.main import SPEC
from services.audit.trail.domain.trail import verify
from services.audit.trail.store import TrailStore
from tests.support import tokens
from tests.support.dead_letters import PERSON, TRACEPARENT, corrected, submitted
from tests.support.infra import Endpoints, kafka_security

pytestmark = pytest.mark.integration
TENANTS = ("hz-p1", "hz-p2")


@pytest.fixture
async def audit(run_id: str) -> AsyncIterator[tuple[ServiceHost, httpx.AsyncClient]]:
    host = ServiceHost(SPEC, Settings(service="audit", tenants=TENANTS, topic_prefix=f"{run_id}."), MemoryBus(),
                       MemoryStore())
    app = SPEC.build(host.context).app
    # What ServiceHost.start gives the app: the tenants served and the opener a door's TenantScope uses.
    app.state.tenants, app.state.open_db = frozenset(TENANTS), host.context.db
    app.state.verifier = host.verifier  # what the host sets before serving
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit") as http:
        yield host, http


def parking_headers(original: str, offset: int, reason: str) -> dict[str, str]:
    """What a consumer of appraisal adds when it parks the message at `offset` of `original` (partition 0)."""
    return {"traceparent": TRACEPARENT, "event-type": "application.submitted", "dlq-reason": reason,
            "dlq-topic": original, "dlq-partition": "0", "dlq-offset": str(offset), "dlq-service": "appraisal",
            "dlq-at": "2026-01-05T02:03:04+00:00"}


def read_all(infra: Endpoints, topic: str) -> list[tuple[bytes, bytes, dict[str, str]]]:
    """Everything on a topic now, read group-less from the beginning (as the admin user)."""
    consumer = KafkaConsumer(**infra.kafka_config(), group_id=None, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        out = []
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=500).values():
                out += [(r.key, r.value, {k: v.decode() for k, v in r.headers}) for r in records]
        return out
    finally:
        consumer.close(autocommit=False)


async def test_list_show_and_replay_on_kafka(infra: Endpoints, run_id: str, tmp_path: Path,
                                             audit: tuple[ServiceHost, httpx.AsyncClient]) -> None:
    host, http = audit
    prefix = f"{run_id}."
    dead = dead_letter_topic("hz-p1", "appraisal", prefix)
    original = topic_for("hz-p1", "application.submitted", prefix)
    refused_event = submitted()
    bus = KafkaBus(infra.kafka_bootstrap, client_id="jingban-test", credentials=infra.kafka_user())
    await bus.start()
    try:
        await bus.ensure_topics([dead, original])
        await bus.publish([
            BusMessage(dead, PERSON, b"\xff\x00poison",
                       parking_headers(original, 3, "undecodable envelope: truncated")),
            BusMessage(dead, PERSON, encode(refused_event),
                       parking_headers(original, 4, "InvalidInput: disease_code is not in the table")),
        ])
    finally:
        await bus.stop()

    scope = dlq.Scope(TENANTS, prefix)
    ledger = dlq.AuditReplayLedger("http://audit", tokens.current(), client=http, operator="dlq-cli:it")
    log = dlq.KafkaDeadLetterLog(infra.kafka_bootstrap, security=kafka_security(infra.kafka_credentials))
    try:
        out, err = io.StringIO(), io.StringIO()
        assert await dlq.list_parked(log, ledger, scope, None, None, True, out, err) == dlq.OK
        rows = [json.loads(line) for line in out.getvalue().splitlines()]
        assert [(r["type"], r["replayed"], r["original_topic"]) for r in rows] == [
            ("", 0, original), ("application.submitted", 0, original)]
        poison_id, refused_id = rows[0]["id"], rows[1]["id"]
        assert poison_id.startswith(f"{dead}:") and rows[1]["event_id"] == refused_event["event_id"]
        assert PERSON not in out.getvalue()

        out = io.StringIO()
        assert await dlq.show_parked(log, ledger, scope, refused_id, out, err) == dlq.OK
        shown = json.loads(out.getvalue())
        assert shown["envelope"]["event_id"] == refused_event["event_id"] and shown["consumable"] is True
        assert shown["headers"]["dlq-reason"] == "InvalidInput: disease_code is not in the table"
        assert PERSON not in out.getvalue()

        # The poison as it is would be parked again; the operator's corrected message goes in its place.
        with pytest.raises(dlq.DlqError) as not_consumable:
            await dlq.replay_parked(log, ledger, scope, poison_id, None, False, out, err)
        assert not_consumable.value.code == "not_consumable"
        fixed = tmp_path / "fixed.bin"
        fixed.write_bytes(corrected())
        out = io.StringIO()
        assert await dlq.replay_parked(log, ledger, scope, poison_id, str(fixed), False, out, err) == dlq.OK
        assert await dlq.replay_parked(log, ledger, scope, refused_id, None, False, out, err) == dlq.OK
        # A second replay of the same id is refused: the trail has it and its copy is on the topic.
        with pytest.raises(dlq.DlqError) as again:
            await dlq.replay_parked(log, ledger, scope, refused_id, None, False, out, err)
        assert again.value.code == "already_replayed"
    finally:
        log.close()

    republished = read_all(infra, original)
    assert sorted((h[dlq.REPLAYED_FROM], v, k) for k, v, h in republished) == sorted(
        [(poison_id, corrected(), PERSON.encode()), (refused_id, encode(refused_event), PERSON.encode())])
    assert all(h["traceparent"] == TRACEPARENT and "dlq-reason" not in h for _, _, h in republished)
    assert len(read_all(infra, dead)) == 2  # the parked messages stay where they are

    trail = TrailStore(host.context.db("hz-p1"))
    assert [(e["type"], e["business_key"], e["replay"]["replaced"]) for e in await trail.entries()] == [
        (REPLAYED, poison_id, True), (REPLAYED, refused_id, False)]
    assert verify(await trail.all_entries(), dict([host.context.keys.current("trail", "hz-p1")])).valid

    # The whole command, from the environment: with audit away it still lists, and says it cannot tell what was
    # replayed.
    env = {"JINGBAN_TENANTS": ",".join(TENANTS), "JINGBAN_TOPIC_PREFIX": prefix,
           **infra.kafka_env, "JINGBAN_AUDIT_URL": "http://127.0.0.1:9"}
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(dlq.run, dlq.parser().parse_args(["list", "--tenant", "hz-p1"]), env, None,
                                   None, out, err)
    assert code == dlq.OK and [line.split()[0] for line in out.getvalue().splitlines()[1:]] == [poison_id, refused_id]
    assert "cannot tell which of hz-p1's messages were replayed" in err.getvalue()
