"""Long-term care services at month scale (护理服务, issue 12): a month of service records — by default 1,000,000 for
30,000 disabled persons across 400 designated institutions — uploaded by the institutions over HTTP in batches of at
most 2,000, each checked whole against the persons' care plans and cover by settlement's care room, then settled into
the month's statements (built, closed, paid from wz-b's dedicated account).

Local mode, as `bench.settlement_bench`: the settlement service alone as its own process (`jingban.local`) on the
real FerretDB and Kafka of `deploy/local`, fresh topics and databases, one tenant (wz-b); the raw store insert rate
(`bench.raw.raw_store_insert_rate`, insert_many × 1000) is measured in the same run and the upload rate reported as a
ratio to it (aim ≥ 0.5).

Setup (not timed, but reported): the institutions' designations (institution.changed) and the persons' disability
conclusions are published to Kafka as appraisal publishes them and consumed by settlement — conclusions migrated from
the agency's system (kind `migrated`, services/appraisal/disability/service/migration.py), as the persons in care in
the first months are: a month of services for 30,000 persons assessed in the same instant would first make the agency
feed send 30,000 LTC01 messages; then every person's care plan is approved over HTTP (`POST /v1/ltc/plans/batches`,
each institution its own); then, should setup have made the agency feed push anything, it is let send it, so that the
upload's window measures the uploads and their own pushes (LTC02), not a backlog of setup's.

    python -m bench.ltc_care [--records 1000000] [--persons 30000] [--institutions 400] [--batch 2000]
                             [--concurrency 2] [--no-write]
    python -m bench.ltc_care --records 20000 --persons 600 --institutions 8     # a quick check
    python -m bench.ltc_care --embedded --records 20000 --persons 600 --institutions 8
        # in process: all services on the in-memory bus and store (`jingban.embedded`), raw insert measured on that
        # store; nothing to start, nothing written to bench/RESULTS.md

The month is the one before today (its statements can close). Each person gets 33 or 34 records (a basic-care visit
on each of the month's first 28 days and pressure care on 5 or 6 of them) at their caregiver's fixed slot, so none
overlaps and none passes the plan's frequency: every record is accepted. Writes the "Long-term care month" section of
bench/RESULTS.md (between its markers) unless --no-write or --embedded."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- ltc-care-bench:begin -->", "<!-- ltc-care-bench:end -->"
TENANT = "wz-b"
PROGRAM = "wz-ltc"
CAREGIVERS_PER_INSTITUTION = 10
BASIC_DAYS = 28


def person_id(i: int) -> str:
    """A valid identity number of lot B (龙湾区 330303), unique per i: born in the 1930s (a day per 1,000 persons), its
    sequence number and check character — the agency's system refuses a number whose check character is wrong."""
    from provincial.ids import check_character

    born = dt.date(1930, 1, 1) + dt.timedelta(days=i // 1000)
    first17 = f"330303{born:%Y%m%d}{i % 1000:03d}"
    return first17 + check_character(first17)


def institution_id(k: int) -> str:
    return f"WZB-C{k:04d}"


def the_month(today: dt.date) -> str:
    first = today.replace(day=1)
    last = first - dt.timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def headers(role: str, subject: str = "bench", program: str = "") -> dict[str, str]:
    from tests.support import tokens

    return {"authorization": f"Bearer {tokens.user_token(TENANT, role, subject, program=program)}"}


# ---- the month's data ---------------------------------------------------------------------------------------------


def layout(persons: int, institutions: int) -> list[tuple[str, str, int, str]]:
    """(person, institution, grade, mode) per person: persons spread evenly over institutions; the last quarter of
    the institutions give institutional care, the others home visits; grades 3–5."""
    out = []
    for i in range(persons):
        k = i % institutions
        mode = "institutional" if k >= institutions * 3 // 4 else "home_visit"
        out.append((person_id(i), institution_id(k), 3 + i % 3, mode))
    return out


def batches(people: list[tuple[str, str, int, str]], records: int, month: str, batch: int
            ) -> list[tuple[str, bytes, int]]:
    """(institution, JSON body, records) per upload: each institution's records in date order, at most `batch` an
    upload. Records per person: `records` spread as evenly as the persons allow."""
    per_person, extra = divmod(records, len(people))
    by_institution: dict[str, list[dict[str, Any]]] = {}
    slots: dict[str, int] = {}
    for n, (pid, inst, _grade, _mode) in enumerate(people):
        count = per_person + (1 if n < extra else 0)
        slot = slots.get(inst, 0)
        slots[inst] = slot + 1
        caregiver = f"CG{slot % CAREGIVERS_PER_INSTITUTION:02d}"
        turn = slot // CAREGIVERS_PER_INSTITUTION     # this caregiver's n-th person: its own time of day
        rows = by_institution.setdefault(inst, [])
        for r in range(count):
            day = r % BASIC_DAYS + 1
            second = r >= BASIC_DAYS                  # pressure care: a second visit that day, in the afternoon
            minutes = (13 * 60 if second else 7 * 60) + turn * 40
            start = f"{minutes // 60:02d}:{minutes % 60:02d}"
            end = f"{(minutes + 30) // 60:02d}:{(minutes + 30) % 60:02d}"
            rows.append({"record_id": f"R{n:06d}-{r:02d}", "person_id": pid, "caregiver_id": caregiver,
                         "date": f"{month}-{day:02d}", "start": start, "end": end,
                         "items": ["pressure_care"] if second else ["basic_care"]})
    out = []
    for inst, rows in sorted(by_institution.items()):
        rows.sort(key=lambda x: (x["date"], x["start"], x["record_id"]))
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            out.append((inst, json.dumps({"month": month, "records": chunk}).encode(), len(chunk)))
    return out


def plan_body(pid: str, inst: str, mode: str, month: str) -> dict[str, Any]:
    return {"person_id": pid, "mode": mode, "institution_id": inst, "valid_from": f"{month}-01",
            "valid_to": f"{int(month[:4]) + 1}-{month[5:]}-01",
            "items": [{"code": "basic_care", "per_month": 30}, {"code": "pressure_care", "per_month": 8}]}


def setup_events(people: list[tuple[str, str, int, str]], institutions: int, month: str) -> list[dict[str, Any]]:
    from chassis.events import CATALOGUE, new_event
    from contracts.v1 import events_pb2

    def event(event_type: str, key: str, payload: Any) -> dict[str, Any]:
        return new_event(event_type, TENANT, key, payload, source=CATALOGUE[event_type][0], trace_context={})

    concluded_on = f"{the_previous(month)}-15"
    recheck_due = f"{int(month[:4]) + 2}-{month[5:]}-15"
    grade_names = {3: "重度失能I级", 4: "重度失能II级", 5: "重度失能III级"}
    out = [event("institution.changed", institution_id(k), events_pb2.InstitutionChanged(
        institution_id=institution_id(k), kind="care", name=f"护理机构 {k}", status="designated", step="designated",
        agreement_from="2023-01-01", agreement_to="2030-12-31", modes=["institutional", "home_visit"],
        occurred_at=dt.datetime.now(dt.UTC).isoformat())) for k in range(institutions)]
    for n, (pid, _inst, grade, _mode) in enumerate(people):
        out.append(event("disability.concluded", pid, events_pb2.DisabilityConcluded(
            assessment_id=f"MIG-AS-{n:06d}", application_id=f"MIG-{n:06d}", person_id=pid, grade=grade,
            grade_name=grade_names[grade], adl_level=3, cognition_level=grade - 2, perception_level=grade - 2,
            eligible=True, scale_version="sample", concluded_at=f"{concluded_on}T10:00:00+08:00",
            concluded_on=concluded_on, recheck_due=recheck_due, round=1, lot="B", kind="migrated")))
    return out


def the_previous(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year - (mon == 1):04d}-{(mon - 2) % 12 + 1:02d}"


# ---- the steps over HTTP (the same in both modes) ---------------------------------------------------------------


async def approve_plans(base: str, people: list[tuple[str, str, int, str]], month: str, concurrency: int
                        ) -> float:
    """Each institution approves its residents' plans, up to 1,000 a request (`POST /v1/ltc/plans/batches`)."""
    by_institution: dict[str, list[dict[str, Any]]] = {}
    for pid, inst, _grade, mode in people:
        by_institution.setdefault(inst, []).append(plan_body(pid, inst, mode, month))
    queue: asyncio.Queue[tuple[str, list[dict[str, Any]]]] = asyncio.Queue()
    for inst, plans in sorted(by_institution.items()):
        for start in range(0, len(plans), 1000):
            queue.put_nowait((inst, plans[start:start + 1000]))

    async def worker() -> None:
        async with httpx.AsyncClient(timeout=600) as http:
            while not queue.empty():
                inst, plans = queue.get_nowait()
                r = await http.post(f"{base}/v1/ltc/plans/batches", json={"plans": plans},
                                    headers=headers("institution", inst))   # (tokens are cached by the source)
                if r.status_code not in (200, 201):
                    raise RuntimeError(f"plans of {inst}: {r.status_code} {r.text[:300]}")

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0


async def wait_known(base: str, people: list[tuple[str, str, int, str]], timeout: float = 1800) -> float:
    """Until settlement's care book holds every conclusion (a sample, then the last of each institution)."""
    t0 = time.perf_counter()
    probes = [people[-1][0], people[0][0], *[p[0] for p in people[-len(people) // 50 or -1:]][:50]]
    clerk = headers("clerk")
    async with httpx.AsyncClient(timeout=60) as http:
        for pid in probes:
            while True:
                r = await http.get(f"{base}/v1/ltc/persons/{pid}", headers=clerk)
                if r.status_code == 200:
                    break
                if time.perf_counter() - t0 > timeout:
                    raise TimeoutError("the conclusions did not reach settlement")
                await asyncio.sleep(1.0)
    return time.perf_counter() - t0


async def wait_pushed(base: str, timeout: float = 3600) -> tuple[float, dict[str, int]]:
    """Until the agency feed has nothing pending (setup's LTC01 pushes sent): seconds and the counts per status."""
    t0 = time.perf_counter()
    ops = headers("ops")
    async with httpx.AsyncClient(timeout=120) as http:
        while True:
            r = await http.get(f"{base}/v1/ltc/agency-pushes", params={"limit": 1}, headers=ops)
            r.raise_for_status()
            counts = r.json()["counts"]
            if counts["pending"] == 0:
                return time.perf_counter() - t0, counts
            if time.perf_counter() - t0 > timeout:
                raise TimeoutError(f"the agency feed did not send setup's pushes: {counts}")
            await asyncio.sleep(2.0)


async def upload(base: str, work: list[tuple[str, bytes, int]], concurrency: int) -> dict[str, Any]:
    queue: asyncio.Queue[tuple[str, bytes, int]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)
    accepted = 0
    seconds: list[float] = []

    async def uploader() -> None:
        nonlocal accepted
        async with httpx.AsyncClient(timeout=600) as http:
            while not queue.empty():
                inst, body, _n = queue.get_nowait()
                h = {**headers("institution", inst), "content-type": "application/json"}
                t0 = time.perf_counter()
                r = await http.post(f"{base}/v1/ltc/service-records", content=body, headers=h)
                if r.status_code != 201:
                    raise RuntimeError(f"upload of {inst}: {r.status_code} {r.text[:500]}")
                seconds.append(time.perf_counter() - t0)
                accepted += r.json()["accepted"]

    t0 = time.perf_counter()
    await asyncio.gather(*(uploader() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    ordered = sorted(seconds)
    return {"accepted": accepted, "batches": len(work), "seconds": elapsed, "records_per_s": accepted / elapsed,
            "batch_p50_s": ordered[len(ordered) // 2], "batch_max_s": ordered[-1]}


async def settle(base: str, month: str) -> dict[str, Any]:
    """Build the month's statements, close each, fund wz-b's account (the agency's allocation), pay each."""
    def fin() -> dict[str, str]:
        return headers("finance")  # asked each time: the source renews a token before it expires (a long run)

    async with httpx.AsyncClient(timeout=1800) as http:
        t0 = time.perf_counter()
        r = await http.post(f"{base}/v1/ltc/statements", json={"month": month}, headers=fin())
        r.raise_for_status()
        statements = r.json()["statements"]
        built_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        for s in statements:
            (await http.post(f"{base}/v1/ltc/statements/{s['statement_id']}/close", headers=fin())).raise_for_status()
        close_s = time.perf_counter() - t1
        total = sum(float(s["amount"]) for s in statements)
        r = await http.post(f"{base}/v1/fund/allocations", headers=headers("supervisor", "agency", PROGRAM), json={
            "allocation_id": f"bench-{uuid.uuid4().hex[:8]}", "year": int(month[:4]), "kind": "initial",
            "amount": f"{total / 0.2271 + 1000:.2f}", "date": f"{month}-01"})
        r.raise_for_status()
        t2 = time.perf_counter()
        for s in statements:
            r = await http.post(f"{base}/v1/ltc/statements/{s['statement_id']}/payments", headers=fin())
            if r.status_code != 201:
                raise RuntimeError(f"payment of {s['statement_id']}: {r.status_code} {r.text[:300]}")
        pay_s = time.perf_counter() - t2
    return {"statements": len(statements), "records": sum(s["records"] for s in statements),
            "persons": sum(s["persons"] for s in statements), "amount": f"{total:,.2f}", "build_s": built_s,
            "close_s": close_s, "pay_s": pay_s}


# ---- local mode ---------------------------------------------------------------------------------------------------


@contextmanager
def local_settlement(port_offset: int) -> Iterator[tuple[str, str, str, str]]:
    """settlement in local mode (wz-b only) on fresh topics and databases; yields (url, bootstrap, uri, prefix)."""
    from bench.raw import _endpoints, drop_topics
    from jingban.local import LocalPlatform
    from tests.support.infra import local_trust_env

    bootstrap, uri = _endpoints()
    prefix = "lc" + uuid.uuid4().hex[:8]
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "MONGODB_URI": uri, "JINGBAN_TOPIC_PREFIX": f"{prefix}.",
           "JINGBAN_DB_PREFIX": prefix, "JINGBAN_TENANTS": TENANT, **local_trust_env()}
    local = LocalPlatform(env, ROOT / ".jingban" / "bench-logs", port_offset=port_offset)
    local.start(services=("settlement",), timeout_s=180)
    try:
        yield local.url("settlement"), bootstrap, uri, prefix
    finally:
        local.stop()
        from pymongo import MongoClient

        from chassis.store.port import database_name

        client: MongoClient = MongoClient(uri)
        try:
            client.drop_database(database_name(prefix, "settlement", TENANT))
        finally:
            client.close()
        drop_topics(bootstrap, prefix, "bench-ltc-care")


def publish_kafka(bootstrap: str, prefix: str, events: list[dict[str, Any]]) -> float:
    """As appraisal's relay would (acks=all); returns seconds."""
    from kafka import KafkaProducer

    from bench.raw import kafka_security
    from chassis.events import encode, topic_for

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=10, batch_size=256 * 1024,
                             **kafka_security())
    t0 = time.perf_counter()
    for ev in events:
        producer.send(topic_for(TENANT, ev["type"], f"{prefix}."), key=ev["business_key"].encode(),
                      value=encode(ev))
    producer.flush()
    producer.close()
    return time.perf_counter() - t0


def run_local(args: argparse.Namespace) -> dict[str, Any]:
    from bench.raw import _endpoints, raw_store_insert_rate

    _, uri = _endpoints()
    raw = raw_store_insert_rate(uri, args.store_docs)
    print(f"raw store insert (insert_many x 1000)   {raw:>10,.0f} doc/s", flush=True)
    month = the_month(dt.date.today())
    people = layout(args.persons, args.institutions)
    work = batches(people, args.records, month, args.batch)
    with local_settlement(args.port_offset) as (base, bootstrap, _uri, prefix):
        publish_s = publish_kafka(bootstrap, prefix, setup_events(people, args.institutions, month))
        known_s = asyncio.run(wait_known(base, people))
        plans_s = asyncio.run(approve_plans(base, people, month, args.plan_concurrency))
        pushed_s, counts = asyncio.run(wait_pushed(base))
        print(f"setup: {args.institutions} designations + {len(people):,} conclusions published in {publish_s:.1f} s, "
              f"consumed in {known_s:.1f} s; {len(people):,} plans approved in {plans_s:.1f} s; the agency feed "
              f"sent setup's pushes in {pushed_s:.1f} s ({counts['sent']:,} sent, {counts['failed']:,} failed)",
              flush=True)
        up = asyncio.run(upload(base, work, args.concurrency))
        st = asyncio.run(settle(base, month))
    return {"raw": raw, "month": month, "upload": up, "settle": st, "plans_s": plans_s, "known_s": known_s,
            "persons": len(people)}


# ---- embedded (in process) ------------------------------------------------------------------------------------------


async def _embedded(args: argparse.Namespace) -> dict[str, Any]:
    import random

    from chassis.bus.port import BusMessage
    from chassis.events import encode, topic_for
    from jingban.embedded import EmbeddedPlatform

    platform_ = EmbeddedPlatform(env={}, port_offset=random.randint(700, 799) * 10)
    await platform_.start()
    try:
        db = platform_.store.database("bench", f"raw-{uuid.uuid4().hex[:6]}")
        from bench.raw import INSERT_BATCH, _claim_line

        rng = random.Random(42)
        docs = [_claim_line(rng, i) for i in range(args.store_docs)]
        t0 = time.perf_counter()
        for start in range(0, len(docs), INSERT_BATCH):
            await db["claim_lines"].insert_many(docs[start:start + INSERT_BATCH], ordered=False)
        raw = len(docs) / (time.perf_counter() - t0)
        print(f"raw in-memory store insert (insert_many x 1000) {raw:>10,.0f} doc/s", flush=True)
        month = the_month(dt.date.today())
        people = layout(args.persons, args.institutions)
        work = batches(people, args.records, month, args.batch)
        base = platform_.url("settlement")
        events = setup_events(people, args.institutions, month)
        await platform_.bus.publish([BusMessage(topic_for(TENANT, e["type"]), e["business_key"], encode(e))
                                     for e in events])
        known_s = await wait_known(base, people)
        plans_s = await approve_plans(base, people, month, args.plan_concurrency)
        print(f"setup: conclusions consumed in {known_s:.1f} s; {len(people):,} plans in {plans_s:.1f} s", flush=True)
        up = await upload(base, work, args.concurrency)
        st = await settle(base, month)
        return {"raw": raw, "month": month, "upload": up, "settle": st, "plans_s": plans_s, "known_s": known_s,
                "persons": len(people)}
    finally:
        await platform_.stop()


# ---- report -------------------------------------------------------------------------------------------------------


def report(r: dict[str, Any], args: argparse.Namespace, mode: str) -> str:
    up, st, raw = r["upload"], r["settle"], r["raw"]
    ratio = up["records_per_s"] / raw
    print(f"upload: {up['accepted']:,} records in {up['batches']} batches ({args.concurrency} at a time) in "
          f"{up['seconds']:.1f} s = {up['records_per_s']:,.0f} record/s, x raw store {ratio:.2f} (batch p50 "
          f"{up['batch_p50_s']:.2f} s, max {up['batch_max_s']:.2f} s)", flush=True)
    print(f"statements: {st['statements']} built in {st['build_s']:.1f} s ({st['records']:,} records, "
          f"{st['persons']:,} person-months, {st['amount']} yuan), closed in {st['close_s']:.1f} s, paid in "
          f"{st['pay_s']:.1f} s", flush=True)
    if up["accepted"] != args.records or st["records"] != args.records:
        raise RuntimeError(f"accepted {up['accepted']:,} and settled {st['records']:,} of {args.records:,} records")
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("raw store insert (insert_many × 1000)", f"{raw:,.0f} doc/s", "1.00"),
        (f"setup: {r['persons']:,} care plans approved over HTTP, each institution's in one request (each checked "
         "against the person's cover, grade and "
         "the catalogue; one insert per request with their events)", f"{r['persons'] / r['plans_s']:,.0f} plan/s",
         "—"),
        (f"upload: {up['accepted']:,} service records of {args.institutions} institutions, {up['batches']} batches of "
         f"at most {args.batch:,} over HTTP ({args.concurrency} at a time), each checked whole (plan, frequency, "
         "cover, caregiver overlap) and stored with its event",
         f"{up['records_per_s']:,.0f} record/s (batch p50 {up['batch_p50_s']:.2f} s)", f"{ratio:.2f}"),
        (f"statements: {st['statements']} built from the month's records ({st['persons']:,} person-months priced)",
         f"{st['build_s']:.1f} s ({st['records'] / st['build_s']:,.0f} record/s)",
         f"{st['records'] / st['build_s'] / raw:.2f}"),
        (f"close {st['statements']} statements, then pay each from wz-b's dedicated account (benefits_paid)",
         f"{st['close_s']:.1f} s + {st['pay_s']:.1f} s", "—"),
    ]
    return "\n".join([
        BEGIN,
        "## Long-term care month (issue 12)",
        "",
        f"Latest run: {now} on `{platform.node()}` ({os.cpu_count()} cores, Python {platform.python_version()}), "
        f"{mode}; the settlement service alone, tenant wz-b, month {r['month']}.",
        "",
        f"Command: `python -m bench.ltc_care --records {args.records} --persons {args.persons} --institutions "
        f"{args.institutions} --batch {args.batch} --concurrency {args.concurrency}`",
        "",
        "| measure | result | ratio to raw store insert |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
        "Each upload reads the store twice (the book's generation, the statement's status; the institution's month "
        "of records only when the process does not know it yet: the first upload of the month), checks every record "
        "against the in-memory care book and the month's records, then writes twice: the records as one sheet of "
        "the institution's month (one document per upload, its records packed), then the upload's small document "
        "with its `care_services.recorded` (all the records). Setup's backlog of agency pushes (a conclusion each) "
        "is sent before the upload starts; the uploads' own pushes (LTC02, 500 records a message) go during it.",
        END,
    ])


def _write_results(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ltc_care", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=30_000)
    parser.add_argument("--institutions", type=int, default=400)
    parser.add_argument("--batch", type=int, default=2_000, help="records per upload (at most 2,000)")
    parser.add_argument("--concurrency", type=int, default=2, help="uploads at a time")
    parser.add_argument("--plan-concurrency", type=int, default=4, help="plan approvals at a time (setup)")
    parser.add_argument("--store-docs", type=int, default=20_000)
    parser.add_argument("--port-offset", type=int, default=90, help="added to settlement's ports 8103/9103")
    parser.add_argument("--embedded", action="store_true", help="in process, in-memory bus and store")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    if args.persons % args.institutions or args.records < args.persons * (BASIC_DAYS // 2):
        parser.error("--persons must be a multiple of --institutions, with at least 14 records a person")
    if args.records > args.persons * (BASIC_DAYS + 8) or args.batch > 2000:
        parser.error("at most 36 records a person (the plan's frequencies) and 2,000 a batch")
    if args.persons > args.institutions * CAREGIVERS_PER_INSTITUTION * 8:
        parser.error("at most 80 persons an institution (ten caregivers, eight slots a day each)")
    if args.embedded:
        result = asyncio.run(_embedded(args))
        report(result, args, "embedded (in-memory bus and store, every service in this process)")
        return 0
    result = run_local(args)
    section = report(result, args, "local mode: real Kafka 4.1 and FerretDB 1.24 from `deploy/local`")
    print(section)
    if not args.no_write:
        _write_results(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
