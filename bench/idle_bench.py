"""What an idle platform costs its store: FerretDB's CPU over a window while the five services run in local mode
with nothing to do (issue 9 aims below 5% of a core over 60 s), on the real Kafka and FerretDB of `deploy/local`.

    python -m bench.idle_bench [--window 60] [--settle 20] [--port-offset 7100] [--no-baseline] [--no-write]

FerretDB is shared (other runs may use it meanwhile), so its CPU is also sampled over the same window before the
platform starts and after it stops; the platform's share is the difference. FerretDB's pid comes from the record
the launcher keeps (`.jingban/ferretdb/ferretdb.pid`); CPU is user + system time from /proc/<pid>/stat. The five
services run as `make up` runs them (jingban.local: their own processes, the default tenants) with this run's own
database and topic prefixes and ports; each service's own CPU is reported too. Everything of the run (databases,
topics) is removed afterwards. Writes the "idle-bench" part of bench/RESULTS.md."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pymongo import MongoClient

from bench.raw import _endpoints, drop_topics
from bench.results_section import write_part
from bench.trail_bench import HEADING, INTRO, PARTS, SECTION
from chassis.config import SERVICES, Settings
from chassis.store.port import database_name

ROOT = Path(__file__).resolve().parents[1]
PART = "idle-bench"
TICKS = os.sysconf("SC_CLK_TCK")


def ferretdb_pid(uri: str) -> int:
    """The launcher's FerretDB, checked to be the one serving `uri` and still running."""
    data = Path(os.environ.get("JINGBAN_DATA", ROOT / ".jingban"))
    record = json.loads((data / "ferretdb" / "ferretdb.pid").read_text())
    pid, ports = int(record["pid"]), record.get("ports") or []
    port = urlparse(uri).port
    if ports and port not in ports:
        raise RuntimeError(f"the launcher's FerretDB listens on {ports}, MONGODB_URI on {port}: not the one measured")
    if "ferretdb" not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
        raise RuntimeError(f"pid {pid} of the launcher's record is not FerretDB")
    return pid


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process so far, in clock ticks."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2:].split()  # the command name may hold spaces and parentheses
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the line)


def sample(pids: dict[str, int], seconds: float) -> dict[str, float]:
    """Percent of one core each process used over `seconds`."""
    before = {name: cpu_ticks(pid) for name, pid in pids.items()}
    t0 = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    return {name: 100.0 * (cpu_ticks(pid) - before[name]) / TICKS / elapsed for name, pid in pids.items()}


def run(bootstrap: str, uri: str, window: float = 60, settle: float = 20, port_offset: int = 7100,
        baseline: bool = True) -> dict[str, Any]:
    from jingban.local import LocalPlatform
    from tests.support.infra import local_trust_env

    ferret = ferretdb_pid(uri)
    out: dict[str, Any] = {"window": window, "settle": settle}
    if baseline:
        out["before"] = sample({"ferretdb": ferret}, window)["ferretdb"]
    prefix = "ib" + uuid.uuid4().hex[:8]
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "MONGODB_URI": uri, "JINGBAN_TOPIC_PREFIX": f"{prefix}.",
           "JINGBAN_DB_PREFIX": prefix, **local_trust_env()}
    local = LocalPlatform(env, ROOT / ".jingban" / "bench-logs" / f"idle-{prefix}", port_offset)
    try:
        t0 = time.perf_counter()
        local.start(timeout_s=180)
        out["start_s"] = time.perf_counter() - t0
        time.sleep(settle)  # start-up work (indexes, the relays' first sweep, recovery) is not idle
        pids = {"ferretdb": ferret, **{s: local.procs[s].pid for s in SERVICES}}
        out["idle"] = sample(pids, window)
        t0 = time.perf_counter()
        out["sigkilled"] = local.stop()
        out["stop_s"] = time.perf_counter() - t0
    finally:
        if local.procs:
            local.stop()
        # by name: listing databases on FerretDB 1.24 takes minutes once it holds a few hundred
        tenants = Settings.from_env(SERVICES[0], local.service_env(SERVICES[0])).tenants
        client: MongoClient = MongoClient(uri)
        for service in SERVICES:
            for tenant in tenants:
                client.drop_database(database_name(prefix, service, tenant))
        client.close()
        drop_topics(bootstrap, prefix, "bench-idle")
    if baseline:
        out["after"] = sample({"ferretdb": ferret}, window)["ferretdb"]
    return out


def section(r: dict[str, Any], command: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    idle = r["idle"]
    w = f"{r['window']:.0f} s"
    rows = [(f"FerretDB, the five services idle (after {r['settle']:.0f} s settling)", f"{idle['ferretdb']:.1f}%")]
    if "before" in r:
        floor = min(r["before"], r["after"])
        rows = [(f"FerretDB before the platform starts ({w}: whatever else uses the shared store)",
                 f"{r['before']:.1f}%"), *rows,
                (f"FerretDB after the platform stopped ({w})", f"{r['after']:.1f}%"),
                ("the platform's share (idle minus the lower of before and after)",
                 f"{max(0.0, idle['ferretdb'] - floor):.1f}%")]
    rows += [(f"{s} process, idle", f"{idle[s]:.1f}%") for s in SERVICES]
    stopped = ("all five within " + f"{r['stop_s']:.1f} s, none SIGKILLed" if not r["sigkilled"]
               else f"SIGKILLed after the grace: {', '.join(r['sigkilled'])}")
    return "\n".join([
        "### Idle CPU",
        "",
        f"Latest run: {now} on `{platform.node()}` ({os.cpu_count()} cores, Python {platform.python_version()}), "
        f"the five services in local mode (default tenants) started in {r['start_s']:.1f} s; CPU as % of one core "
        f"over {w}, from /proc/<pid>/stat.",
        "",
        f"Command: `{command}`",
        "",
        "| measure | CPU (% of one core) |",
        "|---|---|",
        *[f"| {a} | {b} |" for a, b in rows],
        "",
        f"Aim (issue 9): idle FerretDB below 5% of a core over 60 s. Stopped with SIGTERM afterwards: {stopped}.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.idle_bench")
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--settle", type=float, default=20)
    parser.add_argument("--port-offset", type=int, default=7100)
    parser.add_argument("--no-baseline", action="store_true", help="skip the windows before and after")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    bootstrap, uri = _endpoints()
    r = run(bootstrap, uri, args.window, args.settle, args.port_offset, not args.no_baseline)
    command = "python -m bench.idle_bench " + " ".join(argv if argv is not None else sys.argv[1:])
    text = section(r, command.strip())
    print(text)
    if not args.no_write:
        write_part(SECTION, HEADING, PARTS, PART, text, INTRO)
    return 0


if __name__ == "__main__":
    sys.exit(main())
