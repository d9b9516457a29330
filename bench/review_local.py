"""Smart claim review (智能审核, issue 13) in the platform: the million claim lines of `bench.review_engine` (160
institutions: 17 hospitals, 143 pharmacies) screened through audit's door `POST /v1/review/claims` (数据提取与筛查,
Karamay's screening before a visit), posted in chunks by a few concurrent clients with an inspector's token of km-sv.

Local mode, as `bench.settlement_bench` and `bench.ltc_care`: the audit service alone as its own process
(`jingban.local`'s environment, ports and SASL user) on the real FerretDB and Kafka of `deploy/local`, fresh topics
and databases per size; the raw store insert rate (`bench.raw.raw_store_insert_rate`, insert_many × 1000) is measured
in the same run and the screening rate reported as a ratio to it. Also reported: the audit process's CPU seconds
(lines per CPU second of the service: the in-platform engine on one core, door and store included) and FerretDB's.

The rule set is km-supervision's own (`programs/km-supervision/review-rules.yaml`: its version, settings and the
eleven rules) with the generator's catalogue (`bench.review_engine.catalogue`, version `review-bench-catalogue.1`) in
place of the SAMPLE one: the generated claims bill the generator's items, which the sample catalogue does not list
(every pharmacy line would be `non_medical_goods`). The service process is `services.audit.main` started through
this module (`--serve-audit`), which puts that rule set where the room reads it (`service._load`) and nothing else.

Chunks follow the generator's order (a person's claims together) and are cut only between two persons and never
inside one pharmacy's `pooling_minutes`: every hit's claims arrive in one import, so the hits found do not depend on
which of the concurrent imports is stored first (an import is reviewed against the history stored before it, not
against one running beside it). The background is built to hit nothing, so the stored hits must equal the planted
cases rule by rule (checked: `GET /v1/review/summary?source=screening`).

The door takes a body of up to 256 MB (`SCREENING_MAX_BYTES`): `--chunk` is the bench's choice of lines per import
(2,000 as an upload's part of claim_lines.submitted; the million's 206 MB also fit in one import), one value or one
per size.

    python -m bench.review_local [--lines 1000000 ...] [--chunk 2000 ...] [--concurrency 3] [--no-write]
    python -m bench.review_local --lines 10000 20000 1000000 --chunk 2000 2000 2000000     # as recorded
    python -m bench.review_local --lines 20000 --no-write       # a quick size, on fresh databases
    python -m bench.review_local --lines 10000 --concurrency 1 --profile --no-write
        # cProfile of the audit process and the wall time of the room's calls (store reads and writes, the engine),
        # printed after the run
    python -m bench.review_local --embedded --lines 20000
        # in process: every service on the in-memory bus and store (`jingban.embedded`), raw insert measured on that
        # store; nothing to start, nothing written to bench/RESULTS.md

Writes the "review-local" part of the "Smart claim review" section of bench/RESULTS.md unless --no-write or
--embedded."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import pstats
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.results_section import write_part
from bench.review_engine import HEADING, INTRO, PARTS, SECTION, catalogue, workload

ROOT = Path(__file__).resolve().parents[1]
PART = "review-local"
TENANT = "km-sv"
PROGRAM = "km-supervision"
ROLE = "inspector"  # the door's screeners: inspector, ops (services/audit/smart_review/api.py SCREENERS)
CATALOGUE_VERSION = "review-bench-catalogue.1"
LOGS = ROOT / ".jingban" / "bench-logs"
PROFILE = LOGS / "review-local-audit.prof"


# ---- the rule set: km-supervision's, with the generator's catalogue ------------------------------------------------


def bench_catalogue() -> dict[str, Any]:
    return {"version": CATALOGUE_VERSION, "label": "bench.review_engine.catalogue()", "items": catalogue()}


def use_bench_catalogue(cat: dict[str, Any]) -> None:
    """km-supervision's rule set read with `cat` as its catalogue, in this process (the room reads a program's rule
    set through `service._load`, once per process)."""
    from chassis.programs import PROGRAMS_DIR
    from services.audit.smart_review import service

    data = yaml.safe_load((PROGRAMS_DIR / PROGRAM / service.RULES_FILE).read_text(encoding="utf-8"))
    ours = service.parse_rule_set(PROGRAM, {**data, "catalogue": "review-catalogue-bench"}, lambda _name: cat)
    original = service._load

    def load(program: str, root: Path) -> Any:
        return ours if program == PROGRAM else original(program, root)

    service._load = load  # type: ignore[assignment]


def time_calls(totals: dict[str, list[float]]) -> None:
    """Wall time, calls and documents returned of the smart review room's store calls and of its steps, summed in
    `totals` (label → [calls, seconds, items]): what cProfile cannot show of a coroutine (the time it waits for
    the store)."""
    from services.audit.smart_review import service, store

    def add(label: str, t0: float, out: Any) -> None:
        row = totals.setdefault(label, [0, 0.0, 0])
        row[0] += 1
        row[1] += time.perf_counter() - t0
        row[2] += len(out) if isinstance(out, list | set | dict) else 0

    def timed_async(owner: Any, name: str, label: str) -> None:
        fn = getattr(owner, name)

        async def timed(*a: Any, **k: Any) -> Any:
            t0, out = time.perf_counter(), None
            try:
                out = await fn(*a, **k)
                return out
            finally:
                add(label, t0, out)

        setattr(owner, name, timed)

    def timed_sync(owner: Any, name: str, label: str) -> None:
        fn = getattr(owner, name)

        def timed(*a: Any, **k: Any) -> Any:
            t0, out = time.perf_counter(), None
            try:
                out = fn(*a, **k)
                return out
            finally:
                add(label, t0, out)

        if owner is store.CLAIM:
            object.__setattr__(owner, name, timed)  # a frozen dataclass
        else:
            setattr(owner, name, timed)

    for name in ("history_of", "pooling_history", "add_claims", "add_hits", "hit_states", "submission",
                 "add_submission"):
        timed_async(store.ReviewStore, name, f"store.{name}")
    timed_async(service, "screen", "service.screen (the whole import)")
    timed_async(service, "_reviewed", "service._reviewed (history read and made engine claims)")
    timed_sync(service, "parse_claims", "domain parse_claims (the body checked)")
    timed_sync(service, "review", "domain review (the engine, new=)")
    timed_sync(store.CLAIM, "open_all", "pii CLAIM.open_all (history opened)")


def serve_audit(catalogue_file: str, profile: str) -> int:
    """The child process: `services.audit.main` as `jingban.local` runs it, with the bench's catalogue; under
    cProfile with the room's calls timed when `profile` names a file (written when the service stops, with
    `<file>.calls.json`)."""
    from chassis.host import run_process
    from services.audit.main import SPEC

    use_bench_catalogue(json.loads(Path(catalogue_file).read_text(encoding="utf-8")))
    if not profile:
        run_process(SPEC)
        return 0
    import cProfile

    totals: dict[str, list[float]] = {}
    time_calls(totals)
    profiler = cProfile.Profile()
    hard_exit = os._exit

    def dump_and_exit(code: int) -> None:  # run_process ends with os._exit (no finally, no atexit after it)
        profiler.disable()
        profiler.dump_stats(profile)
        Path(profile + ".calls.json").write_text(json.dumps(totals, indent=1), encoding="utf-8")
        hard_exit(code)

    os._exit = dump_and_exit  # type: ignore[assignment]
    profiler.enable()
    run_process(SPEC)
    return 0


# ---- the work: the generator's claims in chunks ------------------------------------------------------------------


def chunks(claims: list[dict[str, Any]], chunk_lines: int, pooling_minutes: int, tag: str
           ) -> list[tuple[str, bytes, int, int]]:
    """(import id, JSON body, claims, lines) per import, at most `chunk_lines` lines each (a person with more
    lines than that alone in one), cut only between two persons and never between two claims of one institution
    settled within `pooling_minutes` of each other."""
    window = dt.timedelta(minutes=pooling_minutes)

    def joined(a: dict[str, Any], b: dict[str, Any]) -> bool:
        if a["person_id"] == b["person_id"]:
            return True
        if a["institution"] != b["institution"] or not a.get("settled_at") or not b.get("settled_at"):
            return False
        return abs(dt.datetime.fromisoformat(b["settled_at"]) - dt.datetime.fromisoformat(a["settled_at"])) <= window

    groups: list[list[dict[str, Any]]] = []
    for c in claims:
        if groups and joined(groups[-1][-1], c):
            groups[-1].append(c)
        else:
            groups.append([c])
    out: list[tuple[str, bytes, int, int]] = []
    current: list[dict[str, Any]] = []
    lines = 0

    def flush() -> None:
        nonlocal current, lines
        if current:
            import_id = f"{tag}-{len(out) + 1:05d}"
            body = json.dumps({"import_id": import_id, "claims": current}, ensure_ascii=False,
                              separators=(",", ":")).encode()
            out.append((import_id, body, len(current), lines))
        current, lines = [], 0

    for group in groups:
        n = sum(len(c["lines"]) for c in group)
        if current and lines + n > chunk_lines:
            flush()
        current += group
        lines += n
    flush()
    return out


def prepare(lines: int, seed: int, chunk_lines: int, pooling_minutes: int) -> dict[str, Any]:
    text, planted, count = workload(lines, seed)
    claims = json.loads(text)["claims"]
    del text
    work = chunks(claims, chunk_lines, pooling_minutes, f"rv{uuid.uuid4().hex[:6]}")
    return {"work": work, "planted": planted, "lines": count, "claims": len(claims),
            "institutions": len({c["institution"] for c in claims}),
            "bytes": sum(len(body) for _, body, _, _ in work)}


def headers(role: str = ROLE) -> dict[str, str]:
    from tests.support import tokens

    # asked for each request: the source caches the token and renews it before it expires (a long run)
    return {"authorization": f"Bearer {tokens.user_token(TENANT, role, 'bench')}",
            "content-type": "application/json"}


# ---- the steps over HTTP (the same in both modes) ---------------------------------------------------------------


async def screen(base: str, work: list[tuple[str, bytes, int, int]], concurrency: int,
                 on_chunk: Any = None) -> dict[str, Any]:
    queue: asyncio.Queue[tuple[int, str, bytes, int, int]] = asyncio.Queue()
    for k, item in enumerate(work):
        queue.put_nowait((k, *item))
    lines = hits = 0
    seconds: dict[int, float] = {}

    async def client() -> None:
        nonlocal lines, hits
        async with httpx.AsyncClient(timeout=3600) as http:
            while not queue.empty():
                k, import_id, body, _claims, n = queue.get_nowait()
                t0 = time.perf_counter()
                r = await http.post(f"{base}/v1/review/claims", content=body, headers=headers())
                if r.status_code != 201:
                    raise RuntimeError(f"import {import_id}: {r.status_code} {r.text[:500]}")
                seconds[k] = time.perf_counter() - t0
                answer = r.json()
                if answer["lines"] != n:
                    raise RuntimeError(f"import {import_id}: {answer['lines']} lines reviewed of {n}")
                lines += n
                hits += answer["hits"]
                if on_chunk is not None:
                    on_chunk(k, len(work), seconds[k], lines)

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    ordered = [seconds[k] for k in sorted(seconds)]
    tenth = max(1, len(ordered) // 10)
    return {"lines": lines, "imports": len(work), "hits_answered": hits, "seconds": elapsed,
            "lines_per_s": lines / elapsed, "chunk_p50_s": statistics.median(ordered), "chunk_max_s": max(ordered),
            "first_tenth_s": statistics.mean(ordered[:tenth]), "last_tenth_s": statistics.mean(ordered[-tenth:]),
            "import_seconds": ordered, "import_lines": [n for _, _, _, n in work]}


async def stored_summary(base: str) -> dict[str, int]:
    """Hits stored per rule (source screening), as the door reports them."""
    async with httpx.AsyncClient(timeout=600) as http:
        r = await http.get(f"{base}/v1/review/summary", params={"source": "screening"}, headers=headers())
        r.raise_for_status()
    return {rule: row["hits"] for rule, row in r.json()["by_rule"].items() if row["hits"]}


def progress(k: int, total: int, seconds: float, lines: int) -> None:
    if k % max(1, total // 20) == 0 or k == total - 1:
        print(f"  import {k + 1:>5}/{total}: {seconds:6.2f} s  ({lines:,} lines so far)", flush=True)


# ---- local mode ---------------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its waited-for children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 1024
    return 0.0


def ferretdb_pid() -> int | None:
    record = ROOT / ".jingban" / "ferretdb" / "ferretdb.pid"
    try:
        pid = int(json.loads(record.read_text())["pid"])
        cpu_seconds(pid)
        return pid
    except (OSError, ValueError, KeyError):
        return None


@contextmanager
def local_audit(port_offset: int, profile: bool) -> Iterator[tuple[str, int]]:
    """The audit service alone in local mode on fresh topics and databases, with the bench's catalogue; yields
    (base url, pid)."""
    from bench.raw import _endpoints, drop_topics
    from jingban.local import LocalPlatform
    from tests.support.infra import local_trust_env

    bootstrap, uri = _endpoints()
    prefix = "rv" + uuid.uuid4().hex[:8]
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "MONGODB_URI": uri, "JINGBAN_TOPIC_PREFIX": f"{prefix}.",
           "JINGBAN_DB_PREFIX": prefix, "JINGBAN_TENANTS": TENANT, **local_trust_env()}
    LOGS.mkdir(parents=True, exist_ok=True)
    cat_file = LOGS / f"review-catalogue-{prefix}.json"
    cat_file.write_text(json.dumps(bench_catalogue(), ensure_ascii=False), encoding="utf-8")
    PROFILE.unlink(missing_ok=True)
    Path(str(PROFILE) + ".calls.json").unlink(missing_ok=True)
    local = LocalPlatform(env, LOGS, port_offset=port_offset)
    local.provision_kafka_acls()
    # services.audit.main through this module (the catalogue put in place), as LocalPlatform.start spawns a service
    local._spawn("audit", [sys.executable, "-m", "bench.review_local", "--serve-audit", str(cat_file),
                           "--profile-file", str(PROFILE) if profile else ""], local.service_env("audit"))
    try:
        local.wait_ready(("audit",), 180)
        yield local.url("audit"), local.procs["audit"].pid
    finally:
        killed = local.stop()
        if killed:
            print(f"(the audit service did not stop within the grace period: {killed})", flush=True)
        cat_file.unlink(missing_ok=True)
        from pymongo import MongoClient

        from chassis.store.port import database_name

        client: MongoClient = MongoClient(uri)
        try:
            client.drop_database(database_name(prefix, "audit", TENANT))
        finally:
            client.close()
        drop_topics(bootstrap, prefix, "bench-review-local")


def run_local(args: argparse.Namespace) -> dict[str, Any]:
    from bench.raw import _endpoints, raw_store_insert_rate

    _, uri = _endpoints()
    raw = raw_store_insert_rate(uri, args.store_docs)
    print(f"raw store insert (insert_many x 1000)   {raw:>10,.0f} doc/s", flush=True)
    runs = []
    for size, chunk in zip(args.lines, args.chunk, strict=True):
        data = prepare(size, args.seed, chunk, args.pooling_minutes)
        print(f"{data['lines']:,} lines, {data['claims']:,} claims of {data['institutions']} institutions in "
              f"{len(data['work'])} imports ({data['bytes'] / 1e6:,.0f} MB)", flush=True)
        with local_audit(args.port_offset, args.profile) as (base, pid):
            ferret = ferretdb_pid()
            cpu0, fcpu0 = cpu_seconds(pid), (cpu_seconds(ferret) if ferret else 0.0)
            result = asyncio.run(screen(base, data["work"], args.concurrency, progress))
            cpu1, fcpu1 = cpu_seconds(pid), (cpu_seconds(ferret) if ferret else 0.0)
            found = asyncio.run(stored_summary(base))
            rss = peak_rss_mb(pid)
        run = {**result, **{k: v for k, v in data.items() if k != "work"}, "found": found, "chunk": chunk,
               "concurrency": min(args.concurrency, result["imports"]), "rss_mb": rss,
               "service_cpu_s": cpu1 - cpu0, "ferretdb_cpu_s": (fcpu1 - fcpu0) if ferret else None}
        runs.append(run)
        show(run, raw)
        if args.profile:
            top_costs(PROFILE)
    return {"raw": raw, "runs": runs}


# ---- embedded (in process) ------------------------------------------------------------------------------------------


async def _embedded(args: argparse.Namespace) -> dict[str, Any]:
    import random

    from bench.raw import INSERT_BATCH, _claim_line
    from jingban.embedded import EmbeddedPlatform

    use_bench_catalogue(bench_catalogue())
    platform_ = EmbeddedPlatform(env={}, port_offset=random.randint(700, 799) * 10)
    await platform_.start()
    try:
        db = platform_.store.database("bench", f"raw-{uuid.uuid4().hex[:6]}")
        rng = random.Random(42)
        docs = [_claim_line(rng, i) for i in range(args.store_docs)]
        t0 = time.perf_counter()
        for start in range(0, len(docs), INSERT_BATCH):
            await db["claim_lines"].insert_many(docs[start:start + INSERT_BATCH], ordered=False)
        raw = len(docs) / (time.perf_counter() - t0)
        print(f"raw in-memory store insert (insert_many x 1000) {raw:>10,.0f} doc/s", flush=True)
        runs = []
        for size, chunk in zip(args.lines, args.chunk, strict=True):
            data = prepare(size, args.seed, chunk, args.pooling_minutes)
            cpu0 = time.process_time()
            result = await screen(platform_.url("audit"), data["work"], args.concurrency, progress)
            run = {**result, **{k: v for k, v in data.items() if k != "work"}, "chunk": chunk,
                   "concurrency": min(args.concurrency, result["imports"]),
                   "found": await stored_summary(platform_.url("audit")), "rss_mb": None,
                   "service_cpu_s": time.process_time() - cpu0, "ferretdb_cpu_s": None}
            runs.append(run)
            show(run, raw)
            break  # one size: the in-memory store keeps the first size's history
        return {"raw": raw, "runs": runs}
    finally:
        await platform_.stop()


# ---- report -------------------------------------------------------------------------------------------------------


def checked(run: dict[str, Any]) -> list[str]:
    """The rules whose stored hits differ from the planted cases: (rule, planted, found)."""
    planted, found = Counter(run["planted"]), Counter(run["found"])
    return [f"{rule} planted {planted[rule]} found {found[rule]}" for rule in sorted(set(planted) | set(found))
            if planted[rule] != found[rule]]


def show(run: dict[str, Any], raw: float) -> None:
    ferret = f", FerretDB {run['ferretdb_cpu_s']:.0f} CPU s" if run["ferretdb_cpu_s"] is not None else ""
    print(f"screened {run['lines']:,} lines in {run['imports']} imports in {run['seconds']:.1f} s = "
          f"{run['lines_per_s']:,.0f} line/s, x raw store {run['lines_per_s'] / raw:.3f}; import p50 "
          f"{run['chunk_p50_s']:.2f} s, first tenth {run['first_tenth_s']:.2f} s, last tenth "
          f"{run['last_tenth_s']:.2f} s, max {run['chunk_max_s']:.2f} s; audit {run['service_cpu_s']:.0f} CPU s "
          f"({run['lines'] / max(run['service_cpu_s'], 1e-9):,.0f} line per CPU s){ferret}", flush=True)
    wrong = checked(run)
    print(f"hits stored {sum(run['found'].values()):,} (answered {run['hits_answered']:,}), planted "
          f"{sum(run['planted'].values()):,}: " + ("every rule as planted" if not wrong else "; ".join(wrong)),
          flush=True)


def top_costs(path: Path, n: int = 30) -> None:
    if not path.exists():
        print(f"(no profile at {path})", flush=True)
        return
    calls = Path(str(path) + ".calls.json")
    if calls.exists():
        print("wall time of the room's calls (calls, seconds, per call, items returned):", flush=True)
        for label, (count, seconds, items) in sorted(json.loads(calls.read_text()).items(), key=lambda x: -x[1][1]):
            print(f"  {label:<60} {count:>7,.0f} {seconds:>10.2f} s {seconds / max(count, 1):>9.4f} s "
                  f"{items:>12,.0f}", flush=True)
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(n)
    stats.sort_stats("cumulative").print_stats(n)


def report(r: dict[str, Any], args: argparse.Namespace, notes: str, mode: str = "local") -> str:
    raw = r["raw"]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [f"| raw store insert (insert_many × 1000, {args.store_docs:,} claim-line documents) | {raw:,.0f} doc/s | "
            "— | 1.00 |"]
    for run in r["runs"]:
        ferret = f", FerretDB {run['ferretdb_cpu_s']:,.0f} CPU s" if run["ferretdb_cpu_s"] is not None else ""
        rss = f"; audit's peak memory {run['rss_mb']:,.0f} MB" if run.get("rss_mb") else ""
        what = f"{run['lines']:,} lines ({run['claims']:,} claims, {run['institutions']} institutions)"
        if run["imports"] == 1:
            what += (f" in one import ({run['bytes'] / 1e6:,.0f} MB; the door takes up to 256 MB): checked, "
                     "reviewed (no history before it), its hits and claims stored")
            timing = f"{run['seconds']:,.0f} s"
        else:
            what += (f" in {run['imports']} imports of at most {run['chunk']:,} lines, {run['concurrency']} at a "
                     "time: each checked, reviewed against the screening history stored before it (its persons' "
                     "claims, its pharmacies' settlements), its hits and claims stored")
            each = run["import_seconds"]
            timing = (f"{run['seconds']:,.0f} s; seconds per import in sending order: "
                      + ", ".join(f"{x:.1f}" for x in each) if len(each) <= 12 else
                      f"{run['seconds']:,.0f} s; import p50 {run['chunk_p50_s']:.2f} s, first tenth "
                      f"{run['first_tenth_s']:.2f} s, last tenth {run['last_tenth_s']:.2f} s")
            if run["import_lines"][-1] < run["chunk"] // 2:
                timing += f" (the last {run['import_lines'][-1]:,} lines)"
        rows.append(
            f"| {what} | {run['lines_per_s']:,.0f} line/s ({timing}) | "
            f"{run['lines'] / max(run['service_cpu_s'], 1e-9):,.0f} line per audit CPU s "
            f"({run['service_cpu_s']:,.0f} s{ferret}{rss}) | {run['lines_per_s'] / raw:.3f} |")
    hits = []
    for run in r["runs"]:
        wrong = checked(run)
        per_rule = ", ".join(f"{rule} {count:,}" for rule, count in sorted(run["found"].items()))
        hits.append(f"- {run['lines']:,} lines: {sum(run['found'].values()):,} hits stored ({per_rule}) — "
                    + ("exactly the planted cases (checked)." if not wrong else "NOT as planted: " + "; ".join(wrong)))
    sizes = " ".join(str(s) for s in args.lines)
    chunk_sizes = " ".join(str(c) for c in args.chunk)
    return "\n".join([
        f"### In the platform: `POST /v1/review/claims`, {mode} mode",
        "",
        f"Latest run: {now} on `{platform.node()}` ({os.cpu_count()} cores, Python {platform.python_version()}), "
        + ("local mode: real Kafka 4.1 and FerretDB 1.24 (SQLite) from `deploy/local`; the audit service alone as "
           "its own process, tenant km-sv (inspector's token from Keycloak), fresh databases per size; "
           if mode == "local" else "embedded: every service in this process on the in-memory bus and store, tenant "
           "km-sv; ")
        + "km-supervision's "
        f"rule set with the generator's catalogue (`{CATALOGUE_VERSION}`, see the module's docstring); the claims "
        "of `bench.review_engine`'s generator, cut between persons.",
        "",
        f"Command: `python -m bench.review_local --lines {sizes} --chunk {chunk_sizes} --concurrency "
        f"{args.concurrency}`",
        "",
        "| measure | end to end | on one core (the audit process's CPU) | ratio to raw store insert |",
        "|---|---|---|---|",
        *rows,
        "",
        *hits,
        *(["", notes] if notes else []),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.review_local", description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000], help="sizes, each on fresh databases")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--chunk", type=int, nargs="+", default=[2_000],
                        help="lines per import at most: one value for every size, or one per size")
    parser.add_argument("--concurrency", type=int, default=3, help="imports at a time")
    parser.add_argument("--pooling-minutes", type=int, default=10, help="never cut inside a pharmacy's window")
    parser.add_argument("--store-docs", type=int, default=20_000)
    parser.add_argument("--port-offset", type=int, default=95, help="added to audit's ports 8104/9104")
    parser.add_argument("--profile", action="store_true", help="cProfile the audit process; print its top costs")
    parser.add_argument("--notes", default="", help="a paragraph added under the figures (e.g. the profile)")
    parser.add_argument("--embedded", action="store_true", help="in process, in-memory bus and store")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--serve-audit", metavar="CATALOGUE_JSON", help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if len(args.chunk) == 1:
        args.chunk = args.chunk * len(args.lines)
    if len(args.chunk) != len(args.lines):
        parser.error("--chunk: one value, or one per size of --lines")
    if args.serve_audit:
        return serve_audit(args.serve_audit, args.profile_file)
    if args.embedded:
        r = asyncio.run(_embedded(args))
        print(report(r, args, args.notes, "embedded"))
        return 0 if not any(checked(run) for run in r["runs"]) else 1
    r = run_local(args)
    (LOGS / "review-local-last.json").write_text(json.dumps(r, indent=1, default=str), encoding="utf-8")
    text = report(r, args, args.notes)
    print(text)
    if not args.no_write:
        write_part(SECTION, HEADING, PARTS, PART, text, INTRO)
    return 0 if not any(checked(run) for run in r["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
