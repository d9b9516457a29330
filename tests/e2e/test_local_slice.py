"""The first slice in local mode: five service processes on the real Kafka and FerretDB.

Drives the chronic-disease application over HTTP and checks the qualification, the person's file,
the audit trail and its hash chain, one trace across processes (in the trace files and in the launcher's Zipkin, where
ops follow it by the answer's `x-trace-id`), tenant isolation over HTTP, gRPC and the stores, and that killing
appraisal mid-flow loses no event and applies none twice."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from pymongo import AsyncMongoClient

from chassis.store.port import database_name
from contracts.v1 import intake_pb2, intake_pb2_grpc
from jingban.flow import Walk
from jingban.local import LocalPlatform
from tests.conftest import PERSON_A, REAL_INFRA_DEADLINE, application_form, auth, eventually
from tests.integration.conftest import drop_run_databases
from tests.support import tokens
from tests.support.infra import blind_index, load_launcher, local_trust_env, real_infra, service_channel

pytestmark = pytest.mark.e2e

SERVICES = ("intake", "appraisal", "settlement", "audit", "archive")
EXTRA_PERSONS = ["110101199003070011", "110101199003070038", "110101199003070054", "110101199003070070",
                 "110101199003070097"]


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    infra = real_infra()
    run_id = "e" + uuid.uuid4().hex[:8]
    work = tmp_path_factory.mktemp("local")
    env = {**infra.kafka_env, "MONGODB_URI": infra.mongodb_uri,
           "JINGBAN_TOPIC_PREFIX": f"{run_id}.", "JINGBAN_DB_PREFIX": run_id, **local_trust_env(),
           "JINGBAN_TRACE_DIR": str(work / "traces"), "JINGBAN_TENANTS": "hz-p1,hz-p2",
           "JINGBAN_DATA_DIR": str(work / "data")}
    (work / "traces").mkdir()
    # The launcher's Zipkin (local mode's trace server): the services export their spans to it as well.
    env["JINGBAN_ZIPKIN_URL"] = load_launcher().ensure_up(kafka=False, mongo=False, zipkin=True)["JINGBAN_ZIPKIN_URL"]
    platform = LocalPlatform(env, work / "logs", port_offset=50)
    platform.start(timeout_s=REAL_INFRA_DEADLINE)
    try:
        asyncio.run(_prepare(platform))
        yield platform
    finally:
        platform.stop()
        infra.revoke_acls(f"{run_id}.", tuple(env["JINGBAN_TENANTS"].split(",")))  # the run's Kafka ACLs
        asyncio.run(drop_run_databases(infra.mongodb_uri, run_id))


async def _prepare(platform: LocalPlatform) -> None:
    """Each tenant loads its program's policy table and imports the expert pool, as a carrier would."""
    async with httpx.AsyncClient(timeout=30) as http:
        for tenant in ("hz-p1", "hz-p2"):
            walk = Walk(platform.url, tokens.current(), http, tenant)
            await walk.load_policy()
            await walk.import_experts()


@pytest.fixture(scope="module")
async def mongo() -> AsyncIterator[AsyncMongoClient]:
    client: AsyncMongoClient = AsyncMongoClient(real_infra().mongodb_uri)
    yield client
    await client.close()


def db(local: LocalPlatform, mongo: AsyncMongoClient, service: str, tenant: str) -> Any:
    return mongo[database_name(local.env["JINGBAN_DB_PREFIX"], service, tenant)]


def spans(local: LocalPlatform) -> list[dict[str, Any]]:
    out = []
    for f in Path(local.env["JINGBAN_TRACE_DIR"]).glob("*.jsonl"):
        out += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return out


async def submit(local: LocalPlatform, http: httpx.AsyncClient, person: str, disease: str = "HTN") -> str:
    r = await http.post(f"{local.url('intake')}/v1/applications", files=application_form(person, disease),
                        headers=auth("hz-p1", "clerk"))
    assert r.status_code == 201, r.text
    app_id = r.json()["application_id"]
    await Walk(local.url, tokens.current(), http, "hz-p1").review(app_id, "complete")
    return app_id


async def wait_case(local: LocalPlatform, http: httpx.AsyncClient, app_id: str,
                    timeout: float = REAL_INFRA_DEADLINE) -> dict:
    async def probe() -> dict | None:
        r = await http.get(f"{local.url('appraisal')}/v1/cases/{app_id}", headers=auth("hz-p1", "reviewer"))
        return r.json() if r.status_code == 200 else None

    return await eventually(probe, timeout, f"case {app_id}")


async def conclude(local: LocalPlatform, http: httpx.AsyncClient, app_id: str) -> dict:
    walk = Walk(local.url, tokens.current(), http, "hz-p1")
    case = await walk.opinions(await walk.case(app_id))
    assert case["status"] == "ready", case
    return await walk.conclude(app_id, "approved", "ok")


async def test_slice_across_five_processes(local: LocalPlatform, mongo: AsyncMongoClient) -> None:
    async with httpx.AsyncClient(timeout=15) as http:
        app_id = await submit(local, http, PERSON_A)
        case = await wait_case(local, http, app_id)
        assert case["status"] == "open" and len(case["documents"]) == 4
        concluded = await conclude(local, http, app_id)
        assert concluded["qualification"]["status"] == "active"

        async def full_file() -> dict | None:
            r = await http.get(f"{local.url('archive')}/v1/persons/{PERSON_A}/file", headers=auth("hz-p1", "clerk"))
            kinds = {e["kind"] for e in r.json()["entries"]} if r.status_code == 200 else set()
            return r.json() if {"application", "document", "conclusion", "qualification"} <= kinds else None

        person_file = await eventually(full_file, REAL_INFRA_DEADLINE, "person file")
        entries = person_file["entries"]
        assert [e["kind"] for e in entries].count("document") == 4
        assert {e["attributes"].get("application_id") for e in entries} == {app_id}

        async def trail() -> list | None:
            r = await http.get(f"{local.url('audit')}/v1/trail", headers=auth("hz-p1", "inspector"),
                               params={"business_key": PERSON_A})
            got = r.json()["entries"]
            return got if {"qualification.granted", "qualification.filed"} <= {e["type"] for e in got} else None

        events = await eventually(trail, REAL_INFRA_DEADLINE, "audit trail")
        # The clerk's reads of the file are in the trail too (查阅记录), beside the chain's own events.
        assert "archive.person.accessed" in {e["type"] for e in events}
        types = [e["type"] for e in events if not e["type"].endswith("person.accessed")]
        assert sorted(types) == sorted(["application.submitted", "application.completed", "experts.assigned",
                                        "appraisal.concluded", "qualification.granted", "qualification.filed"])
        assert types[0] == "application.submitted"
        assert types.index("application.completed") < types.index("experts.assigned") < types.index(
            "qualification.filed")
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
        verified = (await http.get(f"{local.url('audit')}/v1/trail/verify", headers=auth("hz-p1", "inspector"))).json()
        assert verified["valid"] is True and verified["entries"] >= 3

        async def account() -> dict | None:
            r = await http.get(f"{local.url('settlement')}/v1/persons/{PERSON_A}/accumulators",
                               headers=auth("hz-p1", "finance"),
                               params={"year": concluded["qualification"]["benefit_start"][:4]})
            return r.json() if r.json().get("accounts") else None

        held = await eventually(account, REAL_INFRA_DEADLINE, "benefit account")
        assert held["accounts"][0]["disease_code"] == "HTN"

    # One trace links intake's HTTP span, the Kafka hops, the gRPC call and archive's write.
    all_spans = spans(local)
    http_span = next(s for s in all_spans if s["service"] == "jingban-intake" and s["kind"] == "SERVER"
                     and s["name"].startswith("POST /v1/applications"))
    trace = [s for s in all_spans if s["trace_id"] == http_span["trace_id"]]
    seen = {(s["service"], s["kind"], s["name"]) for s in trace}

    def has(service: str, kind: str, fragment: str) -> bool:
        return any(sv == f"jingban-{service}" and k == kind and fragment in n for sv, k, n in seen)

    assert has("intake", "PRODUCER", "intake.application.submitted publish"), seen
    assert has("appraisal", "CONSUMER", "application.completed process"), seen
    assert has("appraisal", "CLIENT", "IntakeService/GetApplication"), seen
    assert has("intake", "SERVER", "IntakeService/GetApplication"), seen
    assert has("archive", "CONSUMER", "application.submitted process"), seen
    archive_writes = [s for s in trace if s["service"] == "jingban-archive" and s["kind"] == "CLIENT"
                      and s["attributes"].get("db.system") == "mongodb" and "entries" in json.dumps(s)]
    assert archive_writes, "archive's store write is not in the application's trace"
    # The conclusion's events continue the same trace into archive and settlement.
    assert has("appraisal", "PRODUCER", "qualification.granted publish"), seen
    assert has("settlement", "CONSUMER", "qualification.granted process"), seen


async def test_ops_follow_a_request_in_zipkin_by_its_trace_id(local: LocalPlatform) -> None:
    """The answer's `x-trace-id` (what every web page shows) finds the request's whole trace in Zipkin: intake's HTTP
    span, the events' hops into appraisal and archive, and the gRPC call back — with no identity number in any span."""
    person = "110101199003070062"
    zipkin = local.env["JINGBAN_ZIPKIN_URL"]
    async with httpx.AsyncClient(timeout=15) as http:
        r = await http.post(f"{local.url('intake')}/v1/applications", files=application_form(person, "HTN"),
                            headers=auth("hz-p1", "clerk"))
        assert r.status_code == 201, r.text
        trace_id = r.headers["x-trace-id"]
        assert len(trace_id) == 32 and int(trace_id, 16), trace_id
        await Walk(local.url, tokens.current(), http, "hz-p1").review(r.json()["application_id"], "complete")

        wanted = {("jingban-intake", "SERVER"), ("jingban-intake", "PRODUCER"), ("jingban-archive", "CONSUMER")}

        async def followed() -> list[dict[str, Any]] | None:
            got = await http.get(f"{zipkin}/api/v2/trace/{trace_id}")
            if got.status_code != 200:  # 404 until the batch exporters have sent the spans
                return None
            spans_ = got.json()
            seen = {(s.get("localEndpoint", {}).get("serviceName"), s.get("kind")) for s in spans_}
            return spans_ if wanted <= seen else None

        trace = await eventually(followed, REAL_INFRA_DEADLINE, f"trace {trace_id} in Zipkin")
    assert all(s["traceId"] == trace_id for s in trace)
    assert any(s.get("kind") == "SERVER" and "/v1/applications" in s.get("name", "") for s in trace), trace
    # Personal data never reaches the trace server in clear.
    assert person not in json.dumps(trace, ensure_ascii=False)


async def test_tenants_are_isolated_across_processes(local: LocalPlatform, mongo: AsyncMongoClient) -> None:
    person = "110101198001010037"
    async with httpx.AsyncClient(timeout=15) as http:
        app_id = await submit(local, http, person, "DM")
        await wait_case(local, http, app_id)
        r = await http.get(f"{local.url('intake')}/v1/applications/{app_id}", headers=auth("hz-p2", "clerk"))
        assert r.status_code == 404
        r = await http.get(f"{local.url('appraisal')}/v1/cases/{app_id}", headers=auth("hz-p2", "reviewer"))
        assert r.status_code == 404
    async with service_channel(local.grpc_target("intake"), local.env) as ch:
        stub = intake_pb2_grpc.IntakeServiceStub(ch)
        p1 = tokens.service_metadata("appraisal", "hz-p1")
        p2 = tokens.service_metadata("appraisal", "hz-p2")
        assert (await stub.GetApplication(intake_pb2.GetApplicationRequest(application_id=app_id), metadata=p1)
                ).person_id == person
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetApplication(intake_pb2.GetApplicationRequest(application_id=app_id), metadata=p2)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    # hz-p1's events never reached any hz-p2 store, in any service.
    for service in SERVICES:
        p2db = db(local, mongo, service, "hz-p2")
        for name in await p2db.list_collection_names():
            text = json.dumps(await p2db[name].find({}).to_list(None), default=str)
            assert person not in text and app_id not in text, f"{service}.{name} of hz-p2 holds hz-p1 data"
        p1db = db(local, mongo, service, "hz-p1")
        if service in ("intake", "appraisal", "audit", "archive"):
            assert await p1db.list_collection_names(), f"{service} wrote nothing for hz-p1"


async def test_appraisal_crash_loses_nothing_and_applies_nothing_twice(local: LocalPlatform,
                                                                       mongo: AsyncMongoClient) -> None:
    async with httpx.AsyncClient(timeout=15) as http:
        # 1. Crash while applications are arriving: some consumed, some not, offsets partly committed.
        app_ids = [await submit(local, http, p, "HTN") for p in EXTRA_PERSONS[:3]]
        local.kill("appraisal")
        app_ids += [await submit(local, http, p, "HTN") for p in EXTRA_PERSONS[3:]]
        local.start(("appraisal",), timeout_s=REAL_INFRA_DEADLINE)
        cases = [await wait_case(local, http, a) for a in app_ids]
        assert [c["case_id"] for c in cases] == app_ids

        # 2. Crash right after a conclusion is stored: its events sit in the outbox until the restart.
        target = app_ids[0]
        await conclude(local, http, target)
        local.kill("appraisal")
        local.start(("appraisal",), timeout_s=REAL_INFRA_DEADLINE)

        async def granted_everywhere() -> bool:
            r = await http.get(f"{local.url('archive')}/v1/persons/{EXTRA_PERSONS[0]}/file",
                               headers=auth("hz-p1", "clerk"))
            return r.status_code == 200 and any(e["kind"] == "qualification" for e in r.json()["entries"])

        await eventually(granted_everywhere, REAL_INFRA_DEADLINE, "qualification filed after the crash")

    appraisal_db = db(local, mongo, "appraisal", "hz-p1")
    for app_id in app_ids:
        assert await appraisal_db.cases.count_documents({"_id": app_id}) == 1
    case = await appraisal_db.cases.find_one({"_id": target})
    assert len(case["opinions"]) == 2 and case["_outbox_pending"] == 0

    audit = db(local, mongo, "audit", "hz-p1").trail
    # the trail keeps a business key sealed beside its blind index (chassis/pii.py)
    trail = await audit.find({"business_bi": {"$in": [blind_index(local.env, "hz-p1", p) for p in EXTRA_PERSONS]}}
                             ).to_list(None)
    ids = [t["event_id"] for t in trail]
    assert len(ids) == len(set(ids)), "an event was recorded twice"
    counts = {t: sum(1 for e in trail if e["type"] == t) for t in {e["type"] for e in trail}}
    assert counts["application.submitted"] == counts["application.completed"] == 5
    assert counts["experts.assigned"] == 5  # one draw per case, even across the crash
    assert counts["appraisal.concluded"] == counts["qualification.granted"] == 1
    archive = db(local, mongo, "archive", "hz-p1").entries
    assert await archive.count_documents({"person_bi": blind_index(local.env, "hz-p1", EXTRA_PERSONS[0]),
                                          "kind": "qualification"}) == 1
    states = await db(local, mongo, "settlement", "hz-p1").person_states.find(
        {"person_bi": blind_index(local.env, "hz-p1", EXTRA_PERSONS[0])}).to_list(None)
    latest = max(states, key=lambda s: s["version"])
    assert len(latest["holdings"]) == 1  # the grant opened one holding, not two
