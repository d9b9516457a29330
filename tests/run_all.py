"""`make test`: lint, then every tier in turn, against one real Kafka and FerretDB started (or reused) by
deploy/local for the whole run. Ends with one 'N passed, N failed' line.

The tiers run one after the other, not side by side: the real-infra tier runs five service processes, Kafka and
FerretDB, and on a two-core CI machine (often with something else busy) the fast tier beside them starved the
service processes for minutes. Run in turn, the whole suite takes about fifteen minutes, of which the fault tier
(kill -9, Kafka and FerretDB outages on its own Kafka and FerretDB) takes about six."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIERS = {
    "fast (unit, contract, component, provincial, cluster)": ["tests/unit", "tests/contract", "tests/component",
                                                            "tests/provincial", "tests/cluster"],
    # The web app in Debian's Chromium (Playwright) against embedded mode with the demo data: in-process, no infra.
    "browser (web app in Chromium: phone applicant, workbenches, tenant isolation, axe-core)": ["tests/browser"],
    "real infra (integration, e2e)": ["tests/integration", "tests/e2e"],
    "faults (kill -9, Kafka and FerretDB outages, poison, graceful stop; own Kafka + FerretDB)": ["tests/faults"],
}


def counts(junit: Path) -> tuple[int, int, int]:
    if not junit.exists():
        return 0, 0, 0
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    tests = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return tests - failed - skipped, failed, skipped


def blocked(tier: str) -> str:
    """Why a tier cannot run at all ("" when it can); it then fails, saying so, and the others still run."""
    if tier.startswith("browser"):
        from tests.browser.chromium import not_ready

        return not_ready(ROOT)
    return ""


def main() -> int:
    os.chdir(ROOT)
    started = time.monotonic()
    print("== ruff", flush=True)
    lint_ok = subprocess.call([sys.executable, "-m", "ruff", "check", "."]) == 0
    # The architecture as contracts (pyproject.toml [tool.importlinter]): services apart, layers inside a room,
    # domain free of drivers, chassis free of services and the CLI.
    print("== import-linter", flush=True)
    lint_ok = subprocess.call([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"]) == 0 and lint_ok

    sys.path.insert(0, str(ROOT))
    from tests.support.infra import load_launcher, real_infra

    launcher = load_launcher()
    was_running = all(s.running for s in launcher.status().values()) if hasattr(launcher, "status") else False
    infra = real_infra()
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap, "MONGODB_URI": infra.mongodb_uri,
           "PYTHONPATH": str(ROOT)}
    out_dir = ROOT / ".jingban" / "test-results"
    out_dir.mkdir(parents=True, exist_ok=True)

    total = [0, 0, 0]
    all_ok = lint_ok
    for name, paths in TIERS.items():  # one tier at a time (see the module docstring)
        reason = blocked(name)
        if reason:
            print(f"== {name}: FAILED, not run: {reason}", flush=True)
            total[1] += 1
            all_ok = False
            continue
        junit = out_dir / f"{name.split()[0]}.xml"
        junit.unlink(missing_ok=True)
        log = out_dir / f"{name.split()[0]}.log"
        cmd = [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider",
               "-W", "ignore::DeprecationWarning", f"--junitxml={junit}", "-o", "junit_family=xunit2"]
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        with open(log, "w") as out:
            code = subprocess.call(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        passed, failed, skipped = counts(junit)
        print(f"\n== {name}: exit {code}, {passed} passed, {failed} failed, {skipped} skipped")
        print(log.read_text()[-6000:] if code else log.read_text().strip().splitlines()[-1], flush=True)
        total = [total[0] + passed, total[1] + failed, total[2] + skipped]
        all_ok &= code == 0 and passed > 0

    if not was_running and os.environ.get("JINGBAN_KEEP_INFRA") != "1" and infra.source == "launcher":
        launcher.stop()
    print(f"\nlint: {'ok' if lint_ok else 'FAILED'}; took {time.monotonic() - started:.0f} s")
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 0 if all_ok and total[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
