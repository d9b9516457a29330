"""Settlement benchmarks in local mode (real Kafka + FerretDB, the settlement service as its own process).

(a) Month-end (月结): N claim lines for N/10 persons holding a disease, uploaded over HTTP by institutions in
    batches (default 10,000 lines each, one institution per batch, `--concurrency` uploads at a time); a batch's
    201 means every line is validated, adjudicated against the person's stored year account and stored (claims,
    accounts, statement parts). Reported as lines/second end to end and as a ratio to the raw store insert rate
    (`bench.raw.raw_store_insert_rate`) measured in the same run.
(b) Real time (即时结算): `POST /v1/visits/settle` with `--concurrency-rt` clients; p50/p99 latency.

Holdings are loaded through `POST /v1/admin/holdings` (role ops), the path ops also uses to migrate an existing
book of qualified persons (appraisal's qualification.granted events are the normal path).

    python -m bench.settlement_bench [--lines 100000] [--batch 10000] [--concurrency 2]
                                     [--requests 2000] [--concurrency-rt 50]
    python -m bench.settlement_bench --lines 1000000     # the full figure
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench.raw import _endpoints, raw_store_insert_rate
from tests.support import tokens

ROOT = Path(__file__).resolve().parents[1]
TENANT = "hz-p1"
MONTH = "2025-06"
DISEASES = ("HTN", "DM", "CHD", "COPD", "HF", "MT")


def headers(role: str, subject: str = "bench") -> dict[str, str]:
    return {"authorization": f"Bearer {tokens.user_token(TENANT, role, subject)}"}


@contextmanager
def local_settlement(port_offset: int = 80) -> Iterator[tuple[str, str, str]]:
    """The settlement service in local mode on fresh topics and databases; yields (base url, mongo uri, prefix)."""
    from jingban.local import LocalPlatform
    from tests.support.infra import local_trust_env

    bootstrap, uri = _endpoints()
    prefix = "s" + uuid.uuid4().hex[:8]
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "MONGODB_URI": uri, "JINGBAN_TOPIC_PREFIX": f"{prefix}.",
           "JINGBAN_DB_PREFIX": prefix, "JINGBAN_TENANTS": "hz-p1,hz-p2", **local_trust_env()}
    local = LocalPlatform(env, ROOT / ".jingban" / "bench-logs", port_offset=port_offset)
    local.start(services=("settlement",), timeout_s=120)
    try:
        yield local.url("settlement"), uri, prefix
    finally:
        local.stop()
        _drop(uri, prefix)


def _drop(uri: str, prefix: str) -> None:
    from pymongo import MongoClient

    from chassis.store.port import database_name

    client: MongoClient = MongoClient(uri)
    try:
        for tenant in ("hz-p1", "hz-p2"):
            client.drop_database(database_name(prefix, "settlement", tenant))
    finally:
        client.close()


def person_id(i: int) -> str:
    return f"6107{i:012d}X"[:18]


async def prepare(http: httpx.AsyncClient, base: str, persons: int, chunk: int = 20_000) -> None:
    """Load the sample policy and give `persons` persons one or two diseases (granted in 2024)."""
    policy = (ROOT / "programs" / "hz-chronic" / "policy-2025.yaml").read_bytes()
    r = await http.post(f"{base}/v1/policies", content=policy,
                        headers={**headers("ops"), "content-type": "application/yaml"})
    r.raise_for_status()
    rng = random.Random(7)
    for start in range(0, persons, chunk):
        rows = []
        for i in range(start, min(start + chunk, persons)):
            for disease in rng.sample(DISEASES, 1 if i % 3 else 2):
                rows.append({"person_id": person_id(i), "disease": disease, "granted_on": "2024-11-15"})
        r = await http.post(f"{base}/v1/admin/holdings", json={"holdings": rows}, headers=headers("ops"),
                            timeout=300)
        r.raise_for_status()


def month_end_batches(lines: int, batch: int, seed: int = 11) -> list[tuple[str, dict[str, Any]]]:
    """(institution, body) per batch; each person's 10 lines sit in one batch, in claims of 1 to 4 lines."""
    rng = random.Random(seed)
    out = []
    persons = lines // 10
    per_batch = max(1, batch // 10)
    for b, start in enumerate(range(0, persons, per_batch)):
        institution = f"H6107{b:05d}"
        body_lines = []
        claim_no = 0
        for i in range(start, min(start + per_batch, persons)):
            pid = person_id(i)
            left = 10
            while left:
                n = min(left, rng.randint(1, 4))
                left -= n
                claim_no += 1
                day = f"{MONTH}-{rng.randint(1, 30):02d}"
                for _ in range(n):
                    body_lines.append({
                        "claim_id": f"C{claim_no:07d}", "person_id": pid, "date": day,
                        "disease": rng.choice(DISEASES[:5]), "amount": f"{rng.randint(500, 60000) / 100:.2f}",
                        "covered": rng.random() > 0.05, "item_code": f"Y{rng.randint(0, 99999):05d}",
                        "description": "门诊用药"})
        out.append((institution, {"month": MONTH, "batch_id": f"bench-{b:04d}", "lines": body_lines}))
    return out


async def _month_end(base: str, lines: int, batch: int, concurrency: int) -> dict[str, Any]:
    import json

    # The institutions' files exist before the clock starts: bodies are encoded beforehand.
    batches = [(inst, body["batch_id"], json.dumps(body, ensure_ascii=False).encode())
               for inst, body in month_end_batches(lines, batch)]
    queue: asyncio.Queue[tuple[str, str, bytes]] = asyncio.Queue()
    for item in batches:
        queue.put_nowait(item)
    stored = payable = 0
    seconds: list[float] = []

    async def uploader() -> None:
        nonlocal stored, payable
        async with httpx.AsyncClient(timeout=600) as http:
            while not queue.empty():
                institution, batch_id, body = queue.get_nowait()
                t0 = time.perf_counter()
                r = await http.post(f"{base}/v1/claims/batches", content=body,
                                    headers={**headers("institution", institution),
                                             "content-type": "application/json"})
                if r.status_code != 201:
                    raise RuntimeError(f"batch {batch_id}: {r.status_code} {r.text[:300]}")
                seconds.append(time.perf_counter() - t0)
                stored += r.json()["lines"]
                payable += round(float(r.json()["payable"]) * 100)

    start = time.perf_counter()
    await asyncio.gather(*(uploader() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    if stored != lines:
        raise RuntimeError(f"stored {stored} lines, expected {lines}")
    return {"lines": lines, "persons": lines // 10, "batches": len(batches), "batch_lines": batch,
            "concurrency": concurrency, "seconds": round(elapsed, 2), "lines_per_s": lines / elapsed,
            "batch_seconds_p50": round(statistics.median(seconds), 3), "payable": f"{payable / 100:.2f}"}


class RawClient:
    """A minimal HTTP/1.1 keep-alive client (one connection): httpx's shared pool, not the service, was the limit at
    50 concurrent clients on this 2-core machine (GET /healthz: 343 req/s through httpx, 3,183 through this)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(body)}\r\n{head}\r\n".encode() + body)
        await self._writer.drain()
        raw = await self._reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next(int(x.split(":", 1)[1]) for x in lines[1:] if x.lower().startswith("content-length"))
        return status, await self._reader.readexactly(length)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


async def _realtime(base: str, requests: int, concurrency: int, persons: int, rate: float = 0.0) -> dict[str, Any]:
    """`concurrency` clients each with its own connection. rate = 0: closed loop (each client sends its next visit
    as soon as the last is answered: the service's saturation); rate > 0: visits start at that total rate (open
    loop, latency at a given load)."""
    import json

    rng = random.Random(5)
    today = date.today().isoformat()
    latencies: list[float] = []
    counter = iter(range(requests))
    institution = "RT0000001"
    auth = headers("institution", institution)
    host, port = base.split("//", 1)[1].rsplit(":", 1)
    start = 0.0
    tag = uuid.uuid4().hex[:6]

    def body(n: int, pid: str) -> bytes:
        lines = [{"disease": rng.choice(DISEASES[:5]), "amount": f"{rng.randint(500, 30000) / 100:.2f}",
                  "covered": True, "item_code": "Y00001", "description": "门诊"} for _ in range(rng.randint(1, 3))]
        return json.dumps({"claim_id": f"RT{tag}-{n:08d}", "person_id": pid, "date": today, "lines": lines}).encode()

    async def client() -> None:
        http = RawClient(host, int(port))
        try:
            for n in counter:
                if rate:
                    delay = start + n / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                payload = body(n, person_id(rng.randrange(persons)))
                t0 = time.perf_counter()
                status, answer = await http.post("/v1/visits/settle", payload, auth)
                latencies.append(time.perf_counter() - t0)
                if status != 201:
                    raise RuntimeError(f"visit {n}: {status} {answer[:300]!r}")
        finally:
            http.close()

    warm = RawClient(host, int(port))  # connections, policy cache and statement before the clock starts
    status, answer = await warm.post("/v1/visits/settle", json.dumps({
        "claim_id": "RT-warm", "person_id": person_id(0), "date": today,
        "lines": [{"disease": "HTN", "amount": "1.00", "covered": True}]}).encode(), auth)
    warm.close()
    if status not in (200, 201):
        raise RuntimeError(f"warm-up visit: {status} {answer[:300]!r}")
    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return {"requests": requests, "concurrency": concurrency, "offered_rate": rate or None,
            "seconds": round(elapsed, 2), "requests_per_s": requests / elapsed,
            "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1)}


def run_month_end(lines: int, batch: int = 10_000, concurrency: int = 2, store_docs: int = 20_000,
                  port_offset: int = 80) -> dict[str, Any]:
    """Month-end lines/second end to end, with the raw store insert rate of the same run and the ratio."""
    _, uri = _endpoints()
    raw = raw_store_insert_rate(uri, store_docs)
    with local_settlement(port_offset) as (base, _, _):
        result = asyncio.run(_prepare_and(base, lines // 10, _month_end(base, lines, batch, concurrency)))
    return {**result, "raw_store_insert_per_s": raw, "ratio_to_raw_store": result["lines_per_s"] / raw}


def run_realtime(requests: int, concurrency: int, persons: int = 2_000, port_offset: int = 80,
                 rates: tuple[float, ...] = ()) -> dict[str, Any]:
    """p50/p99 latency of POST /v1/visits/settle with `concurrency` clients: closed loop (saturation), then at each
    offered rate of `rates` (open loop) on the same service."""
    with local_settlement(port_offset) as (base, _, _):
        async def all_runs() -> dict[str, Any]:
            async with httpx.AsyncClient(timeout=300) as http:
                await prepare(http, base, persons)
            out = await _realtime(base, requests, concurrency, persons)
            out["at_rate"] = [await _realtime(base, requests, concurrency, persons, rate) for rate in rates]
            return out

        return asyncio.run(all_runs())


async def _prepare_and(base: str, persons: int, work: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=300) as http:
        await prepare(http, base, persons)
    return await work


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.settlement_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2, help="uploads at a time (month-end)")
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--concurrency-rt", type=int, default=50, help="clients (real time)")
    parser.add_argument("--rates", type=float, nargs="*", default=[200.0, 500.0],
                        help="offered visits/s for the open-loop real-time runs")
    parser.add_argument("--store-docs", type=int, default=20_000)
    parser.add_argument("--skip", choices=("month-end", "realtime"), default=None)
    parser.add_argument("--port-offset", type=int, default=80, help="added to settlement's ports 8103/9103")
    args = parser.parse_args(argv)
    if args.skip != "month-end":
        m = run_month_end(args.lines, args.batch, args.concurrency, args.store_docs, args.port_offset)
        print(f"raw store insert (insert_many x 1000)       {m['raw_store_insert_per_s']:>10,.0f} doc/s", flush=True)
        print(f"month-end: {m['lines']:,} lines, {m['persons']:,} persons, {m['batches']} batches of "
              f"{m['batch_lines']:,} ({m['concurrency']} at a time): {m['seconds']} s", flush=True)
        print(f"month-end lines end to end                  {m['lines_per_s']:>10,.0f} line/s   "
              f"x raw store {m['ratio_to_raw_store']:.2f}", flush=True)
    if args.skip != "realtime":
        r = run_realtime(args.requests, args.concurrency_rt, port_offset=args.port_offset, rates=tuple(args.rates))
        for run in [r, *r["at_rate"]]:
            load = f"offered {run['offered_rate']:,.0f}/s" if run["offered_rate"] else "closed loop"
            print(f"real-time settle: {run['requests']:,} visits, {run['concurrency']} clients, {load}: "
                  f"{run['requests_per_s']:,.0f} req/s, p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, "
                  f"max {run['max_ms']} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
