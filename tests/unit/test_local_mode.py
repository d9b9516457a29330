"""Local mode's process handling, without Kafka or FerretDB: `make up` blocks SIGINT/SIGTERM for itself, yet what it
starts (the services, the simulator, and through the launcher Kafka and FerretDB) has them unblocked, so SIGTERM is
a graceful stop and never a SIGKILL 15 s later; `make down` stops a platform by its pidfiles and reports a process
that ignored SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jingban import local
from tests.support.infra import load_launcher

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/<pid>/status")

IDLE = ["sleep", "600"]  # a child that only waits for a signal


def signal_set(pid: int, field: str) -> set[int]:
    """The signals of a /proc/<pid>/status mask (SigBlk: blocked, SigIgn: ignored)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            mask = int(line.split()[1], 16)
            return {n for n in range(1, 65) if mask >> (n - 1) & 1}
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def until(probe: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


@pytest.fixture
def stop_signals_blocked() -> Iterator[None]:
    """This process as `make up` runs: SIGINT and SIGTERM blocked (it takes them with sigwait)."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, local.STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def test_a_service_starts_with_sigterm_unblocked_and_stops_on_it(stop_signals_blocked: None,
                                                                 tmp_path: Path) -> None:
    # The control: a plain child of this process inherits the blocked mask (what made every stop a SIGKILL).
    plain = subprocess.Popen(IDLE)
    try:
        assert {signal.SIGTERM, signal.SIGINT} <= signal_set(plain.pid, "SigBlk")
    finally:
        plain.kill()
        plain.wait(10)
    child = local.spawn(IDLE, dict(os.environ), tmp_path / "service.log")  # how LocalPlatform starts each process
    try:
        blocked = signal_set(child.pid, "SigBlk")
        assert signal.SIGTERM not in blocked and signal.SIGINT not in blocked
        assert signal.SIGTERM not in signal_set(child.pid, "SigIgn")
        assert os.getsid(child.pid) == child.pid  # its own session: a Ctrl-C reaches only `make up`
        child.send_signal(signal.SIGTERM)
        assert child.wait(10) == -signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)


def test_the_launcher_starts_kafka_and_ferretdb_with_sigterm_unblocked(stop_signals_blocked: None,
                                                                       tmp_path: Path) -> None:
    pid = load_launcher()._spawn(IDLE, tmp_path, tmp_path / "server.log")  # detached: re-parented to init
    try:
        until(lambda: Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sleep"), "the server to exec")
        assert signal.SIGTERM not in signal_set(pid, "SigBlk")
        os.kill(pid, signal.SIGTERM)
        until(lambda: gone(pid), "the server to exit on SIGTERM")
    finally:
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_down_stops_the_recorded_processes_and_reports_one_that_ignores_sigterm(tmp_path: Path) -> None:
    records = tmp_path / "local"
    obeys = local.spawn(IDLE, dict(os.environ), tmp_path / "intake.log")
    stubborn = local.spawn([sys.executable, "-c", "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                            "signal.pause()"], dict(os.environ), tmp_path / "audit.log")
    try:
        local.write_record(records, "intake", obeys.pid)
        local.write_record(records, "audit", stubborn.pid)
        local.write_record(records, "archive", 2**22 + 1)  # a stale record: never signalled, just cleared
        until(lambda: signal.SIGTERM in signal_set(stubborn.pid, "SigIgn"), "the stubborn child to ignore SIGTERM")
        stopped, killed = local.stop_recorded(records, grace_s=1)
        assert sorted(stopped) == ["audit", "intake"]
        assert killed == ["audit"]
        assert obeys.wait(10) == -signal.SIGTERM and stubborn.wait(10) == -signal.SIGKILL
        assert list(records.glob("*.pid")) == []
    finally:
        for proc in (obeys, stubborn):
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_platform_stop_reports_the_process_that_needed_sigkill(tmp_path: Path) -> None:
    platform = local.LocalPlatform({}, tmp_path / "logs", records=tmp_path / "local")
    platform._spawn("intake", IDLE, dict(os.environ))
    platform._spawn("audit", [sys.executable, "-c", "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                              "signal.pause()"], dict(os.environ))
    audit = platform.procs["audit"]
    assert {r.name for r in local.read_records(tmp_path / "local")} == {"intake", "audit"}
    until(lambda: signal.SIGTERM in signal_set(audit.pid, "SigIgn"), "audit to ignore SIGTERM")
    assert platform.stop(grace_s=1) == ["audit"]
    assert platform.procs == {} and local.read_records(tmp_path / "local") == []
