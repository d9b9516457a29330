"""Local mode: the five services as separate processes on the real Kafka and FerretDB started by
deploy/local/launcher.py. `python -m jingban.local up` (what `make up` runs) starts everything, loads the demo into
an empty platform and stays in the foreground; `down` (`make down`, from any terminal) stops the services it
recorded, then Kafka and FerretDB; `demo` (`make demo`) loads the demo into a running platform. Tests drive
LocalPlatform directly (kill, stop or restart one service)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from chassis.config import DEFAULT_GRPC_PORTS, DEFAULT_HTTP_PORTS, SERVICES, Settings
from jingban.tokens import Tokens, tokens_from_env

SIMULATOR_PORT = 8190
AGENCY_SIMULATOR_PORT = 8191  # the agency's long-term care system (agency/simulator.py)

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "deploy" / "local" / "launcher.py"

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
# A service exits within 10 s of SIGTERM; past this a stop has failed and the process is SIGKILLed (and reported).
STOP_GRACE_S = 15.0
SIMULATOR = "provincial"
AGENCY_SIMULATOR = "agency"
WEB = "web"  # the web app's gateway (jingban/web.py)
REALM_FILE = ROOT / "deploy" / "local" / "keycloak" / "jingban-realm.json"
SUPERVISOR = "up"  # the `make up` process itself: `make down` ends it once its services are stopped


def infra_env() -> dict[str, str]:
    """Endpoints of the launcher's Kafka, FerretDB, identity provider and Zipkin (starting them if needed), with the
    local CA's gRPC certificates."""
    subprocess.run([sys.executable, str(LAUNCHER), "up"], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([sys.executable, str(LAUNCHER), "env"], check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.split() if "=" in line)


def state_dir(port_offset: int) -> Path:
    """Where `make up` records its processes (and logs): one platform per port offset."""
    return ROOT / ".jingban" / ("local" if port_offset == 0 else f"local-{port_offset}")


# ---- starting a process ---------------------------------------------------------------------------------------


def _clean_signal_mask() -> None:
    """Runs in the child between fork and exec. `make up` blocks SIGINT/SIGTERM for itself (it takes them with
    sigwait), and a blocked mask survives exec: a service started with it would ignore every graceful stop."""
    signal.pthread_sigmask(signal.SIG_SETMASK, ())


def spawn(argv: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start one process of the platform: in its own session (a Ctrl-C reaches only `make up`, which then stops
    every service), output appended to its log, and a clean signal mask whatever the caller's."""
    with open(log_path, "ab") as log:  # the child holds its own copy of the descriptor
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_clean_signal_mask)


# ---- process records (pidfiles), so another terminal can stop what `make up` started ----------------------------


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks) from /proc; None if there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = raw[raw.rindex(")") + 2:].split()  # the command name may hold spaces and parentheses
    return rest[0], int(rest[19])


@dataclass(frozen=True)
class ProcessRecord:
    name: str
    pid: int
    start_ticks: int | None

    def alive(self) -> bool:
        """Still the process that was recorded: exited (or a zombie not yet reaped by `make up`) is not alive, and
        a recycled pid has another start time, so a stranger is never signalled."""
        stat = _proc_stat(self.pid)
        if stat is None:
            if Path("/proc/self/stat").exists():
                return False
            try:  # no /proc on this system: the pid answering is all there is to know
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return False  # another user's process: not one `make up` started
            return True
        state, ticks = stat
        return state not in ("Z", "X") and self.start_ticks in (None, ticks)


def write_record(directory: Path, name: str, pid: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    stat = _proc_stat(pid)
    tmp = directory / f"{name}.pid.tmp"
    tmp.write_text(json.dumps({"pid": pid, "start_ticks": stat[1] if stat else None,
                               "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}) + "\n")
    tmp.replace(directory / f"{name}.pid")


def read_records(directory: Path) -> list[ProcessRecord]:
    out = []
    for path in sorted(directory.glob("*.pid")):
        try:
            rec = json.loads(path.read_text())
            out.append(ProcessRecord(path.stem, int(rec["pid"]), rec.get("start_ticks")))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a torn or foreign file: nothing of ours to signal
    return out


def remove_record(directory: Path, name: str) -> None:
    (directory / f"{name}.pid").unlink(missing_ok=True)


def _signal(rec: ProcessRecord, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(rec.pid, sig)


def _wait_gone(records: list[ProcessRecord], timeout_s: float) -> list[ProcessRecord]:
    """Wait until the processes have exited; those still running at the deadline."""
    deadline = time.monotonic() + timeout_s
    while (alive := [r for r in records if r.alive()]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def stop_recorded(directory: Path, grace_s: float = STOP_GRACE_S) -> tuple[list[str], list[str]]:
    """Stop the platform `make up` recorded in `directory` (it may run in another terminal): SIGTERM to every
    service and the simulator, wait up to `grace_s`, SIGKILL the ones still running; then end the `make up`
    process, which finds its services gone. Returns (the processes stopped, those that needed a SIGKILL)."""
    records = read_records(directory)
    live = [r for r in records if r.name != SUPERVISOR and r.alive()]
    for rec in live:
        _signal(rec, signal.SIGTERM)
    stuck = _wait_gone(live, grace_s)
    for rec in stuck:
        _signal(rec, signal.SIGKILL)
    _wait_gone(stuck, 10)
    for rec in records:
        if rec.name != SUPERVISOR:
            remove_record(directory, rec.name)
    for rec in records:
        if rec.name == SUPERVISOR and rec.alive():
            _signal(rec, signal.SIGTERM)
            _wait_gone([rec], grace_s)
    return [r.name for r in live], [r.name for r in stuck]


# ---- the platform ---------------------------------------------------------------------------------------------


class LocalPlatform:
    def __init__(self, env: dict[str, str], log_dir: Path, port_offset: int = 0,
                 records: Path | None = None) -> None:
        """`records`: where to keep a pidfile per process (what `make up` does, so `make down` can stop them)."""
        self.env = env
        self.log_dir = log_dir
        self.port_offset = port_offset
        self.records = records
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._kafka_acls_applied = False
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
        env.setdefault("JINGBAN_AGENCY_URL", self.agency_simulator_url)
        # Each service logs in to the identity provider as its own client (the local realm's dev secrets unless the
        # environment names others); nothing else of another service's credentials reaches it.
        env["JINGBAN_OIDC_CLIENT_ID"] = f"jingban-{service}"
        env["JINGBAN_OIDC_CLIENT_SECRET"] = self.env.get(f"JINGBAN_OIDC_CLIENT_SECRET_{service.upper()}",
                                                        f"local-{service}-secret")
        for peer in SERVICES:
            env.pop(f"JINGBAN_OIDC_CLIENT_SECRET_{peer.upper()}", None)
        env.pop("JINGBAN_OIDC_ADMIN_PASSWORD", None)
        # Kafka too: each service is its own SASL user (the broker's ACLs name it); the credentials file, with
        # every user's password and the admin's, stays with the tools.
        kafka_users = env.pop("JINGBAN_KAFKA_CREDENTIALS", "")
        if kafka_users:
            from chassis.bus.kafka import credentials_from_file

            own = credentials_from_file(kafka_users, service)
            env["JINGBAN_KAFKA_USERNAME"], env["JINGBAN_KAFKA_PASSWORD"] = own.username, own.password
        # Spans go to the launcher's Zipkin when it runs one: `launcher.py up` starts it and `env` names it in
        # JINGBAN_ZIPKIN_URL, which reaches the service with the rest of self.env (chassis.config.zipkin_endpoint).
        if "JINGBAN_TRACE_DIR" in self.env:
            env["JINGBAN_TRACE_FILE"] = str(Path(self.env["JINGBAN_TRACE_DIR"]) / f"{service}.jsonl")
        return env

    def tokens(self) -> Tokens:
        """Tokens from the identity provider these services trust (users created through its admin API)."""
        return tokens_from_env({**os.environ, **self.env})

    @property
    def simulator_url(self) -> str:
        return f"http://127.0.0.1:{SIMULATOR_PORT + self.port_offset}/"

    @property
    def agency_simulator_url(self) -> str:
        return f"http://127.0.0.1:{AGENCY_SIMULATOR_PORT + self.port_offset}/"

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.procs[name] = proc = spawn(argv, env, self.log_dir / f"{name}.log")
        if self.records is not None:
            write_record(self.records, name, proc.pid)

    def start_simulator(self) -> None:
        """The provincial platform's simulator as its own process (same envelope, realistic errors)."""
        if SIMULATOR in self.procs and self.procs[SIMULATOR].poll() is None:
            return
        self._spawn(SIMULATOR, [sys.executable, "-m", "provincial.simulator", "--port",
                                str(SIMULATOR_PORT + self.port_offset)], {**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.simulator_url}healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.procs[SIMULATOR].poll() is not None:
                raise RuntimeError("the provincial simulator did not start: see provincial.log")
            time.sleep(0.1)

    def start_agency_simulator(self) -> None:
        """The agency's long-term care system's simulator (长护险信息管理系统) as its own process, like the provincial
        one."""
        if AGENCY_SIMULATOR in self.procs and self.procs[AGENCY_SIMULATOR].poll() is None:
            return
        self._spawn(AGENCY_SIMULATOR, [sys.executable, "-m", "agency.simulator", "--port",
                                       str(AGENCY_SIMULATOR_PORT + self.port_offset)],
                    {**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.agency_simulator_url}healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.procs[AGENCY_SIMULATOR].poll() is not None:
                raise RuntimeError("the agency simulator did not start: see agency.log")
            time.sleep(0.1)

    @property
    def web_port(self) -> int:
        """`JINGBAN_WEB_PORT`, else 8100 + the port offset (the realm's redirect URI is on 8100)."""
        from chassis.dev_issuer import DEFAULT_WEB_PORT

        explicit = self.env.get("JINGBAN_WEB_PORT") or os.environ.get("JINGBAN_WEB_PORT")
        return int(explicit) if explicit else DEFAULT_WEB_PORT + self.port_offset

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start_web(self, authority: str) -> None:
        """The web app's gateway as its own process (`python -m jingban.web`): the built app, `/config.json` naming
        `authority` (the realm's issuer), `/api/<service>/` to this platform's services. It holds no secret, so it
        gets none of the identity provider's or Kafka's credentials."""
        if WEB in self.procs and self.procs[WEB].poll() is None:
            return
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JINGBAN_OIDC_", "JINGBAN_KAFKA_"))}
        env["PYTHONPATH"] = str(ROOT)
        for name in ("JINGBAN_TENANTS", "JINGBAN_ZIPKIN_URL", "OTEL_EXPORTER_ZIPKIN_ENDPOINT"):
            if name in self.env:
                env[name] = self.env[name]
        self._spawn(WEB, [sys.executable, "-m", "jingban.web", "--mode", "local", "--port", str(self.web_port),
                          "--port-offset", str(self.port_offset), "--authority", authority], env)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.web_url}/config.json", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.procs[WEB].poll() is not None:
                raise RuntimeError(f"the web app did not start on {self.web_url}: see {WEB}.log")
            time.sleep(0.1)

    def provision_kafka_acls(self) -> None:
        """The services' ACLs on the broker for this platform's tenants and topic prefix (jingban/kafka_acls.py),
        applied with the admin user of the credentials file (once per platform: a service started again finds them
        there); nothing on a broker without SASL."""
        if self._kafka_acls_applied:
            return
        env = {**os.environ, **self.env}
        if env.get("JINGBAN_KAFKA_CREDENTIALS") and env.get("KAFKA_BOOTSTRAP_SERVERS"):
            from jingban.kafka_acls import provision

            settings = Settings.from_env(env=env)
            provision(settings.kafka_bootstrap, env["JINGBAN_KAFKA_CREDENTIALS"], settings.tenants,
                      settings.topic_prefix)
        self._kafka_acls_applied = True

    def start(self, services: tuple[str, ...] = SERVICES, timeout_s: float = 60) -> None:
        self.provision_kafka_acls()
        if "JINGBAN_PROVINCIAL_URL" not in self.env:
            self.start_simulator()
        if "JINGBAN_AGENCY_URL" not in self.env:
            self.start_agency_simulator()
        for service in services:
            self._spawn(service, [sys.executable, "-m", f"services.{service}.main"], self.service_env(service))
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

    def _forget(self, name: str) -> None:
        self.procs.pop(name, None)
        if self.records is not None:
            remove_record(self.records, name)

    def kill(self, service: str) -> None:
        """SIGKILL: a crash, not a shutdown."""
        proc = self.procs[service]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        self._forget(service)

    def stop(self, names: tuple[str, ...] | None = None, grace_s: float = STOP_GRACE_S) -> list[str]:
        """A graceful stop of the named processes (default: all): SIGTERM to each, one deadline for all. Returns
        the ones that had not exited within `grace_s` and were SIGKILLed — a failed graceful stop, never hidden."""
        chosen = {n: p for n, p in self.procs.items() if names is None or n in names}
        for proc in chosen.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        killed = []
        for name, proc in chosen.items():
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
                killed.append(name)
            self._forget(name)
        return killed


# ---- commands -------------------------------------------------------------------------------------------------


def _platform_settings(platform: LocalPlatform) -> Settings:
    """Tenants as the services see them (the same environment)."""
    return Settings.from_env(SERVICES[0], platform.service_env(SERVICES[0]))


def realm_demo_logins(tenants: tuple[str, ...], realm_file: Path = REALM_FILE) -> list[dict[str, str]]:
    """The demo users of the local realm (deploy/local/keycloak/jingban-realm.json, what the launcher's Keycloak
    imports) of the served tenants: `username`, `tenant`, `role` of each user with a password."""
    try:
        users = json.loads(realm_file.read_text(encoding="utf-8")).get("users", [])
    except (OSError, ValueError):
        return []
    out = []
    for user in users:
        attributes = user.get("attributes") or {}
        tenant, role = (attributes.get("tenant") or [""])[0], (attributes.get("role") or [""])[0]
        if tenant in tenants and role and any(c.get("type") == "password" for c in user.get("credentials") or []):
            out.append({"username": user["username"], "tenant": tenant, "role": role})
    return out


def _welcome(platform: LocalPlatform, demo: bool) -> None:
    """After start: the demo (into an empty platform only), then the dev tokens, as `make run` prints them, and the
    web app with the realm's demo logins. Runs beside the main thread, which stays ready to take a Ctrl-C."""
    from jingban.cli import load_demo, print_dev_tokens, print_web_app

    settings = _platform_settings(platform)
    if demo:
        try:
            asyncio.run(load_demo(platform.url, platform.tokens(), settings.tenants,
                                  "a few minutes on Kafka and FerretDB"))
        except Exception as exc:  # the platform stopped under it (Ctrl-C, `make down`), or a step was refused
            print(f"demo not loaded completely: {exc}", file=sys.stderr, flush=True)
            return
    print_dev_tokens(platform.tokens(), settings.tenants)
    if WEB in platform.procs:
        print_web_app(platform.web_url, realm_demo_logins(settings.tenants), "sign in on Keycloak's page of the "
                      "realm jingban")
    print("\nCtrl-C here, or `make down` in any terminal, stops the services (`make down` also stops Kafka and "
          "FerretDB).", flush=True)


def up(port_offset: int, demo: bool) -> int:
    records = state_dir(port_offset)
    running = [r for r in read_records(records) if r.alive()]
    if running:
        print("jingban local: a platform started by `make up` is still running ("
              + ", ".join(f"{r.name} pid {r.pid}" for r in running) + "); `make down` stops it", file=sys.stderr)
        return 1
    env = infra_env()
    # From here this process takes SIGINT/SIGTERM only through sigwait, once the services are up: a Ctrl-C during
    # the start then stops them all, never leaving half a platform holding the ports. The services themselves
    # start with a clean mask (spawn).
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    log_dir = ROOT / ".jingban" / ("logs" if port_offset == 0 else f"logs-{port_offset}")
    platform = LocalPlatform(env, log_dir, port_offset, records=records)
    write_record(records, SUPERVISOR, os.getpid())
    killed: list[str] = []
    try:
        platform.start()
        authority = env.get("JINGBAN_OIDC_ISSUER", "")
        web_note = "the web app: logins through the realm's issuer"
        if authority:
            try:
                platform.start_web(authority)
            except RuntimeError as exc:  # the services run without it: say so, and why
                web_note = f"not started: {exc}"
        else:
            web_note = "not started: no identity provider (JINGBAN_OIDC_ISSUER)"
        print("Jingban (经办) local mode: five processes on real Kafka "
              f"({env.get('KAFKA_BOOTSTRAP_SERVERS')}) and FerretDB ({env.get('MONGODB_URI')})")
        for service in SERVICES:
            print(f"  {service:<11} {platform.url(service)}/docs   grpc {platform.grpc_target(service)}")
        print(f"  provincial  {platform.simulator_url} (simulator of the provincial platform)")
        print(f"  agency      {platform.agency_simulator_url} (simulator of the agency's long-term care system)")
        if env.get("JINGBAN_ZIPKIN_URL"):
            print(f"  zipkin      {env['JINGBAN_ZIPKIN_URL']}/zipkin/ (traces of every request)")
        print(f"  web         {platform.web_url} ({web_note})")
        print(f"logs: {platform.log_dir}", flush=True)
        threading.Thread(target=_welcome, args=(platform, demo), name="welcome", daemon=True).start()
        signal.sigwait(STOP_SIGNALS)
        print("stopping the services...", flush=True)
    finally:
        killed = platform.stop()
        remove_record(records, SUPERVISOR)
    if killed:
        print(f"jingban local: {', '.join(killed)} did not exit within {STOP_GRACE_S:.0f}s of SIGTERM: sent SIGKILL",
              file=sys.stderr)
        return 1
    return 0


def down(port_offset: int, keep_infra: bool) -> int:
    stopped, killed = stop_recorded(state_dir(port_offset))
    if stopped:
        print(f"stopped {', '.join(stopped)}", flush=True)
    if killed:
        print(f"jingban local: {', '.join(killed)} did not exit within {STOP_GRACE_S:.0f}s of SIGTERM: sent SIGKILL",
              file=sys.stderr)
    code = 0 if keep_infra else subprocess.call([sys.executable, str(LAUNCHER), "down"])
    return 1 if killed else code


def demo(port_offset: int) -> int:
    """Load the demo into the platform `make up` runs (in another terminal), unless it is already there."""
    from jingban.cli import load_demo, print_dev_tokens

    platform = LocalPlatform({}, state_dir(port_offset), port_offset)  # only for its addresses
    for service in SERVICES:
        try:
            ready = httpx.get(f"{platform.url(service)}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            ready = False
        if not ready:
            print(f"jingban local: {service} is not ready at {platform.url(service)}: start the platform with "
                  "`make up`", file=sys.stderr)
            return 1
    settings = _platform_settings(platform)
    platform.env.update(infra_env())  # the identity provider's address and admin credentials
    asyncio.run(load_demo(platform.url, platform.tokens(), settings.tenants, "a few minutes on Kafka and FerretDB"))
    print_dev_tokens(platform.tokens(), settings.tenants)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jingban.local", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="up", choices=("up", "down", "demo"))
    parser.add_argument("--port-offset", type=int, default=0, help="run beside another platform (ports + offset)")
    parser.add_argument("--no-demo", action="store_true", help="up: start without loading the demo")
    parser.add_argument("--keep-infra", action="store_true", help="down: leave Kafka and FerretDB running")
    args = parser.parse_args(argv)
    if args.command == "down":
        return down(args.port_offset, args.keep_infra)
    if args.command == "demo":
        return demo(args.port_offset)
    return up(args.port_offset, not args.no_demo)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
