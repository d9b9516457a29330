"""Critical illness (大病保险) at year scale: accumulate and adjudicate a year of claims for N persons, store
every person's year account, select the large-claim reviews, then post the year's payments to the dedicated
account's ledger and close the year — against the real FerretDB and Kafka of `deploy/local`, with the raw
limits of this machine measured in the same run.

    python -m bench.critical_bench [--persons 1000000] [--claims-per-person 5] [--workers 2]

Stages (each timed on its own):
1. engine: `domain.critical.adjudicate` + `domain.review_quota.admit` for every claim, persons split over
   `--workers` processes (the rules are per person; quota state is per worker, merged after);
2. accounts: every person's year account (累计自付/累计赔付) inserted into the store, 1,000 per `insert_many`;
3. ledger close: the year's payments to institutions (per institution and month), the agency's allocations, a
   carrier advance and its repayment, interest — posted through settlement's `Fund` on the real store — then
   the year-end settlement (corridor, `fund.close_year`). Its wall time is the ledger close time.
Writes the "Critical illness" section of bench/RESULTS.md (between its markers)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import time
import uuid
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.raw import _endpoints, raw_kafka_rate, raw_store_insert_rate
from chassis.money import to_fen
from services.settlement.critical import policy_versions, program_strata
from services.settlement.domain.critical import (
    CHRONIC_OUTPATIENT,
    INPATIENT,
    SPECIAL_DRUG,
    SPECIAL_OUTPATIENT,
    CriticalAccount,
    CriticalClaim,
    adjudicate,
)
from services.settlement.domain.review_quota import StratumState, admit, draw, stratum_of

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- critical-bench:begin -->", "<!-- critical-bench:end -->"
YEAR = 2025
INSTITUTIONS = [f"H3308{i:07d}" for i in range(40)] + [f"P3308{i:07d}" for i in range(20)]
CARE = [INPATIENT] * 50 + [CHRONIC_OUTPATIENT] * 25 + [SPECIAL_OUTPATIENT] * 15 + [SPECIAL_DRUG] * 10


def _fen(rnd: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rnd.randint(low * 100, high * 100)).scaleb(-2)


def _person_claims(rnd: random.Random, n: int) -> list[tuple[CriticalClaim, str, bool, Decimal, str]]:
    """n claims of one person: (claim, area, networked, total cost, institution). Most persons stay well under
    the deductible; about one in 250 has a serious year (long stays, special drugs), so that claims come near
    the premium as in a real program."""
    heavy = rnd.random() < 0.004
    out = []
    for k in range(n):
        care = rnd.choice(CARE)
        self_pay = _fen(rnd, 2_000, 30_000) if heavy else _fen(rnd, 50, 3_000)
        total = (self_pay * Decimal(rnd.choice([2, 3, 4]))).quantize(Decimal("0.01"))
        out_of_area = rnd.random() < 0.1
        networked = not out_of_area or rnd.random() < 0.6
        day = date(YEAR, 1, 1) + dt.timedelta(days=rnd.randrange(365))
        out.append((CriticalClaim(f"c{k}", day, self_pay, care), "out_of_area" if out_of_area else "in_area",
                    networked, total, rnd.choice(INSTITUTIONS)))
    return out


def engine_chunk(args: tuple[int, int, int, int]) -> dict[str, Any]:
    """Adjudicate persons [start, stop): returns counts, the per-institution-month payables (fen) and the year
    accounts as (person, cumulative self-pay fen, cumulative paid fen), plus the time spent in the rules."""
    start, stop, per_person, seed = args
    policy = policy_versions()[0]
    strata = program_strata()
    states = {s.code: StratumState(s.code, YEAR) for s in strata}
    rnd = random.Random(seed + start)
    payable_by_inst: dict[tuple[str, int], int] = defaultdict(int)
    accounts: list[tuple[int, int, int]] = []
    claims = selected = 0
    rules_s = 0.0
    for p in range(start, stop):
        rows = _person_claims(rnd, per_person)
        assistance = p % 25 == 0
        t0 = time.perf_counter()
        results, account = adjudicate(policy, assistance, [r[0] for r in rows], CriticalAccount(YEAR))
        seen: set[tuple[str, str]] = set()
        for (claim, area, networked, total, inst), res in zip(rows, results, strict=True):
            if res.payable <= 0:
                continue
            payable_by_inst[(inst, claim.date.month)] += to_fen(res.payable)
            stratum = stratum_of(strata, area, networked, claim.care, total)
            if stratum is None:
                continue
            key = str(p) if stratum.unit == "person" else f"{p}:{claim.id}"
            if (stratum.code, key) in seen:
                continue
            seen.add((stratum.code, key))
            states[stratum.code], decision = admit(stratum, states[stratum.code],
                                                   draw("bench-seed", stratum.code, YEAR, key))
            selected += decision.selected
        rules_s += time.perf_counter() - t0
        claims += len(rows)
        accounts.append((p, to_fen(account.cumulative_self_pay), to_fen(account.cumulative_paid)))
    return {"claims": claims, "selected": selected, "rules_s": rules_s, "payable": dict(payable_by_inst),
            "accounts": accounts,
            "strata": {c: (s.population, s.selected) for c, s in states.items()}}


def run_engine(persons: int, per_person: int, workers: int) -> dict[str, Any]:
    chunk = max(1, persons // (workers * 20))
    jobs = [(s, min(s + chunk, persons), per_person, 2025) for s in range(0, persons, chunk)]
    started = time.perf_counter()
    payable: dict[tuple[str, int], int] = defaultdict(int)
    strata: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    accounts: list[tuple[int, int, int]] = []
    claims = selected = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for part in pool.map(engine_chunk, jobs):
            claims += part["claims"]
            selected += part["selected"]
            for k, v in part["payable"].items():
                payable[k] += v
            for code, (pop, sel) in part["strata"].items():
                strata[code][0] += pop
                strata[code][1] += sel
            accounts.extend(part["accounts"])
    wall = time.perf_counter() - started
    return {"claims": claims, "persons": persons, "wall_s": wall, "claims_per_s": claims / wall,
            "selected": selected, "payable": payable, "strata": dict(strata), "accounts": accounts,
            "paid_fen": sum(payable.values())}


def store_accounts(uri: str, db_name: str, accounts: list[tuple[int, int, int]]) -> float:
    """Insert every person's year account; returns accounts per second."""
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(uri)
    coll = client[db_name]["ci_accounts"]
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for p, self_pay, paid in accounts:
        batch.append({"_id": f"{p:010d}|{YEAR}", "person_id": f"{p:010d}", "year": YEAR,
                      "cumulative_self_pay_fen": self_pay, "cumulative_paid_fen": paid})
        if len(batch) == 1000:
            coll.insert_many(batch, ordered=False)
            batch = []
    if batch:
        coll.insert_many(batch, ordered=False)
    elapsed = time.perf_counter() - started
    client.close()
    return len(accounts) / elapsed


async def close_ledger(uri: str, prefix: str, payable: dict[tuple[str, int], int], persons: int) -> dict[str, Any]:
    """Post the year's movements through settlement's Fund on the real store, then close the year."""
    from chassis.programs import load_program
    from chassis.store.mongo import MongoStore
    from services.settlement import fund as fd

    store = MongoStore(uri, prefix)
    program = load_program("qz-critical")
    tenant = "qz-ci"
    fund = fd.Fund(lambda t: store.database("settlement", t), (tenant,))
    await fund.store(tenant).ensure_indexes()
    started = time.perf_counter()
    # The agency pays the premium in: a quarter at the start, the rest by instalments (as money arrives late,
    # the carrier advances once and is repaid).
    premium, _, _ = fd.premium_total(program, YEAR, persons)
    entries = 0
    first = (premium / 4).quantize(Decimal("0.01"))
    await fund.post(tenant, program.code, YEAR, fd.lg.allocation("alloc-1", date(YEAR, 1, 2), first, "年初拨付"),
                    "bench")
    entries += 1
    await fund.post(tenant, program.code, YEAR, fd.lg.advance("adv-1", date(YEAR, 1, 3),
                                                              Decimal("5000000.00"), "承办方垫付"), "bench")
    entries += 1
    months = sorted({m for _, m in payable})
    for m in months:
        if m in (4, 7, 10):
            await fund.post(tenant, program.code, YEAR, fd.lg.allocation(
                f"alloc-{m}", date(YEAR, m, 1), first, f"{m}月拨付"), "bench")
            entries += 1
        due = sum(payable.get((inst, m), 0) for inst in INSTITUTIONS)
        bank = (await fund.book(tenant, program.code, YEAR)).normal_balance("bank")
        if Decimal(due) / 100 > bank:  # fund money late: the carrier advances the difference (垫付)
            await fund.post(tenant, program.code, YEAR, fd.lg.advance(
                f"adv-{m}", date(YEAR, m, 27), (Decimal(due) / 100 - bank).quantize(Decimal("0.01")), "承办方垫付"),
                "bench")
            entries += 1
        for inst in INSTITUTIONS:
            fen = payable.get((inst, m), 0)
            if fen:
                amount = (Decimal(fen) / 100).quantize(Decimal("0.01"))
                await fund.post(tenant, program.code, YEAR, fd.lg.payment(
                    f"pay-{inst}-{m:02d}", date(YEAR, m, 28), amount, f"{inst} {YEAR}-{m:02d} 大病保险赔付",
                    reference=f"{inst}-{m:02d}"), "bench")
                entries += 1
    await fund.post(tenant, program.code, YEAR, fd.lg.interest("int-1", date(YEAR, 12, 21), Decimal("12345.67")),
                    "bench")
    bank = (await fund.book(tenant, program.code, YEAR)).normal_balance("bank")
    repay = min(Decimal("5000000.00"), bank)
    if repay > 0:
        await fund.post(tenant, program.code, YEAR, fd.lg.advance_repayment(
            "adv-1-repay", date(YEAR, 12, 31), "adv-1", repay), "bench")
        entries += 1
    entries += 1
    posted = time.perf_counter()
    admin = (premium * Decimal("0.05")).quantize(Decimal("0.01"))  # 经办成本: 5% of the premium, a round figure
    result = await fd.close_year(fund, program, (tenant,), YEAR, date(YEAR + 1, 1, 15),
                                 {"admin_cost": str(admin), "insured_persons": persons}, "bench")
    closed = time.perf_counter()
    await store.close()
    return {"entries": entries, "post_s": posted - started, "close_s": closed - posted,
            "total_s": closed - started, "result": result["result"]}


def _write_results(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.critical_bench")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--claims-per-person", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--store-docs", type=int, default=20_000)
    parser.add_argument("--kafka-messages", type=int, default=30_000)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    bootstrap, uri = _endpoints()

    kafka = raw_kafka_rate(bootstrap, args.kafka_messages, 512)
    print(f"raw kafka produce+consume  {kafka:>12,.0f} msg/s", flush=True)
    raw_store = raw_store_insert_rate(uri, args.store_docs)
    print(f"raw store insert           {raw_store:>12,.0f} doc/s", flush=True)

    engine = run_engine(args.persons, args.claims_per_person, args.workers)
    print(f"engine: {engine['claims']:,} claims for {engine['persons']:,} persons in {engine['wall_s']:.1f} s "
          f"= {engine['claims_per_s']:,.0f} claim/s ({args.workers} workers); {engine['selected']:,} reviews "
          f"selected; paid {engine['paid_fen'] / 100:,.2f}", flush=True)
    for code, (pop, sel) in sorted(engine["strata"].items()):
        print(f"  stratum {code}: {sel:,} of {pop:,} selected", flush=True)

    prefix = "cb" + uuid.uuid4().hex[:8]
    from chassis.store.port import database_name

    db_name = database_name(prefix, "settlement", "qz-ci")
    accounts_rate = store_accounts(uri, db_name, engine["accounts"])
    print(f"accounts stored            {accounts_rate:>12,.0f} account/s", flush=True)
    ledger = asyncio.run(close_ledger(uri, prefix, engine["payable"], engine["persons"]))
    print(f"ledger: {ledger['entries']:,} entries posted in {ledger['post_s']:.1f} s, year closed in "
          f"{ledger['close_s']:.2f} s (total {ledger['total_s']:.1f} s); outcome {ledger['result'].get('outcome')}",
          flush=True)
    from pymongo import MongoClient

    MongoClient(uri).drop_database(db_name)

    total_s = engine["wall_s"] + engine["persons"] / accounts_rate + ledger["total_s"]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("raw Kafka produce+consume (512 B, acks=all)", f"{kafka:,.0f} msg/s", "—"),
        ("raw store insert (insert_many × 1000)", f"{raw_store:,.0f} doc/s", "1.00"),
        (f"adjudicate + accumulate + review selection: {engine['claims']:,} claims, {engine['persons']:,} persons "
         f"({args.workers} processes, pure rules)", f"{engine['claims_per_s']:,.0f} claim/s",
         f"{engine['claims_per_s'] / raw_store:.1f}"),
        (f"store every person's year account ({engine['persons']:,} documents)", f"{accounts_rate:,.0f} account/s",
         f"{accounts_rate / raw_store:.2f}"),
        (f"ledger: post the year ({ledger['entries']:,} balanced entries: allocations, advance + repayment, "
         f"payments per institution and month, interest)", f"{ledger['post_s']:.1f} s",
         f"{ledger['entries'] / ledger['post_s'] / raw_store:.3f} (entries/s ÷ raw)"),
        ("ledger close: year-end settlement (corridor) over the year's books", f"{ledger['close_s']:.2f} s", "—"),
        ("the whole year, claims to closed books", f"{total_s:.0f} s "
         f"({engine['claims'] / total_s:,.0f} claim/s)", f"{engine['claims'] / total_s / raw_store:.2f}"),
    ]
    strata = "; ".join(f"{c} {s:,}/{p:,}" for c, (p, s) in sorted(engine["strata"].items()))
    section = "\n".join([
        BEGIN,
        "## Critical illness year (issue 4)",
        "",
        f"Latest run: {now} on `{platform.node()}` ({os.cpu_count()} cores, Python {platform.python_version()}), "
        "real Kafka 4.1 and FerretDB 1.24 from `deploy/local`.",
        "",
        f"Command: `python -m bench.critical_bench --persons {args.persons} --claims-per-person "
        f"{args.claims_per_person} --workers {args.workers}`",
        "",
        "| measure | result | ratio to raw store insert |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
        f"Reviews selected (selected/paid members per stratum): {strata}. Fund paid "
        f"{engine['paid_fen'] / 100:,.2f} yuan; year-end outcome: {ledger['result'].get('outcome')}.",
        END,
    ])
    print(section)
    if not args.no_write:
        _write_results(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
