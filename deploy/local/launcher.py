#!/usr/bin/env python3
"""Local infrastructure for Jingban: a real Kafka broker and a real MongoDB-wire store, no Docker.

    python deploy/local/launcher.py up|down|status|env [--kafka-only|--mongo-only] [--wipe] [--timeout S]

* Kafka 4.1.1, single node, KRaft (combined broker+controller), jars resolved once from Maven
  Central via deploy/local/kafka/pom.xml into the cache. Clients authenticate with SASL SCRAM-SHA-512: one user
  per Jingban service plus ``admin`` (super user), deterministic development passwords in
  ``<data>/kafka/credentials.json``; ACLs (StandardAuthorizer) from ``jingban/kafka_acls.py`` (``up`` applies
  those of the unprefixed topics). A storage formatted for an older set-up is formatted afresh.
* FerretDB v1.24.2 with its SQLite backend, built once with `go build` into the cache.
* Keycloak 26.4.0 (with ``--keycloak``): the OpenID Connect provider, its distribution zip fetched once from Maven
  Central (``org.keycloak:keycloak-quarkus-dist``) into the cache, run on a Java 21+ JDK (``$JINGBAN_JAVA21_HOME``,
  else the newest JDK 21+ under /usr/lib/jvm) in dev mode with its own H2 file, importing the realm in
  ``deploy/local/keycloak/jingban-realm.json`` (re-imported whenever that file changes).
* Zipkin 3.6.1 (``up`` starts it unless ``--no-zipkin``; ``ensure_up(zipkin=True)``): where the services send their
  spans (Zipkin JSON v2) and where ops follow a request through its trace. The ``io.zipkin:zipkin-server`` exec jar
  is fetched once from Maven Central into the cache (checked against the checksum Maven Central publishes), run on
  the JDK Kafka runs on, with in-memory storage and a small heap: traces last until it stops.

Where things live:
* cache (built artefacts, shared by every clone): ``$JINGBAN_CACHE`` or ``~/.cache/jingban``;
* data, logs, pidfiles: ``$JINGBAN_DATA`` or ``<repo>/.jingban/`` (git-ignored).

Ports (loopback only): ``$JINGBAN_KAFKA_PORT`` (19092), ``$JINGBAN_KAFKA_CONTROLLER_PORT`` (19093),
``$JINGBAN_MONGO_PORT`` (27018), ``$JINGBAN_KEYCLOAK_PORT`` (18080), ``$JINGBAN_ZIPKIN_PORT`` (19411: Zipkin's 9411
shifted like Kafka's 9092, clear of a stock Zipkin).

``up`` prints ``KAFKA_BOOTSTRAP_SERVERS=...`` / ``MONGODB_URI=...`` on stdout (progress goes to
stderr), so ``eval "$(python deploy/local/launcher.py up)"`` works. Python callers use
:func:`ensure_up`, :func:`stop` and :func:`status`.

Deliberately stdlib-only (no kafka-python/pymongo): it must run before any venv exists, so the
readiness probes speak the Kafka (SASL SCRAM included) and MongoDB wire protocols directly. Only applying the
services' Kafka ACLs needs the project's venv (it reads the services' wiring).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

KAFKA_VERSION = "4.1.1"
FERRETDB_VERSION = "v1.24.2"
FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
KEYCLOAK_VERSION = "26.4.0"
KEYCLOAK_ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:zip"
KEYCLOAK_REALM = "jingban"
ZIPKIN_VERSION = "3.6.1"
ZIPKIN_ARTIFACT = f"io.zipkin:zipkin-server:{ZIPKIN_VERSION}:jar:exec"
# In-memory storage keeps at most this many spans (the oldest traces go first); Zipkin's default (500,000) needs
# ~600 MB of heap, this fits the 256 MB it gets here.
ZIPKIN_MAX_SPANS = 50_000

HOST = "127.0.0.1"
SERVICES = ("kafka", "mongo")

# Kafka identities: the client listener requires SASL SCRAM-SHA-512, one user per Jingban service plus `admin`, a
# super user (this launcher, test fixtures, ops tools); ACLs (StandardAuthorizer) say what each service may touch
# (computed by chassis/bus/acls.py, applied by jingban/kafka_acls.py). The controller listener takes `admin` only
# (SASL PLAIN, defined in its JAAS entry: SCRAM credentials live in the metadata the controller serves).
KAFKA_ADMIN = "admin"
KAFKA_USERS = (KAFKA_ADMIN, "intake", "appraisal", "settlement", "audit", "archive")
KAFKA_SASL_MECHANISM = "SCRAM-SHA-512"
# What the storage was formatted for. A storage formatted for another scheme (before SASL, or other users) cannot
# take the new identities (no admin to add them with), so it is formatted afresh: the local broker's topics and
# offsets go, the services' stores stay.
KAFKA_SECURITY_SCHEME = "sasl-scram-sha-512+acls/1"

REPO_ROOT = Path(__file__).resolve().parents[2]
KAFKA_POM = Path(__file__).resolve().parent / "kafka" / "pom.xml"
KEYCLOAK_REALM_FILE = Path(__file__).resolve().parent / "keycloak" / "jingban-realm.json"

# Kafka's controlled shutdown can take a few seconds; FerretDB stops almost at once.
_GRACE_S = {"kafka": 30.0, "mongo": 10.0, "keycloak": 20.0, "zipkin": 10.0}
# Keycloak's first start builds its Quarkus application (about a minute on two busy cores).
_READY_TIMEOUT_S = {"kafka": 90.0, "mongo": 30.0, "keycloak": 300.0, "zipkin": 120.0}
# Written into the data folder on first use; `--wipe` refuses a folder without it, so a
# mistaken JINGBAN_DATA=/ or =$HOME can never be deleted.
_DATA_MARKER = ".jingban-data"
_LOCK_NAME = "launcher.lock"


class LauncherError(RuntimeError):
    """Something the user has to fix (missing tool, busy port, server that would not start)."""


def _log(msg: str) -> None:
    # stdout is reserved for the shell-evaluable env lines.
    print(f"[jingban-launcher] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- configuration


def _env_port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError as exc:
        raise LauncherError(f"${name}={raw!r} is not a port number") from exc
    if not 0 < port < 65536:
        raise LauncherError(f"${name}={port} is out of range")
    return port


@dataclass(frozen=True)
class Layout:
    """Every path and port, resolved once from the environment."""

    cache: Path
    data: Path
    kafka_port: int
    kafka_controller_port: int
    mongo_port: int
    keycloak_port: int = 18080
    zipkin_port: int = 19411

    @classmethod
    def from_env(cls) -> Layout:
        cache = os.environ.get("JINGBAN_CACHE") or str(Path.home() / ".cache" / "jingban")
        data = os.environ.get("JINGBAN_DATA") or str(REPO_ROOT / ".jingban")
        layout = cls(
            cache=Path(cache).expanduser().resolve(),
            data=Path(data).expanduser().resolve(),
            kafka_port=_env_port("JINGBAN_KAFKA_PORT", 19092),
            kafka_controller_port=_env_port("JINGBAN_KAFKA_CONTROLLER_PORT", 19093),
            mongo_port=_env_port("JINGBAN_MONGO_PORT", 27018),
            keycloak_port=_env_port("JINGBAN_KEYCLOAK_PORT", 18080),
            zipkin_port=_env_port("JINGBAN_ZIPKIN_PORT", 19411),
        )
        if layout.kafka_port == layout.kafka_controller_port:
            raise LauncherError("JINGBAN_KAFKA_PORT and JINGBAN_KAFKA_CONTROLLER_PORT must differ")
        return layout

    # cache
    @property
    def kafka_home(self) -> Path:
        return self.cache / f"kafka-{KAFKA_VERSION}"

    @property
    def kafka_libs(self) -> Path:
        return self.kafka_home / "libs"

    @property
    def kafka_marker(self) -> Path:
        return self.kafka_home / ".complete"

    @property
    def ferretdb_bin(self) -> Path:
        return self.cache / "bin" / "ferretdb"

    @property
    def ferretdb_marker(self) -> Path:
        return self.cache / "bin" / "ferretdb.version"

    @property
    def keycloak_dist(self) -> Path:
        return self.cache / f"keycloak-{KEYCLOAK_VERSION}"

    @property
    def keycloak_zip(self) -> Path:
        return self.keycloak_dist / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.zip"

    @property
    def zipkin_dist(self) -> Path:
        return self.cache / f"zipkin-{ZIPKIN_VERSION}"

    @property
    def zipkin_jar(self) -> Path:
        """The exec jar; present only once fetched whole and verified (a scratch folder until then)."""
        return self.zipkin_dist / f"zipkin-server-{ZIPKIN_VERSION}-exec.jar"

    # data
    @property
    def keycloak_home(self) -> Path:
        """A private copy of the distribution per data folder: Keycloak keeps its database and build in its home."""
        return self.service_dir("keycloak") / f"keycloak-{KEYCLOAK_VERSION}"

    def service_dir(self, service: str) -> Path:
        return self.data / ("ferretdb" if service == "mongo" else service)

    def pidfile(self, service: str) -> Path:
        return self.service_dir(service) / f"{self.service_dir(service).name}.pid"

    def logfile(self, service: str) -> Path:
        return self.service_dir(service) / f"{self.service_dir(service).name}.log"

    @property
    def kafka_log_dirs(self) -> Path:
        return self.service_dir("kafka") / "data"

    @property
    def kafka_credentials_file(self) -> Path:
        """Every Kafka user's password (JSON, 0600): what test fixtures, local mode and ops tools read."""
        return self.service_dir("kafka") / "credentials.json"

    @property
    def kafka_security_marker(self) -> Path:
        return self.service_dir("kafka") / "storage.security"

    def kafka_password(self, user: str) -> str:
        """A deterministic development password per user and data folder (the same after a re-format, another in
        another data folder). Local only: a real deployment's credentials come from its secrets."""
        if user not in KAFKA_USERS:
            raise LauncherError(f"no Kafka user {user!r} (users: {', '.join(KAFKA_USERS)})")
        return hashlib.sha256(f"jingban-local-kafka|{self.data}|{user}".encode()).hexdigest()[:32]

    @property
    def ferretdb_db_dir(self) -> Path:
        return self.service_dir("mongo") / "db"

    # endpoints
    @property
    def kafka_bootstrap(self) -> str:
        return f"{HOST}:{self.kafka_port}"

    @property
    def mongodb_uri(self) -> str:
        return f"mongodb://{HOST}:{self.mongo_port}/"

    @property
    def oidc_issuer(self) -> str:
        return f"http://{HOST}:{self.keycloak_port}/realms/{KEYCLOAK_REALM}"

    @property
    def zipkin_url(self) -> str:
        """Zipkin's base URL: its UI under ``/zipkin/``, the span collector at ``/api/v2/spans``."""
        return f"http://{HOST}:{self.zipkin_port}"

    def env(self, services: tuple[str, ...] = SERVICES, kafka_user: str | None = None) -> dict[str, str]:
        """The variables a client needs. For Kafka: a service's own identity with `kafka_user` (its name), else
        the path of the credentials file (tools and fixtures take `admin` from it; local mode gives each service
        its own user from it)."""
        out: dict[str, str] = {}
        if "kafka" in services:
            out["KAFKA_BOOTSTRAP_SERVERS"] = self.kafka_bootstrap
            if kafka_user:
                out["JINGBAN_KAFKA_USERNAME"] = kafka_user
                out["JINGBAN_KAFKA_PASSWORD"] = self.kafka_password(kafka_user)
            else:
                out["JINGBAN_KAFKA_CREDENTIALS"] = str(self.kafka_credentials_file)
        if "mongo" in services:
            out["MONGODB_URI"] = self.mongodb_uri
        if "keycloak" in services:
            out["JINGBAN_OIDC_ISSUER"] = self.oidc_issuer
            admin = self.service_dir("keycloak") / "admin.password"
            if admin.is_file():  # the provider's bootstrap admin: tools create test and demo users with it
                out["JINGBAN_OIDC_ADMIN_USER"] = "admin"
                out["JINGBAN_OIDC_ADMIN_PASSWORD"] = admin.read_text().strip()
        if "zipkin" in services:
            out["JINGBAN_ZIPKIN_URL"] = self.zipkin_url
        if (self.grpc_tls_dir / "ca.pem").is_file():
            out["JINGBAN_GRPC_TLS_DIR"] = str(self.grpc_tls_dir)
        return out

    @property
    def grpc_tls_dir(self) -> Path:
        """The local CA and one certificate per Jingban service: gRPC runs over TLS in local mode."""
        return self.data / "grpc-tls"

    def ports(self, service: str) -> tuple[int, ...]:
        if service == "kafka":
            return (self.kafka_port, self.kafka_controller_port)
        if service == "keycloak":
            return (self.keycloak_port,)
        if service == "zipkin":
            return (self.zipkin_port,)
        return (self.mongo_port,)


# --------------------------------------------------------------------------- locking


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    """Exclusive advisory lock; parallel pytest workers calling ensure_up() queue up here.

    flock() locks belong to the open file description, so two threads of one process that
    each open the file also exclude each other.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _prepare_data(layout: Layout) -> None:
    layout.data.mkdir(parents=True, exist_ok=True)
    marker = layout.data / _DATA_MARKER
    if not marker.exists():
        marker.write_text("Data folder of deploy/local/launcher.py; safe to delete when it is down.\n")


# --------------------------------------------------------------------------- builds (cache)


def _require_tool(name: str, why: str) -> str:
    found = shutil.which(name)
    if not found:
        raise LauncherError(f"`{name}` not found on PATH; it is needed to {why}")
    return found


def _java21_home() -> Path:
    """A JDK 21+ for Keycloak: $JINGBAN_JAVA21_HOME, else the newest 21+ JDK under /usr/lib/jvm."""
    given = os.environ.get("JINGBAN_JAVA21_HOME")
    if given:
        if not (Path(given) / "bin" / "java").exists():
            raise LauncherError(f"JINGBAN_JAVA21_HOME={given} has no bin/java")
        return Path(given)
    found: list[tuple[int, Path]] = []
    for home in Path("/usr/lib/jvm").glob("*"):
        release = home / "release"
        if not (home / "bin" / "java").exists() or not release.exists():
            continue
        for line in release.read_text(errors="replace").splitlines():
            if line.startswith("JAVA_VERSION="):
                major = line.split("=", 1)[1].strip('"').split(".")[0]
                if major.isdigit() and int(major) >= 21:
                    found.append((int(major), home))
    if not found:
        raise LauncherError("Keycloak needs a JDK 21+: set JINGBAN_JAVA21_HOME (none found under /usr/lib/jvm)")
    return max(found)[1]


def _java(what: str = "Kafka") -> str:
    """The JDK 17+ Kafka and Zipkin run on: $JAVA_HOME's, else `java` on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    return _require_tool("java", f"run {what} (JDK 17+)")


_SECRET = re.compile(r"(password=)[^,\]\s]+")


def _redacted(text: str) -> str:
    """A command or its output with the local credentials it carries (SCRAM passwords) masked."""
    return _SECRET.sub(r"\1***", text)


def _run_build(
    cmd: list[str], what: str, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise LauncherError(f"{what} failed (exit {proc.returncode}): {_redacted(' '.join(cmd))}\n{_redacted(tail)}")
    return proc.stdout


def _pom_digest() -> str:
    return hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest()[:16]


def _ensure_kafka_built(layout: Layout) -> None:
    """Resolve the broker's jars once; the marker (holding the pom's digest) says it finished."""
    digest = _pom_digest()
    if layout.kafka_marker.exists() and layout.kafka_marker.read_text().strip() == digest:
        return
    mvn = _require_tool("mvn", "fetch the Kafka jars from Maven Central (once)")
    _log(f"resolving Kafka {KAFKA_VERSION} jars into {layout.kafka_libs} (once)...")
    t0 = time.monotonic()
    # Resolve into a scratch folder and rename, so a killed build never looks complete.
    staging = layout.kafka_home / "libs.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    _run_build(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(KAFKA_POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
        ],
        "mvn dependency:copy-dependencies",
    )
    if not any(staging.glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
        raise LauncherError(f"mvn finished but kafka_2.13-{KAFKA_VERSION}.jar is missing in {staging}")
    shutil.rmtree(layout.kafka_libs, ignore_errors=True)
    staging.rename(layout.kafka_libs)
    layout.kafka_marker.write_text(digest + "\n")
    _log(f"Kafka jars ready in {time.monotonic() - t0:.1f}s")


def _ensure_keycloak_fetched(layout: Layout) -> None:
    """The distribution zip, fetched once from Maven Central into the cache (a scratch name until complete)."""
    if layout.keycloak_zip.exists():
        return
    mvn = _require_tool("mvn", "fetch Keycloak from Maven Central (once)")
    _log(f"fetching Keycloak {KEYCLOAK_VERSION} into {layout.keycloak_dist} (once)...")
    t0 = time.monotonic()
    staging = layout.keycloak_dist / "partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    _run_build([mvn, "-q", "-B", "dependency:copy", f"-Dartifact={KEYCLOAK_ARTIFACT}",
                f"-DoutputDirectory={staging}"], "mvn dependency:copy (Keycloak)")
    fetched = staging / layout.keycloak_zip.name
    if not fetched.exists():
        raise LauncherError(f"mvn finished but {fetched.name} is missing in {staging}")
    fetched.rename(layout.keycloak_zip)
    shutil.rmtree(staging, ignore_errors=True)
    _log(f"Keycloak fetched in {time.monotonic() - t0:.1f}s")


def _zipkin_fetch_command(mvn: str, repository: Path) -> list[str]:
    """`mvn dependency:get` of the exec jar alone, into a private local repository: there Maven keeps the checksum
    Maven Central publishes beside the jar, for `_verify_published_checksums`. `-C`: Maven itself fails a download
    whose checksum does not match."""
    return [mvn, "-q", "-B", "-C", f"-Dmaven.repo.local={repository}", "dependency:get",
            f"-Dartifact={ZIPKIN_ARTIFACT}", "-Dtransitive=false"]


def _verify_published_checksums(artifact: Path) -> list[str]:
    """Compare a fetched file with each checksum published beside it (`.sha512`, `.sha1`, as Maven stored them):
    refuse a file without any, or one whose digest differs. Returns the algorithms checked."""
    checked: list[str] = []
    for algorithm in ("sha512", "sha1"):
        published = artifact.with_name(f"{artifact.name}.{algorithm}")
        if not published.is_file():
            continue
        words = published.read_text(errors="replace").split()
        expected = words[0].lower() if words else ""
        digest = hashlib.new(algorithm)
        with open(artifact, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != expected:
            raise LauncherError(f"{artifact.name}: its {algorithm.upper()} is {digest.hexdigest()}, the published one "
                                f"is {expected or '(empty)'}; not using it")
        checked.append(algorithm)
    if not checked:
        raise LauncherError(f"no published checksum (.sha512 or .sha1) beside {artifact}: not using an unverified jar")
    return checked


def _ensure_zipkin_fetched(layout: Layout) -> None:
    """The exec jar, fetched once from Maven Central into the cache and verified against its published checksum; it
    takes its final name only then, so a killed or corrupt fetch never looks complete."""
    if layout.zipkin_jar.exists():
        return
    mvn = _require_tool("mvn", "fetch Zipkin from Maven Central (once)")
    _log(f"fetching Zipkin {ZIPKIN_VERSION} into {layout.zipkin_dist} (once, ~130 MB)...")
    t0 = time.monotonic()
    staging = layout.zipkin_dist / "partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    repository = staging / "repository"
    _run_build(_zipkin_fetch_command(mvn, repository), "mvn dependency:get (Zipkin)")
    fetched = repository.joinpath(*ZIPKIN_ARTIFACT.split(":")[0].split("."), "zipkin-server", ZIPKIN_VERSION,
                                  layout.zipkin_jar.name)
    if not fetched.exists():
        raise LauncherError(f"mvn finished but {fetched.name} is missing in {fetched.parent}")
    checked = _verify_published_checksums(fetched)
    for algorithm in checked:  # kept beside the jar: what it was checked against
        shutil.copyfile(fetched.with_name(f"{fetched.name}.{algorithm}"),
                        layout.zipkin_jar.with_name(f"{layout.zipkin_jar.name}.{algorithm}"))
    fetched.rename(layout.zipkin_jar)
    shutil.rmtree(staging, ignore_errors=True)
    _log(f"Zipkin fetched and its {'/'.join(a.upper() for a in checked)} verified in {time.monotonic() - t0:.1f}s")


def _realm_digest() -> str:
    return hashlib.sha256(KEYCLOAK_REALM_FILE.read_bytes()).hexdigest()[:16]


def _prepare_keycloak_home(layout: Layout) -> Path:
    """Unpack the distribution into the data folder once; place the realm for import, and when the realm file
    changed, drop the database so it is imported afresh (local mode keeps nothing else in Keycloak)."""
    import zipfile

    home = layout.keycloak_home
    if not (home / "bin" / "kc.sh").exists():
        shutil.rmtree(home, ignore_errors=True)
        with zipfile.ZipFile(layout.keycloak_zip) as z:
            for info in z.infolist():
                target = Path(z.extract(info, layout.service_dir("keycloak")))
                mode = (info.external_attr >> 16) & 0o777
                if mode:
                    target.chmod(mode)
    digest = _realm_digest()
    marker = layout.service_dir("keycloak") / "realm.digest"
    if not marker.exists() or marker.read_text().strip() != digest:
        shutil.rmtree(home / "data" / "h2", ignore_errors=True)
    (home / "data" / "import").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(KEYCLOAK_REALM_FILE, home / "data" / "import" / KEYCLOAK_REALM_FILE.name)
    marker.write_text(digest + "\n")
    return home


def _ensure_ferretdb_built(layout: Layout) -> None:
    """Build FerretDB once from its Go module.

    A plain `go install .../cmd/ferretdb@v1.24.2` builds a binary that panics at start-up:
    build/version/version.txt is generated in FerretDB's release process and absent from the
    module zip, and -overlay may not touch GOMODCACHE. So: copy the module source into the
    cache, write version.txt, `go build`, then drop the copy.
    """
    if (
        layout.ferretdb_bin.exists()
        and layout.ferretdb_marker.exists()
        and layout.ferretdb_marker.read_text().strip() == FERRETDB_VERSION
    ):
        return
    go = _require_tool("go", "build FerretDB (once)")
    _log(f"building FerretDB {FERRETDB_VERSION} into {layout.ferretdb_bin} (once, ~1 min)...")
    t0 = time.monotonic()
    env = {**os.environ, "GOWORK": "off", "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    info = json.loads(
        _run_build(
            [go, "mod", "download", "-json", f"{FERRETDB_MODULE}@{FERRETDB_VERSION}"],
            "go mod download",
            env=env,
        )
    )
    src = layout.cache / "src" / f"ferretdb-{FERRETDB_VERSION}"
    shutil.rmtree(src, ignore_errors=True)
    # The module cache is read-only; copy without its permission bits.
    shutil.copytree(info["Dir"], src, copy_function=shutil.copyfile)
    try:
        (src / "build" / "version" / "version.txt").write_text(FERRETDB_VERSION + "\n")
        layout.ferretdb_bin.parent.mkdir(parents=True, exist_ok=True)
        tmp_bin = layout.ferretdb_bin.with_name("ferretdb.partial")
        _run_build(
            [go, "build", "-trimpath", "-buildvcs=false", "-o", str(tmp_bin), "./cmd/ferretdb"],
            "go build ferretdb",
            cwd=src,
            env=env,
        )
        tmp_bin.chmod(0o755)
        tmp_bin.replace(layout.ferretdb_bin)
        layout.ferretdb_marker.write_text(FERRETDB_VERSION + "\n")
    finally:
        shutil.rmtree(src, ignore_errors=True)
        with contextlib.suppress(OSError):
            src.parent.rmdir()  # only if empty
    _log(f"FerretDB built in {time.monotonic() - t0:.1f}s")


# --------------------------------------------------------------------------- process records


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks) from /proc, or None where there is no /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return ("X", -1) if Path("/proc/self/stat").exists() else None
    except OSError:
        return None
    # comm (field 2) may contain spaces and parens: split after the last ')'.
    rest = raw[raw.rindex(")") + 2 :].split()
    return rest[0], int(rest[19])


def _read_record(path: Path) -> dict[str, object] | None:
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and isinstance(rec.get("pid"), int) else None


def _alive(rec: dict[str, object]) -> bool:
    """Is the process in this pidfile record still the one we started?"""
    pid = int(rec["pid"])  # type: ignore[arg-type]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else: the start-time check below decides
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, start = stat
    if state in ("Z", "X"):
        return False
    # A recycled pid has a different start time: never signal a stranger.
    return rec.get("start_ticks") in (None, start)


def _live_record(layout: Layout, service: str) -> dict[str, object] | None:
    rec = _read_record(layout.pidfile(service))
    return rec if rec is not None and _alive(rec) else None


# The intermediate clears its signal mask first: a caller that blocks SIGINT/SIGTERM for itself (`make up` waits
# for them with sigwait) would otherwise pass the blocked mask through exec, and the server would ignore SIGTERM.
_SPAWN = (
    "import os,signal,subprocess,sys\n"
    "signal.pthread_sigmask(signal.SIG_SETMASK,())\n"
    "log=open(sys.argv[1],'ab')\n"
    "p=subprocess.Popen(sys.argv[3:],cwd=sys.argv[2],stdin=subprocess.DEVNULL,stdout=log,"
    "stderr=subprocess.STDOUT)\n"
    "print(p.pid,flush=True)\n"
    "os._exit(0)\n"
)


def _spawn(cmd: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> int:
    """Start a server detached from the caller and return its pid.

    A short-lived intermediate Python process starts the server and exits, so the server is
    re-parented to init: it outlives `launcher.py up` (and pytest) in its own session, and never
    becomes an un-reaped zombie child of a long-lived caller such as a pytest worker.
    """
    out = subprocess.run(
        [sys.executable or "python3", "-c", _SPAWN, str(log), str(cwd), *cmd],
        start_new_session=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if out.returncode != 0 or not out.stdout.strip().isdigit():
        raise LauncherError(f"could not start {cmd[0]}: {out.stderr.strip() or out.stdout.strip()}")
    return int(out.stdout.strip())


def _write_record(layout: Layout, service: str, pid: int) -> None:
    stat = _proc_stat(pid)
    rec = {
        "pid": pid,
        "start_ticks": stat[1] if stat else None,
        "ports": list(layout.ports(service)),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    tmp = layout.pidfile(service).with_suffix(".pid.tmp")
    tmp.write_text(json.dumps(rec) + "\n")
    tmp.replace(layout.pidfile(service))


def _terminate(rec: dict[str, object], grace: float) -> None:
    """SIGTERM, wait up to `grace`, then SIGKILL: only ever the pid we recorded."""
    pid = int(rec["pid"])  # type: ignore[arg-type]
    if not _alive(rec):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(rec):
            return
        time.sleep(0.1)
    _log(f"pid {pid} ignored SIGTERM for {grace:.0f}s; sending SIGKILL")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(rec):
        time.sleep(0.1)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def _rotate_log(path: Path) -> None:
    # Keep exactly one previous run's log for post-mortems; logs never grow without bound.
    if path.exists():
        path.replace(path.with_name(path.name + ".1"))


# --------------------------------------------------------------------------- wire probes


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        buf += chunk
    return bytes(buf)


def _port_open(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


class KafkaAuthError(ConnectionError):
    """The broker refused the credentials (or the mechanism)."""


def _kafka_request(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> bytes:
    """One request (header v1: api_key, api_version, correlation_id, client_id) and its response body."""
    client_id = b"jingban-launcher"
    msg = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id + body
    sock.sendall(struct.pack(">i", len(msg)) + msg)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    resp = _recv_exact(sock, size)
    if struct.unpack_from(">i", resp, 0)[0] != corr:
        raise ConnectionError("unexpected Kafka correlation id")
    return resp[4:]


def _scram_sha512(sock: socket.socket, user: str, password: str) -> None:
    """SASL SCRAM-SHA-512 (RFC 5802/7677) over SaslHandshake v1 + SaslAuthenticate v1, as a Kafka client does."""
    import hmac

    mech = KAFKA_SASL_MECHANISM.encode()
    resp = _kafka_request(sock, 17, 1, 1, struct.pack(">h", len(mech)) + mech)
    if struct.unpack_from(">h", resp, 0)[0] != 0:
        raise KafkaAuthError(f"the broker does not offer {KAFKA_SASL_MECHANISM}")

    def authenticate(corr: int, data: bytes) -> bytes:
        body = _kafka_request(sock, 36, 1, corr, struct.pack(">i", len(data)) + data)
        error, msg_len = struct.unpack_from(">hh", body, 0)
        off = 4 + max(msg_len, 0)
        if error != 0:
            text = body[4:off].decode(errors="replace") if msg_len > 0 else ""
            raise KafkaAuthError(f"SASL authentication failed (error {error}): {text}")
        (n,) = struct.unpack_from(">i", body, off)
        return body[off + 4 : off + 4 + max(n, 0)]

    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user},r={nonce}"
    server_first = authenticate(2, f"n,,{first_bare}".encode()).decode()
    fields = dict(item.split("=", 1) for item in server_first.split(","))
    if not fields.get("r", "").startswith(nonce):
        raise KafkaAuthError("SCRAM: the server's nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha512).digest()
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.sha512(client_key).digest(), auth_message, hashlib.sha512).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True))).decode()
    server_final = authenticate(3, f"{without_proof},p={proof}".encode()).decode()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha512).digest()
    expected = base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha512).digest()).decode()
    if server_final != f"v={expected}":
        raise KafkaAuthError("SCRAM: the server's signature does not verify")


def kafka_brokers(port: int, timeout: float = 3.0, user: str | None = None,
                  password: str | None = None) -> list[tuple[int, str, int]]:
    """A real Kafka Metadata request (v4, no topics), after SASL SCRAM-SHA-512 when `user` is given: returns
    [(node_id, host, port)].

    A broker lists itself only once it has registered with the controller and is serving, so
    a non-empty answer means producers and consumers can work.
    """
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        if user:
            _scram_sha512(sock, user, password or "")
        # Body v4: topics = [] (none), allow_auto_topic_creation = false.
        resp = _kafka_request(sock, 3, 4, 7, struct.pack(">ib", 0, 0))
    _throttle, count = struct.unpack_from(">ii", resp, 0)
    off, brokers = 8, []
    for _ in range(count):
        node_id, hlen = struct.unpack_from(">ih", resp, off)
        off += 6
        host = resp[off : off + hlen].decode()
        off += hlen
        bport, rack_len = struct.unpack_from(">ih", resp, off)
        off += 6 + max(rack_len, 0)
        brokers.append((node_id, host, bport))
    return brokers


def _bson_cstring(s: str) -> bytes:
    return s.encode() + b"\x00"


def mongo_ping(port: int, timeout: float = 3.0) -> bool:
    """`{ping: 1}` on admin as an OP_MSG: what any MongoDB driver sends first."""
    elems = (
        b"\x10"
        + _bson_cstring("ping")
        + struct.pack("<i", 1)
        + b"\x02"
        + _bson_cstring("$db")
        + struct.pack("<i", 6)
        + b"admin\x00"
    )
    doc = struct.pack("<i", len(elems) + 5) + elems + b"\x00"
    body = struct.pack("<I", 0) + b"\x00" + doc  # flagBits, section kind 0 (body)
    msg = struct.pack("<iiii", 16 + len(body), 1, 0, 2013) + body  # 2013 = OP_MSG
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(msg)
        (length,) = struct.unpack("<i", _recv_exact(sock, 4))
        rest = _recv_exact(sock, length - 4)
    _req, _resp_to, opcode = struct.unpack_from("<iii", rest, 0)
    if opcode != 2013 or rest[16] != 0:
        return False
    reply = rest[17:]
    off, end = 4, len(reply) - 1
    # Walk the top-level reply document until "ok"; ping replies are tiny ({ok: 1.0}).
    fixed = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16}
    while off < end:
        etype = reply[off]
        name_end = reply.index(b"\x00", off + 1)
        name = reply[off + 1 : name_end].decode()
        off = name_end + 1
        if name == "ok":
            if etype == 0x01:
                return struct.unpack_from("<d", reply, off)[0] == 1.0
            if etype in (0x10, 0x12):
                return struct.unpack_from("<i" if etype == 0x10 else "<q", reply, off)[0] == 1
            return etype == 0x08 and reply[off] == 1
        if etype in fixed:
            off += fixed[etype]
        elif etype in (0x02, 0x0D, 0x0E):
            off += 4 + struct.unpack_from("<i", reply, off)[0]
        elif etype in (0x03, 0x04):
            off += struct.unpack_from("<i", reply, off)[0]
        elif etype == 0x05:
            off += 5 + struct.unpack_from("<i", reply, off)[0]
        else:
            return False
    return False


def keycloak_ready(port: int, timeout: float = 3.0) -> bool:
    """The realm's discovery document answers (the realm is imported and serving)."""
    import urllib.request

    url = f"http://{HOST}:{port}/realms/{KEYCLOAK_REALM}/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200 and b"issuer" in r.read()
    except OSError:
        return False


def zipkin_ready(port: int, timeout: float = 3.0) -> bool:
    """Zipkin's `GET /health` says UP (its storage and collectors are running)."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=timeout) as r:
            return r.status == 200 and json.loads(r.read()).get("status") == "UP"
    except (OSError, ValueError, AttributeError):
        return False


def _answers(layout: Layout, service: str) -> bool:
    try:
        if service == "keycloak":
            return keycloak_ready(layout.keycloak_port)
        if service == "zipkin":
            return zipkin_ready(layout.zipkin_port)
        if service == "kafka":
            brokers = kafka_brokers(layout.kafka_port, user=KAFKA_ADMIN, password=layout.kafka_password(KAFKA_ADMIN))
            return any(b[2] == layout.kafka_port for b in brokers)
        return mongo_ping(layout.mongo_port)
    except (OSError, ValueError, KeyError, struct.error, IndexError):
        return False


# --------------------------------------------------------------------------- services


def _jaas(module: str, user: str, password: str, **extra: str) -> str:
    options = " ".join(f'{k}="{v}"' for k, v in {"username": user, "password": password, **extra}.items())
    return f"{module} required {options};"


def _kafka_security_lines(layout: Layout) -> list[str]:
    """SASL on both listeners, the StandardAuthorizer, `admin` the only super user, nothing allowed without an
    ACL. Clients: SCRAM-SHA-512 (users and their salted credentials in the cluster metadata). Controller
    listener: PLAIN with `admin` alone, defined here (the broker reaches its controller as `admin`)."""
    admin = layout.kafka_password(KAFKA_ADMIN)
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
    return [
        "listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        f"listener.name.client.sasl.enabled.mechanisms={KAFKA_SASL_MECHANISM}",
        f"listener.name.client.{KAFKA_SASL_MECHANISM.lower()}.sasl.jaas.config={_jaas(scram, KAFKA_ADMIN, admin)}",
        f"sasl.mechanism.inter.broker.protocol={KAFKA_SASL_MECHANISM}",
        "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
        "listener.name.controller.plain.sasl.jaas.config="
        + _jaas(plain, KAFKA_ADMIN, admin, **{f"user_{KAFKA_ADMIN}": admin}),
        "sasl.mechanism.controller.protocol=PLAIN",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        f"super.users=User:{KAFKA_ADMIN}",
        "allow.everyone.if.no.acl.found=false",
    ]


def _write_kafka_credentials(layout: Layout) -> None:
    """Every user's password, for whoever connects to this broker (0600, written before the broker starts)."""
    path = layout.kafka_credentials_file
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"mechanism": KAFKA_SASL_MECHANISM, "security_protocol": "SASL_PLAINTEXT",
                       "bootstrap": layout.kafka_bootstrap,
                       "users": {u: layout.kafka_password(u) for u in KAFKA_USERS}}, indent=2) + "\n"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(body)
    tmp.replace(path)


def _kafka_security_digest(layout: Layout) -> str:
    """The scheme, the users and their passwords (a data folder moved elsewhere derives other passwords)."""
    users = ",".join(f"{u}:{layout.kafka_password(u)}" for u in KAFKA_USERS)
    return hashlib.sha256(f"{KAFKA_SECURITY_SCHEME}|{users}".encode()).hexdigest()[:16]


def _kafka_configs(layout: Layout) -> tuple[Path, Path]:
    kdir = layout.service_dir("kafka")
    props = kdir / "server.properties"
    # Static voters (kraft.version 0) rather than a dynamic quorum formatted with --standalone:
    # --standalone bakes the controller endpoint into the metadata log, so changing
    # JINGBAN_KAFKA_CONTROLLER_PORT later would need a wipe. Static voters just follow the config.
    props.write_text(
        "\n".join(
            [
                "# Generated by deploy/local/launcher.py on every start; edits are overwritten.",
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@{HOST}:{layout.kafka_controller_port}",
                f"listeners=CLIENT://{HOST}:{layout.kafka_port},CONTROLLER://{HOST}:{layout.kafka_controller_port}",
                f"advertised.listeners=CLIENT://{HOST}:{layout.kafka_port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=CLIENT",
                *_kafka_security_lines(layout),
                f"log.dirs={layout.kafka_log_dirs}",
                "auto.create.topics.enable=true",
                "delete.topic.enable=true",
                "num.partitions=3",
                "default.replication.factor=1",
                "min.insync.replicas=1",
                "offsets.topic.replication.factor=1",
                # 50 partitions (the default) make the first consumer group slow on 2 cores.
                "offsets.topic.num.partitions=10",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=10",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                # A tiny test machine: fewer threads than the defaults (3 network, 8 io).
                "num.network.threads=2",
                "num.io.threads=4",
                "log.retention.hours=24",
                "",
            ]
        )
    )
    props.chmod(0o600)  # it holds the admin's password
    log4j = kdir / "log4j2.properties"
    log4j.write_text(
        "\n".join(
            [
                "# Generated by deploy/local/launcher.py. stdout is redirected to kafka.log.",
                "status = warn",
                # Kafka logs its own shutdown from a JVM shutdown hook; log4j's hook would race it
                # and drop those lines.
                "shutdownHook = disable",
                "appender.out.type = Console",
                "appender.out.name = STDOUT",
                "appender.out.layout.type = PatternLayout",
                "appender.out.layout.pattern = [%d] %p %m (%c)%n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.out.ref = STDOUT",
                "logger.req.name = kafka.request.logger",
                "logger.req.level = WARN",
                # One line per ACL binding replayed: thousands when test runs provision their prefixes.
                "logger.acl.name = org.apache.kafka.controller.AclControlManager",
                "logger.acl.level = WARN",
                "",
            ]
        )
    )
    return props, log4j


def _kafka_cluster_id() -> str:
    # Kafka's Uuid text form: URL-safe base64 of 16 random bytes, without padding. Like Kafka's own
    # Uuid.randomUuid, never one starting with "-": the storage tool's argument parser would read it as an option.
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):
            return text


def _start_kafka(layout: Layout) -> int:
    _ensure_kafka_built(layout)
    java = _java()
    kdir = layout.service_dir("kafka")
    kdir.mkdir(parents=True, exist_ok=True)
    props, log4j = _kafka_configs(layout)
    classpath = str(layout.kafka_libs / "*")  # java expands the wildcard itself
    jvm_common = [java, f"-Dlog4j2.configurationFile={log4j}", "-Djava.awt.headless=true", "-cp", classpath]
    _write_kafka_credentials(layout)
    digest = _kafka_security_digest(layout)
    formatted = (layout.kafka_log_dirs / "meta.properties").exists()
    marker = layout.kafka_security_marker
    if formatted and (not marker.exists() or marker.read_text().strip() != digest):
        # Formatted before SASL and ACLs (or for other users): no admin exists there to add the identities with.
        _log("Kafka storage was formatted without these SASL users and ACLs: formatting it afresh "
             "(the local broker's topics and offsets are dropped; the services' stores are kept)")
        shutil.rmtree(layout.kafka_log_dirs)
        formatted = False
    if not formatted:
        layout.kafka_log_dirs.mkdir(parents=True, exist_ok=True)
        _log("formatting Kafka storage with its SCRAM users (first start)")
        scram = [arg for user in KAFKA_USERS for arg in
                 ("--add-scram", f"{KAFKA_SASL_MECHANISM}=[name={user},password={layout.kafka_password(user)}]")]
        _run_build(
            [*jvm_common, "kafka.tools.StorageTool", "format", f"--cluster-id={_kafka_cluster_id()}",
             "-c", str(props), *scram],
            "kafka-storage format",
        )
        marker.write_text(digest + "\n")
    log = layout.logfile("kafka")
    _rotate_log(log)
    cmd = [
        java,
        "-Xms256m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        *jvm_common[1:],
        "kafka.Kafka",
        str(props),
    ]
    return _spawn(cmd, kdir, log)


def _start_ferretdb(layout: Layout) -> int:
    _ensure_ferretdb_built(layout)
    fdir = layout.service_dir("mongo")
    layout.ferretdb_db_dir.mkdir(parents=True, exist_ok=True)
    log = layout.logfile("mongo")
    _rotate_log(log)
    sqlite_url = "file:" + urllib.parse.quote(str(layout.ferretdb_db_dir)) + "/"
    cmd = [
        str(layout.ferretdb_bin),
        "--handler=sqlite",
        f"--sqlite-url={sqlite_url}",
        f"--listen-addr={HOST}:{layout.mongo_port}",
        "--telemetry=disable",
        # Its metrics/pprof HTTP endpoint defaults to 127.0.0.1:8088: not needed, and a clash risk.
        "--debug-addr=-",
        f"--state-dir={fdir}",
        "--log-format=text",
        "--log-level=INFO",
    ]
    return _spawn(cmd, fdir, log)


def _start_keycloak(layout: Layout) -> int:
    _ensure_keycloak_fetched(layout)
    home = _prepare_keycloak_home(layout)
    log = layout.logfile("keycloak")
    _rotate_log(log)
    admin = layout.service_dir("keycloak") / "admin.password"
    if not admin.exists():
        admin.write_text(uuid.uuid4().hex + "\n")
        admin.chmod(0o600)
    env = {**os.environ, "JAVA_HOME": str(_java21_home()), "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
           "KC_BOOTSTRAP_ADMIN_PASSWORD": admin.read_text().strip(),
           "JAVA_OPTS_KC_HEAP": "-Xms128m -Xmx512m"}
    cmd = [str(home / "bin" / "kc.sh"), "start-dev", f"--http-port={layout.keycloak_port}", f"--http-host={HOST}",
           "--import-realm", "--cache=local", "--health-enabled=false", "--metrics-enabled=false"]
    return _spawn(cmd, layout.service_dir("keycloak"), log, env=env)


# What Zipkin's process sees of the caller's environment: nothing else. Zipkin configures itself from variables
# (KAFKA_BOOTSTRAP_SERVERS would start a Kafka collector on the platform's broker, STORAGE_TYPE another storage).
_ZIPKIN_ENV_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "JAVA_HOME")


def _zipkin_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in _ZIPKIN_ENV_KEPT}


def _zipkin_command(layout: Layout, java: str) -> list[str]:
    """Zipkin on loopback only, in-memory storage, its HTTP collector, no self-tracing; a small heap with a span
    limit that fits it (the oldest traces go first)."""
    return [
        java,
        "-Xms64m",
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",  # starts in about half the time; ample for a local trace viewer
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        "-jar",
        str(layout.zipkin_jar),
        # A list given on the command line replaces the configured one whole: port, address and protocol together.
        f"--armeria.ports[0].port={layout.zipkin_port}",
        f"--armeria.ports[0].ip={HOST}",
        "--armeria.ports[0].protocols[0]=http",
        "--zipkin.storage.type=mem",
        f"--zipkin.storage.mem.max-spans={ZIPKIN_MAX_SPANS}",
        "--zipkin.collector.http.enabled=true",
        "--zipkin.self-tracing.enabled=false",
    ]


def _start_zipkin(layout: Layout) -> int:
    _ensure_zipkin_fetched(layout)
    zdir = layout.service_dir("zipkin")
    zdir.mkdir(parents=True, exist_ok=True)
    log = layout.logfile("zipkin")
    _rotate_log(log)
    return _spawn(_zipkin_command(layout, _java("Zipkin")), zdir, log, env=_zipkin_env())


_STARTERS = {"kafka": _start_kafka, "mongo": _start_ferretdb, "keycloak": _start_keycloak, "zipkin": _start_zipkin}
_LABELS = {"kafka": f"Kafka {KAFKA_VERSION}", "mongo": f"FerretDB {FERRETDB_VERSION}",
           "keycloak": f"Keycloak {KEYCLOAK_VERSION}", "zipkin": f"Zipkin {ZIPKIN_VERSION}"}


def _wait_ready(layout: Layout, service: str, rec: dict[str, object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if _answers(layout, service):
            return
        if not _alive(rec):
            layout.pidfile(service).unlink(missing_ok=True)
            raise LauncherError(
                f"{_LABELS[service]} (pid {rec['pid']}) exited during start-up; "
                f"last lines of {layout.logfile(service)}:\n{_tail(layout.logfile(service))}"
            )
        if time.monotonic() > deadline:
            _terminate(rec, _GRACE_S[service])
            layout.pidfile(service).unlink(missing_ok=True)
            raise LauncherError(
                f"{_LABELS[service]} did not answer on {layout.ports(service)[0]} within {timeout:.0f}s; "
                f"stopped it. Last lines of {layout.logfile(service)}:\n{_tail(layout.logfile(service))}"
            )
        time.sleep(0.25)


def _up_one(layout: Layout, service: str, timeout: float | None) -> None:
    wait = timeout if timeout is not None else _READY_TIMEOUT_S[service]
    rec = _live_record(layout, service)
    if rec is not None:
        # Ours and alive: nothing to start. A previous `up` may still be mid-start, so wait.
        _wait_ready(layout, service, rec, wait)
        return
    layout.pidfile(service).unlink(missing_ok=True)
    busy = [p for p in layout.ports(service) if _port_open(p)]
    if busy:
        raise LauncherError(
            f"port(s) {busy} for {_LABELS[service]} are taken by a process this launcher did not start "
            f"(data folder {layout.data}). Stop it, or pick other ports with JINGBAN_KAFKA_PORT / "
            "JINGBAN_KAFKA_CONTROLLER_PORT / JINGBAN_MONGO_PORT / JINGBAN_KEYCLOAK_PORT / JINGBAN_ZIPKIN_PORT."
        )
    t0 = time.monotonic()
    pid = _STARTERS[service](layout)
    _write_record(layout, service, pid)
    rec = _read_record(layout.pidfile(service)) or {"pid": pid}
    _log(f"started {_LABELS[service]} (pid {pid}), waiting for it to answer...")
    _wait_ready(layout, service, rec, wait)
    _log(f"{_LABELS[service]} ready in {time.monotonic() - t0:.1f}s (log: {layout.logfile(service)})")


JINGBAN_SERVICES = ("intake", "appraisal", "settlement", "audit", "archive")


def ensure_grpc_tls(layout: Layout) -> Path:
    """A local certificate authority and a certificate per Jingban service (names: the service, localhost,
    127.0.0.1), made once per data folder. Local mode only: cluster mode mounts certificates from its secrets."""
    out = layout.grpc_tls_dir
    if all((out / f"{s}.pem").is_file() for s in JINGBAN_SERVICES) and (out / "ca.pem").is_file():
        return out
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Jingban local CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))

    def write(path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)

    for service in JINGBAN_SERVICES:
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.DNSName(service), x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, service)]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=825))
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(ca_key, hashes.SHA256()))
        write(out / f"{service}.key", key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
        write(out / f"{service}.pem", cert.public_bytes(serialization.Encoding.PEM))
    write(out / "ca.pem", ca.public_bytes(serialization.Encoding.PEM))  # last: its presence means complete
    return out


def _select(kafka: bool, mongo: bool, keycloak: bool = False, zipkin: bool = False) -> tuple[str, ...]:
    return tuple(s for s, on in (("kafka", kafka), ("mongo", mongo), ("keycloak", keycloak), ("zipkin", zipkin))
                 if on)


# --------------------------------------------------------------------------- public API


def ensure_up(*, kafka: bool = True, mongo: bool = True, keycloak: bool = False, zipkin: bool = False,
              timeout: float | None = None) -> dict[str, str]:
    """Start whatever is not running yet (building it once into the cache) and wait until it answers.

    Safe to call from many processes at once. Returns ``{"KAFKA_BOOTSTRAP_SERVERS": ...,
    "JINGBAN_KAFKA_CREDENTIALS": ..., "MONGODB_URI": ...}`` for the selected services (the credentials file holds
    the SASL users' passwords: ``admin`` for tools and fixtures, one per service), and ``JINGBAN_ZIPKIN_URL`` with
    ``zipkin``.
    """
    layout = Layout.from_env()
    services = _select(kafka, mongo, keycloak, zipkin)
    _prepare_data(layout)
    with _flock(layout.data / _LOCK_NAME):
        ensure_grpc_tls(layout)
        # Builds go under a cache-wide lock too: several clones may share one cache.
        for service in services:
            if _live_record(layout, service) is None:
                with _flock(layout.cache / "build.lock"):
                    if service == "kafka":
                        _ensure_kafka_built(layout)
                    elif service == "keycloak":
                        _ensure_keycloak_fetched(layout)
                    elif service == "zipkin":
                        _ensure_zipkin_fetched(layout)
                    else:
                        _ensure_ferretdb_built(layout)
            _up_one(layout, service, timeout)
    return layout.env(services)


def stop(*, kafka: bool = True, mongo: bool = True, keycloak: bool = True, zipkin: bool = True,
         wipe: bool = False) -> None:
    """Stop what this launcher started (by recorded pid only); with ``wipe`` delete its data."""
    layout = Layout.from_env()
    services = _select(kafka, mongo, keycloak, zipkin)
    if not (layout.data / _DATA_MARKER).exists():
        # `up` writes the marker first, so nothing of ours can live here; never touch the folder.
        if wipe and layout.data.exists():
            raise LauncherError(f"refusing to wipe {layout.data}: it has no {_DATA_MARKER} marker")
        return
    with _flock(layout.data / _LOCK_NAME):
        for service in services:
            rec = _read_record(layout.pidfile(service))
            if rec is not None and _alive(rec):
                _log(f"stopping {_LABELS[service]} (pid {rec['pid']})")
                _terminate(rec, _GRACE_S[service])
            layout.pidfile(service).unlink(missing_ok=True)
        if wipe:
            _wipe(layout, services)


def _wipe(layout: Layout, services: tuple[str, ...]) -> None:
    if not (layout.data / _DATA_MARKER).exists():
        raise LauncherError(f"refusing to wipe {layout.data}: it has no {_DATA_MARKER} marker")
    if set(services) >= set(SERVICES):
        # Everything but the lock file (another process may be queued on it) and the marker.
        for entry in layout.data.iterdir():
            if entry.name in (_LOCK_NAME, _DATA_MARKER):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    else:
        for service in services:
            shutil.rmtree(layout.service_dir(service), ignore_errors=True)
    _log(f"wiped data in {layout.data}")


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int | None
    running: bool
    answers: bool
    endpoint: str
    log: str


def status(*, kafka: bool = True, mongo: bool = True, keycloak: bool = False,
           zipkin: bool = False) -> dict[str, ServiceStatus]:
    """What runs now: recorded pid, whether it is alive, whether its port answers."""
    layout = Layout.from_env()
    out: dict[str, ServiceStatus] = {}
    for service in _select(kafka, mongo, keycloak, zipkin):
        rec = _read_record(layout.pidfile(service))
        running = rec is not None and _alive(rec)
        out[service] = ServiceStatus(
            name=_LABELS[service],
            pid=int(rec["pid"]) if rec is not None and running else None,  # type: ignore[arg-type]
            running=running,
            answers=_answers(layout, service),
            endpoint={"kafka": layout.kafka_bootstrap, "mongo": layout.mongodb_uri,
                      "keycloak": layout.oidc_issuer, "zipkin": layout.zipkin_url}[service],
            log=str(layout.logfile(service)),
        )
    return out


def env(*, kafka: bool = True, mongo: bool = True, keycloak: bool = False, zipkin: bool = False,
        kafka_user: str | None = None) -> dict[str, str]:
    """The endpoint variables (does not start anything); `kafka_user`: a service's own Kafka identity."""
    return Layout.from_env().env(_select(kafka, mongo, keycloak, zipkin), kafka_user)


def provision_kafka_acls(prefix: str = "", tenants: tuple[str, ...] | None = None) -> bool:
    """Make the broker hold the services' ACLs for a topic prefix and tenants (default: $JINGBAN_TENANTS, else
    the platform's tenants), with the admin user. The plan is computed from the catalogue and the services'
    wiring (jingban/kafka_acls.py), so this needs the project's venv; without it, says so and returns False."""
    layout = Layout.from_env()
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    try:
        from chassis.config import Settings
        from jingban import kafka_acls
    except ImportError as exc:
        _log(f"Kafka ACLs not applied ({exc}): run `python -m jingban.kafka_acls apply` from the project's venv")
        return False
    tenants = tenants or Settings.from_env().tenants
    created, removed = kafka_acls.provision(layout.kafka_bootstrap, str(layout.kafka_credentials_file), tenants,
                                            prefix)
    _log(f"Kafka ACLs for tenants {','.join(tenants)} (prefix {prefix!r}): {created} added, {removed} removed")
    return True


# --------------------------------------------------------------------------- CLI


def _print_env(values: dict[str, str]) -> None:
    for key, value in values.items():
        print(f"{key}={value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="launcher.py",
        description="Local Kafka (KRaft) + FerretDB (SQLite) + Keycloak + Zipkin for Jingban, no Docker.",
    )
    parser.add_argument("command", choices=("up", "down", "status", "env"))
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--kafka-only", action="store_true", help="only Kafka")
    only.add_argument("--mongo-only", action="store_true", help="only FerretDB")
    parser.add_argument("--no-keycloak", action="store_true",
                        help="up/status/env: without the OpenID Connect provider (down always stops it)")
    parser.add_argument("--no-zipkin", action="store_true",
                        help="up/status/env: without Zipkin, the trace viewer (down always stops it)")
    parser.add_argument("--wipe", action="store_true", help="down: also delete the data folder")
    parser.add_argument("--timeout", type=float, default=None, help="up: seconds to wait for each server")
    args = parser.parse_args(argv)
    kafka, mongo = not args.mongo_only, not args.kafka_only
    args.keycloak = not (args.no_keycloak or args.kafka_only or args.mongo_only)
    args.zipkin = not (args.no_zipkin or args.kafka_only or args.mongo_only)

    try:
        if args.command == "up":
            values = ensure_up(kafka=kafka, mongo=mongo, keycloak=args.keycloak, zipkin=args.zipkin,
                               timeout=args.timeout)
            if kafka:
                try:
                    provision_kafka_acls()
                except Exception as exc:  # the broker is up; the services' rights could not be granted
                    raise LauncherError(f"applying the Kafka ACLs failed: {type(exc).__name__}: {exc}") from exc
            _print_env(values)
        elif args.command == "down":
            everything = not (args.kafka_only or args.mongo_only)
            stop(kafka=kafka, mongo=mongo, keycloak=everything, zipkin=everything, wipe=args.wipe)
        elif args.command == "env":
            _print_env(env(kafka=kafka, mongo=mongo, keycloak=args.keycloak, zipkin=args.zipkin))
        else:
            states = status(kafka=kafka, mongo=mongo, keycloak=args.keycloak, zipkin=args.zipkin)
            for st in states.values():
                state = "running" if st.running else "stopped"
                answer = "answers" if st.answers else "no answer"
                pid = f"pid {st.pid}" if st.pid else "no pid"
                print(f"{st.name:<16} {state:<8} {pid:<11} {answer:<10} {st.endpoint}  log: {st.log}")
            return 0 if all(s.running and s.answers for s in states.values()) else 3
    except LauncherError as exc:
        _log(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
