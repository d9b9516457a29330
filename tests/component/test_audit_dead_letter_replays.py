"""audit's record of dead-letter replays (POST/GET /v1/dead-letters/replays) on the in-memory adapters: ops only,
the tenant from the token, precise 422s, one trail entry per id and attempt, and a trail that still verifies with
entries of a type outside the event catalogue between the events; then `jingban dlq replay` against it."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.events import CATALOGUE, decode, encode, topic_for
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from jingban import dlq
from services.audit.dead_letters.domain.replays import REPLAYED, details_sha256
from services.audit.dead_letters.service import replay_event_id
from services.audit.main import SPEC
from services.audit.trail import handlers
from services.audit.trail import service as trail_service
from services.audit.trail.domain.trail import verify
from services.audit.trail.store import TrailStore
from tests.conftest import auth
from tests.support import tokens
from tests.support.dead_letters import PERSON, FakeDeadLetterLog, parked, submitted

DLQ_ID = "hz-p1.appraisal.dead-letter:1:7"
ORIGINAL = topic_for("hz-p1", "application.submitted")


def replay(**overrides: Any) -> dict[str, Any]:
    return {"id": DLQ_ID, "original_topic": ORIGINAL, "event_id": "5d0f3c1e-8a2b-4c6d-9e0f-1a2b3c4d5e6f",
            "reason": "InvalidInput: disease_code is not in the table", "value_sha256": "ab" * 32, "replaced": False,
            **overrides}


class Rig:
    def __init__(self, host: ServiceHost, http: httpx.AsyncClient) -> None:
        self.host, self.http = host, http

    async def trail(self, tenant: str = "hz-p1") -> list[dict[str, Any]]:
        """The trail as stored (business keys sealed: what the MACs cover)."""
        return await TrailStore(self.host.context.db(tenant)).all_entries()

    async def entries(self, tenant: str = "hz-p1") -> list[dict[str, Any]]:
        """The trail as read (business keys opened)."""
        return await TrailStore(self.host.context.db(tenant)).entries(0, 1000)

    def verify(self, trail: list[dict[str, Any]], tenant: str = "hz-p1") -> Any:
        """The MAC chain checked with the tenant's trail key (from the host's key provider)."""
        return verify(trail, dict([self.host.context.keys.current("trail", tenant)]))

    async def record_event(self, tenant: str = "hz-p1") -> None:
        """An event of the catalogue, recorded as audit's consumer records it."""
        await handlers.record(self.host.context)(decode(encode(submitted(tenant))))


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    settings = Settings(service="audit", tenants=("hz-p1", "hz-p2"), data_dir=str(tmp_path))
    host = ServiceHost(SPEC, settings, MemoryBus(), MemoryStore())
    app = SPEC.build(host.context).app
    # What ServiceHost.start gives the app: the tenants served and how a door's TenantScope opens a database.
    app.state.tenants, app.state.open_db = frozenset(settings.tenants), host.context.db
    app.state.verifier = host.verifier  # what the host sets before serving
    for tenant in settings.tenants:
        await TrailStore(host.context.db(tenant)).ensure_indexes()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit") as http:
        yield Rig(host, http)


async def no_anchors(peers: Any, tenant: str) -> AsyncIterator[dict[str, Any]]:
    for anchor in ():
        yield anchor


async def test_recording_twice_is_one_entry_and_the_trail_still_verifies(rig: Rig,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    await rig.record_event()
    first = await rig.http.post("/v1/dead-letters/replays", json=replay(), headers=auth("hz-p1", "ops", "op-1"))
    assert first.status_code == 201 and first.json()["created"] is True
    again = await rig.http.post("/v1/dead-letters/replays", json=replay(), headers=auth("hz-p1", "ops", "op-2"))
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["replay"] == first.json()["replay"]  # the first record stands (recorded_by op-1)
    await rig.record_event()

    trail = await rig.trail()
    assert [e["type"] for e in trail] == ["application.submitted", REPLAYED, "application.submitted"]
    entry = trail[1]
    assert entry["event_id"] == replay_event_id(DLQ_ID, 1) == first.json()["replay"]["trail_event_id"]
    assert ((await rig.entries())[1]["business_key"], entry["causation_id"], entry["recorded_by"]) == (
        DLQ_ID, replay()["event_id"], {"role": "ops", "subject": "op-1"})
    assert entry["business_key"].startswith("pii:1:")  # sealed as stored (often a person's identity number)
    # The replay's details are hashed into the chain through payload_sha256.
    assert entry["payload_sha256"] == details_sha256({**replay(), "attempt": 1})
    assert rig.verify(trail).valid and REPLAYED not in CATALOGUE
    # The trail's own doors read it as before.
    # (no archive here: the trail's anchors come back empty; test_trail_anchors.py verifies against archive's)
    monkeypatch.setattr(trail_service, "archive_anchors", no_anchors)
    checked = (await rig.http.get("/v1/trail/verify", headers=auth("hz-p1", "inspector"))).json()
    assert checked == {"valid": True, "entries": 3, "anchored_through": 0, "problems": [], "problems_total": 0}
    by_key = (await rig.http.get("/v1/trail", params={"business_key": DLQ_ID},
                                 headers=auth("hz-p1", "inspector"))).json()["entries"]
    assert [(e["type"], e["replay"]["attempt"]) for e in by_key] == [(REPLAYED, 1)]

    listed = (await rig.http.get("/v1/dead-letters/replays", headers=auth("hz-p1", "ops"))).json()["replays"]
    assert [(r["id"], r["attempt"], r["trail_seq"], r["replaced"]) for r in listed] == [(DLQ_ID, 1, 2, False)]
    one = (await rig.http.get("/v1/dead-letters/replays", params={"id": DLQ_ID},
                              headers=auth("hz-p1", "ops"))).json()["replays"]
    assert one == listed
    none = (await rig.http.get("/v1/dead-letters/replays", params={"id": "hz-p1.intake.dead-letter:0:0"},
                               headers=auth("hz-p1", "ops"))).json()["replays"]
    assert none == []


async def test_another_attempt_is_another_entry_and_other_details_for_one_attempt_conflict(rig: Rig) -> None:
    assert (await rig.http.post("/v1/dead-letters/replays", json=replay(),
                                headers=auth("hz-p1", "ops"))).status_code == 201
    changed = await rig.http.post("/v1/dead-letters/replays", json=replay(value_sha256="cd" * 32, replaced=True),
                                  headers=auth("hz-p1", "ops"))
    assert changed.status_code == 409 and changed.json()["error"]["fields"][0]["field"] == "attempt"
    second = await rig.http.post("/v1/dead-letters/replays", json=replay(attempt=2, value_sha256="cd" * 32,
                                                                         replaced=True), headers=auth("hz-p1", "ops"))
    assert second.status_code == 201 and second.json()["replay"]["trail_event_id"] == replay_event_id(DLQ_ID, 2)
    trail = await rig.trail()
    assert [e["replay"]["attempt"] for e in trail] == [1, 2] and rig.verify(trail).valid


async def test_tenants_are_apart(rig: Rig) -> None:
    assert (await rig.http.post("/v1/dead-letters/replays", json=replay(),
                                headers=auth("hz-p1", "ops"))).status_code == 201
    seen = await rig.http.get("/v1/dead-letters/replays", headers=auth("hz-p2", "ops"))
    assert seen.status_code == 200 and seen.json()["replays"] == []
    # hz-p2 cannot record a replay of hz-p1's dead letter, nor name hz-p1's topic as where it went.
    theirs = await rig.http.post("/v1/dead-letters/replays", json=replay(), headers=auth("hz-p2", "ops"))
    assert theirs.status_code == 403 and theirs.json()["error"]["fields"][0]["field"] == "id"
    cross = await rig.http.post("/v1/dead-letters/replays",
                                json=replay(id="hz-p2.appraisal.dead-letter:0:1"), headers=auth("hz-p2", "ops"))
    assert cross.status_code == 403 and cross.json()["error"]["fields"][0]["field"] == "original_topic"
    assert await rig.trail("hz-p2") == [] and len(await rig.trail("hz-p1")) == 1


@pytest.mark.parametrize("role", ["clerk", "inspector", "supervisor", "reviewer"])
async def test_only_ops_records_and_reads_replays(rig: Rig, role: str) -> None:
    posted = await rig.http.post("/v1/dead-letters/replays", json=replay(), headers=auth("hz-p1", role))
    read = await rig.http.get("/v1/dead-letters/replays", headers=auth("hz-p1", role))
    assert (posted.status_code, read.status_code) == (403, 403)
    assert (await rig.http.get("/v1/dead-letters/replays")).status_code == 401
    assert await rig.trail() == []


@pytest.mark.parametrize(("body", "field"), [
    (replay(id="hz-p1.appraisal.dead-letter:1"), "id"),
    (replay(id="hz-p1.appraisal.dead-letter:1:x"), "id"),
    ({k: v for k, v in replay().items() if k != "id"}, "id"),
    (replay(value_sha256="ab" * 31), "value_sha256"),
    (replay(value_sha256="AB" * 32), "value_sha256"),
    ({k: v for k, v in replay().items() if k != "replaced"}, "replaced"),
    (replay(attempt=0), "attempt"),
    (replay(event_id="has space"), "event_id"),
    (replay(reason="x" * 2001), "reason"),
    (replay(original_topic="hz-p1.intake.not-an-event"), "original_topic"),
    (replay(original_topic="hz-p1.appraisal.dead-letter"), "original_topic"),
    (replay(note="extra"), "note"),
])
async def test_bad_input_is_422_with_the_field_and_changes_nothing(rig: Rig, body: dict[str, Any],
                                                                   field: str) -> None:
    r = await rig.http.post("/v1/dead-letters/replays", json=body, headers=auth("hz-p1", "ops"))
    assert r.status_code == 422, r.text
    assert field in [f["field"] for f in r.json()["error"]["fields"]]
    assert await rig.trail() == []
    bad_query = await rig.http.get("/v1/dead-letters/replays", params={"id": "no-offset"},
                                   headers=auth("hz-p1", "ops"))
    assert bad_query.status_code == 422 and bad_query.json()["error"]["fields"][0]["field"] == "query.id"


async def test_jingban_dlq_replay_records_in_audit_and_refuses_a_second_replay(rig: Rig) -> None:
    """The CLI's replay against the real audit door (in process), on the fake bus."""
    ev = submitted()
    log = FakeDeadLetterLog(parked(encode(ev)))
    ledger = dlq.AuditReplayLedger("http://audit", tokens.current(), client=rig.http,
                                   operator="dlq-cli:test")
    scope = dlq.Scope(("hz-p1", "hz-p2"))
    dlq_id = "hz-p1.appraisal.dead-letter:0:0"
    out, err = io.StringIO(), io.StringIO()
    assert await dlq.replay_parked(log, ledger, scope, dlq_id, None, False, out, err) == dlq.OK
    [copy] = log.topics[ORIGINAL]
    assert copy.headers[dlq.REPLAYED_FROM] == dlq_id
    with pytest.raises(dlq.DlqError) as refused:
        await dlq.replay_parked(log, ledger, scope, dlq_id, None, False, out, err)
    assert refused.value.status == dlq.REFUSED and len(log.topics[ORIGINAL]) == 1

    [entry] = await rig.trail()
    [read] = await rig.entries()
    assert entry["type"] == REPLAYED and read["business_key"] == dlq_id and entry["causation_id"] == ev["event_id"]
    assert entry["replay"]["value_sha256"] == hashlib.sha256(encode(ev)).hexdigest()
    assert entry["recorded_by"] == {"role": "ops", "subject": "dlq-cli:test"}
    assert PERSON not in str(entry)  # the trail entry of a replay carries no key in clear
    assert await dlq.replay_parked(log, ledger, scope, dlq_id, None, True, out, err) == dlq.OK
    assert [e["replay"]["attempt"] for e in await rig.trail()] == [1, 2] and rig.verify(await rig.trail()).valid
