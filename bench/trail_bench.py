"""Appending to audit's trail (审计留痕) through `TrailStore.append_many` on the real store (FerretDB of
`deploy/local`, or MONGODB_URI), with the store's raw limits measured in the same run.

    python -m bench.trail_bench [--events 100000] [--batch 200] [--sample 5000] [--before 20] [--no-write]

1. raw limits: `insert_many` × 1000 of claim lines (bench/raw.py), and `insert_many` of trail-shaped entries in
   batches of `--batch` into a fresh collection with the trail's indexes — the ceiling of any append;
2. `append_many` in batches of `--batch`: the first `--sample` events on an empty trail, then on to `--events`
   (a rate per tenth of the way), then `--sample` more after them — the same rate at the end as at the start is
   the point;
3. before (for reference): the replaced append — find the event id, read the tail sorted by `_id`, insert one — on
   a trail of 1,400 entries (where the issue measured it), `--before` events.
Afterwards the trail is read back: `seq` 1..n, every event once, the hash chain verifies, and the head agrees.
Writes the "trail-bench" part of bench/RESULTS.md."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import os
import platform
import sys
import time
import uuid
from typing import Any

from pymongo import MongoClient

from bench.raw import raw_store_insert_rate
from bench.results_section import write_part
from chassis.store.port import database_name
from services.audit.trail.domain.trail import MacKey

SECTION, PART = "keeps-up", "trail-bench"
PARTS = ["trail-bench", "catchup-bench", "idle-bench"]
HEADING = "## Audit keeps up; an idle platform leaves its store alone (issue 9)"
INTRO = ("FerretDB 1.24 (SQLite) as `deploy/local` runs it, on the machine's 2 cores shared with Kafka and whatever "
         "else runs; each part from its own command, ratios to raw limits measured in the same run.")
TENANT = "hz-p1"
BENCH_KEY = MacKey("trail/hz-p1/v1", b"bench-trail-key-not-a-secret-32b")  # sealing costs what it costs with any key


def trail_fields(i: int) -> dict[str, Any]:
    """An event as the trail keeps it (envelope fields and a digest of its payload)."""
    return {"event_id": str(uuid.uuid4()), "type": "benefits.settled", "tenant": TENANT,
            "business_key": f"61070219600101{i % 1000:03d}X", "occurred_at": "2025-03-31T16:00:00+00:00",
            "source": "settlement", "causation_id": "", "trace_id": uuid.uuid4().hex,
            "payload_sha256": hashlib.sha256(str(i).encode()).hexdigest()}


def raw_trail_insert_rate(uri: str, docs: int, batch: int, existing: int = 0) -> float:
    """insert_many of entries shaped like the trail's (with `_id` = seq) in batches of `batch` into a fresh collection
    with the trail's indexes, after `existing` entries (inserted before the clock starts); entries per second."""
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=10_000)
    name = f"bench_trail_raw_{uuid.uuid4().hex[:10]}"
    try:
        coll = client[name]["trail"]
        coll.create_index("event_id", unique=True)
        coll.create_index("business_key")
        for start in range(1, existing + 1, 1000):
            coll.insert_many([{"_id": i, "seq": i, **trail_fields(i), "prev_hash": "0" * 64, "hash": "f" * 64}
                              for i in range(start, min(start + 1000, existing + 1))])
        entries = [{"_id": i, "seq": i, **trail_fields(i), "prev_hash": "0" * 64, "hash": "f" * 64}
                   for i in range(existing + 1, existing + docs + 1)]
        client.admin.command("ping")
        t0 = time.perf_counter()
        for start in range(0, docs, batch):
            coll.insert_many(entries[start:start + batch], ordered=True)
        return docs / (time.perf_counter() - t0)
    finally:
        client.drop_database(name)
        client.close()


async def _append(store: Any, events: list[dict[str, Any]], batch: int) -> float:
    t0 = time.perf_counter()
    for start in range(0, len(events), batch):
        appended = await store.append_many(events[start:start + batch])
        assert len(appended) == len(events[start:start + batch])
    return len(events) / (time.perf_counter() - t0)


async def appending(uri: str, events: int, batch: int, sample: int) -> dict[str, Any]:
    from chassis.keys import MemoryKeyProvider
    from chassis.pii import Sealer, with_sealer
    from chassis.store.mongo import MongoStore
    from services.audit.trail.domain.trail import verify
    from services.audit.trail.store import TrailStore

    prefix = "tb" + uuid.uuid4().hex[:8]
    mongo = MongoStore(uri, prefix)
    # business keys are sealed before they are chained (chassis/pii.py): that costs what it costs with any key
    store = TrailStore(with_sealer(mongo.database("audit", TENANT), Sealer(MemoryKeyProvider(), TENANT)), BENCH_KEY)
    await store.ensure_indexes()
    await store.heal_head()
    out: dict[str, Any] = {"windows": []}
    try:
        n = 0
        out["empty"] = await _append(store, [trail_fields(i) for i in range(sample)], batch)
        n += sample
        step = max(batch, (events - n) // 10)
        while n < events:
            size = min(step, events - n)
            out["windows"].append((n + size, await _append(store, [trail_fields(n + i) for i in range(size)], batch)))
            n += size
        out["full_at"] = n
        out["full"] = await _append(store, [trail_fields(n + i) for i in range(sample)], batch)
        n += sample
        t0 = time.perf_counter()
        entries = await store.all_entries()
        result = verify(entries, {BENCH_KEY.key_id: BENCH_KEY.secret})
        out["verify_s"] = time.perf_counter() - t0
        head = await store.head()
        assert result.valid, result.problems
        assert result.entries == n == head["seq"] and head["mac"] == entries[-1]["mac"]
        assert len({e["event_id"] for e in entries}) == n
        out["entries"] = n
    finally:
        client: MongoClient = MongoClient(uri)
        client.drop_database(database_name(prefix, "audit", TENANT))
        client.close()
        await mongo.close()
    return out


async def before_rate(uri: str, existing: int, n: int) -> float:
    """The replaced append, for reference: find the event by id, read the tail sorted by `_id`, insert one."""
    from pymongo import AsyncMongoClient

    from services.audit.trail.domain.trail import chain, next_entry

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    db = client[f"bench_trail_before_{uuid.uuid4().hex[:10]}"]
    try:
        trail = db["trail"]
        await trail.create_index("event_id", unique=True)
        await trail.create_index("business_key")
        entries = chain(None, [trail_fields(i) for i in range(existing)], BENCH_KEY)
        for start in range(0, existing, 1000):
            await trail.insert_many([{"_id": e["seq"], **e} for e in entries[start:start + 1000]])
        t0 = time.perf_counter()
        for i in range(n):
            fields = trail_fields(existing + i)
            assert await trail.find_one({"event_id": fields["event_id"]}, {"_id": 1}) is None
            tail = await trail.find_one({}, sort=[("_id", -1)])
            entry = next_entry(tail, fields, BENCH_KEY)
            await trail.insert_one({"_id": entry["seq"], **entry})
        return n / (time.perf_counter() - t0)
    finally:
        await client.drop_database(db.name)
        await client.close()


def run(uri: str, events: int = 100_000, batch: int = 200, sample: int = 5000, before: int = 20,
        store_docs: int = 20_000) -> dict[str, Any]:
    raw_many = raw_store_insert_rate(uri, store_docs)
    raw_trail = raw_trail_insert_rate(uri, sample, batch)
    result: dict[str, Any] = {"raw_insert_many": raw_many, "raw_trail": raw_trail, "batch": batch, "sample": sample,
                              "events": events, "before_n": before}
    result.update(asyncio.run(appending(uri, events, batch, sample)))
    # the store's own insert at the size the trail has reached: what is left of any slow-down is the store's
    result["raw_trail_full"] = raw_trail_insert_rate(uri, sample, batch, existing=result["full_at"])
    result["before"] = asyncio.run(before_rate(uri, 1400, before)) if before else None
    return result


def section(r: dict[str, Any], command: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    raw_t, raw_m = r["raw_trail"], r["raw_insert_many"]
    rows = [
        ("raw store insert_many × 1000 (claim lines)", f"{raw_m:,.0f} doc/s", "—", "1.00"),
        (f"raw insert_many × {r['batch']} of trail entries, the trail's indexes", f"{raw_t:,.0f} doc/s", "1.00",
         f"{raw_t / raw_m:.2f}"),
        (f"`append_many` × {r['batch']}, the first {r['sample']:,} events (empty trail)", f"{r['empty']:,.0f} event/s",
         f"{r['empty'] / raw_t:.2f}", f"{r['empty'] / raw_m:.2f}"),
    ]
    windows = ", ".join(f"{rate:,.0f} (to {at:,})" for at, rate in r["windows"])
    rows.append((f"`append_many` × {r['batch']} on to {r['full_at']:,} entries, per tenth", windows, "—", "—"))
    raw_f = r["raw_trail_full"]
    rows.append((f"raw insert_many × {r['batch']} of trail entries after {r['full_at']:,} of them",
                 f"{raw_f:,.0f} doc/s", f"{raw_f / raw_t:.2f}", f"{raw_f / raw_m:.2f}"))
    rows.append((f"`append_many` × {r['batch']}, {r['sample']:,} events after {r['full_at']:,} entries",
                 f"{r['full']:,.0f} event/s", f"{r['full'] / raw_t:.2f} (×raw at that size: {r['full'] / raw_f:.2f})",
                 f"{r['full'] / raw_m:.2f}"))
    if r.get("before"):
        rows.append((f"before: find the id, read the tail sorted by `_id`, insert one — at 1,400 entries "
                     f"({r['before_n']} events)", f"{r['before']:,.1f} event/s", f"{r['before'] / raw_t:.4f}", "—"))
    return "\n".join([
        "### Trail append rate",
        "",
        f"Latest run: {now} on `{platform.node()}` ({os.cpu_count()} cores, Python {platform.python_version()}), "
        "one tenant's trail in a fresh database.",
        "",
        f"Command: `{command}`",
        "",
        "| measure | rate | ratio to raw trail insert | ratio to raw insert_many |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        f"Read back after the run: {r['entries']:,} entries, `seq` 1..n, every event once, the hash chain verifies "
        f"({r['verify_s']:.1f} s to read and check it all), the head agrees with the last entry.",
        "",
        "An append reads the head (one small document: the last seq and hash, and the ids of the last 1,000 events, "
        "so a redelivered batch is skipped without a write), marks it `writing`, inserts the batch (the unique `_id` "
        "= seq and `event_id` refuse a taken position and an event already kept) and moves the head on: four round "
        "trips per batch, none of which reads the trail — which on FerretDB 1.24 costs in proportion to the "
        "collection even by `_id` (measured idle: `find_one` by an integer `_id` ~0.8 s at 30,000 entries, the "
        "sorted tail read the old append made ~15 s at 100,000 under load). What slows with size is FerretDB's own "
        f"insert (its indexes grow): the raw insert after {r['full_at']:,} entries runs at {raw_f / raw_t:.2f} of its "
        f"rate on an empty collection, and `append_many` keeps its share of the raw insert at each size "
        f"({r['empty'] / raw_t:.2f} of it empty, {r['full'] / raw_f:.2f} at {r['full_at']:,}).",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.trail_bench")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--sample", type=int, default=5000)
    parser.add_argument("--before", type=int, default=20, help="appends through the replaced path (0: skip)")
    parser.add_argument("--store-docs", type=int, default=20_000)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    from bench.ledger_bench import _mongo_uri

    r = run(_mongo_uri(), args.events, args.batch, args.sample, args.before, args.store_docs)
    command = "python -m bench.trail_bench " + " ".join(argv if argv is not None else sys.argv[1:])
    text = section(r, command.strip())
    print(text)
    if not args.no_write:
        write_part(SECTION, HEADING, PARTS, PART, text, INTRO)
    return 0


if __name__ == "__main__":
    sys.exit(main())
