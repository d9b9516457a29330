"""`jingban dlq list|show|replay`: the messages consumers parked on their tenants' dead-letter topics (死信队列).

- Reading changes nothing: a consumer without a group is assigned the partitions and reads from the beginning,
  so no offset is ever committed and no consumer group is joined or moved.
- Nothing personal is printed: never a payload, and the message key (the business key, often an identity number)
  only as a short sha256 prefix.
- A replay republishes the parked message (or the operator's corrected one, `--value-file`) to its original topic
  with the header `dlq-replayed-from=<id>`, and is recorded first in the tenant's audit trail (audit's
  `POST /v1/dead-letters/replays`, with an ops token of the message's tenant from the issuer the platform trusts).
  Consumers dedupe by event id, so a replay never applies an event twice; and the CLI refuses a second replay of
  the same id (unless `--again`) by reading that record back.

A parked message's id is `<dead-letter topic>:<partition>:<offset>`. Exit status: 0 done, 1 infrastructure failed
(Kafka or audit unreachable, a publish not acknowledged), 2 bad input (an id, a tenant, a file), 3 refused (already
replayed). Errors go to stderr as `{"error": {"code", "message", "field"}}`."""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TextIO

from chassis.config import SERVICES, Settings

REPLAYED_FROM = "dlq-replayed-from"
REPLAY_ATTEMPT = "dlq-replay-attempt"
PARKING_PREFIX = "dlq-"  # the headers a consumer adds when it parks a message (reason, origin, service, time)
DEFAULT_AUDIT_URL = "http://127.0.0.1:8104"
DEFAULT_KAFKA = "127.0.0.1:19092"  # the local launcher's Kafka
KEY_DIGEST_CHARS = 12
MAX_VALUE_BYTES = 1024 * 1024  # Kafka's default largest message
# How far the CLI's clock (which stamps the republished message) may be behind audit's (which stamps the record)
# when it looks for an earlier replay's copy on the original topic.
CLOCK_SKEW = timedelta(minutes=10)
ID_RE = re.compile(r"^(?P<topic>[A-Za-z0-9._-]{1,249}):(?P<partition>[0-9]{1,6}):(?P<offset>[0-9]{1,19})$")
EVENT_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")

OK, FAILED, BAD_INPUT, REFUSED = 0, 1, 2, 3


class DlqError(Exception):
    """A precise refusal: a stable code, the argument at fault and the exit status."""

    def __init__(self, code: str, message: str, field: str = "", status: int = BAD_INPUT) -> None:
        super().__init__(message)
        self.code, self.message, self.field, self.status = code, message, field, status


# ---- what is parked ----


@dataclass(frozen=True)
class DeadLetterId:
    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @staticmethod
    def parse(text: str) -> DeadLetterId:
        m = ID_RE.match(text)
        if m is None:
            raise DlqError("invalid_id", f"{text!r} is not a parked message id "
                           "(<dead-letter topic>:<partition>:<offset>)", field="id")
        return DeadLetterId(m["topic"], int(m["partition"]), int(m["offset"]))


@dataclass(frozen=True)
class ParkedMessage:
    """One message on a dead-letter topic, as Kafka holds it (`timestamp_ms`: when it was written there)."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: dict[str, str]
    timestamp_ms: int

    @property
    def id(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def original_topic(self) -> str:
        return self.headers.get("dlq-topic", "")

    @property
    def reason(self) -> str:
        """Why it was parked, with the key and any identity number masked (a driver's error may quote them)."""
        return redacted(self.headers.get("dlq-reason", ""), self.key)

    @property
    def origin(self) -> str:
        """Where the message was read from, `<topic>:<partition>:<offset>`: one poison message read by several
        services is parked once by each, and its dead letters share this."""
        h = self.headers
        return f"{h['dlq-topic']}:{h['dlq-partition']}:{h['dlq-offset']}" if all(
            h.get(k) for k in ("dlq-topic", "dlq-partition", "dlq-offset")) else ""

    @property
    def parked_at(self) -> str:
        if self.headers.get("dlq-at"):
            return self.headers["dlq-at"]
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC).isoformat() if self.timestamp_ms >= 0 else ""


@dataclass(frozen=True)
class Scope:
    """The dead-letter topics of the tenants this deployment serves (JINGBAN_TENANTS, JINGBAN_TOPIC_PREFIX)."""

    tenants: tuple[str, ...]
    prefix: str = ""

    def topics(self, tenant: str | None = None, service: str | None = None) -> list[str]:
        from chassis.events import dead_letter_topic

        if tenant is not None and tenant not in self.tenants:
            raise DlqError("tenant_not_served", f"tenant {tenant} is not served here (JINGBAN_TENANTS)", field="tenant")
        return [dead_letter_topic(t, s, self.prefix) for t in ((tenant,) if tenant else self.tenants)
                for s in ((service,) if service else SERVICES)]

    def owner(self, topic: str) -> str:
        """The served tenant whose dead-letter topic this is."""
        for tenant in self.tenants:
            if topic in self.topics(tenant):
                return tenant
        raise DlqError("not_a_dead_letter_topic", f"{topic} is not a dead-letter topic of a served tenant", field="id")


def key_digest(key: bytes) -> str:
    """The key as a short sha256 prefix: enough to tell messages of one person apart, never the key itself."""
    return hashlib.sha256(key).hexdigest()[:KEY_DIGEST_CHARS] if key else ""


def redacted(text: str, key: bytes) -> str:
    """`text` without the message key (as its digest) and with resident identity numbers masked."""
    from chassis.logs import mask_id_numbers

    clear = key.decode("utf-8", "replace")
    if len(clear) >= 4:  # shorter keys would mask innocent text and are no identity number
        text = text.replace(clear, f"<key {key_digest(key)}>")
    return mask_id_numbers(text)


def envelope_summary(value: bytes) -> dict[str, Any] | None:
    """The envelope's metadata when the bytes are one (never the payload, and the business key as a digest)."""
    from google.protobuf.message import DecodeError

    from contracts.v1 import envelope_pb2

    env = envelope_pb2.Envelope()
    try:
        env.ParseFromString(value)
    except DecodeError:
        return None
    if not env.event_id or not env.type:
        return None
    try:
        occurred_at = env.occurred_at.ToDatetime(tzinfo=UTC).isoformat() if env.HasField("occurred_at") else ""
    except (ValueError, OverflowError):  # bytes that only look like an envelope
        occurred_at = ""
    return {"type": env.type, "event_id": env.event_id, "tenant": env.tenant, "source": env.source,
            "occurred_at": occurred_at,
            "causation_id": env.causation_id, "schema_version": env.schema_version,
            "business_key_sha256": key_digest(env.business_key.encode()), "payload_bytes": len(env.payload),
            "payload_sha256": hashlib.sha256(env.payload).hexdigest()}


def event_problem(value: bytes, tenant: str, topic: str, prefix: str) -> str:
    """Why these bytes cannot be consumed from `topic` (the consumer's own checks); empty when they can."""
    from chassis.errors import PoisonMessage
    from chassis.events import CATALOGUE, decode, topic_for

    try:
        event = decode(value)
    except PoisonMessage as exc:
        return str(exc)
    if event.tenant != tenant:
        return f"envelope tenant {event.tenant!r} is not the topic's tenant {tenant!r}"
    if topic_for(tenant, event.type, prefix) != topic:
        return f"a {event.type} event does not belong on {topic}"
    if event.envelope.source != CATALOGUE[event.type][0]:  # the consumer parks it again (topic_mismatch)
        return f"envelope source {event.envelope.source!r} is not the publisher of {topic}"
    return ""


def one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# ---- ports: where parked messages are, where replays are recorded ----


class DeadLetterLog(Protocol):
    """Reads dead-letter topics without committing anything, and republishes."""

    def existing(self, topics: list[str]) -> list[str]:
        """Those of `topics` that exist (reading never creates one)."""

    def read(self, topic: str) -> list[ParkedMessage]:
        """Every message on the topic, from the beginning to its current end."""

    def read_one(self, topic: str, partition: int, offset: int) -> ParkedMessage | None: ...

    def copies(self, topic: str, dlq_id: str, since: datetime) -> list[ParkedMessage]:
        """Messages on `topic` written at or after `since` that carry `dlq-replayed-from=<dlq_id>`."""

    def publish(self, topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> tuple[int, int]:
        """Publish, wait for the acknowledgement (acks=all); the (partition, offset) written."""

    def close(self) -> None: ...


class ReplayLedger(Protocol):
    """The tenant's record of replays: audit's trail."""

    async def replays(self, tenant: str, dlq_id: str | None = None) -> list[dict[str, Any]]: ...

    async def record(self, tenant: str, replay: dict[str, Any]) -> dict[str, Any]: ...


class LedgerUnavailable(DlqError):
    def __init__(self, message: str) -> None:
        super().__init__("audit_unavailable", message, status=FAILED)


class AuditReplayLedger:
    """audit's `/v1/dead-letters/replays`, called with an ops token of the message's tenant from the issuer the
    platform trusts (jingban/tokens.py)."""

    def __init__(self, url: str, tokens: Any, client: Any = None, operator: str = "") -> None:
        import httpx

        self._url, self._tokens = url.rstrip("/"), tokens
        self._client = client or httpx.AsyncClient(timeout=30)
        self._own_client = client is None
        self._operator = operator or _operator()

    def _headers(self, tenant: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self._tokens.user_token(tenant, 'ops', self._operator)}"}

    async def _call(self, method: str, tenant: str, **kwargs: Any) -> dict[str, Any]:
        import httpx

        try:
            r = await self._client.request(method, f"{self._url}/v1/dead-letters/replays",
                                           headers=self._headers(tenant), **kwargs)
        except httpx.HTTPError as exc:
            raise LedgerUnavailable(f"audit at {self._url} did not answer: {type(exc).__name__}") from exc
        if r.status_code not in (200, 201):
            try:
                error = r.json().get("error", {})
            except ValueError:
                error = {}
            raise DlqError("audit_refused", f"audit answered {r.status_code}: {error.get('message', r.text[:200])}",
                           field=(error.get("fields") or [{}])[0].get("field", ""), status=FAILED)
        return r.json()

    async def replays(self, tenant: str, dlq_id: str | None = None) -> list[dict[str, Any]]:
        return (await self._call("GET", tenant, params={"id": dlq_id} if dlq_id else {}))["replays"]

    async def record(self, tenant: str, replay: dict[str, Any]) -> dict[str, Any]:
        return (await self._call("POST", tenant, json=replay))["replay"]

    async def close(self) -> None:
        if self._own_client:
            await self._client.aclose()


def _operator() -> str:
    """Who replays, as the trail records it (the subject of the token)."""
    try:
        return f"dlq-cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "dlq-cli"


class KafkaDeadLetterLog:
    """kafka-python, blocking: one group-less consumer (assign + seek, never a commit) and a producer made on the
    first replay."""

    def __init__(self, bootstrap: str, deadline_s: float = 60.0, security: dict[str, Any] | None = None) -> None:
        from kafka import KafkaConsumer

        self._bootstrap, self._deadline_s = bootstrap, deadline_s
        self._security = dict(security or {})  # SASL as the operator's user (admin: it reads every service's DLQ)
        self._consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="jingban-dlq", group_id=None,
                                       enable_auto_commit=False, auto_offset_reset="earliest",
                                       bootstrap_timeout_ms=10000, **self._security)
        self._producer: Any = None

    def existing(self, topics: list[str]) -> list[str]:
        known = self._consumer.topics()
        return [t for t in topics if t in known]

    def _partitions(self, topic: str) -> list[Any]:
        from kafka import TopicPartition

        if topic not in self._consumer.topics():  # asking for an unknown topic's partitions could create it
            return []
        return [TopicPartition(topic, p) for p in sorted(self._consumer.partitions_for_topic(topic) or ())]

    def _scan(self, starts: dict[Any, int | None], keep: Callable[[ParkedMessage], bool]) -> list[ParkedMessage]:
        c = self._consumer
        tps = [tp for tp, start in starts.items() if start is not None]
        if not tps:
            return []
        end = c.end_offsets(tps)
        c.assign(tps)
        for tp in tps:
            c.seek(tp, starts[tp])
        out: list[ParkedMessage] = []
        deadline = time.monotonic() + self._deadline_s
        try:
            while any(c.position(tp) < end[tp] for tp in tps):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"reading {tps[0].topic} did not reach its end in {self._deadline_s:.0f} s")
                for tp, records in c.poll(timeout_ms=500).items():
                    for r in records:
                        if r.offset < end[tp]:
                            m = ParkedMessage(r.topic, r.partition, r.offset, r.key or b"", r.value or b"",
                                              {k: (v or b"").decode("utf-8", "replace") for k, v in r.headers or []},
                                              r.timestamp)
                            if keep(m):
                                out.append(m)
        finally:
            c.assign([])
        return sorted(out, key=lambda m: (m.partition, m.offset))

    def read(self, topic: str) -> list[ParkedMessage]:
        tps = self._partitions(topic)
        return self._scan(dict(self._consumer.beginning_offsets(tps)) if tps else {}, lambda m: True)

    def read_one(self, topic: str, partition: int, offset: int) -> ParkedMessage | None:
        tps = [tp for tp in self._partitions(topic) if tp.partition == partition]
        if not tps:
            return None
        [tp] = tps
        if not self._consumer.beginning_offsets(tps)[tp] <= offset < self._consumer.end_offsets(tps)[tp]:
            return None
        # Read from the offset to the end: the one wanted is the first (unless it was a transaction marker).
        found = self._scan({tp: offset}, lambda m: m.offset == offset)
        return found[0] if found else None

    def copies(self, topic: str, dlq_id: str, since: datetime) -> list[ParkedMessage]:
        tps = self._partitions(topic)
        if not tps:
            return []
        at = self._consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
        return self._scan({tp: (found.offset if found else None) for tp, found in at.items()},
                          lambda m: m.headers.get(REPLAYED_FROM) == dlq_id)

    def publish(self, topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> tuple[int, int]:
        from kafka import KafkaProducer

        if self._producer is None:
            self._producer = KafkaProducer(bootstrap_servers=self._bootstrap, client_id="jingban-dlq", acks="all",
                                           retries=5, max_block_ms=15000, request_timeout_ms=15000,
                                           **self._security)
        sent = self._producer.send(topic, key=key or None, value=value,
                                   headers=[(k, v.encode()) for k, v in headers.items()])
        self._producer.flush(timeout=30)
        written = sent.get(timeout=30)
        return written.partition, written.offset

    def close(self) -> None:
        self._consumer.close(autocommit=False)
        if self._producer is not None:
            self._producer.close(timeout=5)


# ---- the commands ----


def listing(m: ParkedMessage, replays: list[dict[str, Any]] | None) -> dict[str, Any]:
    env = envelope_summary(m.value)
    return {"id": m.id, "original_topic": m.original_topic, "type": env["type"] if env else "",
            "event_id": env["event_id"] if env else "", "key_sha256": key_digest(m.key), "parked_at": m.parked_at,
            "parked_by": m.headers.get("dlq-service", ""), "reason": m.reason,
            "replayed": None if replays is None else len(replays)}


def format_table(rows: list[dict[str, Any]]) -> str:
    """One line per parked message; the reason last, on one line and shortened."""
    columns = ("id", "original_topic", "type", "event_id", "key_sha256", "parked_at", "replayed")
    titles = ("ID", "ORIGINAL TOPIC", "TYPE", "EVENT ID", "KEY SHA256", "PARKED AT", "REPLAYED")

    def cell(row: dict[str, Any], col: str) -> str:
        if col == "replayed":
            n = row["replayed"]
            return "?" if n is None else "no" if n == 0 else "yes" if n == 1 else f"yes x{n}"
        if col == "parked_at":
            return row[col][:19] or "-"
        return row[col] or "-"

    cells = [[cell(r, c) for c in columns] for r in rows]
    widths = [max([len(t), *(len(c[i]) for c in cells)]) for i, t in enumerate(titles)]
    lines = ["  ".join(t.ljust(w) for t, w in zip(titles, widths, strict=True)) + "  REASON"]
    for row, values in zip(rows, cells, strict=True):
        lines.append("  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + "  "
                     + one_line(row["reason"], 160))
    return "\n".join(lines)


async def _replays_by_id(ledger: ReplayLedger, tenant: str, err: TextIO) -> dict[str, list[dict[str, Any]]] | None:
    try:
        found = await ledger.replays(tenant)
    except DlqError as exc:
        print(f"jingban dlq: cannot tell which of {tenant}'s messages were replayed: {exc.message}", file=err)
        return None
    by_id: dict[str, list[dict[str, Any]]] = {}
    for r in found:
        by_id.setdefault(r["id"], []).append(r)
    return by_id


def same_origin(log: DeadLetterLog, scope: Scope, tenant: str, m: ParkedMessage) -> list[str]:
    """The ids of the other dead letters of the same original message (parked by the tenant's other services)."""
    if not m.origin:
        return []
    return [other.id for topic in log.existing(scope.topics(tenant)) for other in log.read(topic)
            if other.origin == m.origin and other.id != m.id]


async def list_parked(log: DeadLetterLog, ledger: ReplayLedger, scope: Scope, tenant: str | None,
                      service: str | None, as_json: bool, out: TextIO, err: TextIO) -> int:
    wanted = scope.topics(tenant, service)
    rows: list[dict[str, Any]] = []
    topics = log.existing(wanted)
    for t in (tenant,) if tenant else scope.tenants:
        own = [topic for topic in topics if scope.owner(topic) == t]
        parked = [m for topic in own for m in log.read(topic)]
        if not parked:
            continue
        replayed = await _replays_by_id(ledger, t, err)
        rows += [listing(m, None if replayed is None else replayed.get(m.id, [])) for m in parked]
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False), file=out)
    elif rows:
        print(format_table(rows), file=out)
    else:
        print(f"no parked messages on {len(topics)} dead-letter topic(s) of {', '.join(scope.tenants)}", file=out)
    return OK


async def show_parked(log: DeadLetterLog, ledger: ReplayLedger, scope: Scope, text_id: str, out: TextIO,
                      err: TextIO) -> int:
    dlq = DeadLetterId.parse(text_id)
    tenant = scope.owner(dlq.topic)
    m = log.read_one(dlq.topic, dlq.partition, dlq.offset)
    if m is None:
        raise DlqError("not_found", f"no parked message at {dlq}", field="id")
    replayed = await _replays_by_id(ledger, tenant, err)
    problem = event_problem(m.value, tenant, m.original_topic, scope.prefix)  # what the consumer would say again
    detail = {
        "id": m.id, "tenant": tenant, "parked_by": m.headers.get("dlq-service", ""), "parked_at": m.parked_at,
        "reason": m.reason, "original_topic": m.original_topic,
        "original_partition": m.headers.get("dlq-partition", ""), "original_offset": m.headers.get("dlq-offset", ""),
        "key_sha256": key_digest(m.key),
        "headers": {k: redacted(v, m.key) for k, v in sorted(m.headers.items())},
        "value_bytes": len(m.value), "value_sha256": hashlib.sha256(m.value).hexdigest(),
        "envelope": envelope_summary(m.value), "problem": problem, "consumable": not problem,
        "replays": None if replayed is None else replayed.get(m.id, []),
        "same_origin": same_origin(log, scope, tenant, m),
    }
    print(json.dumps(detail, ensure_ascii=False, indent=2), file=out)
    return OK


def _read_value_file(path: str) -> bytes:
    try:
        p = Path(path)
        if p.stat().st_size > MAX_VALUE_BYTES:
            raise DlqError("value_too_large", f"{path} is larger than {MAX_VALUE_BYTES} bytes", field="value_file")
        return p.read_bytes()
    except OSError as exc:
        raise DlqError("unreadable_value_file", f"cannot read {path}: {exc.strerror}", field="value_file") from exc


def _recorded_at(replay: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(replay["recorded_at"])


async def replay_parked(log: DeadLetterLog, ledger: ReplayLedger, scope: Scope, text_id: str, value_file: str | None,
                        again: bool, out: TextIO, err: TextIO) -> int:
    dlq = DeadLetterId.parse(text_id)
    tenant = scope.owner(dlq.topic)
    m = log.read_one(dlq.topic, dlq.partition, dlq.offset)
    if m is None:
        raise DlqError("not_found", f"no parked message at {dlq}", field="id")
    original = m.original_topic
    if not original.startswith(f"{scope.prefix}{tenant}.") or original in scope.topics(tenant):
        raise DlqError("no_original_topic", f"{dlq} does not name its tenant's original topic (dlq-topic header)",
                       field="id")
    value = _read_value_file(value_file) if value_file else m.value
    # Replaying bytes the consumer would park again helps nobody: the operator fixes the message (--value-file).
    problem = event_problem(value, tenant, original, scope.prefix)
    if problem:
        field, hint = ("value_file", "") if value_file else ("id", "; replay a corrected message with --value-file")
        raise DlqError("not_consumable", f"{'the corrected' if value_file else 'the parked'} message would be parked "
                       f"again: {problem}{hint}", field=field)
    env = envelope_summary(value)
    event_id = env["event_id"] if env and EVENT_ID_RE.match(env["event_id"]) else ""
    value_sha256 = hashlib.sha256(value).hexdigest()

    history = sorted(await ledger.replays(tenant, str(dlq)), key=lambda r: r["attempt"])
    attempt = 1
    if history:
        latest = history[-1]
        published = log.copies(original, str(dlq), _recorded_at(latest) - CLOCK_SKEW)
        if any(c.headers.get(REPLAY_ATTEMPT, str(latest["attempt"])) == str(latest["attempt"]) for c in published):
            if not again:
                raise DlqError("already_replayed", f"{dlq} was replayed at {latest['recorded_at']} (attempt "
                               f"{latest['attempt']}); --again replays it once more", field="id", status=REFUSED)
            attempt = latest["attempt"] + 1
        elif latest["value_sha256"] == value_sha256 and latest["replaced"] == bool(value_file):
            # Recorded but never published (the run before stopped in between): finish it under its own entry.
            attempt = latest["attempt"]
            print(f"jingban dlq: attempt {attempt} of {dlq} was recorded but not republished; finishing it", file=err)
        else:
            attempt = latest["attempt"] + 1
    elif not again and (siblings := same_origin(log, scope, tenant, m)):
        # A republished copy reaches every consumer group of the original topic, so one replay serves all the
        # services that parked the same message: a second one would be a second copy (deduped when it is the same
        # event, applied again when it is a corrected message with another event id).
        replayed = [r for r in await ledger.replays(tenant) if r["id"] in siblings]
        if replayed:
            raise DlqError("already_replayed", f"the same message ({m.origin}) was replayed from {replayed[0]['id']} "
                           f"at {replayed[0]['recorded_at']}, for every consumer of {original}; --again replays it "
                           "once more", field="id", status=REFUSED)

    # Record first, then republish. Recorded first, no replay can ever be missing from the trail: if the publish
    # then fails (or the process dies), the trail holds an attempt whose copy is not on the topic, which the next
    # run sees (it looks for the copy by its header) and finishes under the same entry. Published first, a failure
    # to record (audit away, a crash) would leave a replay the trail never learns of, and nothing could tell later.
    await ledger.record(tenant, {"id": str(dlq), "attempt": attempt, "original_topic": original,
                                 "event_id": event_id, "reason": m.reason[:2000], "value_sha256": value_sha256,
                                 "replaced": bool(value_file)})
    headers = {k: v for k, v in m.headers.items() if not k.startswith(PARKING_PREFIX)}
    headers |= {REPLAYED_FROM: str(dlq), REPLAY_ATTEMPT: str(attempt)}
    try:
        partition, offset = log.publish(original, m.key, value, headers)
    except Exception as exc:
        raise DlqError("not_republished", f"attempt {attempt} of {dlq} is recorded in the audit trail but was not "
                       f"republished ({type(exc).__name__}); run the same command again to finish it",
                       status=FAILED) from exc
    print(f"replayed {dlq} to {original}:{partition}:{offset} (attempt {attempt}, event {event_id or '-'}"
          f"{', corrected message' if value_file else ''}); recorded in {tenant}'s audit trail", file=out)
    return OK


# ---- argparse and the entry point `jingban dlq` ----


def add_arguments(dlq: argparse.ArgumentParser) -> None:
    sub = dlq.add_subparsers(dest="dlq_command", required=True)
    ls = sub.add_parser("list", help="one line per parked message of the served tenants (reading changes nothing)")
    ls.add_argument("--tenant", help="one served tenant (default: every tenant of JINGBAN_TENANTS)")
    ls.add_argument("--service", choices=SERVICES, help="the service that parked them")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    show = sub.add_parser("show", help="headers, reason and envelope metadata of one parked message (no payload)")
    show.add_argument("id", help="<dead-letter topic>:<partition>:<offset>, as `list` prints it")
    rep = sub.add_parser("replay", help="republish a parked message to its original topic, recorded in the audit "
                         "trail first")
    rep.add_argument("id", help="<dead-letter topic>:<partition>:<offset>, as `list` prints it")
    rep.add_argument("--value-file", help="republish this corrected message (the envelope's bytes) instead")
    rep.add_argument("--again", action="store_true", help="replay an id that was replayed before, once more")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jingban dlq", description="dead letters (死信): list, show, replay")
    add_arguments(p)
    return p


def run(args: argparse.Namespace, env: dict[str, str] | None = None, log: DeadLetterLog | None = None,
        ledger: ReplayLedger | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run a parsed `jingban dlq` command; `log` and `ledger` default to Kafka and audit from the environment."""
    import asyncio

    e = dict(os.environ if env is None else env)
    out, err = out or sys.stdout, err or sys.stderr
    try:
        settings = Settings.from_env(env=e)
        scope = Scope(settings.tenants, settings.topic_prefix)
        if args.dlq_command in ("show", "replay"):
            DeadLetterId.parse(args.id)  # a malformed id is refused before anything is reached
    except (ValueError, DlqError) as exc:
        return _fail(exc if isinstance(exc, DlqError) else DlqError("invalid_setting", str(exc)), err)

    async def main() -> int:
        nonlocal log
        own_ledger = ledger is None
        from jingban.tokens import tokens_from_env

        the_ledger = ledger or AuditReplayLedger(e.get("JINGBAN_AUDIT_URL", DEFAULT_AUDIT_URL), tokens_from_env(e))
        own_log = log is None
        try:
            if log is None:
                log = _connect(settings.kafka_bootstrap or DEFAULT_KAFKA, kafka_security(settings, e))
            command: Callable[[], Awaitable[int]] = {
                "list": lambda: list_parked(log, the_ledger, scope, args.tenant, args.service, args.json, out, err),
                "show": lambda: show_parked(log, the_ledger, scope, args.id, out, err),
                "replay": lambda: replay_parked(log, the_ledger, scope, args.id, args.value_file, args.again, out,
                                                err),
            }[args.dlq_command]
            return await command()
        finally:
            if own_log and log is not None:
                log.close()
            if own_ledger and isinstance(the_ledger, AuditReplayLedger):
                await the_ledger.close()

    try:
        return asyncio.run(main())
    except DlqError as exc:
        return _fail(exc, err)
    except Exception as exc:
        from chassis.errors import is_transient

        if is_transient(exc):
            return _fail(DlqError("kafka_unavailable", f"Kafka did not answer: {type(exc).__name__}", status=FAILED),
                         err)
        raise


def kafka_security(settings: Settings, env: dict[str, str]) -> dict[str, Any]:
    """The operator's Kafka identity: JINGBAN_KAFKA_USERNAME/PASSWORD when given, else the admin of the
    credentials file in JINGBAN_KAFKA_CREDENTIALS (the local launcher's), else none (a broker without SASL)."""
    from chassis.bus.kafka import client_security, credentials_from_file

    if settings.kafka_username:
        return client_security(settings.kafka_username, settings.kafka_password, settings.kafka_security_protocol,
                               settings.kafka_ca_file)
    if env.get("JINGBAN_KAFKA_CREDENTIALS"):
        try:
            return credentials_from_file(env["JINGBAN_KAFKA_CREDENTIALS"]).client_config()
        except (OSError, ValueError, KeyError) as exc:
            raise DlqError("invalid_setting", f"JINGBAN_KAFKA_CREDENTIALS: {type(exc).__name__}: {exc}") from exc
    return {}


def _connect(bootstrap: str, security: dict[str, Any] | None = None) -> DeadLetterLog:
    from chassis.errors import is_transient

    try:
        return KafkaDeadLetterLog(bootstrap, security=security)
    except Exception as exc:
        if not is_transient(exc):
            raise
        raise DlqError("kafka_unavailable", f"cannot reach Kafka at {bootstrap}: {type(exc).__name__}",
                       status=FAILED) from exc


def _fail(exc: DlqError, err: TextIO) -> int:
    error = {"code": exc.code, "message": exc.message, **({"field": exc.field} if exc.field else {})}
    print(json.dumps({"error": error}, ensure_ascii=False), file=err)
    return exc.status
