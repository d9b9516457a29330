"""Credentials, keys and certificates in deploy/k8s (issue 11, item 8).

- Nothing secret is committed: no Secret with `data`/`stringData` in any manifest, no `secretGenerator`, no Secret
  rendered by any overlay or the base, no `JINGBAN_JWT_SECRET` anywhere (tokens are verified through the provider's
  JWKS). A clearly named local-development component (a directory with `local-dev` in its path) would be the only
  exception; there is none.
- Each service references its OWN Secrets by name (OIDC client, Kafka SCRAM user, MongoDB URI, gRPC certificate),
  never another service's, never optionally; the Kafka and MongoDB CA bundles and the gRPC certificate are mounted
  where the settings point; the key provider's keys are mounted per tenant and purpose, least privilege.
- Cluster mode creates topics with three replicas (min.insync.replicas 2).
- The optional cert-manager component issues exactly the certificates the services mount.
- deploy/k8s/README.md names every Secret the manifests reference (what an overlay must provide).
"""

from __future__ import annotations

import copy
import inspect
import os
import re
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from chassis.bus.kafka import topic_spec
from chassis.config import Settings
from tests.cluster.render import K8S, REPO, Doc, build_text, parse, targets
from tests.cluster.test_manifests import (
    K8S_VERSION,
    OVERLAYS,
    SERVICES,
    by_name,
    effective_env,
    of_kind,
    service_containers,
)

pytestmark = pytest.mark.cluster

# The key provider's purposes (chassis/keys.py) each service holds: personal data, its blind index and the
# pseudonymous message keys everywhere; the audit trail's MAC and anchor keys in audit alone.
KEY_PURPOSES: dict[str, tuple[str, ...]] = {
    **{svc: ("pii", "blind-index", "message-key") for svc in SERVICES},
    "audit": ("pii", "blind-index", "message-key", "trail", "anchor"),
}
# Secrets every service of a deployment mounts (CA bundles, not keys).
SHARED_SECRETS = {"jingban-kafka-ca", "jingban-mongodb-ca"}
LOCAL_DEV = "local-dev"


# --------------------------------------------------------------------------- nothing secret committed


def committed_secret_problems(path: Path, docs: list[Doc]) -> list[str]:
    """Secrets with values, and secretGenerators, in one manifest file."""
    if LOCAL_DEV in path.as_posix():
        return []
    problems = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "Secret" and (doc.get("data") or doc.get("stringData")):
            problems.append(f"{path}: Secret/{doc.get('metadata', {}).get('name')} carries values")
        if doc.get("secretGenerator"):
            problems.append(f"{path}: secretGenerator makes a Secret from committed values")
    return problems


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def test_no_secret_is_committed() -> None:
    problems = [p for path in manifest_files() for p in committed_secret_problems(
        path.relative_to(REPO), parse(path.read_text(encoding="utf-8")))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("target", sorted(targets()))
def test_no_secret_is_rendered(rendered: dict[str, list[Doc]], target: str) -> None:
    """Not even an empty template: a Secret in the output would be applied over the secret manager's."""
    assert not [d["metadata"]["name"] for d in of_kind(rendered[target], "Secret")]


def test_secret_check_bites() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}}
    assert committed_secret_problems(Path("deploy/k8s/overlays/x/s.yaml"), [secret])
    assert committed_secret_problems(Path("deploy/k8s/base/s.yaml"), [{**secret, "data": {"k": "dg=="}}])
    generator = {"kind": "Kustomization", "secretGenerator": [{"name": "s", "literals": ["k=v"]}]}
    assert committed_secret_problems(Path("deploy/k8s/overlays/x/kustomization.yaml"), [generator])
    assert not committed_secret_problems(Path("deploy/k8s/components/local-dev-secrets/s.yaml"), [secret])
    assert not committed_secret_problems(Path("x.yaml"), [{**secret, "stringData": {}}])  # a reference shape


def test_no_jwt_secret_anywhere(kustomize: str) -> None:
    """The HS256 secret is gone: no manifest and no rendering mentions it."""
    texts = {str(p.relative_to(REPO)): p.read_text(encoding="utf-8") for p in manifest_files()}
    texts.update({f"rendered {name}": build_text(kustomize, path) for name, path in targets().items()})
    assert not [where for where, text in texts.items() if "JWT_SECRET" in text.upper()]


# --------------------------------------------------------------------------- each service its own


def pod_spec(dep: Doc) -> Doc:
    return dep["spec"]["template"]["spec"]


def volumes_by_name(dep: Doc) -> dict[str, Doc]:
    return {v["name"]: v for v in pod_spec(dep).get("volumes", [])}


def referenced_secrets(dep: Doc) -> set[str]:
    pod = pod_spec(dep)
    names = {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
    for c in pod.get("initContainers", []) + pod["containers"]:
        names |= {e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", [])
                  if "secretKeyRef" in e.get("valueFrom", {})}
        names |= {s["secretRef"]["name"] for s in c.get("envFrom", []) if "secretRef" in s}
    return names


def credential_problems(dep: Doc, tenants: list[str]) -> list[str]:
    """A service's Secrets are its own (or a shared CA bundle, or its tenants' keys), referenced, never optional."""
    name = dep["metadata"]["name"]
    allowed = SHARED_SECRETS | {f"jingban-keys-{t}-{p}" for t in tenants for p in KEY_PURPOSES[name]}
    problems = [f"{name}: references Secret/{s}, not its own" for s in sorted(referenced_secrets(dep))
                if not s.startswith(f"jingban-{name}-") and s not in allowed]
    pod = pod_spec(dep)
    for v in pod.get("volumes", []):
        if v.get("secret", {}).get("optional"):
            problems.append(f"{name}: volume {v['name']} is optional: a missing Secret would start the pod without it")
        if "secret" in v and v["secret"].get("defaultMode", 0o644) & 0o007:
            problems.append(f"{name}: volume {v['name']} is readable by others (defaultMode)")
    for c in pod["containers"]:
        for e in c.get("env", []):
            if e.get("valueFrom", {}).get("secretKeyRef", {}).get("optional"):
                problems.append(f"{name}: {e['name']} is optional")
    return problems


def mounted_file(dep: Doc, path: str) -> tuple[str, str] | None:
    """(Secret name, key) of the file at `path` in the service container, if a Secret volume provides it."""
    (container,) = pod_spec(dep)["containers"]
    volumes = volumes_by_name(dep)
    for m in container.get("volumeMounts", []):
        prefix = m["mountPath"].rstrip("/") + "/"
        source = volumes.get(m["name"], {}).get("secret")
        if not path.startswith(prefix) or source is None:
            continue
        rel = path[len(prefix):]
        if "items" not in source:
            return source["secretName"], rel
        for item in source["items"]:
            if item["path"] == rel:
                return source["secretName"], item["key"]
    return None


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_references_its_own_credentials(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    tenants = OVERLAYS[overlay][1].split(",")
    problems = []
    for dep, container in service_containers(docs):
        name = dep["metadata"]["name"]
        problems += credential_problems(dep, tenants)
        env = effective_env(dep, container, docs)
        assert env["MONGODB_URI"] == ("secret", f"jingban-{name}-mongodb", "uri")
        assert env["JINGBAN_OIDC_CLIENT_ID"] == ("secret", f"jingban-{name}-oidc", "client-id")
        assert env["JINGBAN_OIDC_CLIENT_SECRET"] == ("secret", f"jingban-{name}-oidc", "client-secret")
        assert env["JINGBAN_KAFKA_USERNAME"] == ("secret", f"jingban-{name}-kafka", "username")
        assert env["JINGBAN_KAFKA_PASSWORD"] == ("secret", f"jingban-{name}-kafka", "password")
        # TLS material where the settings point: gRPC (ca.pem + <service>.pem/.key), the brokers' and MongoDB's CAs.
        tls = env["JINGBAN_GRPC_TLS_DIR"]
        secret = f"jingban-{name}-grpc-tls"
        assert mounted_file(dep, f"{tls}/{name}.pem") == (secret, "tls.crt")
        assert mounted_file(dep, f"{tls}/{name}.key") == (secret, "tls.key")
        assert mounted_file(dep, f"{tls}/ca.pem") == (secret, "ca.crt")
        assert mounted_file(dep, env["JINGBAN_KAFKA_CA_FILE"]) == ("jingban-kafka-ca", "ca.crt")
        assert mounted_file(dep, "/var/run/jingban/mongodb-ca/ca.crt") == ("jingban-mongodb-ca", "ca.crt")
        for m in container["volumeMounts"]:
            if m["mountPath"] != "/tmp":
                assert m.get("readOnly") is True, f"{name}: {m['mountPath']} is writable"
    assert not problems, "\n".join(problems)


def test_credential_check_bites(rendered: dict[str, list[Doc]]) -> None:
    dep = copy.deepcopy(by_name(rendered["hz-p1"], "Deployment", "intake"))
    assert credential_problems(dep, ["hz-p1"]) == []
    pod = pod_spec(dep)
    pod["containers"][0]["env"].append(
        {"name": "X", "valueFrom": {"secretKeyRef": {"name": "jingban-archive-mongodb", "key": "uri"}}})
    pod["volumes"].append({"name": "trail", "secret": {"secretName": "jingban-keys-hz-p1-trail", "optional": True,
                                                       "defaultMode": 0o644}})
    problems = "\n".join(credential_problems(dep, ["hz-p1"]))
    assert "Secret/jingban-archive-mongodb, not its own" in problems
    assert "Secret/jingban-keys-hz-p1-trail, not its own" in problems  # the trail key is audit's
    assert "volume trail is optional" in problems and "readable by others" in problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keys_are_mounted_per_tenant_and_purpose(rendered: dict[str, list[Doc]], overlay: str) -> None:
    """$JINGBAN_KEY_DIR/<purpose>/<tenant>/ is the Secret jingban-keys-<tenant>-<purpose>, for each tenant served
    and only for the purposes the service holds (chassis/keys.py reads v<n>.key there)."""
    docs = rendered[overlay]
    tenants = OVERLAYS[overlay][1].split(",")
    for dep, container in service_containers(docs):
        name = dep["metadata"]["name"]
        key_dir = effective_env(dep, container, docs)["JINGBAN_KEY_DIR"].rstrip("/")
        volumes = volumes_by_name(dep)
        mounted = {}
        for m in container["volumeMounts"]:
            if m["mountPath"].startswith(key_dir + "/"):
                purpose, tenant = m["mountPath"][len(key_dir) + 1:].split("/")
                mounted[(purpose, tenant)] = volumes[m["name"]]["secret"]["secretName"]
        expected = {(p, t): f"jingban-keys-{t}-{p}" for t in tenants for p in KEY_PURPOSES[name]}
        assert mounted == expected, name


# --------------------------------------------------------------------------- topics


def literal_env(dep: Doc, container: Doc, docs: list[Doc]) -> dict[str, str]:
    return {k: v for k, v in effective_env(dep, container, docs).items() if isinstance(v, str)}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_cluster_mode_replicates_topics_three_times(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    for dep, container in service_containers(docs):
        settings = Settings.from_env(dep["metadata"]["name"], env=literal_env(dep, container, docs))
        assert settings.mode == "cluster"
        assert settings.topic_replication == 3, dep["metadata"]["name"]
        spec = topic_spec(3, settings.topic_replication)
        assert spec["replication_factor"] == 3
        assert spec["configs"] == {"min.insync.replicas": "2"}


def test_topic_replication_defaults_to_one_locally() -> None:
    assert Settings().topic_replication == 1
    assert Settings.from_env("intake", env={}).topic_replication == 1
    assert topic_spec(3, 1) == {"num_partitions": 3, "replication_factor": 1}


def test_the_service_host_creates_topics_with_the_setting() -> None:
    from chassis import host

    assert "replication=settings.topic_replication" in inspect.getsource(host.run_process)


# --------------------------------------------------------------------------- cert-manager component


@pytest.fixture(scope="module")
def with_cert_manager(kustomize: str, tmp_path_factory: pytest.TempPathFactory) -> list[Doc]:
    """hz-p1 with the optional cert-manager component, rendered from a scratch overlay."""
    root = tmp_path_factory.mktemp("cert-manager-overlay")
    (root / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": "jingban-hz-p1",
        # kustomize takes no absolute roots: relative paths, and a load restrictor lifted for this scratch root.
        "resources": [os.path.relpath(K8S / "overlays" / "hz-p1", root)],
        "components": [os.path.relpath(K8S / "components" / "cert-manager", root)],
    }))
    proc = subprocess.run([kustomize, "build", "--load-restrictor", "LoadRestrictionsNone", str(root)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return parse(proc.stdout)


def test_cert_manager_issues_the_certificates_the_services_mount(with_cert_manager: list[Doc]) -> None:
    docs = with_cert_manager
    assert not of_kind(docs, "Secret")
    certs = {c["metadata"]["name"]: c for c in of_kind(docs, "Certificate")}
    issuers = {i["metadata"]["name"]: i for i in of_kind(docs, "Issuer")}
    for dep, _ in service_containers(docs):
        name = dep["metadata"]["name"]
        secret = volumes_by_name(dep)["grpc-tls"]["secret"]["secretName"]
        (cert,) = [c for c in certs.values() if c["spec"]["secretName"] == secret]
        assert name in cert["spec"]["dnsNames"], "peers dial <service>:9090"
        assert {"server auth", "client auth"} <= set(cert["spec"]["usages"])
        assert cert["metadata"]["namespace"] == "jingban-hz-p1"
        issuer = issuers[cert["spec"]["issuerRef"]["name"]]
        (ca_cert,) = [c for c in certs.values() if c["spec"]["secretName"] == issuer["spec"]["ca"]["secretName"]]
        assert ca_cert["spec"].get("isCA") is True
    # Everything else still validates strictly; cert-manager's kinds are CRDs without a schema here.
    for doc in docs:
        if doc["apiVersion"].startswith("cert-manager.io/"):
            continue
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_cert_manager_is_optional(rendered: dict[str, list[Doc]]) -> None:
    for target in rendered:
        assert not [d for d in rendered[target] if d["apiVersion"].startswith("cert-manager.io/")], target


# --------------------------------------------------------------------------- what an overlay provides


def generalised(secret: str) -> str:
    """jingban-intake-kafka -> jingban-<service>-kafka; jingban-keys-hz-p1-pii -> jingban-keys-<tenant>-<purpose>."""
    m = re.fullmatch(r"jingban-keys-(.+)-(" + "|".join(sorted({p for ps in KEY_PURPOSES.values() for p in ps},
                                                              key=len, reverse=True)) + ")", secret)
    if m:
        return "jingban-keys-<tenant>-<purpose>"
    for svc in SERVICES:
        if secret.startswith(f"jingban-{svc}-"):
            return f"jingban-<service>-{secret[len(f'jingban-{svc}-'):]}"
    return secret


def test_readme_names_every_secret_an_overlay_provides(rendered: dict[str, list[Doc]]) -> None:
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    names = {generalised(s) for target in OVERLAYS for dep in of_kind(rendered[target], "Deployment")
             for s in referenced_secrets(dep)}
    assert names >= {"jingban-<service>-oidc", "jingban-<service>-kafka", "jingban-<service>-mongodb",
                     "jingban-<service>-grpc-tls", "jingban-kafka-ca", "jingban-mongodb-ca",
                     "jingban-keys-<tenant>-<purpose>"}
    assert not [n for n in sorted(names) if f"`{n}`" not in readme]

