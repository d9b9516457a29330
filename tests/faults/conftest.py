"""The fault tier: the five services as processes on a Kafka and a FerretDB of the tier's own, broken on purpose.

The tier starts its own instance of deploy/local/launcher.py (other ports, another data folder) so it may stop
Kafka or FerretDB for 30 s without disturbing the shared one the other tiers use. Each test module runs its own
platform (port offset `PORT_OFFSET` of the module, its own database and topic prefix) and drives it with
:class:`Traffic` — applications, conclusions and claim uploads from background threads while a fault happens —
then compares what the stores hold (plain pymongo, read-only) with what was sent: nothing lost, nothing applied
twice, nothing healthy on a dead-letter topic.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from chassis.calendar import today_cn
from chassis.config import SERVICES
from chassis.events import dead_letter_topic, encode, new_event, topic_for
from chassis.store.port import database_name
from contracts.v1 import events_pb2
from jingban.flow import ALL_DOCUMENTS, PDF
from jingban.local import LocalPlatform
from tests.conftest import REAL_INFRA_DEADLINE
from tests.support import tokens
from tests.support.infra import REPO_ROOT, kafka_security, load_launcher, local_trust_env

TENANT = "hz-p1"
COUNTY = "610702"  # 汉台区: hz-p1's county
HOSPITAL = "H610702001"
# The tier's own Kafka and FerretDB (the shared ones listen on 19092/19093/27018).
FAULT_INFRA_ENV = {"JINGBAN_KAFKA_PORT": "29092", "JINGBAN_KAFKA_CONTROLLER_PORT": "29093",
                   "JINGBAN_MONGO_PORT": "27028", "JINGBAN_DATA": str(REPO_ROOT / ".jingban" / "faults-infra")}
RESULTS = REPO_ROOT / ".jingban" / "test-results" / "faults"
# Statuses that mean "the infrastructure is away right now": the caller tries again, like a real client.
TRANSIENT_STATUS = {500, 502, 503, 504}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A fault test is traffic, a fault of up to a minute and several eventually-consistent steps after it, each
    allowed REAL_INFRA_DEADLINE: the test gets three (the project-wide 300 s would cut a slow but healthy run)."""
    for item in items:
        if "tests/faults/" in item.nodeid.replace("\\", "/") or item.nodeid.startswith("faults/"):
            item.add_marker(pytest.mark.timeout(3 * REAL_INFRA_DEADLINE))


# ---------------------------------------------------------------------------------------------- the private infra


class PrivateInfra:
    """The tier's own launcher instance. The launcher reads its ports and data folder from the environment on
    every call (`Layout.from_env`), so each call runs with the tier's variables set, and only for that call."""

    def __init__(self) -> None:
        self.launcher = load_launcher()
        self._lock = threading.Lock()
        self.endpoints: dict[str, str] = {}

    @contextlib.contextmanager
    def _env(self) -> Iterator[None]:
        with self._lock:
            saved = {k: os.environ.get(k) for k in FAULT_INFRA_ENV}
            os.environ.update(FAULT_INFRA_ENV)
            try:
                yield
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value

    def up(self, kafka: bool = True, mongo: bool = True) -> dict[str, str]:
        with self._env():
            got = self.launcher.ensure_up(kafka=kafka, mongo=mongo)
        self.endpoints.update(got)
        return got

    def stop(self, kafka: bool = True, mongo: bool = True, wipe: bool = False) -> None:
        with self._env():
            self.launcher.stop(kafka=kafka, mongo=mongo, wipe=wipe)

    def status(self) -> dict[str, Any]:
        with self._env():
            return self.launcher.status()

    def log(self, service: str) -> Path:
        return Path(self.status()[service].log)

    @property
    def kafka_bootstrap(self) -> str:
        return self.endpoints["KAFKA_BOOTSTRAP_SERVERS"]

    @property
    def kafka_credentials(self) -> str:
        """The private broker's SASL users (its launcher's credentials file)."""
        return self.endpoints.get("JINGBAN_KAFKA_CREDENTIALS", "")

    def kafka_config(self) -> dict[str, Any]:
        """kafka-python keyword arguments for the tier's own reads and writes: the broker's admin user."""
        return {"bootstrap_servers": self.kafka_bootstrap, **kafka_security(self.kafka_credentials)}

    @property
    def mongodb_uri(self) -> str:
        return self.endpoints["MONGODB_URI"]


@pytest.fixture(scope="session")
def private_infra() -> Iterator[PrivateInfra]:
    infra = PrivateInfra()
    infra.up()
    try:
        yield infra
    finally:
        if os.environ.get("JINGBAN_KEEP_INFRA") != "1":
            infra.stop(wipe=True)  # ours alone: every run starts from an empty broker and store


# ---------------------------------------------------------------------------------------------- the platform


def resident_id(n: int, county: str = COUNTY) -> str:
    """A valid 18-character resident ID number (mod-11 check character), distinct for each n < 16,800."""
    body = f"{county}{1940 + n // 336}{(n // 28) % 12 + 1:02d}{n % 28 + 1:02d}{(n * 7) % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def auth(role: str, subject: str = "faults", tenant: str = TENANT) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens.user_token(tenant, role, subject)}"}


@dataclass
class DeadLetter:
    topic: str
    partition: int
    offset: int
    headers: dict[str, str]
    value: bytes

    @property
    def id(self) -> str:
        """How `jingban dlq` names a parked message: `<dead-letter topic>:<partition>:<offset>`."""
        return f"{self.topic}:{self.partition}:{self.offset}"


@dataclass
class FaultPlatform:
    """A LocalPlatform on the private infra, with read-only access to its stores and dead-letter topics."""

    local: LocalPlatform
    infra: PrivateInfra
    run_id: str
    work: Path
    mongo: MongoClient
    _persons: Iterator[int] = field(default_factory=itertools.count)

    @property
    def log_dir(self) -> Path:
        return self.local.log_dir

    def url(self, service: str) -> str:
        return self.local.url(service)

    def db(self, service: str) -> Any:
        return self.mongo[database_name(self.run_id, service, TENANT)]

    def next_person(self) -> str:
        return resident_id(next(self._persons))

    def opened(self, value: Any) -> Any:
        """A value a store sealed (chassis/pii.py), opened with the tenant's key: what a failure message shows."""
        from chassis.keys import KeyProvider
        from chassis.pii import Sealer

        try:
            return Sealer(KeyProvider(self.work / "data" / "keys", create=False), TENANT).open(value)
        except Exception as exc:  # a diagnostic only
            return f"<cannot open: {type(exc).__name__}>"

    def blind_index(self, person_id: str) -> str:
        """How the stores find a person (chassis/pii.py): the keyed blind index of their identity number, with the
        tenant's key from the platform's key directory (local mode: `<data dir>/keys`)."""
        from chassis.keys import KeyProvider
        from chassis.pii import Sealer

        return Sealer(KeyProvider(self.work / "data" / "keys", create=False), TENANT).blind_index(person_id)

    def cli_env(self) -> dict[str, str]:
        """What a `jingban` command run by an operator against this platform sees."""
        return {**os.environ, **self.local.env, "JINGBAN_MODE": "local", "PYTHONPATH": str(REPO_ROOT),
                "JINGBAN_AUDIT_URL": self.url("audit"),
                # the operator logged in to the identity provider (`jingban token --user …`) as the tenant's ops
                "JINGBAN_TOKEN": tokens.user_token(TENANT, "ops", "dlq-cli:faults")}

    def log_tail(self, service: str, chars: int = 3000) -> str:
        path = self.log_dir / f"{service}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def dead_letters(self, services: tuple[str, ...] = SERVICES) -> list[DeadLetter]:
        """Everything on the services' dead-letter topics, read from the beginning (no consumer group)."""
        from kafka import KafkaConsumer, TopicPartition

        wanted = {dead_letter_topic(TENANT, s, self.local.env["JINGBAN_TOPIC_PREFIX"]) for s in services}
        consumer = KafkaConsumer(**self.infra.kafka_config(), group_id=None,
                                 enable_auto_commit=False, client_id="faults-dlq-reader",
                                 consumer_timeout_ms=2000)
        try:
            present = sorted(wanted & consumer.topics())
            parts = [TopicPartition(t, p) for t in present for p in sorted(consumer.partitions_for_topic(t) or ())]
            if not parts:
                return []
            consumer.assign(parts)
            consumer.seek_to_beginning(*parts)
            ends = consumer.end_offsets(parts)
            out: list[DeadLetter] = []
            deadline = time.monotonic() + 60
            while any(consumer.position(tp) < ends[tp] for tp in parts):
                if time.monotonic() > deadline:
                    raise AssertionError(f"could not read the dead-letter topics {present} to their end")
                for tp, records in consumer.poll(timeout_ms=1000).items():
                    for rec in records:
                        headers = {k: (v or b"").decode(errors="replace") for k, v in rec.headers or []}
                        out.append(DeadLetter(tp.topic, tp.partition, rec.offset, headers, rec.value or b""))
            return out
        finally:
            consumer.close()


@pytest.fixture(scope="module")
def fault_platform(private_infra: PrivateInfra, request: pytest.FixtureRequest) -> Iterator[FaultPlatform]:
    """The module's platform: offset `PORT_OFFSET` (300–390, clear of e2e's 50–120 and the component tests'
    2,000+), its own database and topic prefix, logs under .jingban/test-results/faults/."""
    offset = int(request.module.PORT_OFFSET)
    run_id = "f" + uuid.uuid4().hex[:8]
    work = RESULTS / f"{request.module.__name__.rsplit('.', 1)[-1]}-{run_id}"
    (work / "data").mkdir(parents=True, exist_ok=True)
    env = {"KAFKA_BOOTSTRAP_SERVERS": private_infra.kafka_bootstrap, "MONGODB_URI": private_infra.mongodb_uri,
           "JINGBAN_KAFKA_CREDENTIALS": private_infra.kafka_credentials,  # each service its own user, tools admin
           "JINGBAN_TOPIC_PREFIX": f"{run_id}.", "JINGBAN_DB_PREFIX": run_id,
           **local_trust_env(), "JINGBAN_TENANTS": TENANT,
           "JINGBAN_DATA_DIR": str(work / "data")}
    local = LocalPlatform(env, work / "logs", port_offset=offset)
    local.start(timeout_s=REAL_INFRA_DEADLINE)
    mongo: MongoClient = MongoClient(private_infra.mongodb_uri, serverSelectionTimeoutMS=10_000)
    platform = FaultPlatform(local, private_infra, run_id, work, mongo)
    try:
        prepare(platform)
        yield platform
    finally:
        local.stop()
        mongo.close()


def prepare(fp: FaultPlatform) -> None:
    """The tenant loads its program's policy table and imports the expert pool, as a carrier would."""
    with httpx.Client(timeout=60) as http:
        text = (REPO_ROOT / "programs" / "hz-chronic" / "policy-2025.yaml").read_bytes()
        r = http.post(f"{fp.url('settlement')}/v1/policies", content=text,
                      headers={**auth("ops"), "content-type": "application/yaml"})
        assert r.status_code in (200, 201, 409), r.text
        csv = (REPO_ROOT / "programs" / "hz-chronic" / "experts-sample.csv").read_bytes()
        r = http.post(f"{fp.url('appraisal')}/v1/experts/import", content=csv,
                      headers={**auth("clerk"), "content-type": "text/csv"})
        assert r.status_code in (200, 201), r.text


def submitted_application(fp: FaultPlatform) -> tuple[str, str]:
    """An application intake holds, submitted and not reviewed (its completion not sent): (its id, the person)."""
    person = fp.next_person()
    body = {"person_id": person, "person_name": "故障测试", "disease_code": "HTN", "channel": "window",
            "treating_hospital": HOSPITAL}
    files: dict[str, Any] = {"application": (None, json.dumps(body, ensure_ascii=False))}
    for kind in ALL_DOCUMENTS:
        files[kind] = (f"{kind}.pdf", PDF, "application/pdf")
    r = httpx.post(f"{fp.url('intake')}/v1/applications", files=files, headers=auth("clerk", "clerk-1"), timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["application_id"], person


def completed_event(app_id: str, person: str) -> tuple[str, bytes]:
    """A valid application.completed envelope for an application intake holds: (its event id, its bytes)."""
    now = datetime.now(UTC)
    payload = events_pb2.ApplicationCompleted(
        application_id=app_id, person_id=person, person_name="故障测试", disease_code="HTN", program="hz-chronic",
        treating_hospital=HOSPITAL, completed_at=now.isoformat(), completed_on=now.date().isoformat(),
        documents_complete_on=now.date().isoformat(), disease_codes=["HTN"], kind="initial")
    stored = new_event("application.completed", TENANT, person, payload, source="intake", trace_context={})
    return stored["event_id"], encode(stored)


def publish(fp: FaultPlatform, event_type: str, key: str, value: bytes) -> None:
    """Straight onto the tenant's topic of `event_type`, acknowledged by the broker (as a relay publishes)."""
    from kafka import KafkaProducer

    producer = KafkaProducer(**fp.infra.kafka_config(), acks="all")
    try:
        producer.send(topic_for(TENANT, event_type, fp.local.env["JINGBAN_TOPIC_PREFIX"]), key=key.encode(),
                      value=value).get(timeout=30)
    finally:
        producer.close(timeout=5)


# ---------------------------------------------------------------------------------------------- waiting


def wait_until(probe: Callable[[], tuple[bool, str]], timeout: float, what: str, every: float = 0.25) -> None:
    """Poll `probe` (→ done, what is still missing) until it is done; fail with the last answer."""
    deadline = time.monotonic() + timeout
    stop = threading.Event()
    while True:
        done, missing = probe()
        if done:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}: {missing}")
        stop.wait(every)  # the poll interval of an event-driven wait, not a fixed delay


# ---------------------------------------------------------------------------------------------- traffic


class TrafficFailed(Exception):
    """A step of the traffic was refused for good (not a transient outage)."""


@dataclass
class Sent:
    application_id: str
    person_id: str
    conclude: bool


@dataclass
class Batch:
    batch_id: str
    statement_id: str
    lines: int
    claims: int
    claimed_fen: int
    status: int = 0


class Traffic:
    """Load from background threads while a fault happens: applications submitted and completed (every
    `conclude_every`-th one then appraised and approved, granting a qualification), and small claim uploads.

    Each step behaves like a patient client: a refused connection or a 5xx is tried again with backoff until
    REAL_INFRA_DEADLINE; a request that may have been stored before its answer was lost is looked up before it is
    sent again. Only what the platform acknowledged counts as sent."""

    def __init__(self, fp: FaultPlatform, applications: int, conclude_every: int = 3, uploads: int = 3,
                 pace_s: float = 0.5, burst: int = 1) -> None:
        self.fp, self.applications, self.conclude_every, self.uploads = fp, applications, conclude_every, uploads
        self.pace_s, self.burst = pace_s, burst  # the first `burst` applications are sent back to back
        self.sent: list[Sent] = []
        self.concluded: list[str] = []
        self.batches: list[Batch] = []
        self.problems: list[str] = []
        self.retries = Counter[str]()
        self._cond = threading.Condition()
        self._halt = threading.Event()
        self._to_conclude: queue.Queue[Sent | None] = queue.Queue()
        self._threads = [threading.Thread(target=self._guard, args=(fn,), name=f"traffic-{fn.__name__}", daemon=True)
                         for fn in (self._applications, self._conclusions, self._uploads)]
        self.month = today_cn().strftime("%Y-%m")
        self.started_at = 0.0

    # ---- control

    def start(self) -> Traffic:
        self.started_at = time.monotonic()
        for t in self._threads:
            t.start()
        return self

    def wait_sent(self, n: int, timeout: float = REAL_INFRA_DEADLINE) -> None:
        """Until n applications were acknowledged (traffic is flowing), event-driven."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.sent) >= n or self.problems, timeout):
                raise AssertionError(f"only {len(self.sent)} of {n} applications acknowledged in {timeout:.0f}s")
        assert not self.problems, self.problems

    def join(self, timeout: float = 2 * REAL_INFRA_DEADLINE) -> None:
        """Until every step was acknowledged (each is retried through the fault)."""
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            self._halt.set()
            raise AssertionError(f"traffic still running after {timeout:.0f}s: {alive}; retries {dict(self.retries)}")
        assert not self.problems, self.problems

    def adopt(self, sent: Sent) -> None:
        """Count an application whose work the test started itself (e.g. an event it published)."""
        with self._cond:
            self.sent.append(sent)

    def summary(self) -> str:
        return (f"{len(self.sent)} applications ({len(self.concluded)} concluded), {len(self.batches)} uploads in "
                f"{time.monotonic() - self.started_at:.0f}s; retries {dict(self.retries)}")

    def halt(self) -> None:
        self._halt.set()
        self._to_conclude.put(None)

    # ---- plumbing

    def _guard(self, fn: Callable[[httpx.Client], None]) -> None:
        try:
            with httpx.Client(timeout=30) as http:
                fn(http)
        except Exception as exc:  # reported by wait_sent / join in the test's thread
            with self._cond:
                self.problems.append(f"{fn.__name__}: {type(exc).__name__}: {exc}")
                self._cond.notify_all()

    def _pause(self, seconds: float) -> None:
        if self._halt.wait(seconds):  # the traffic's pace and retry backoff; a halt cuts it short
            raise TrafficFailed("halted")

    def _request(self, http: httpx.Client, what: str, method: str, url: str, **kw: Any) -> httpx.Response:
        """Send until the platform answers with anything but a transient failure."""
        deadline = time.monotonic() + REAL_INFRA_DEADLINE
        backoff = 0.2
        while True:
            try:
                r = http.request(method, url, **kw)
                if r.status_code not in TRANSIENT_STATUS:
                    return r
                last = f"{r.status_code} {r.text[:200]}"
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            self.retries[what] += 1
            if time.monotonic() > deadline:
                raise TrafficFailed(f"{what}: no answer for {REAL_INFRA_DEADLINE:.0f}s; last {last}")
            self._pause(backoff)
            backoff = min(backoff * 2, 3.0)

    # ---- applications

    def _applications(self, http: httpx.Client) -> None:
        for i in range(self.applications):
            if self._halt.is_set():
                break
            person = self.fp.next_person()
            app_id = self._submit(http, person)
            self._complete(http, app_id)
            sent = Sent(app_id, person, conclude=i % self.conclude_every == 0)
            with self._cond:
                self.sent.append(sent)
                self._cond.notify_all()
            if sent.conclude:
                self._to_conclude.put(sent)
            if i + 1 >= self.burst:
                self._pause(self.pace_s)
        self._to_conclude.put(None)

    def _submit(self, http: httpx.Client, person: str) -> str:
        url = f"{self.fp.url('intake')}/v1/applications"
        deadline = time.monotonic() + REAL_INFRA_DEADLINE
        while True:
            body = {"person_id": person, "person_name": "故障测试", "disease_code": "HTN", "channel": "window",
                    "treating_hospital": HOSPITAL, "phone": "13800000000"}
            files: dict[str, Any] = {"application": (None, json.dumps(body, ensure_ascii=False))}
            for kind in ALL_DOCUMENTS:
                files[kind] = (f"{kind}.pdf", PDF, "application/pdf")
            try:
                r = http.post(url, files=files, headers=auth("clerk", "clerk-1"))
                if r.status_code == 201:
                    return r.json()["application_id"]
                if r.status_code not in TRANSIENT_STATUS:
                    raise TrafficFailed(f"submit refused: {r.status_code} {r.text[:300]}")
            except httpx.TransportError:
                pass
            self.retries["submit"] += 1
            # The application may have been stored before the answer was lost: look it up before sending again.
            while True:
                if time.monotonic() > deadline:
                    raise TrafficFailed(f"intake did not take an application for {REAL_INFRA_DEADLINE:.0f}s")
                self._pause(0.5)
                try:
                    found = http.get(url, params={"person_id": person}, headers=auth("clerk", "clerk-1"))
                except httpx.TransportError:
                    continue
                if found.status_code == 200:
                    if found.json():
                        return found.json()[0]["application_id"]
                    break  # not stored: send it again
                if found.status_code not in TRANSIENT_STATUS:
                    raise TrafficFailed(f"listing applications refused: {found.status_code} {found.text[:300]}")

    def _complete(self, http: httpx.Client, app_id: str) -> None:
        base = f"{self.fp.url('intake')}/v1/applications/{app_id}"
        r = self._request(http, "review", "POST", f"{base}/review", headers=auth("clerk", "clerk-1"),
                          json={"decision": "complete", "missing": [], "note": ""})
        if r.status_code in (200, 201):
            return
        if r.status_code == 409:  # a retried review that had gone through
            app = self._request(http, "review", "GET", base, headers=auth("clerk", "clerk-1"))
            if app.status_code == 200 and app.json()["status"] != "submitted":
                return
        raise TrafficFailed(f"review of {app_id} refused: {r.status_code} {r.text[:300]}")

    # ---- conclusions (experts' opinions, then the reviewer's conclusion: a qualification is granted)

    def _conclusions(self, http: httpx.Client) -> None:
        while True:
            item = self._to_conclude.get()
            if item is None:
                return
            self._conclude(http, item)
            with self._cond:
                self.concluded.append(item.application_id)
                self._cond.notify_all()

    def _case(self, http: httpx.Client, app_id: str) -> dict[str, Any]:
        url = f"{self.fp.url('appraisal')}/v1/cases/{app_id}"
        deadline = time.monotonic() + REAL_INFRA_DEADLINE
        while True:
            r = self._request(http, "case", "GET", url, headers=auth("reviewer"))
            if r.status_code == 200 and r.json().get("assigned"):
                return r.json()
            if r.status_code not in (200, 404):
                raise TrafficFailed(f"case {app_id}: {r.status_code} {r.text[:300]}")
            if time.monotonic() > deadline:
                raise TrafficFailed(f"no case with experts for {app_id} after {REAL_INFRA_DEADLINE:.0f}s")
            self._pause(0.25)  # the case opens when appraisal consumes application.completed

    def _conclude(self, http: httpx.Client, sent: Sent) -> None:
        case = self._case(http, sent.application_id)
        base = f"{self.fp.url('appraisal')}/v1/cases/{sent.application_id}"
        for expert in case["assigned"]:
            if any(o["expert_id"] == expert for o in case.get("opinions") or []):
                continue
            r = self._request(http, "opinion", "POST", f"{base}/opinions", headers=auth("expert", expert),
                              json={"approve": True, "comment": "records support the diagnosis"})
            if r.status_code not in (200, 201, 409):
                raise TrafficFailed(f"opinion on {sent.application_id}: {r.status_code} {r.text[:300]}")
        r = self._request(http, "conclude", "POST", f"{base}/conclusion", headers=auth("reviewer", "reviewer-1"),
                          json={"outcome": "approved", "reason": "meets the criteria"})
        if r.status_code in (200, 201):
            return
        again = self._request(http, "case", "GET", base, headers=auth("reviewer"))
        if r.status_code == 409 and again.status_code == 200 and again.json()["status"] == "concluded":
            return  # a retried conclusion that had gone through
        raise TrafficFailed(f"conclusion of {sent.application_id}: {r.status_code} {r.text[:300]}")

    # ---- claim uploads (月结申报)

    def _uploads(self, http: httpx.Client) -> None:
        for j in range(self.uploads):
            if self._halt.is_set():
                return
            self.batches.append(self.upload(http, f"{self.fp.run_id}-t{j}-{uuid.uuid4().hex[:6]}", lines=6))
            self._pause(self.pace_s * 4)

    def upload(self, http: httpx.Client, batch_id: str, lines: int, institution: str = HOSPITAL,
               claims_per_person: int = 2) -> Batch:
        """One claim batch; retried (same batch id, same bytes) until it is taken."""
        body, batch = claim_batch(self.fp, batch_id, self.month, lines, institution, claims_per_person)
        deadline = time.monotonic() + REAL_INFRA_DEADLINE
        while True:
            r = self._request(http, "upload", "POST", f"{self.fp.url('settlement')}/v1/claims/batches",
                              content=body, headers={**auth("institution", institution),
                                                     "content-type": "application/json"})
            if r.status_code in (200, 201):
                batch.status = r.status_code
                return batch
            if r.status_code != 409 or "being processed" not in r.text:
                raise TrafficFailed(f"upload {batch_id}: {r.status_code} {r.text[:300]}")
            # An interrupted upload: the platform must let it be sent again soon (issue 9, item 4).
            self.retries["upload-being-processed"] += 1
            if time.monotonic() > deadline:
                raise TrafficFailed(f"upload {batch_id} still 'being processed' after {REAL_INFRA_DEADLINE:.0f}s")
            self._pause(1.0)


# The items of a person's 1st, 2nd, 3rd and later claims of a day (hz-chronic's review catalogue sample).
_ITEMS = (("D001", "降压药"), ("D017", "降糖药"), ("X01", "慢病药品"), ("T102", "慢病门诊诊查费"))


def claim_batch(fp: FaultPlatform, batch_id: str, month: str, lines: int, institution: str = HOSPITAL,
                claims_per_person: int = 2, day: date | None = None) -> tuple[bytes, Batch]:
    """A JSON claim batch of `lines` lines (two per claim) for persons holding nothing: each line is adjudicated
    (it pays nothing, with a reason) and stored once. A person's claims of the day are of different items (two
    drugs of different ingredients, then services at distinct prices), so smart review finds nothing to hold:
    these tests are about crashes and stops, and twenty supplies of one drug a day would be a hit on every line."""
    on = (day or today_cn()).isoformat()
    out, claimed = [], 0
    person = fp.next_person()
    for n in range(lines):
        claim_no = n // 2
        if claim_no % claims_per_person == 0 and n % 2 == 0:
            person = fp.next_person()
        amount_fen = 1000 + (n * 37) % 9000
        claimed += amount_fen
        item, description = _ITEMS[min(claim_no % claims_per_person, len(_ITEMS) - 1)]
        out.append({"claim_id": f"{batch_id}-c{claim_no}", "line": n % 2 + 1, "person_id": person, "date": on,
                    "disease": "HTN", "amount": f"{amount_fen // 100}.{amount_fen % 100:02d}", "covered": True,
                    "item_code": item, "description": description})
    body = json.dumps({"month": month, "batch_id": batch_id, "institution_code": institution, "lines": out})
    return body.encode(), Batch(batch_id, f"{institution}-{month}", lines, (lines + 1) // 2, claimed)


# ---------------------------------------------------------------------------------------------- counting


# What one application leaves behind once its work is done, per store.
TRAIL_COMPLETED = ("application.submitted", "application.completed", "experts.assigned")
TRAIL_CONCLUDED = (*TRAIL_COMPLETED, "appraisal.concluded", "qualification.granted", "qualification.filed")
ARCHIVE_COMPLETED = {"application": 1, "application_completed": 1, "experts_assigned": 1, "document": 4}
ARCHIVE_CONCLUDED = {**ARCHIVE_COMPLETED, "conclusion": 1, "qualification": 1, "qualification_filed": 1}


@dataclass
class Tally:
    """What the stores hold for the traffic's applications and batches, and how it differs from what was sent."""

    missing: list[str] = field(default_factory=list)   # sent, but its effect is not (yet) there
    doubled: list[str] = field(default_factory=list)   # an effect present more than once

    def __str__(self) -> str:
        return (f"missing ({len(self.missing)}): {self.missing[:15]}; "
                f"doubled ({len(self.doubled)}): {self.doubled[:15]}")


def tally(fp: FaultPlatform, traffic: Traffic) -> Tally:
    out = Tally()
    sent = {s.application_id: s for s in traffic.sent}
    concluded = set(traffic.concluded)
    ids, persons = list(sent), [s.person_id for s in traffic.sent]

    apps = {a["_id"]: a for a in fp.db("intake").applications.find(
        {"_id": {"$in": ids}}, {"status": 1, "timeline": 1, "seen_events": 1, "person_id": 1, "rejection": 1})}
    cases = Counter[str]()
    case_docs: dict[str, dict[str, Any]] = {}
    for c in fp.db("appraisal").cases.find({"application_id": {"$in": ids}},
                                           {"application_id": 1, "status": 1, "draws": 1, "assigned": 1}):
        cases[c["application_id"]] += 1
        case_docs[c["application_id"]] = c
    # archive, intake, settlement and audit's trail find a person by the blind index of their identity number (the
    # number itself is sealed)
    person_of = {fp.blind_index(p): p for p in persons}
    trail = [{**t, "business_key": person_of[t["business_bi"]]} for t in fp.db("audit").trail.find(
        {"business_bi": {"$in": list(person_of)}, "event_id": {"$exists": True}},
        {"event_id": 1, "type": 1, "business_bi": 1})]
    entries = [{"person_id": person_of[e["person_bi"]], "kind": e["kind"]} for e in fp.db("archive").entries.find(
        {"person_bi": {"$in": list(person_of)}}, {"person_bi": 1, "kind": 1})]
    notes = [{"person_id": person_of[n["person_bi"]], "template": n["template"]}
             for n in fp.db("intake").notifications.find({"person_bi": {"$in": list(person_of)}},
                                                         {"person_bi": 1, "template": 1})]

    for event_id, n in Counter(t["event_id"] for t in trail).items():
        if n > 1:
            out.doubled.append(f"audit trail holds event {event_id} {n} times")
    by_person_type = Counter((t["business_key"], t["type"]) for t in trail)
    by_person_kind = Counter((e["person_id"], e["kind"]) for e in entries)
    by_person_note = Counter((n["person_id"], n["template"]) for n in notes)

    for app_id, s in sent.items():
        done = app_id in concluded
        app = apps.get(app_id)
        if app is None:
            out.missing.append(f"intake lost application {app_id}")
            continue
        seen = app.get("seen_events") or []
        if len(seen) != len(set(seen)):
            out.doubled.append(f"intake noted an event twice on {app_id}")
        in_appraisal = sum(1 for t in app.get("timeline") or [] if t.get("status") == "in_appraisal")
        if in_appraisal > 1:
            out.doubled.append(f"intake's timeline of {app_id} says in_appraisal {in_appraisal} times")
        elif in_appraisal == 0:
            why = fp.opened(app.get("rejection")) if app.get("status") == "rejected" else ""
            out.missing.append(f"intake never learnt the experts of {app_id} (status {app.get('status')}"
                               f"{': ' + str(why) if why else ''})")
        if cases[app_id] == 0:
            out.missing.append(f"appraisal has no case for {app_id}")
        elif cases[app_id] > 1:
            out.doubled.append(f"appraisal has {cases[app_id]} cases for {app_id}")
        else:
            case = case_docs[app_id]
            if len(case.get("draws") or []) != 1:
                out.doubled.append(f"case {app_id} has {len(case.get('draws') or [])} expert draws")
            if done and case.get("status") != "concluded":
                out.missing.append(f"case {app_id} is {case.get('status')}, not concluded")
        for event_type in TRAIL_CONCLUDED if done else TRAIL_COMPLETED:
            n = by_person_type[(s.person_id, event_type)]
            if n != 1:
                (out.missing if n == 0 else out.doubled).append(f"audit trail has {n}× {event_type} of {app_id}")
        for kind, want in (ARCHIVE_CONCLUDED if done else ARCHIVE_COMPLETED).items():
            n = by_person_kind[(s.person_id, kind)]
            if n != want:
                (out.missing if n < want else out.doubled).append(f"archive has {n}×{kind} (want {want}) "
                                                                  f"of {app_id}")
        for template in ("approved", "filed") if done else ():
            n = by_person_note[(s.person_id, template)]
            if n != 1:
                (out.missing if n == 0 else out.doubled).append(f"intake sent {n}× '{template}' for {app_id}")

    if concluded:
        holders = [sent[a].person_id for a in concluded]
        holder_of = {fp.blind_index(p): p for p in holders}
        latest: dict[str, dict[str, Any]] = {}
        for st in fp.db("settlement").person_states.find({"person_bi": {"$in": list(holder_of)}},
                                                          {"person_bi": 1, "version": 1, "holdings": 1}):
            person = holder_of[st["person_bi"]]
            if person not in latest or st["version"] > latest[person]["version"]:
                latest[person] = st
        for person in holders:
            held = len((latest.get(person) or {}).get("holdings") or [])
            if held != 1:
                (out.missing if held == 0 else out.doubled).append(f"settlement holds {held} holdings of {person}")

    for batch in traffic.batches:
        out.missing.extend(batch_problems(fp, batch))
    return out


def batch_problems(fp: FaultPlatform, batch: Batch) -> list[str]:
    """A stored batch is done and holds each of its lines exactly once (stored lines are keyed by claim and line,
    so a line applied twice shows as a wrong total, not a second document)."""
    doc = fp.db("settlement").batches.find_one({"_id": batch.batch_id})
    if doc is None:
        return [f"settlement has no batch {batch.batch_id}"]
    problems = [] if doc.get("status") == "done" else [f"batch {batch.batch_id} is {doc.get('status')}"]
    lines = list(fp.db("settlement")[f"claims_{batch.statement_id}"].find({"batch_id": batch.batch_id},
                                                                         {"amount_fen": 1, "claim_id": 1}))
    if len(lines) != batch.lines:
        problems.append(f"batch {batch.batch_id}: {len(lines)} lines stored, {batch.lines} sent")
    if sum(d["amount_fen"] for d in lines) != batch.claimed_fen:
        problems.append(f"batch {batch.batch_id}: {sum(d['amount_fen'] for d in lines)} fen stored, "
                        f"{batch.claimed_fen} sent")
    return problems


def settled(fp: FaultPlatform, traffic: Traffic, timeout: float = REAL_INFRA_DEADLINE) -> Tally:
    """Wait until every piece of the traffic's work shows in every store (nothing missing), then the tally."""
    def probe() -> tuple[bool, str]:
        t = tally(fp, traffic)
        return not t.missing, str(t)

    try:
        wait_until(probe, timeout, f"the work of {len(traffic.sent)} applications and {len(traffic.batches)} "
                                   f"uploads to complete (logs: {fp.log_dir})", every=1.0)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{consumer_detail(fp)}") from None
    return tally(fp, traffic)


def dead_letter_ids(fp: FaultPlatform) -> set[str]:
    return {d.id for d in fp.dead_letters()}


def healthy_dead_letters(fp: FaultPlatform, before: set[str]) -> list[str]:
    """Messages parked since `before` (the tests that use this publish no poison, so each is a healthy event)."""
    return [f"{d.id} ({d.headers.get('dlq-service', '?')}): {d.headers.get('dlq-reason', '?')}"
            for d in fp.dead_letters() if d.id not in before]


def group_caught_up(fp: FaultPlatform, service: str, topic: str) -> tuple[bool, str]:
    """Whether the service's consumer group has committed every message of `topic` (it has processed them)."""
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

    group = f"{fp.local.env['JINGBAN_TOPIC_PREFIX']}jingban-{service}"
    admin = KafkaAdminClient(**fp.infra.kafka_config(), client_id="faults-offsets")
    consumer = KafkaConsumer(**fp.infra.kafka_config(), group_id=None, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = consumer.end_offsets(parts)
        committed = {tp: meta.offset for tp, meta in admin.list_group_offsets({group: parts})[group].items()}
        behind = {tp.partition: (committed.get(tp, -1), end) for tp, end in ends.items()
                  if end > 0 and committed.get(tp, -1) < end}
        return not behind, f"{group} behind on {topic}: {{partition: (committed, end)}} {behind}"
    finally:
        consumer.close()
        admin.close()


# ---------------------------------------------------------------------------------------------- readiness


def readyz(fp: FaultPlatform, service: str, timeout: float = 1.0) -> tuple[int, dict[str, Any], float]:
    """(status, body, seconds): status 0 when it did not answer within `timeout`."""
    t0 = time.monotonic()
    try:
        r = httpx.get(f"{fp.url(service)}/readyz", timeout=timeout)
    except httpx.HTTPError as exc:
        return 0, {"error": f"{type(exc).__name__}"}, time.monotonic() - t0
    try:
        body = r.json()
    except ValueError:
        body = {"text": r.text[:300]}
    return r.status_code, body, time.monotonic() - t0


def consumer_detail(fp: FaultPlatform) -> str:
    """Each service's /readyz answer, for failure messages."""
    return "\n".join(f"  {s}: {readyz(fp, s, 2.0)[:2]}" for s in SERVICES)


def pids(fp: FaultPlatform) -> dict[str, int]:
    return {s: p.pid for s, p in fp.local.procs.items() if s in SERVICES}


def running(fp: FaultPlatform) -> dict[str, bool]:
    return {s: p.poll() is None for s, p in fp.local.procs.items() if s in SERVICES}


# ---------------------------------------------------------------------------------------------- an outage

OUTAGE_S = 30.0
BACK_READY_S = 30.0


def outage_mid_traffic(fp: FaultPlatform, component: str) -> list[str]:
    """Traffic; `component` ("kafka" or "mongo") stopped for OUTAGE_S; started again. Returns what went wrong,
    every finding at once: /readyz not 503 during the outage (or slower than 1 s), not 200 within BACK_READY_S
    after it, a service that had to be restarted, work lost or applied twice, healthy events dead-lettered."""
    problems: list[str] = []
    before = pids(fp)
    parked_before = dead_letter_ids(fp)
    # Applications intake holds but has not completed: during a store outage their completion arrives from Kafka
    # (as events a relay published just before the store went away), for consumers that cannot reach the store.
    held = [submitted_application(fp) for _ in range(3)] if component == "mongo" else []
    # A burst first, and the fault right after it: its events are being relayed and consumed when it strikes.
    traffic = Traffic(fp, applications=16, conclude_every=4, uploads=4, pace_s=1.0, burst=6).start()
    try:
        traffic.wait_sent(6)
        fp.infra.stop(kafka=component == "kafka", mongo=component == "mongo")
        down_at = time.monotonic()
        for app_id, person in held:
            publish(fp, "application.completed", person, completed_event(app_id, person)[1])
            traffic.adopt(Sent(app_id, person, conclude=False))
        sent_before = len(traffic.sent)
        # Every service must say it is not ready while the outage lasts (with the detail of its consumers), and
        # answer within a second: polled until each has said 503, then once a second to the end of the outage.
        answers: dict[str, list[tuple[int, float]]] = {s: [] for s in SERVICES}
        not_ready: dict[str, dict[str, Any]] = {}
        tick = threading.Event()
        while time.monotonic() - down_at < OUTAGE_S:
            for service in SERVICES:
                status, body, took = readyz(fp, service, timeout=1.0)
                answers[service].append((status, took))
                if status == 503 and service not in not_ready:
                    not_ready[service] = body
            tick.wait(0.2 if len(not_ready) < len(SERVICES) else 1.0)  # poll interval; the outage lasts its 30 s
        for service in SERVICES:
            if service not in not_ready:
                problems.append(f"/readyz of {service} never answered 503 during the {component} outage; answers "
                                f"(status, seconds): {answers[service][-5:]}")
            elif not {"checks", "consumers"} <= set(not_ready[service]):
                problems.append(f"/readyz 503 of {service} lacks the checks / consumers detail: {not_ready[service]}")
            # A single late answer may be the scheduler of a busy two-core machine; two in a row are the service.
            late = [status == 0 or took > 1.0 for status, took in answers[service]]
            if any(a and b for a, b in itertools.pairwise(late)):
                slow = [(s, round(t, 2)) for s, t in answers[service] if s == 0 or t > 1.0]
                problems.append(f"/readyz of {service} did not answer within 1 s (twice in a row) during the "
                                f"{component} outage: (status, seconds) {slow[:6]}")
        sent_during = len(traffic.sent) - sent_before
        fp.infra.up(kafka=component == "kafka", mongo=component == "mongo")
        back_at = time.monotonic()
        last: dict[str, tuple[int, dict[str, Any]]] = {}

        def all_ready() -> tuple[bool, str]:
            for service in SERVICES:
                status, body, _ = readyz(fp, service, timeout=2.0)
                last[service] = (status, body)
            return all(s == 200 for s, _ in last.values()), str({k: v for k, v in last.items() if v[0] != 200})

        try:
            wait_until(all_ready, BACK_READY_S, f"/readyz 200 on every service after {component} came back")
        except AssertionError as exc:
            problems.append(str(exc))
            # Go on: whether the work still completes (later) is worth knowing too, unless it never gets ready.
            try:
                wait_until(all_ready, REAL_INFRA_DEADLINE, f"/readyz 200 on every service after {component} "
                                                           f"came back (at all)")
            except AssertionError as never:
                return [*problems, str(never), f"(not checked whether the work completes; traffic: "
                                               f"{traffic.summary()})"]
        print(f"{component} outage: {sent_during} applications taken during it; readyz 200 again "
              f"{time.monotonic() - back_at:.1f}s after it was back; 503 detail seen: "
              f"{ {s: b for s, b in list(not_ready.items())[:1]} }")
        if component == "kafka" and sent_during == 0:
            problems.append("intake took no application while Kafka was down (it needs only its store)")
        try:
            traffic.join()
        except AssertionError as exc:
            problems.append(f"traffic did not get through: {exc}")
    finally:
        traffic.halt()
    print(f"{component} outage: {traffic.summary()}")
    try:
        problems += [f"applied twice: {d}" for d in settled(fp, traffic).doubled]
    except AssertionError as exc:
        problems.append(str(exc))
    restarted = {s: (before[s], pid) for s, pid in pids(fp).items() if before.get(s) != pid}
    dead = [s for s, alive in running(fp).items() if not alive]
    if restarted or dead:
        problems.append(f"services restarted {restarted} or dead {dead} (logs: {fp.log_dir})")
    problems += [f"healthy event dead-lettered: {d}" for d in healthy_dead_letters(fp, parked_before)]
    return problems
