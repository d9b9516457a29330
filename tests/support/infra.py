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

# Images used only when a Docker engine is present (never on the project's own machines).
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"
MONGO_IMAGE = "mongo:7.0"


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap: str
    mongodb_uri: str
    source: str  # "env", "testcontainers", "launcher", or a mix such as "env+launcher"


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
    return Endpoints(
        kafka_bootstrap=values["KAFKA_BOOTSTRAP_SERVERS"],
        mongodb_uri=values["MONGODB_URI"],
        source="+".join(sources),
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


def oidc_issuer() -> str:
    """The issuer of a real OpenID Connect provider: $JINGBAN_OIDC_ISSUER, else the launcher's Keycloak (started
    once, realm imported from deploy/local/keycloak/jingban-realm.json)."""
    given = os.environ.get("JINGBAN_OIDC_ISSUER")
    if given:
        return given
    with _lock:
        return load_launcher().ensure_up(kafka=False, mongo=False, keycloak=True)["JINGBAN_OIDC_ISSUER"]
