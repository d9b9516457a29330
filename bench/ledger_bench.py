"""Posting to the dedicated accounts' books (专户记账) through settlement's `Fund` on the real store (FerretDB of
`deploy/local`, or MONGODB_URI), with the store's raw limits measured in the same run.

    python -m bench.ledger_bench [--entries 5000] [--accounts 4] [--batch 100] [--before 300] [--no-write]

Stages, each on a fresh database:
1. raw limits: `insert_one` of a ledger-shaped document (postings, running balances, one outbox event) one at a
   time — the ceiling of one-at-a-time posting — and `insert_many` × 1000 (bench/raw.py) — the ceiling of batches;
2. before (for reference): the posting path this bench replaced — count the account-year's entries and check the
   entry against the whole book before each insert (`--before` entries);
3. `Fund.post` one entry at a time into one account-year: a year of allocations, payments per institution and
   month, interest — each checked against the running figures (`ledger.Head`), the head read and written by `_id`
   (with whether the year is closed);
4. `Fund.post` into `--accounts` account-years at once (one poster each, as statements of several programs are
   paid together);
5. `Fund.post_many` in batches of `--batch` (a month's payments at once) into one account-year;
6. back-dated entries (checked against the whole year: the slow path, kept for correctness).
Afterwards every account-year is checked: the running figures equal the book's, `seq` runs 1..n, the trial balance
balances, and the bank is never overdrawn at any date. Writes the "Ledger posting" section of bench/RESULTS.md
(between its markers)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import sys
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from bench.raw import raw_store_insert_rate
from chassis.store.port import database_name

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- ledger-bench:begin -->", "<!-- ledger-bench:end -->"
YEAR = 2025
PROGRAM = "hz-chronic"
INSTITUTIONS = [f"H6107{i:05d}" for i in range(40)]


def _mongo_uri() -> str:
    uri = os.environ.get("MONGODB_URI")
    if uri:
        return uri
    import importlib.util

    path = ROOT / "deploy" / "local" / "launcher.py"
    spec = importlib.util.spec_from_file_location("jingban_local_launcher", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    launcher = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = launcher
    spec.loader.exec_module(launcher)
    return launcher.ensure_up(kafka=False, mongo=True)["MONGODB_URI"]


def year_of_entries(n: int, prefix: str = "") -> list[Any]:
    """n entries of one account-year in value-date order, shaped like a year of statement payments: the agency's
    allocations each quarter (covering the quarter's payments), payments per institution and month, interest."""
    from services.settlement.fund.domain import ledger as lg
    months = 12
    per_month = max(1, (n - 4 * 2) // months)
    entries: list[Any] = []
    amount = Decimal("1234.56")
    for m in range(1, months + 1):
        if m in (1, 4, 7, 10):
            cover = amount * per_month * 3 + Decimal("10000.00")
            entries.append(lg.allocation(f"{prefix}alloc-{m}", date(YEAR, m, 1), cover, f"{m}月拨付"))
        for i in range(per_month):
            inst = INSTITUTIONS[i % len(INSTITUTIONS)]
            entries.append(lg.payment(f"{prefix}pay-{m:02d}-{i:05d}", date(YEAR, m, 28), amount,
                                      f"支付 {inst} {YEAR}-{m:02d} 结算款", reference=f"{inst}-{m:02d}-{i}"))
        if m % 3 == 0:  # the quarter's bank interest, credited with the month's payments
            entries.append(lg.interest(f"{prefix}int-{m}", date(YEAR, m, 28), Decimal("12.34")))
    return entries[:n]


def raw_insert_one_rate(uri: str, docs: int) -> float:
    """insert_one, one at a time, of documents shaped like a posted entry (with its outbox event) into a fresh
    collection carrying the ledger's indexes; documents per second."""
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=10_000)
    db_name = f"bench_ledger_raw_{uuid.uuid4().hex[:10]}"
    try:
        coll = client[db_name]["ledger_entries"]
        coll.create_index("_outbox_pending")
        coll.create_index([("program", 1), ("year", 1)])
        coll.create_index([("program", 1), ("year", 1), ("seq", 1)], unique=True)
        payload = os.urandom(400)
        batch = [{"_id": f"payment:{i}", "tenant": "hz-p1", "program": PROGRAM, "year": YEAR, "date": "2025-06-28",
                  "kind": "payment", "memo": "支付 H610700001 2025-06 结算款", "seq": i + 1,
                  "postings": [{"account": "benefits_paid", "debit_fen": 123456, "credit_fen": 0},
                               {"account": "bank", "debit_fen": 0, "credit_fen": 123456}],
                  "balances_fen": {"bank": i, "benefits_paid": i, "fund_payable": -i}, "amount_fen": 123456,
                  "_outbox": [{"event_id": str(i), "payload": payload}], "_outbox_pending": 1} for i in range(docs)]
        client.admin.command("ping")
        t0 = time.perf_counter()
        for doc in batch:
            coll.insert_one(doc)
        return docs / (time.perf_counter() - t0)
    finally:
        client.drop_database(db_name)
        client.close()


async def _fund(uri: str, prefix: str, tenants: tuple[str, ...]) -> tuple[Any, Any]:
    from chassis.store.mongo import MongoStore
    from services.settlement.fund.service import account as fd
    store = MongoStore(uri, prefix)
    fund = fd.Fund(lambda t: store.database("settlement", t), tenants)
    for t in tenants:
        await fund.store(t).ensure_indexes()
    return store, fund


async def before_rate(uri: str, n: int) -> float:
    """The replaced path, for reference: before each insert count the account-year's entries (the cache check) and
    check the entry against the whole book (every date from its value date on)."""
    from chassis.store.mongo import MongoStore
    from services.settlement.fund.domain import ledger as lg
    from services.settlement.fund.service import account as fd
    prefix = "lb" + uuid.uuid4().hex[:8]
    store = MongoStore(uri, prefix)
    s = fd.FundStore(store.database("settlement", "hz-p1"))
    await s.ensure_indexes()
    book = lg.Book("hz-p1", PROGRAM, YEAR)
    entries = year_of_entries(n)
    t0 = time.perf_counter()
    for e in entries:
        await s.entry_count(PROGRAM, YEAR)
        book.check(e)
        await s.insert_entry({"_id": e.id, "program": PROGRAM, "year": YEAR, "date": e.date.isoformat(),
                              "kind": e.kind, "postings": fd._posting_docs(e), "seq": len(book.entries) + 1},
                             [fd._ledger_event("hz-p1", PROGRAM, YEAR, e)])
        book.entries.append(e)
    elapsed = time.perf_counter() - t0
    await _drop(uri, prefix, ("hz-p1",))
    await store.close()
    return n / elapsed


async def _drop(uri: str, prefix: str, tenants: tuple[str, ...]) -> None:
    client: MongoClient = MongoClient(uri)
    for t in tenants:
        client.drop_database(database_name(prefix, "settlement", t))
    client.close()


async def _verify(fund: Any, tenant: str, program: str) -> int:
    """The invariants, read back from the store: running figures = the book's, seq 1..n, balanced, never
    overdrawn at any date."""
    from services.settlement.fund.domain import ledger as lg
    book = await fund.book(tenant, program, YEAR)
    head = await fund.head(tenant, program, YEAR)
    docs = await fund.store(tenant).entry_docs(program, YEAR)
    assert head == lg.Head.of(book), (tenant, program, head)
    assert [d["seq"] for d in docs] == list(range(1, len(docs) + 1))
    assert book.trial_balance()["balanced"]
    assert all(book.balance("bank", d) >= 0 for d in {e.date for e in book.entries})
    assert book.normal_balance("carrier_advances") >= 0
    return len(docs)


async def posting(uri: str, entries: int, accounts: int, batch: int, backdated: int) -> dict[str, Any]:
    from services.settlement.fund.domain import ledger as lg
    prefix = "lb" + uuid.uuid4().hex[:8]
    tenants = ("hz-p1",)
    store, fund = await _fund(uri, prefix, tenants)
    out: dict[str, Any] = {}

    # One at a time, one account-year.
    stream = year_of_entries(entries, "s-")
    t0 = time.perf_counter()
    for e in stream:
        await fund.post("hz-p1", "seq-" + PROGRAM, YEAR, e, "bench")
    out["sequential_s"] = time.perf_counter() - t0
    out["sequential"] = len(stream) / out["sequential_s"]

    # Back-dated entries into that year, each checked against the whole year: the first reads it, the next ones
    # find it kept in step by the instance.
    times = []
    for i in range(backdated):
        t0 = time.perf_counter()
        await fund.post("hz-p1", "seq-" + PROGRAM, YEAR, lg.interest(f"late-{i}", date(YEAR, 3, 1) + timedelta(i),
                                                                     Decimal("1.00")), "bench")
        times.append(time.perf_counter() - t0)
    out["backdated_first_s"] = times[0] if times else 0.0
    out["backdated_ms"] = sum(times[1:]) / max(len(times) - 1, 1) * 1000
    out["backdated_year"] = len(stream)

    # Several account-years at once, one poster each.
    per = entries // accounts
    streams = [year_of_entries(per, f"c{k}-") for k in range(accounts)]

    async def poster(k: int) -> None:
        for e in streams[k]:
            await fund.post("hz-p1", f"acc{k}-{PROGRAM}", YEAR, e, "bench")

    t0 = time.perf_counter()
    await asyncio.gather(*(poster(k) for k in range(accounts)))
    out["concurrent_s"] = time.perf_counter() - t0
    out["concurrent"] = per * accounts / out["concurrent_s"]

    # Batches (a month's payments at once), one account-year.
    stream = year_of_entries(entries, "b-")
    t0 = time.perf_counter()
    for start in range(0, len(stream), batch):
        await fund.post_many("hz-p1", "batch-" + PROGRAM, YEAR, [(e, None) for e in stream[start:start + batch]],
                             "bench")
    out["batched_s"] = time.perf_counter() - t0
    out["batched"] = len(stream) / out["batched_s"]

    t0 = time.perf_counter()
    checked = 0
    for program in ["seq-" + PROGRAM, "batch-" + PROGRAM, *(f"acc{k}-{PROGRAM}" for k in range(accounts))]:
        checked += await _verify(fund, "hz-p1", program)
    out["verified_entries"] = checked
    out["verify_s"] = time.perf_counter() - t0
    await _drop(uri, prefix, tenants)
    await store.close()
    return out


def _write_results(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def run(uri: str, entries: int = 5000, accounts: int = 4, batch: int = 100, before: int = 300,
        backdated: int = 20, store_docs: int = 20_000) -> dict[str, Any]:
    """Every stage in one run; rates in entries per second, with the raw limits of the same run."""
    raw_one = raw_insert_one_rate(uri, min(entries, 3000))
    raw_many = raw_store_insert_rate(uri, store_docs)
    result = {"raw_insert_one": raw_one, "raw_insert_many": raw_many, "entries": entries, "accounts": accounts,
              "batch": batch, "before_entries": before, "backdated": backdated}
    result["before"] = asyncio.run(before_rate(uri, before)) if before else None
    result.update(asyncio.run(posting(uri, entries, accounts, batch, backdated)))
    return result


def section(r: dict[str, Any], command: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("raw store insert_one, one at a time (a ledger-shaped document with its outbox event)",
         f"{r['raw_insert_one']:,.0f} doc/s", "1.00", "—"),
        ("raw store insert_many × 1000", f"{r['raw_insert_many']:,.0f} doc/s", "—", "1.00"),
    ]
    if r.get("before"):
        rows.append((f"before: count the year's entries and check against the whole book, then insert "
                     f"({r['before_entries']:,} entries)", f"{r['before']:,.0f} entry/s",
                     f"{r['before'] / r['raw_insert_one']:.3f}", "—"))
    rows += [
        (f"`Fund.post`, one at a time, one account-year ({r['entries']:,} entries: allocations, payments per "
         "institution and month, interest)", f"{r['sequential']:,.0f} entry/s",
         f"{r['sequential'] / r['raw_insert_one']:.2f}", "—"),
        (f"`Fund.post` into {r['accounts']} account-years at once, one poster each", f"{r['concurrent']:,.0f} entry/s",
         f"{r['concurrent'] / r['raw_insert_one']:.2f}", "—"),
        (f"`Fund.post_many`, batches of {r['batch']} (a month's payments), one account-year",
         f"{r['batched']:,.0f} entry/s", "—", f"{r['batched'] / r['raw_insert_many']:.3f}"),
        (f"a back-dated entry, checked against the whole year of {r['backdated_year']:,} entries: the first (reads "
         f"the year), then each of the next {r['backdated'] - 1}", f"{r['backdated_first_s']:,.2f} s, then "
         f"{r['backdated_ms']:,.1f} ms each", "—", "—"),
    ]
    return "\n".join([
        BEGIN,
        "## Ledger posting (issue 8)",
        "",
        f"Latest run: {now} on `{platform.node()}` ({os.cpu_count()} cores, Python {platform.python_version()}), "
        "FerretDB 1.24 (SQLite) from `deploy/local`; every stage on a fresh database.",
        "",
        f"Command: `{command}`",
        "",
        "| measure | rate | ratio to raw insert_one | ratio to raw insert_many |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        "Each posting reads the account-year's head (its running figures and whether the year is closed, one "
        "document by `_id`), checks the entry against it, and writes the entry (with its `seq`, its running "
        "balances and its `ledger.posted` event) and the head: three round trips to the store, never a read of the "
        "year — so one-at-a-time posting is bound by the store's round trips (≈ raw insert_one ÷ 3), and batches "
        "(`post_many`: one head read, one ordered insert, one head write) are what passes 1,000 entries/s. Only a "
        "back-dated entry, a reversal or an advance's repayment is checked against the whole year (read once, then "
        "kept in step by the instance). After the run every account-year was read back "
        f"({r['verified_entries']:,} entries): running figures = the book's, `seq` 1..n, trial balance balanced, "
        "bank never overdrawn at any date.",
        END,
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger_bench")
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--before", type=int, default=300, help="entries through the replaced path (0: skip)")
    parser.add_argument("--backdated", type=int, default=20)
    parser.add_argument("--store-docs", type=int, default=20_000)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    r = run(_mongo_uri(), args.entries, args.accounts, args.batch, args.before, args.backdated, args.store_docs)
    command = "python -m bench.ledger_bench " + " ".join(argv if argv is not None else sys.argv[1:])
    text = section(r, command.strip())
    print(text)
    if not args.no_write:
        _write_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
