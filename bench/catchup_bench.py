"""Audit catching up a backlog: a month's statements already on Kafka when the audit process starts, timed until
every event is in the trail — the issue's 8,188-event lag that took hours — on the real Kafka and FerretDB
(`deploy/local`, or KAFKA_BOOTSTRAP_SERVERS / MONGODB_URI), with the raw limits measured in the same run.

    python -m bench.catchup_bench [--events 8000] [--more 2000] [--port-offset 7000] [--no-write]

1. raw limits: Kafka produce+consume and store insert_many (bench/raw.py);
2. `--events` valid events of one tenant published (acks=all) to the real topics under a prefix of this run: a
   month's benefits settled per person, institution and month, its statements closed, reconciled and paid with
   their ledger entries, and some applications submitted then completed (updates of documents audit already has);
3. `python -m services.audit.main` started in local mode (its own database and topic prefixes, ports at
   `--port-offset`): the time from its start, and from its `/readyz`, until the trail holds every event;
4. a graceful stop in the middle of work: `--more` events published, SIGTERM once part of them is in the trail (the
   time to exit is what item 5 bounds at 10 s), a restart, and the rest caught up;
5. read back: every event once in the trail, the hash chain verifies, the read model holds what the events say,
   nothing dead-lettered, every event recorded as processed.
Everything of the run (databases, topics) is removed afterwards. Writes the "catchup-bench" part of
bench/RESULTS.md."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from pymongo import MongoClient

from bench.raw import _endpoints, drop_topics, kafka_security, raw_kafka_rate, raw_store_insert_rate
from bench.results_section import write_part
from bench.trail_bench import HEADING, INTRO, PARTS, SECTION
from chassis.events import CATALOGUE, dead_letter_topic, encode, new_event, topic_for
from chassis.store.port import database_name
from contracts.v1 import events_pb2

ROOT = Path(__file__).resolve().parents[1]
PART = "catchup-bench"
TENANT = "hz-p1"
MONTH = "2025-03"
STATEMENTS = 40
APPLICATIONS = 100


def person(i: int) -> str:
    """A distinct resident-ID-shaped person key (GB 11643 check digit)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    body = f"6107{(i // 1000) % 100:02d}19700101{i % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _event(event_type: str, key: str, payload: Any) -> dict[str, Any]:
    return new_event(event_type, TENANT, key, payload, source=CATALOGUE[event_type][0], trace_context={})


def month_of_statements(n: int) -> list[dict[str, Any]]:
    """n valid events of one tenant's month, in the order settlement and intake would publish them."""
    institutions = [f"H6107{k:05d}" for k in range(STATEMENTS)]
    per_statement = 4  # closed, reconciled, paid, and the payment's ledger entry
    settled = n - STATEMENTS * per_statement - 2 * APPLICATIONS
    if settled < STATEMENTS:
        raise ValueError(f"--events must be at least {STATEMENTS * (per_statement + 1) + 2 * APPLICATIONS}")
    out: list[dict[str, Any]] = []
    applications = range(APPLICATIONS)
    for k in applications:
        out.append(_event("application.submitted", person(50_000 + k), events_pb2.ApplicationSubmitted(
            application_id=f"app-{k:04d}", person_id=person(50_000 + k), disease_code="HTN", channel="window",
            submitted_at=f"{MONTH}-02T09:00:00+08:00", program="hz-chronic")))
    out += benefits_settled(settled)
    for k in applications:
        out.append(_event("application.completed", person(50_000 + k), events_pb2.ApplicationCompleted(
            application_id=f"app-{k:04d}", person_id=person(50_000 + k), disease_code="HTN", program="hz-chronic",
            completed_at=f"{MONTH}-05T09:00:00+08:00", completed_on=f"{MONTH}-05")))
    for k, inst in enumerate(institutions):
        sid = f"st-{inst}-{MONTH}"
        out.append(_event("statement.closed", inst, events_pb2.StatementClosed(
            statement_id=sid, institution_code=inst, month=MONTH, claimed="1000.00", payable="800.00", lines=30,
            persons=10, policy_version="2025.t1")))
        out.append(_event("statement.reconciled", inst, events_pb2.StatementReconciled(
            statement_id=sid, institution_code=inst, month=MONTH, balanced=True, detail="3202 ok")))
        out.append(_event("payment.issued", inst, events_pb2.PaymentIssued(
            payment_id=f"pay-{k:03d}", statement_id=sid, institution_code=inst, month=MONTH, amount="800.00",
            issued_at=f"{MONTH}-28T10:00:00+08:00")))
        out.append(_event("ledger.posted", inst, events_pb2.LedgerPosted(
            entry_id=f"ledger-pay-{k:03d}", program="hz-chronic", year=2025, date=f"{MONTH}-28", kind="payment",
            memo=f"支付 {inst} {MONTH} 结算款", amount="800.00",
            postings=[events_pb2.LedgerPosting(account="benefits_paid", debit="800.00", credit="0.00"),
                      events_pb2.LedgerPosting(account="bank", debit="0.00", credit="800.00")])))
    return out


def benefits_settled(n: int, first_person: int = 0, statement_suffix: str = "") -> list[dict[str, Any]]:
    """n persons' month at the statements' institutions (one read-model document each)."""
    out = []
    for i in range(first_person, first_person + n):
        inst = f"H6107{i % STATEMENTS:05d}"
        out.append(_event("benefits.settled", person(i), events_pb2.BenefitsSettled(
            person_id=person(i), institution_code=inst, month=MONTH, claimed="123.45", payable="98.76", lines=3,
            policy_version="2025.t1", statement_id=f"st-{inst}-{MONTH}{statement_suffix}")))
    return out


def audit_topics(prefix: str) -> list[str]:
    return sorted(topic_for(TENANT, t, prefix) for t in CATALOGUE)


def create_topics(bootstrap: str, topics: list[str]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-catchup", **kafka_security())
    try:
        from kafka.admin import NewTopic

        existing = set(admin.list_topics())
        new = [NewTopic(t, 3, 1) for t in topics if t not in existing]
        if new:
            admin.create_topics(new)
    finally:
        admin.close()


def publish(bootstrap: str, prefix: str, events: list[dict[str, Any]]) -> float:
    """As the outbox relays would, acknowledged by all replicas; returns seconds."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=10, batch_size=256 * 1024,
                             **kafka_security())
    t0 = time.perf_counter()
    for ev in events:
        producer.send(topic_for(TENANT, ev["type"], prefix), key=ev["business_key"].encode(), value=encode(ev),
                      headers=[("event-type", ev["type"].encode())])
    producer.flush()
    producer.close()
    return time.perf_counter() - t0


class AuditProcess:
    """audit as `make up` runs it (jingban.local): its own session, a clean signal mask, the run's prefixes."""

    def __init__(self, bootstrap: str, uri: str, prefix: str, port_offset: int) -> None:
        from jingban.local import LocalPlatform
        from tests.support.infra import local_trust_env

        env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "MONGODB_URI": uri, "JINGBAN_TOPIC_PREFIX": f"{prefix}.",
               "JINGBAN_DB_PREFIX": prefix, "JINGBAN_TENANTS": TENANT, "JINGBAN_PROVINCIAL_URL": "http://127.0.0.1:9/",
               **local_trust_env()}
        self.platform = LocalPlatform(env, ROOT / ".jingban" / "bench-logs", port_offset)
        self.log = self.platform.log_dir / f"catchup-audit-{prefix}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        from jingban.local import spawn

        self.platform.provision_kafka_acls()  # audit's rights on the run's topics, as its own Kafka user
        started = time.perf_counter()
        self.proc = spawn([sys.executable, "-m", "services.audit.main"], self.platform.service_env("audit"), self.log)
        return started

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.platform.url('audit')}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 30) -> tuple[float, int]:
        """SIGTERM; (seconds until it exited, exit code). SIGKILL only if it outlives `timeout` (then reported)."""
        assert self.proc is not None
        t0 = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            code = -9
        return time.perf_counter() - t0, code


def trail_length(db: Any) -> int:
    """The trail's last seq as its head says (one small document, cheap to poll)."""
    head = db["trail_head"].find_one({"_id": "head"}, {"seq": 1})
    return int(head["seq"]) if head else 0


def wait_for(predicate: Any, timeout: float, what: str, proc: AuditProcess) -> float:
    deadline = time.monotonic() + timeout
    while not predicate():
        if not proc.alive():
            raise RuntimeError(f"audit exited while waiting for {what}: see {proc.log}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not after {timeout:.0f} s (see {proc.log})")
        time.sleep(0.1)
    return time.perf_counter()


def dead_letters(bootstrap: str, prefix: str) -> int:
    topic = dead_letter_topic(TENANT, "audit", f"{prefix}.")
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, **kafka_security())
    try:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            return 0
        tps = [TopicPartition(topic, p) for p in parts]
        return sum(consumer.end_offsets(tps).values())
    finally:
        consumer.close()


def audit_keys() -> Any:
    """The key provider of the audit process the bench starts (its data dir, from the repository root): the trail
    key the history is sealed with and the trail verified with."""
    from chassis.config import Settings
    from chassis.keys import KeyProvider

    return KeyProvider(ROOT / Settings.from_env("audit").keys_path)


def add_history(uri: str, prefix: str, n: int) -> None:
    """n earlier events already in audit's database: in its trail and recorded as processed by its consumer."""
    import asyncio
    from datetime import UTC, datetime

    from bench.trail_bench import trail_fields
    from chassis.consumer import PROCESSED
    from chassis.pii import Sealer, with_sealer
    from chassis.store.mongo import MongoStore
    from services.audit.trail.service import mac_key
    from services.audit.trail.store import TrailStore

    async def fill() -> None:
        mongo = MongoStore(uri, prefix)
        keys = audit_keys()
        db = with_sealer(mongo.database("audit", TENANT), Sealer(keys, TENANT))  # business keys are sealed
        store = TrailStore(db, mac_key(keys, TENANT))
        await store.ensure_indexes()
        for start in range(0, n, 1000):
            entries = await store.append_many([trail_fields(i) for i in range(start, min(start + 1000, n))])
            now = datetime.now(UTC)
            await db[PROCESSED].insert_many([{"_id": e["event_id"], "type": e["type"], "at": now} for e in entries])
        await mongo.close()

    asyncio.run(fill())


def run(bootstrap: str, uri: str, events: int = 8000, more: int = 2000, port_offset: int = 7000,
        kafka_messages: int = 20_000, store_docs: int = 20_000, history: int = 0) -> dict[str, Any]:
    from services.audit.trail.domain.trail import verify

    out: dict[str, Any] = {"events": events, "more": more, "history": history}
    out["raw_kafka"] = raw_kafka_rate(bootstrap, kafka_messages, 512)
    out["raw_store"] = raw_store_insert_rate(uri, store_docs)
    prefix = "cu" + uuid.uuid4().hex[:8]
    topics = audit_topics(f"{prefix}.")
    client: MongoClient = MongoClient(uri)
    db = client[database_name(prefix, "audit", TENANT)]
    backlog = month_of_statements(events)
    extra = benefits_settled(more, first_person=200_000, statement_suffix="-late")  # a late upload of the month
    audit = AuditProcess(bootstrap, uri, prefix, port_offset)
    try:
        create_topics(bootstrap, topics)
        if history:
            add_history(uri, prefix, history)
        out["publish_s"] = publish(bootstrap, f"{prefix}.", backlog)
        started = audit.start()
        ready = wait_for(audit.ready, 120, "audit ready", audit)
        done = wait_for(lambda: trail_length(db) >= history + events, 900, f"{events} events in the trail", audit)
        out["from_start_s"], out["from_ready_s"] = done - started, done - ready
        out["start_to_ready_s"] = ready - started

        # a graceful stop in the middle of work, then a restart that finishes it
        publish(bootstrap, f"{prefix}.", extra)
        part = history + events + max(1, more // 5)
        wait_for(lambda: trail_length(db) >= part, 300, "part of the second batch in the trail", audit)
        out["stopped_at"] = trail_length(db)
        out["stop_busy_s"], out["stop_busy_code"] = audit.stop()
        out["at_restart"] = trail_length(db)
        restarted = audit.start()
        wait_for(audit.ready, 120, "audit ready again", audit)
        wait_for(lambda: trail_length(db) >= history + events + more, 600, "the rest in the trail", audit)
        out["rest_s"] = time.perf_counter() - restarted
        time.sleep(2)  # the idle stop: nothing under way
        out["stop_idle_s"], out["stop_idle_code"] = audit.stop()

        entries = list(db["trail"].find({}).sort("_id", 1))
        result = verify(entries, dict([audit_keys().current("trail", TENANT)]))
        sent = {e["event_id"] for e in backlog} | {e["event_id"] for e in extra}
        kept = [e["event_id"] for e in entries]
        out["trail"] = len(entries) - history
        out["unique"] = len(set(kept)) - history
        out["chain_valid"] = result.valid
        out["missing"] = len(sent - set(kept))
        out["processed"] = db["processed_events"].count_documents({}) - history
        out["benefits"] = db["benefits"].count_documents({})
        out["statements"] = db["statements"].count_documents({"reconciled_on": {"$exists": True}})
        out["payments"] = db["payments"].count_documents({})
        out["completed_apps"] = db["applications"].count_documents({"completed_on": {"$exists": True},
                                                                    "submitted_on": {"$exists": True}})
        out["dead_letters"] = dead_letters(bootstrap, prefix)
        out["backlog_benefits"] = sum(e["type"] == "benefits.settled" for e in backlog)
        out["expected_benefits"] = out["backlog_benefits"] + len(extra)  # one document per person and statement
    finally:
        if audit.alive():
            audit.stop()
        client.drop_database(database_name(prefix, "audit", TENANT))
        client.close()
        drop_topics(bootstrap, prefix, "bench-catchup")
    return out


def _rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rate = r["events"] / r["from_start_s"]
    earlier = f", its trail and processed ids already holding {r['history']:,} earlier events" if r["history"] else ""
    return [
        (f"catch-up: {r['events']:,} events on Kafka before audit starts{earlier}; from its start until all are in "
         "the trail", f"{r['from_start_s']:.1f} s ({rate:,.0f} event/s)", f"{rate / r['raw_kafka']:.4f}",
         f"{rate / r['raw_store']:.4f}"),
        ("… of which from its `/readyz` 200 (start-up: indexes, head, joining the group)",
         f"{r['from_ready_s']:.1f} s (start-up {r['start_to_ready_s']:.1f} s)", "—", "—"),
        (f"SIGTERM while catching up {r['more']:,} more (at {r['stopped_at'] - r['history'] - r['events']:,} of "
         "them) → exited", f"{r['stop_busy_s']:.1f} s (exit code {r['stop_busy_code']})", "—", "—"),
        ("restart → the rest caught up", f"{r['rest_s']:.1f} s", "—", "—"),
        ("SIGTERM idle → exited", f"{r['stop_idle_s']:.1f} s (exit code {r['stop_idle_code']})", "—", "—"),
    ]


def _read_back(r: dict[str, Any]) -> str:
    earlier = f" (besides the {r['history']:,} earlier)" if r["history"] else ""
    return (f"{r['trail']:,} trail entries{earlier}, {r['unique']:,} distinct events, {r['missing']} missing, chain "
            f"{'valid' if r['chain_valid'] else 'BROKEN'}; {r['processed']:,} recorded as processed; read model "
            f"{r['benefits']:,} benefits (expected {r['expected_benefits']:,}), {r['statements']} statements "
            f"reconciled, {r['payments']} payments, {r['completed_apps']} applications submitted and completed; "
            f"{r['dead_letters']} dead-lettered")


def section(results: list[dict[str, Any]], command: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    first = results[0]
    rows = [("raw Kafka produce+consume (512 B, acks=all)", f"{first['raw_kafka']:,.0f} msg/s", "1.00", "—"),
            ("raw store insert_many × 1000", f"{first['raw_store']:,.0f} doc/s", "—", "1.00")]
    for r in results:
        rows += _rows(r)
    text = [
        "### Catch-up of a backlog",
        "",
        f"Latest run: {now} on `{platform.node()}` ({os.cpu_count()} cores, Python {platform.python_version()}), "
        "audit alone as a local-mode process (one tenant) on the shared Kafka and FerretDB.",
        "",
        f"Command: `{command}`",
        "",
        "| measure | result | ratio to raw Kafka | ratio to raw store |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        f"The backlog: a month's statements of one tenant — {first['backlog_benefits']:,} `benefits.settled`, "
        f"{STATEMENTS} statements closed, reconciled and paid with their ledger entries, {APPLICATIONS} applications "
        "submitted then completed (read-model documents updated, not only added); then "
        f"{first['more']:,} more `benefits.settled` for the stop in the middle. Read back after the stop and "
        "restart: " + "; and with history: ".join(_read_back(r) for r in results) + ".",
    ]
    if any(r["history"] for r in results):
        text += [
            "",
            "What history adds is the consumer's, not the trail's: the chassis reads the tenant's processed event "
            "ids once per partition assignment (a read through all of `processed_events`, which FerretDB 1.24 "
            "answers in proportion to the collection), so the start and the restart after the stop pay it once "
            "each; the trail's own append costs the same at any size (above).",
        ]
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.catchup_bench")
    parser.add_argument("--events", type=int, default=8000)
    parser.add_argument("--more", type=int, default=2000, help="events published for the stop in the middle")
    parser.add_argument("--port-offset", type=int, default=7000)
    parser.add_argument("--kafka-messages", type=int, default=20_000)
    parser.add_argument("--store-docs", type=int, default=20_000)
    parser.add_argument("--history", default="0",
                        help="events already in audit's trail and recorded as processed before the backlog; "
                        "several (0,100000) run one after another")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    bootstrap, uri = _endpoints()
    results = [run(bootstrap, uri, args.events, args.more, args.port_offset, args.kafka_messages, args.store_docs,
                   int(h)) for h in args.history.split(",")]
    command = "python -m bench.catchup_bench " + " ".join(argv if argv is not None else sys.argv[1:])
    text = section(results, command.strip())
    print(text)
    if not args.no_write:
        write_part(SECTION, HEADING, PARTS, PART, text, INTRO)
    ok = all(r["trail"] == r["unique"] == r["events"] + r["more"] and r["missing"] == 0 and r["chain_valid"]
             and r["dead_letters"] == 0 for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
