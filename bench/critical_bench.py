"""Critical illness (大病保险) at year scale: accumulate and adjudicate a year of claims for N persons, store
every person's year account, select the large-claim reviews, then post the year's payments to the dedicated
account's ledger and close the year — against the real FerretDB and Kafka of `deploy/local`, with the raw
limits of this machine measured in the same run.

    python -m bench.critical_bench [--persons 1000000] [--claims-per-person 5] [--workers 2]

Stages (each timed on its own):
1. engine: `domain.critical.adjudicate` + `domain.review_quota.admit` for every claim, persons split over
   `--workers` processes (the rules are per person; quota state is per worker, merged after);
2. accounts: every person's year account (累计自付/累计赔付) inserted into the store, 1,000 per `insert_many`;
3. statements through the service: every claim the fund pays is put where it is paid by settlement's own
   critical-illness service (`CriticalService.finance`, on the real store, its outbox relayed to real Kafka by
   the service's relay): on its institution's monthly statement, or — non-networked out-of-area stays, the
   manual reimbursements (零星报销) — on a payable to the person;
4. a year of Quzhou statements paid through the service: the agency's premium allocations (a carrier advance
   when the money is late, decided from the account's running figures, `Fund.head`), then month by month the
   month's statements closed in one closing run, reconciled in one run with the provincial platform (its simulator
   over HTTP, one session, one 3201 per statement's insutype and clr_type) and paid in one payment run (批量支付,
   `CriticalStatements.pay_run`: every statement and every person's payable of the month, the ledger entries posted
   as one batch by `Fund.post_many`) — a few review recoveries, interest, the advances repaid, then the year-end
   settlement (corridor, `fund.close_year`), whose claims are checked to equal the sum of the year's paid claims.
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
from services.settlement.critical.domain.claims import (
    CHRONIC_OUTPATIENT,
    INPATIENT,
    SPECIAL_DRUG,
    SPECIAL_OUTPATIENT,
    CriticalAccount,
    CriticalClaim,
    adjudicate,
)
from services.settlement.critical.domain.review_quota import StratumState, admit, draw, stratum_of
from services.settlement.critical.service.claims import policy_versions, program_strata

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- critical-bench:begin -->", "<!-- critical-bench:end -->"
WHERE_TIME_GOES = (
    "Where the time goes: the ledger is no longer it (each month's payments are one `Fund.post_many` batch; the aim "
    "of issue 8, ≥ 1,000 entries/s, is met there), nor the waits for the outbox relay (once per run, not per "
    "statement) or the platform sessions (one per reconciliation run). What is left is the statements' own state "
    "changes: on FerretDB 1.24 (SQLite) an update of one document costs in proportion to its whole collection "
    "(measured idle: ~5 ms at 100 small statements, ~15 ms at 350, ~150 ms at 700 statements of 40 lines), and each "
    "statement needs two of its own (closed with its totals, reconciled with the platform's answer) besides the "
    "relay's two (removing the events it published), so closing and reconciling a year grow with the square of its "
    "statements. A closing run starts all its statements closing in one update, and a payment run marks all its "
    "statements paid in one."
)
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
    """Adjudicate persons [start, stop): returns counts, the per-institution-month payables (fen), the claims the
    fund pays (for the statements), and the year accounts as (person, cumulative self-pay fen, cumulative paid
    fen), plus the time spent in the rules."""
    start, stop, per_person, seed = args
    policy = policy_versions()[0]
    strata = program_strata()
    states = {s.code: StratumState(s.code, YEAR) for s in strata}
    rnd = random.Random(seed + start)
    payable_by_inst: dict[tuple[str, int], int] = defaultdict(int)
    accounts: list[tuple[int, int, int]] = []
    paid: list[tuple[int, str, str, str, str, int, int, bool]] = []
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
            paid.append((p, claim.id, claim.date.isoformat(), inst, claim.care, to_fen(total), to_fen(res.payable),
                         area == "out_of_area" and not networked))
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
            "accounts": accounts, "paid": paid,
            "strata": {c: (s.population, s.selected) for c, s in states.items()}}


def run_engine(persons: int, per_person: int, workers: int) -> dict[str, Any]:
    chunk = max(1, persons // (workers * 20))
    jobs = [(s, min(s + chunk, persons), per_person, 2025) for s in range(0, persons, chunk)]
    started = time.perf_counter()
    payable: dict[tuple[str, int], int] = defaultdict(int)
    strata: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    accounts: list[tuple[int, int, int]] = []
    paid: list[tuple[int, str, str, str, str, int, int, bool]] = []
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
            paid.extend(part["paid"])
    wall = time.perf_counter() - started
    return {"claims": claims, "persons": persons, "wall_s": wall, "claims_per_s": claims / wall,
            "selected": selected, "payable": payable, "strata": dict(strata), "accounts": accounts,
            "paid": paid, "paid_fen": sum(payable.values())}


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


def claim_docs(paid: list[tuple[int, str, str, str, str, int, int, bool]]) -> list[dict[str, Any]]:
    """The settled claims as the service stores them (what `finance.take` reads): a third of the persons are
    employees (310), the rest residents (390); a non-networked out-of-area stay is a manual reimbursement."""
    from services.settlement.critical.domain.statements import clr_type_of

    docs = []
    for p, cid, day, inst, care, total_fen, payable_fen, manual in paid:
        docs.append({"_id": f"{p:010d}-{cid}", "claim_id": f"{p:010d}-{cid}", "person_id": f"{p:010d}",
                     "date": day, "year": YEAR, "care": care, "source": "manual" if manual else "platform",
                     "institution_code": inst, "total_cost": f"{Decimal(total_fen) / 100:.2f}",
                     "payable_fen": payable_fen, "insutype": "310" if p % 3 == 0 else "390",
                     "clr_type": None if manual else clr_type_of(care, inst), "policy_version": "2025.1"})
    return docs


async def pay_year(uri: str, bootstrap: str, prefix: str, paid: list[tuple[int, str, str, str, str, int, int, bool]],
                   persons: int) -> dict[str, Any]:
    """Statements and payables through settlement's critical-illness service on the real store (outbox relayed to
    real Kafka), reconciled against the provincial simulator over HTTP, paid month by month; the year closed."""
    import uvicorn

    from chassis.bus.kafka import KafkaBus, credentials_from_file
    from chassis.keys import MemoryKeyProvider
    from chassis.outbox import OutboxRelay
    from chassis.pii import Sealer, with_sealer
    from chassis.programs import load_program
    from chassis.store.mongo import MongoStore
    from provincial.simulator.app import create_app
    from services.settlement.critical.service.claims import CriticalService
    from services.settlement.critical.store import PAYMENTS, STATEMENTS
    from services.settlement.fund.service import account as fd
    from services.settlement.fund.service import payment_runs as runs
    from services.settlement.fund.service import year_end as fund_year_end

    store = MongoStore(uri, prefix)
    tenant, program = "qz-ci", load_program("qz-critical")
    creds = os.environ.get("JINGBAN_KAFKA_CREDENTIALS")  # the bench is a tool: the broker's admin
    bus = KafkaBus(bootstrap, client_id="critical-bench", credentials=credentials_from_file(creds) if creds else None)
    await bus.start()
    # The relay of the collections this stage writes events to (statements, payments, ledger entries, years): the
    # service's relay also passes over ci_accounts, which FerretDB 1.24 scans whole on every pass.
    relay = OutboxRelay("settlement", store, bus, (tenant,), [STATEMENTS, PAYMENTS, *fd.FUND_OUTBOX_COLLECTIONS],
                        topic_prefix=f"{prefix}.")
    relay_task = asyncio.create_task(relay.run())
    port = 18190 + random.randint(0, 700)
    simulator = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_config=None,
                                              lifespan="off", access_log=False))
    simulator.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    simulator_task = asyncio.create_task(simulator.serve())
    while not simulator.started:
        await asyncio.sleep(0.02)
        if simulator_task.done():
            simulator_task.result()
    keys = MemoryKeyProvider()  # payables to persons are sealed (chassis/pii.py), as a service's context does
    critical = CriticalService(lambda t: with_sealer(store.database("settlement", t), Sealer(keys, t)), relay.kick)
    await critical.start((tenant,))
    fund = critical.finance.ledger  # the service's own Fund: allocations, advances and payments share its head
    await fund.store(tenant).ensure_indexes()
    ci = critical.store(tenant)
    finance = critical.finance
    url = f"http://127.0.0.1:{port}/"

    # 1. Every paid claim onto its statement or its payable.
    started = time.perf_counter()
    docs = claim_docs(paid)
    account = {"bank_name": "bench bank", "account_name": "bench", "account_no": "6200000000000000"}
    await finance.take(ci, tenant, docs, {d["claim_id"]: account for d in docs if d["source"] == "manual"})
    placed = time.perf_counter()

    # 2. The year paid: the premium in by quarters (an advance when money is late), each month's statements closed,
    #    reconciled in one run and paid with the month's payables in one payment run, through the service.
    premium, _, _ = fd.premium_total(program, YEAR, persons)
    quarter = (premium / 4).quantize(Decimal("0.01"))
    await fund.post(tenant, program.code, YEAR, fd.lg.allocation("alloc-1", date(YEAR, 1, 2), quarter, "年初拨付"),
                    "bench")
    statements = payables = 0
    advances: dict[str, Decimal] = {}
    paid_fen = 0
    timing = {"close_s": 0.0, "reconcile_s": 0.0, "pay_s": 0.0, "ledger_s": 0.0, "ledger_entries": 0}
    post_payments = fd.post_payments

    async def timed_post(*args: Any) -> int:  # the ledger's share of a payment run, measured apart
        t0 = time.perf_counter()
        n = await post_payments(*args)
        timing["ledger_s"] += time.perf_counter() - t0
        timing["ledger_entries"] += n
        return n

    fd.post_payments = timed_post  # type: ignore[assignment]
    for m in range(1, 13):
        month = f"{YEAR}-{m:02d}"
        if m in (4, 7, 10):
            await fund.post(tenant, program.code, YEAR, fd.lg.allocation(f"alloc-{m}", date(YEAR, m, 1), quarter,
                                                                         f"{m}月拨付"), "bench")
        month_payables = await ci.person_payables({"month": month}, 100_000)
        run = runs.RunRequest(month)
        t0 = time.perf_counter()
        closing = await finance.close_run(tenant, run, "bench")
        t1 = time.perf_counter()
        # what the month needs: its statements' totals, as closing them answered, and its payables
        due = sum(to_fen(Decimal(s["payable"])) for s in closing["statements"])
        reconciled = await finance.reconcile_run(tenant, run, "bench", url)
        assert reconciled["unbalanced"] == 0, reconciled
        t2 = time.perf_counter()
        due += sum(pp["amount_fen"] for pp in month_payables)
        bank = (await fund.head(tenant, program.code, YEAR)).normal_balance("bank")  # running figures, no book read
        if Decimal(due) / 100 > bank:  # fund money late: the carrier advances the difference (垫付)
            amount = (Decimal(due) / 100 - bank).quantize(Decimal("0.01"))
            advances[f"adv-{m}"] = amount
            await fund.post(tenant, program.code, YEAR, fd.lg.advance(f"adv-{m}", date(YEAR, m, 27), amount,
                                                                      "承办方垫付"), "bench")
        t3 = time.perf_counter()
        out = await finance.pay_run(tenant, run, "bench")
        t4 = time.perf_counter()
        assert not out["skipped"], out["skipped"]
        paid_fen += to_fen(Decimal(out["amount"]))
        statements += sum(1 for p in out["paid"] if p["payee"] == "institution")
        payables += sum(1 for p in out["paid"] if p["payee"] == "person")
        timing["close_s"] += t1 - t0
        timing["reconcile_s"] += t2 - t1
        timing["pay_s"] += t4 - t3
    fd.post_payments = post_payments  # type: ignore[assignment]
    recovered = 0
    for doc in docs[:10]:  # a few review outcomes with money recovered (核查追回)
        amount = max(1, doc["payable_fen"] // 10)
        await finance.book_recovery(tenant, {"_id": f"R-{doc['claim_id']}", "year": YEAR, "recovered_fen": amount,
                                             "outcome": "adjusted"}, "bench")
        recovered += amount
    await fund.post(tenant, program.code, YEAR, fd.lg.interest("int-1", date(YEAR, 12, 21), Decimal("12345.67")),
                    "bench")
    for adv, amount in advances.items():  # what the bank can repay of the advances at year end (none repaid before)
        left = min(amount, (await fund.head(tenant, program.code, YEAR)).normal_balance("bank"))
        if left > 0:
            await fund.post(tenant, program.code, YEAR, fd.lg.advance_repayment(
                f"repay-{adv}", date(YEAR, 12, 31), adv, left), "bench")
    posted = time.perf_counter()
    entries = await fund.store(tenant).entry_count(program.code, YEAR)

    # 3. The year end (corridor): its claims are the year's paid claims.
    admin = (premium * Decimal("0.05")).quantize(Decimal("0.01"))  # 经办成本: 5% of the premium, a round figure
    result = await fund_year_end.close_year(fund, program, (tenant,), YEAR, date(YEAR + 1, 1, 15),
                                 {"admin_cost": str(admin), "insured_persons": persons}, "bench")
    closed = time.perf_counter()
    books = result["accounts"][0]["account"]
    assert to_fen(Decimal(books["claims"])) == paid_fen == sum(d["payable_fen"] for d in docs), (books, paid_fen)
    assert to_fen(Decimal(books["recoveries"])) == recovered
    relay.stop()
    await relay_task
    simulator.should_exit = True
    await simulator_task
    await bus.stop()
    await store.close()
    return {"claims_placed": len(docs), "place_s": placed - started, "statements": statements,
            "payables": payables, "advances": len(advances), "entries": entries, "year_s": posted - started,
            "year_close_s": closed - posted, "total_s": closed - started, "result": result["result"],
            "paid_fen": paid_fen, "claims": books["claims"], "recoveries": books["recoveries"], **timing}


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
    ledger = asyncio.run(pay_year(uri, bootstrap, prefix, engine["paid"], engine["persons"]))
    print(f"statements: {ledger['claims_placed']:,} paid claims onto {ledger['statements']:,} statements and "
          f"{ledger['payables']:,} person payables in {ledger['place_s']:.1f} s; closed in {ledger['close_s']:.1f} s, "
          f"reconciled (3201) in {ledger['reconcile_s']:.1f} s, paid in {ledger['pay_s']:.1f} s (ledger "
          f"{ledger['ledger_entries']:,} entries in {ledger['ledger_s']:.2f} s); {ledger['entries']:,} entries in all; "
          f"year closed in {ledger['year_close_s']:.2f} s (total {ledger['total_s']:.1f} s); corridor claims "
          f"{ledger['claims']} = the claims paid; outcome {ledger['result'].get('outcome')}", flush=True)
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
        (f"statements through the service: {ledger['claims_placed']:,} paid claims onto {ledger['statements']:,} "
         f"monthly statements and {ledger['payables']:,} person payables (零星报销)", f"{ledger['place_s']:.1f} s",
         "—"),
        (f"close: 12 closing runs, {ledger['statements']:,} statements", f"{ledger['close_s']:.1f} s "
         f"({ledger['statements'] / ledger['close_s']:.1f} statements/s)", "—"),
        (f"reconcile: 12 reconciliation runs (one platform session each, 3201 per insutype × clr_type, simulator "
         f"over HTTP), {ledger['statements']:,} statements", f"{ledger['reconcile_s']:.1f} s "
         f"({ledger['statements'] / ledger['reconcile_s']:.1f} statements/s)", "—"),
        (f"pay: 12 payment runs (批量支付), {ledger['statements']:,} statements + {ledger['payables']:,} person "
         f"payables", f"{ledger['pay_s']:.1f} s ({(ledger['statements'] + ledger['payables']) / ledger['pay_s']:,.0f} "
         "payments/s)", f"{(ledger['statements'] + ledger['payables']) / ledger['pay_s'] / raw_store:.3f}"),
        (f"… of which the ledger: {ledger['ledger_entries']:,} `benefits_paid` entries posted by `Fund.post_many` "
         "(balance checked against the running figures, one batch per run)",
         f"{ledger['ledger_s']:.2f} s ({ledger['ledger_entries'] / ledger['ledger_s']:,.0f} entries/s)",
         f"{ledger['ledger_entries'] / ledger['ledger_s'] / raw_store:.3f}"),
        (f"a year of statements paid through the service, all told: placed, closed, reconciled, paid, with "
         f"{ledger['entries']:,} ledger entries in all (allocations, {ledger['advances']} advance(s) + repayments, "
         "payments, recoveries, interest)", f"{ledger['year_s']:.1f} s "
         f"({ledger['statements'] / ledger['year_s']:.1f} statements/s)", "—"),
        ("ledger close: year-end settlement (corridor) over the year's books", f"{ledger['year_close_s']:.2f} s",
         "—"),
        ("the whole year, claims to closed books", f"{total_s:.0f} s "
         f"({engine['claims'] / total_s:,.0f} claim/s)", f"{engine['claims'] / total_s / raw_store:.2f}"),
    ]
    strata = "; ".join(f"{c} {s:,}/{p:,}" for c, (p, s) in sorted(engine["strata"].items()))
    section = "\n".join([
        BEGIN,
        "## Critical illness year (issues 4 and 8)",
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
        f"{engine['paid_fen'] / 100:,.2f} yuan, all of it paid through the statements and payables; the corridor's "
        f"claims {Decimal(ledger['claims']):,.2f} (recoveries {ledger['recoveries']} apart); year-end outcome: "
        f"{ledger['result'].get('outcome')}.",
        "",
        WHERE_TIME_GOES,
        END,
    ])
    print(section)
    if not args.no_write:
        _write_results(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
