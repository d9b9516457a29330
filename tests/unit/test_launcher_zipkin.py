"""The launcher's Zipkin, without the network or a JVM: where the exec jar is cached and how its fetch is verified
against the published checksum (a corrupt or unverifiable download never takes the jar's name), the command line
(loopback only, in-memory storage, a small heap), the environment Zipkin sees (nothing that would configure it
otherwise), readiness by `GET /health`, and the variables `launcher.py env` prints and local mode hands its services."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chassis.config import Settings, zipkin_endpoint
from jingban import local
from tests.support.infra import load_launcher

L = load_launcher()
JAR_BYTES = b"PK\x03\x04 not really a jar, but bytes to check"


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("JINGBAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("JINGBAN_DATA", str(tmp_path / "data"))
    for name in ("JINGBAN_ZIPKIN_PORT", "JINGBAN_KAFKA_PORT", "JINGBAN_KAFKA_CONTROLLER_PORT", "JINGBAN_MONGO_PORT",
                 "JINGBAN_KEYCLOAK_PORT"):
        monkeypatch.delenv(name, raising=False)
    return L.Layout.from_env()


# ---- paths, ports, endpoints ----------------------------------------------------------------------------------


def test_the_jar_is_cached_by_version_and_the_process_keeps_its_files_in_the_data_folder(layout: Any,
                                                                                         tmp_path: Path) -> None:
    assert layout.zipkin_jar == tmp_path / "cache" / f"zipkin-{L.ZIPKIN_VERSION}" / \
        f"zipkin-server-{L.ZIPKIN_VERSION}-exec.jar"
    assert L.ZIPKIN_ARTIFACT == f"io.zipkin:zipkin-server:{L.ZIPKIN_VERSION}:jar:exec"
    assert layout.service_dir("zipkin") == tmp_path / "data" / "zipkin"
    assert layout.pidfile("zipkin") == tmp_path / "data" / "zipkin" / "zipkin.pid"
    assert layout.logfile("zipkin") == tmp_path / "data" / "zipkin" / "zipkin.log"


def test_the_port_is_zipkin_s_shifted_like_the_others_and_can_be_moved(monkeypatch: pytest.MonkeyPatch,
                                                                       layout: Any) -> None:
    assert layout.zipkin_port == 19411 and layout.ports("zipkin") == (19411,)
    assert layout.zipkin_url == "http://127.0.0.1:19411"
    monkeypatch.setenv("JINGBAN_ZIPKIN_PORT", "29411")
    moved = L.Layout.from_env()
    assert moved.ports("zipkin") == (29411,) and moved.zipkin_url == "http://127.0.0.1:29411"
    monkeypatch.setenv("JINGBAN_ZIPKIN_PORT", "94110")
    with pytest.raises(L.LauncherError, match="out of range"):
        L.Layout.from_env()


def test_zipkin_is_one_of_the_launcher_s_servers() -> None:
    assert L._STARTERS["zipkin"] is L._start_zipkin
    assert L._LABELS["zipkin"] == f"Zipkin {L.ZIPKIN_VERSION}"
    assert L._GRACE_S["zipkin"] > 0 and L._READY_TIMEOUT_S["zipkin"] >= 60
    assert L._select(True, True, True, True) == ("kafka", "mongo", "keycloak", "zipkin")
    assert L._select(True, True) == ("kafka", "mongo")  # the tests' fixtures ask for what they need, not Zipkin


# ---- env ------------------------------------------------------------------------------------------------------


def test_env_names_zipkin_s_url_and_nothing_secret(layout: Any) -> None:
    assert layout.env(("zipkin",)) == {"JINGBAN_ZIPKIN_URL": "http://127.0.0.1:19411"}
    assert "JINGBAN_ZIPKIN_URL" not in layout.env(("kafka", "mongo"))
    assert L.env(kafka=False, mongo=False, zipkin=True) == {"JINGBAN_ZIPKIN_URL": "http://127.0.0.1:19411"}


def test_the_env_command_prints_it_unless_left_out(layout: Any, capsys: pytest.CaptureFixture[str]) -> None:
    def printed(*argv: str) -> dict[str, str]:
        assert L.main(["env", *argv]) == 0
        return dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())

    assert printed()["JINGBAN_ZIPKIN_URL"] == "http://127.0.0.1:19411"
    assert "JINGBAN_ZIPKIN_URL" not in printed("--no-zipkin")
    assert "JINGBAN_ZIPKIN_URL" not in printed("--kafka-only")
    assert "JINGBAN_ZIPKIN_URL" not in printed("--mongo-only")


def test_local_mode_hands_the_url_to_each_service_which_makes_the_collector_s_endpoint_of_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JINGBAN_ZIPKIN_URL", "OTEL_EXPORTER_ZIPKIN_ENDPOINT", "JINGBAN_KAFKA_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    with_zipkin = local.LocalPlatform({"JINGBAN_ZIPKIN_URL": "http://127.0.0.1:19411"}, tmp_path / "logs")
    env = with_zipkin.service_env("intake")
    assert env["JINGBAN_ZIPKIN_URL"] == "http://127.0.0.1:19411"
    assert Settings.from_env("intake", env).zipkin_endpoint == "http://127.0.0.1:19411/api/v2/spans"
    without = local.LocalPlatform({}, tmp_path / "logs").service_env("intake")
    assert "JINGBAN_ZIPKIN_URL" not in without and Settings.from_env("intake", without).zipkin_endpoint == ""


def test_the_standard_otel_variable_names_the_collector_itself() -> None:
    assert zipkin_endpoint({}) == ""
    assert zipkin_endpoint({"JINGBAN_ZIPKIN_URL": "http://127.0.0.1:19411/"}) == "http://127.0.0.1:19411/api/v2/spans"
    both = {"JINGBAN_ZIPKIN_URL": "http://127.0.0.1:19411", "OTEL_EXPORTER_ZIPKIN_ENDPOINT": "http://z:9411/api/v2/spans"}
    assert zipkin_endpoint(both) == "http://z:9411/api/v2/spans"


# ---- command line and environment ----------------------------------------------------------------------------


def test_the_command_line_binds_loopback_with_in_memory_storage_and_a_small_heap(layout: Any) -> None:
    cmd = L._zipkin_command(layout, "/jdk/bin/java")
    assert cmd[0] == "/jdk/bin/java"
    assert cmd[cmd.index("-jar") + 1] == str(layout.zipkin_jar)
    assert "-Xmx256m" in cmd and "-XX:+ExitOnOutOfMemoryError" in cmd
    args = dict(a[2:].split("=", 1) for a in cmd if a.startswith("--"))
    assert args["armeria.ports[0].port"] == "19411"
    assert args["armeria.ports[0].ip"] == "127.0.0.1"
    assert args["armeria.ports[0].protocols[0]"] == "http"
    assert args["zipkin.storage.type"] == "mem"
    assert int(args["zipkin.storage.mem.max-spans"]) <= 100_000  # what 256 MB of heap holds
    assert args["zipkin.self-tracing.enabled"] == "false"


def test_zipkin_sees_none_of_the_variables_that_would_configure_it_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")  # would start a Kafka collector on our broker
    monkeypatch.setenv("STORAGE_TYPE", "elasticsearch")
    monkeypatch.setenv("JINGBAN_OIDC_ADMIN_PASSWORD", "not-for-zipkin")
    monkeypatch.setenv("JAVA_HOME", "/jdk")
    env = L._zipkin_env()
    assert env["JAVA_HOME"] == "/jdk" and "PATH" in env
    assert set(env) <= set(L._ZIPKIN_ENV_KEPT)


def test_start_runs_the_verified_jar_on_the_kafka_jdk_with_its_own_log(layout: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr(L, "_ensure_zipkin_fetched", lambda lay: started.setdefault("fetched", lay))
    monkeypatch.setattr(L, "_java", lambda what="Kafka": f"/jdk17/bin/java ({what})")

    def spawn(cmd: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> int:
        started.update(cmd=cmd, cwd=cwd, log=log, env=env)
        return 4242

    monkeypatch.setattr(L, "_spawn", spawn)
    layout.service_dir("zipkin").mkdir(parents=True)
    layout.logfile("zipkin").write_text("the previous run\n")
    assert L._start_zipkin(layout) == 4242
    assert started["fetched"] is layout
    assert started["cmd"][0] == "/jdk17/bin/java (Zipkin)"
    assert started["cwd"] == layout.service_dir("zipkin") and started["log"] == layout.logfile("zipkin")
    assert started["env"] == L._zipkin_env()
    assert layout.logfile("zipkin").with_name("zipkin.log.1").read_text() == "the previous run\n"


# ---- fetch and verification ----------------------------------------------------------------------------------


def test_the_fetch_asks_maven_for_the_exec_jar_alone_with_strict_checksums(tmp_path: Path) -> None:
    cmd = L._zipkin_fetch_command("/usr/bin/mvn", tmp_path / "repo")
    assert cmd[0] == "/usr/bin/mvn" and "-C" in cmd and "-B" in cmd
    assert f"-Dmaven.repo.local={tmp_path / 'repo'}" in cmd
    assert "dependency:get" in cmd and f"-Dartifact={L.ZIPKIN_ARTIFACT}" in cmd and "-Dtransitive=false" in cmd


def _published(path: Path, data: bytes, **digests: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    for algorithm, value in digests.items():
        path.with_name(f"{path.name}.{algorithm}").write_text(value)
    return path


def test_a_file_is_checked_against_every_checksum_published_beside_it(tmp_path: Path) -> None:
    sha1, sha512 = hashlib.sha1(JAR_BYTES).hexdigest(), hashlib.sha512(JAR_BYTES).hexdigest()
    assert L._verify_published_checksums(_published(tmp_path / "a" / "z.jar", JAR_BYTES, sha1=sha1)) == ["sha1"]
    # Maven Central's files may carry the file name after the digest, or a newline.
    both = _published(tmp_path / "b" / "z.jar", JAR_BYTES, sha1=f"{sha1.upper()}  z.jar\n", sha512=sha512)
    assert L._verify_published_checksums(both) == ["sha512", "sha1"]
    with pytest.raises(L.LauncherError, match="SHA1 is"):
        L._verify_published_checksums(_published(tmp_path / "c" / "z.jar", JAR_BYTES + b"!", sha1=sha1))
    with pytest.raises(L.LauncherError, match="SHA512 is"):
        L._verify_published_checksums(_published(tmp_path / "d" / "z.jar", JAR_BYTES, sha1=sha1, sha512="0" * 128))
    with pytest.raises(L.LauncherError, match="unverified"):
        L._verify_published_checksums(_published(tmp_path / "e" / "z.jar", JAR_BYTES))


def _fake_maven(monkeypatch: pytest.MonkeyPatch, data: bytes, sha1: str | None) -> list[list[str]]:
    """`mvn dependency:get` as far as the launcher sees it: the jar (and its checksum) in the local repository."""
    calls: list[list[str]] = []
    monkeypatch.setattr(L, "_require_tool", lambda name, why: f"/usr/bin/{name}")

    def run_build(cmd: list[str], what: str, **_: Any) -> str:
        calls.append(cmd)
        repo = Path(next(a for a in cmd if a.startswith("-Dmaven.repo.local=")).split("=", 1)[1])
        folder = repo / "io" / "zipkin" / "zipkin-server" / L.ZIPKIN_VERSION
        _published(folder / f"zipkin-server-{L.ZIPKIN_VERSION}-exec.jar", data, **({"sha1": sha1} if sha1 else {}))
        (folder / "_remote.repositories").write_text("maven's own bookkeeping\n")
        return ""

    monkeypatch.setattr(L, "_run_build", run_build)
    return calls


def test_a_verified_fetch_lands_in_the_cache_with_its_checksum_and_nothing_else(
        layout: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_maven(monkeypatch, JAR_BYTES, hashlib.sha1(JAR_BYTES).hexdigest())
    L._ensure_zipkin_fetched(layout)
    assert layout.zipkin_jar.read_bytes() == JAR_BYTES
    assert sorted(p.name for p in layout.zipkin_dist.iterdir()) == [layout.zipkin_jar.name,
                                                                      f"{layout.zipkin_jar.name}.sha1"]
    assert len(calls) == 1
    L._ensure_zipkin_fetched(layout)  # cached: Maven is not asked again
    assert len(calls) == 1


@pytest.mark.parametrize("sha1", ["0" * 40, None], ids=["wrong checksum", "no checksum"])
def test_a_corrupt_or_unverifiable_fetch_never_takes_the_jar_s_name(
        layout: Any, monkeypatch: pytest.MonkeyPatch, sha1: str | None) -> None:
    _fake_maven(monkeypatch, JAR_BYTES, sha1)
    with pytest.raises(L.LauncherError):
        L._ensure_zipkin_fetched(layout)
    assert not layout.zipkin_jar.exists()
    # The next try starts from a clean scratch folder.
    monkeypatch.setattr(L, "_run_build", lambda *a, **k: "")
    with pytest.raises(L.LauncherError, match="missing"):
        L._ensure_zipkin_fetched(layout)
    assert not layout.zipkin_jar.exists()


# ---- readiness ------------------------------------------------------------------------------------------------


@pytest.fixture
def health() -> Iterator[tuple[int, dict[str, Any]]]:
    """A stand-in for Zipkin's `/health` on a loopback port; the test sets what it answers."""
    answer: dict[str, Any] = {"status": 200, "body": {"status": "UP", "zipkin": {"status": "UP"}}}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(answer["body"]).encode() if self.path == "/health" else b"{}"
            self.send_response(answer["status"] if self.path == "/health" else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], answer
    finally:
        server.shutdown()
        server.server_close()


def test_ready_means_health_says_up(health: tuple[int, dict[str, Any]], monkeypatch: pytest.MonkeyPatch,
                                    layout: Any) -> None:
    port, answer = health
    assert L.zipkin_ready(port)
    monkeypatch.setenv("JINGBAN_ZIPKIN_PORT", str(port))
    assert L._answers(L.Layout.from_env(), "zipkin")
    answer["body"] = {"status": "DOWN"}
    assert not L.zipkin_ready(port)
    answer.update(status=503, body={"status": "UP"})
    assert not L.zipkin_ready(port)
    answer.update(status=200, body=["not", "an", "object"])
    assert not L.zipkin_ready(port)


def test_nothing_listening_is_not_ready() -> None:
    import socket

    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert not L.zipkin_ready(port, timeout=1)
