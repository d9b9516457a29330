"""Local mode: the five services as separate processes on the real Kafka and FerretDB started by
deploy/local/launcher.py. `python -m jingban.local up` (what `make up` runs) starts everything and
stays in the foreground; tests drive LocalPlatform directly (kill, restart one service)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from chassis.config import DEFAULT_GRPC_PORTS, DEFAULT_HTTP_PORTS, SERVICES

SIMULATOR_PORT = 8190

ROOT = Path(__file__).resolve().parents[1]


def infra_env() -> dict[str, str]:
    """Endpoints of the launcher's Kafka and FerretDB (starting them if needed)."""
    launcher = ROOT / "deploy" / "local" / "launcher.py"
    subprocess.run([sys.executable, str(launcher), "up"], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([sys.executable, str(launcher), "env"], check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.split() if "=" in line)


class LocalPlatform:
    def __init__(self, env: dict[str, str], log_dir: Path, port_offset: int = 0) -> None:
        self.env = env
        self.log_dir = log_dir
        self.port_offset = port_offset
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        log_dir.mkdir(parents=True, exist_ok=True)

    def http_port(self, service: str) -> int:
        return DEFAULT_HTTP_PORTS[service] + self.port_offset

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.http_port(service)}"

    def grpc_target(self, service: str) -> str:
        return f"127.0.0.1:{DEFAULT_GRPC_PORTS[service] + self.port_offset}"

    def service_env(self, service: str) -> dict[str, str]:
        env = {**os.environ, **self.env, "JINGBAN_MODE": "local", "JINGBAN_SERVICE": service,
               "JINGBAN_HTTP_PORT": str(self.http_port(service)),
               "JINGBAN_GRPC_PORT": str(DEFAULT_GRPC_PORTS[service] + self.port_offset),
               "PYTHONPATH": str(ROOT)}
        for peer in SERVICES:
            env[f"JINGBAN_{peer.upper()}_GRPC"] = self.grpc_target(peer)
        env.setdefault("JINGBAN_PROVINCIAL_URL", self.simulator_url)
        if "JINGBAN_TRACE_DIR" in self.env:
            env["JINGBAN_TRACE_FILE"] = str(Path(self.env["JINGBAN_TRACE_DIR"]) / f"{service}.jsonl")
        return env

    @property
    def simulator_url(self) -> str:
        return f"http://127.0.0.1:{SIMULATOR_PORT + self.port_offset}/"

    def start_simulator(self) -> None:
        """The provincial platform's simulator as its own process (same envelope, realistic errors)."""
        if "provincial" in self.procs and self.procs["provincial"].poll() is None:
            return
        log = open(self.log_dir / "provincial.log", "ab")  # owned by the child
        self.procs["provincial"] = subprocess.Popen(
            [sys.executable, "-m", "provincial.simulator", "--port", str(SIMULATOR_PORT + self.port_offset)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.simulator_url}healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.procs["provincial"].poll() is not None:
                raise RuntimeError("the provincial simulator did not start: see provincial.log")
            time.sleep(0.1)

    def start(self, services: tuple[str, ...] = SERVICES, timeout_s: float = 60) -> None:
        if "JINGBAN_PROVINCIAL_URL" not in self.env:
            self.start_simulator()
        for service in services:
            log = open(self.log_dir / f"{service}.log", "ab")  # owned by the child
            self.procs[service] = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}.main"], cwd=ROOT, env=self.service_env(service),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            self.wait_ready(services, timeout_s)
        except BaseException:
            self.stop()  # never leave half a platform holding the ports
            raise

    def wait_ready(self, services: tuple[str, ...], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        pending = set(services)
        while pending:
            for service in sorted(pending):
                proc = self.procs[service]
                if proc.poll() is not None:
                    tail = (self.log_dir / f"{service}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{service} exited with {proc.returncode}:\n{tail}")
                try:
                    if httpx.get(f"{self.url(service)}/readyz", timeout=1).status_code == 200:
                        pending.discard(service)
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout_s}s: {sorted(pending)}")
            time.sleep(0.2)

    def kill(self, service: str) -> None:
        """SIGKILL: a crash, not a shutdown."""
        proc = self.procs.pop(service)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "up"
    launcher = ROOT / "deploy" / "local" / "launcher.py"
    if command == "down":
        return subprocess.call([sys.executable, str(launcher), "down"])
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    env = infra_env()
    platform = LocalPlatform(env, ROOT / ".jingban" / "logs")
    platform.start()
    print("Jingban (经办) local mode: five processes on real Kafka "
          f"({env.get('KAFKA_BOOTSTRAP_SERVERS')}) and FerretDB ({env.get('MONGODB_URI')})")
    for service in SERVICES:
        print(f"  {service:<11} {platform.url(service)}/docs   grpc {platform.grpc_target(service)}")
    print(f"  provincial  {platform.simulator_url} (simulator of the provincial platform)")
    print(f"logs: {platform.log_dir}   Ctrl-C stops the services (`make down` stops Kafka and FerretDB)")
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        platform.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
