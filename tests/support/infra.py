"""Real Kafka + MongoDB-wire endpoints for integration tests and benches.

:func:`real_infra` picks, in this order:

1. ``KAFKA_BOOTSTRAP_SERVERS`` / ``MONGODB_URI`` from the environment (e.g. after
   ``eval "$(python deploy/local/launcher.py up)"``, or servers a CI job provides);
2. testcontainers (``KafkaContainer`` / ``MongoDbContainer``) when a Docker engine answers;
3. the local launcher (``deploy/local/launcher.py``: Kafka 4.1 KRaft + FerretDB/SQLite).

The answer is cached per process, and the choice is printed to stderr once.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
LAUNCHER_PATH = REPO_ROOT / "deploy" / "local" / "launcher.py"

KAFKA_ADMIN = "admin"  # the broker's super user: fixtures and tools; services connect as themselves

# Images used only when a Docker engine is present (never on the project's own machines).
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"
MONGO_IMAGE = "mongo:7.0"


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap: str
    mongodb_uri: str
    source: str  # "env", "testcontainers", "launcher", or a mix such as "env+launcher"
    # The broker's SASL users (the launcher's credentials file), or "" for a broker without authentication.
    kafka_credentials: str = ""

    def kafka_config(self, user: str = KAFKA_ADMIN) -> dict[str, Any]:
        """kafka-python keyword arguments for a client of this broker as `user` (admin: fixtures and tools)."""
        return {"bootstrap_servers": self.kafka_bootstrap, **kafka_security(self.kafka_credentials, user)}

    def kafka_user(self, user: str = KAFKA_ADMIN) -> Any:
        """`user`'s KafkaCredentials (for KafkaBus), None on a broker without authentication."""
        return _credentials(self.kafka_credentials, user)

    @property
    def kafka_env(self) -> dict[str, str]:
        """The Kafka part of a platform's environment: local mode gives each service its own user from the
        credentials file, tools take the admin from it."""
        out = {"KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap}
        if self.kafka_credentials:
            out["JINGBAN_KAFKA_CREDENTIALS"] = self.kafka_credentials
        return out

    def provision_acls(self, prefix: str, tenants: tuple[str, ...]) -> None:
        """The services' ACLs for a test run's topic prefix (the same plan the launcher applies for its own)."""
        if self.kafka_credentials:
            from jingban.kafka_acls import provision

            provision(self.kafka_bootstrap, self.kafka_credentials, tenants, prefix)

    def revoke_acls(self, prefix: str, tenants: tuple[str, ...]) -> None:
        if self.kafka_credentials and prefix:
            from jingban.kafka_acls import revoke

            revoke(self.kafka_bootstrap, self.kafka_credentials, tenants, prefix)


def _credentials(path: str, user: str) -> Any:
    if not path:
        return None
    from chassis.bus.kafka import credentials_from_file

    return credentials_from_file(path, user)


def kafka_security(credentials_file: str, user: str = KAFKA_ADMIN) -> dict[str, Any]:
    """SASL keyword arguments for kafka-python clients as `user`; {} without a credentials file."""
    creds = _credentials(credentials_file, user)
    return creds.client_config() if creds is not None else {}


def kafka_credentials_for(bootstrap: str) -> str:
    """The credentials file of the broker at `bootstrap`: $JINGBAN_KAFKA_CREDENTIALS, else the launcher's when it is
    the launcher's broker, else "" (a broker without SASL, e.g. one testcontainers started)."""
    given = os.environ.get("JINGBAN_KAFKA_CREDENTIALS", "")
    if given:
        return given
    layout = load_launcher().Layout.from_env()
    if layout.kafka_bootstrap == bootstrap and layout.kafka_credentials_file.is_file():
        return str(layout.kafka_credentials_file)
    return ""


def kafka_client_config(bootstrap: str, user: str = KAFKA_ADMIN) -> dict[str, Any]:
    """kafka-python keyword arguments (bootstrap + SASL) for a client of the broker at `bootstrap` (benches)."""
    return {"bootstrap_servers": bootstrap, **kafka_security(kafka_credentials_for(bootstrap), user)}


_lock = threading.Lock()
_cached: tuple[int, Endpoints] | None = None
# (owner pid, container): kept referenced so containers live as long as the process that started them.
_containers: list[tuple[int, Any]] = []


def load_launcher() -> ModuleType:
    """Import deploy/local/launcher.py by path (deploy/ is not a Python package)."""
    name = "jingban_local_launcher"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, LAUNCHER_PATH)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {LAUNCHER_PATH}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


def docker_available(timeout: float = 3.0) -> bool:
    """True when a Docker engine answers; never slow when there is none."""
    try:
        import docker  # testcontainers depends on the SDK

        client = docker.from_env(timeout=int(max(timeout, 1)))
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no SDK, no socket, refused, timed out: all mean "no engine"
        pass
    if shutil.which("docker") is None:
        return False
    try:
        proc = subprocess.run(["docker", "info"], capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def _from_testcontainers(kafka: bool, mongo: bool) -> dict[str, str]:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.mongodb import MongoDbContainer

    out: dict[str, str] = {}
    if kafka:
        kc = KafkaContainer(KAFKA_IMAGE).with_kraft()
        kc.start()
        _containers.append((os.getpid(), kc))
        out["KAFKA_BOOTSTRAP_SERVERS"] = kc.get_bootstrap_server()
    if mongo:
        mc = MongoDbContainer(MONGO_IMAGE)
        mc.start()
        _containers.append((os.getpid(), mc))
        out["MONGODB_URI"] = mc.get_connection_url()
    return out


@atexit.register
def _stop_containers() -> None:
    while _containers:
        owner, container = _containers.pop()
        if owner != os.getpid():
            continue  # inherited through fork: the parent stops it
        try:
            container.stop()
        except Exception as exc:  # best effort at interpreter exit
            print(f"[infra] could not stop container: {exc}", file=sys.stderr)


def _resolve() -> Endpoints:
    values = {
        key: os.environ[key] for key in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI") if os.environ.get(key)
    }
    sources = ["env"] if values else []
    need_kafka = "KAFKA_BOOTSTRAP_SERVERS" not in values
    need_mongo = "MONGODB_URI" not in values
    if need_kafka or need_mongo:
        if docker_available():
            values.update(_from_testcontainers(need_kafka, need_mongo))
            sources.append("testcontainers")
        else:
            values.update(load_launcher().ensure_up(kafka=need_kafka, mongo=need_mongo))
            sources.append("launcher")
    if not need_kafka:
        credentials = kafka_credentials_for(values["KAFKA_BOOTSTRAP_SERVERS"])
    else:  # the launcher's broker says where its users are; one testcontainers started has none
        credentials = values.get("JINGBAN_KAFKA_CREDENTIALS", "")
    return Endpoints(
        kafka_bootstrap=values["KAFKA_BOOTSTRAP_SERVERS"],
        mongodb_uri=values["MONGODB_URI"],
        source="+".join(sources),
        kafka_credentials=credentials,
    )


def real_infra() -> Endpoints:
    """Endpoints of a real Kafka and a real MongoDB-wire server; cached per process."""
    global _cached
    with _lock:
        # Keyed by pid: a forked worker must not reuse its parent's containers.
        if _cached is None or _cached[0] != os.getpid():
            endpoints = _resolve()
            print(
                f"[infra] source={endpoints.source} kafka={endpoints.kafka_bootstrap} "
                f"mongodb={endpoints.mongodb_uri}",
                file=sys.stderr,
            )
            _cached = (os.getpid(), endpoints)
        return _cached[1]


def keycloak_admin() -> tuple[str, str]:
    """The launcher's Keycloak bootstrap admin (user, password): test tools create users through its admin API."""
    env = {**load_launcher().env(kafka=False, mongo=False, keycloak=True), **os.environ}
    return env.get("JINGBAN_OIDC_ADMIN_USER", "admin"), env.get("JINGBAN_OIDC_ADMIN_PASSWORD", "")


def local_trust_env() -> dict[str, str]:
    """What local-mode services need to trust and be trusted: the real identity provider (the launcher's Keycloak)
    and the local CA's gRPC certificates. Switches this process's test tokens to the provider."""
    from tests.support import tokens

    issuer = oidc_issuer()
    launcher_env = load_launcher().env(kafka=False, mongo=False, keycloak=True)
    tokens.use_provider(issuer)
    out = {"JINGBAN_OIDC_ISSUER": issuer}
    if launcher_env.get("JINGBAN_GRPC_TLS_DIR"):
        out["JINGBAN_GRPC_TLS_DIR"] = launcher_env["JINGBAN_GRPC_TLS_DIR"]
    return out


def service_channel(target: str, env: dict[str, str]) -> Any:
    """A test's gRPC channel to a local-mode service: over TLS with the local CA when the platform runs TLS."""
    import grpc

    tls_dir = env.get("JINGBAN_GRPC_TLS_DIR")
    if not tls_dir:
        return grpc.aio.insecure_channel(target)
    ca = (Path(tls_dir) / "ca.pem").read_bytes()
    return grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=ca),
                                   options=(("grpc.ssl_target_name_override", "localhost"),))


def oidc_issuer() -> str:
    """The issuer of a real OpenID Connect provider: $JINGBAN_OIDC_ISSUER, else the launcher's Keycloak (started
    once, realm imported from deploy/local/keycloak/jingban-realm.json)."""
    given = os.environ.get("JINGBAN_OIDC_ISSUER")
    if given:
        return given
    with _lock:
        return load_launcher().ensure_up(kafka=False, mongo=False, keycloak=True)["JINGBAN_OIDC_ISSUER"]


def blind_index(env: dict[str, str], tenant: str, person_id: str) -> str:
    """How a local-mode platform's stores find a person (chassis/pii.py): the keyed blind index of the identity
    number, under the keys in the platform's data directory."""
    from chassis.keys import KeyProvider
    from chassis.pii import Sealer

    keys = KeyProvider(Path(env.get("JINGBAN_DATA_DIR", ".jingban")) / "keys", create=False)
    return Sealer(keys, tenant).blind_index(person_id)
