"""Offline checks of deploy/k8s: render every overlay with kustomize, validate each object
against the Kubernetes OpenAPI schemas shipped by kubernetes-validate (strict: unknown fields
are errors), and assert the deployment properties Jingban relies on.

kustomize is built from source by deploy/k8s/tools.sh (Go toolchain, cached); no cluster,
no Docker and no network beyond the Go module proxy on the first run. The fixtures `kustomize`
and `rendered` (every overlay and the base, rendered once) are in conftest.py.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any

import kubernetes_validate
import pytest
import yaml

from chassis.host import STOP_DEADLINE_S as HOST_STOP_DEADLINE_S
from tests.cluster.render import Doc

pytestmark = pytest.mark.cluster

# Oldest Kubernetes minor we promise to run on; kubernetes-validate ships 1.25 .. 1.37.
K8S_VERSION = "1.33"

SERVICES = ("intake", "appraisal", "settlement", "audit", "archive")
HTTP_PORT, GRPC_PORT = 8080, 9090

# overlay -> (namespace, JINGBAN_TENANTS, tenant label or None for the shared deployment)
OVERLAYS: dict[str, tuple[str, str, str | None]] = {
    "hz-p1": ("jingban-hz-p1", "hz-p1", "hz-p1"),
    "hz-p2": ("jingban-hz-p2", "hz-p2", "hz-p2"),
    "qz-ci": ("jingban-qz-ci", "qz-ci", "qz-ci"),
    "xy-c": ("jingban-xy-c", "xy-c", "xy-c"),
    "wz-a": ("jingban-wz-a", "wz-a", "wz-a"),
    "wz-b": ("jingban-wz-b", "wz-b", "wz-b"),
    "wz-c": ("jingban-wz-c", "wz-c", "wz-c"),
    "wz-d": ("jingban-wz-d", "wz-d", "wz-d"),
    "wz-e": ("jingban-wz-e", "wz-e", "wz-e"),
    "km-sv": ("jingban-km-sv", "km-sv", "km-sv"),
    "shared": ("jingban", "hz-p1,hz-p2", None),
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "StorageClass",
    "PersistentVolume",
}


# --------------------------------------------------------------------------- lookups


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def by_name(docs: list[Doc], kind: str, name: str) -> Doc:
    found = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def ident(doc: Doc) -> str:
    return f"{doc['kind']}/{doc['metadata'].get('name')}"


# --------------------------------------------------------------------------- property checks
# Each returns a list of human-readable problems, so the negative tests below can prove that
# the checks themselves catch a broken object.

_QUANTITY = re.compile(
    r"(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?P<suffix>[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)"
)
_SUFFIX = {
    "": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9, "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}  # fmt: skip


def parse_quantity(value: Any) -> Decimal:
    """A Kubernetes resource.Quantity as a number. The JSON schema types Quantity as any
    string or number, so a value like "two cores" passes schema validation: check it here."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"not a quantity: {value!r}")
    m = _QUANTITY.fullmatch(str(value))
    if not m:
        raise ValueError(f"not a quantity: {value!r}")
    num, suffix = Decimal(m["num"]), m["suffix"]
    if suffix[:1] in ("e", "E"):
        return num * Decimal(10) ** int(suffix[1:])
    return num * _SUFFIX[suffix]


def deployment_problems(dep: Doc) -> list[str]:
    problems: list[str] = []
    name = dep["metadata"]["name"]
    labels = dep["metadata"].get("labels", {})
    if labels.get("app.kubernetes.io/name") != name:
        problems.append(f"{name}: label app.kubernetes.io/name != {name}")
    if labels.get("app.kubernetes.io/part-of") != "jingban":
        problems.append(f"{name}: label app.kubernetes.io/part-of != jingban")
    pod = dep["spec"]["template"]["spec"]
    psc = pod.get("securityContext", {})
    if pod.get("terminationGracePeriodSeconds") is None:
        problems.append(f"{name}: no terminationGracePeriodSeconds")
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: pod seccompProfile is not RuntimeDefault")
    tmp_volumes = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
    for c in pod.get("initContainers", []) + pod["containers"]:
        where = f"{name}/{c['name']}"
        sc = c.get("securityContext", {})

        def eff(key: str, sc: Doc = sc) -> Any:
            return sc.get(key, psc.get(key))

        if eff("runAsNonRoot") is not True:
            problems.append(f"{where}: runAsNonRoot is not true")
        if eff("runAsUser") != 10001:
            problems.append(f"{where}: runAsUser is not 10001")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: root filesystem is writable")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        if sc.get("privileged"):
            problems.append(f"{where}: privileged")
        if sc.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{where}: capabilities do not drop ALL")
        if sc.get("capabilities", {}).get("add"):
            problems.append(f"{where}: adds capabilities")
        if eff("seccompProfile") is None or eff("seccompProfile").get("type") != "RuntimeDefault":
            problems.append(f"{where}: seccompProfile is not RuntimeDefault")
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if not c.get(probe):
                problems.append(f"{where}: no {probe}")
        res = c.get("resources", {})
        for kind in ("requests", "limits"):
            for r in ("cpu", "memory"):
                v = res.get(kind, {}).get(r)
                if v is None:
                    problems.append(f"{where}: no resources.{kind}.{r}")
                    continue
                try:
                    parse_quantity(v)
                except ValueError as e:
                    problems.append(f"{where}: resources.{kind}.{r}: {e}")
        try:
            for r in ("cpu", "memory"):
                if parse_quantity(res["requests"][r]) > parse_quantity(res["limits"][r]):
                    problems.append(f"{where}: {r} request exceeds its limit")
        except (KeyError, ValueError):
            pass  # reported above
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        if mounts.get("/tmp") not in tmp_volumes:
            problems.append(f"{where}: /tmp is not an emptyDir")
    return problems


# A Jingban service exits within this many seconds of SIGTERM (stop taking requests, finish or hand back in-flight
# work, commit offsets, flush the outbox); the pod's grace period must cover it after the preStop pause.
STOP_DEADLINE_S = int(HOST_STOP_DEADLINE_S)
# ...and stay short: a hung pod holds a rollout or a node drain for the whole grace period.
MAX_GRACE_S = 30


def prestop_seconds(container: Doc) -> int:
    """How long the preStop hook holds the container before SIGTERM: `exec: sleep N` or the `sleep` handler."""
    pre = container.get("lifecycle", {}).get("preStop")
    if not pre:
        return 0
    if "sleep" in pre:
        return int(pre["sleep"]["seconds"])
    command = pre.get("exec", {}).get("command", [])
    if len(command) == 2 and command[0] == "sleep" and str(command[1]).isdigit():
        return int(command[1])
    raise ValueError(f"preStop is not a plain sleep: {pre!r}")


def grace_problems(dep: Doc) -> list[str]:
    """terminationGracePeriodSeconds covers the preStop pause plus the service's own stop, and is at most 30 s."""
    name = dep["metadata"]["name"]
    pod = dep["spec"]["template"]["spec"]
    grace = pod.get("terminationGracePeriodSeconds")
    if grace is None:
        return [f"{name}: no terminationGracePeriodSeconds"]
    problems = []
    if grace > MAX_GRACE_S:
        problems.append(f"{name}: grace period {grace}s is longer than {MAX_GRACE_S}s")
    for c in pod["containers"]:
        try:
            pause = prestop_seconds(c)
        except ValueError as e:
            problems.append(f"{name}/{c['name']}: {e}")
            continue
        if grace < pause + STOP_DEADLINE_S:
            problems.append(f"{name}/{c['name']}: grace period {grace}s < preStop {pause}s + stop deadline "
                            f"{STOP_DEADLINE_S}s: the kubelet would SIGKILL a service still stopping in time")
    return problems


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def service_problems(docs: list[Doc]) -> list[str]:
    """Every Deployment has exactly one Service selecting its pods (and no other Deployment's),
    whose target ports exist on the pod; the five Jingban services expose 8080 and 9090."""
    problems: list[str] = []
    deployments = of_kind(docs, "Deployment")
    services = of_kind(docs, "Service")
    for dep in deployments:
        name = dep["metadata"]["name"]
        pod_labels = dep["spec"]["template"]["metadata"].get("labels", {})
        match_labels = dep["spec"].get("selector", {}).get("matchLabels", {})
        if not _selects(match_labels, pod_labels):
            problems.append(f"{name}: Deployment selector does not match its own pod template")
        matching = [s for s in services if _selects(s["spec"].get("selector", {}), pod_labels)]
        if len(matching) != 1:
            problems.append(f"{name}: {len(matching)} Services select its pods, expected 1")
            continue
        svc = matching[0]
        for other in deployments:
            if other is not dep and _selects(
                svc["spec"]["selector"], other["spec"]["template"]["metadata"].get("labels", {})
            ):
                problems.append(
                    f"Service/{svc['metadata']['name']} also selects {other['metadata']['name']}'s pods"
                )
        container_ports = {
            p.get("name"): p["containerPort"]
            for c in dep["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        }
        for p in svc["spec"]["ports"]:
            target = p.get("targetPort", p["port"])
            ok = target in container_ports if isinstance(target, str) else target in container_ports.values()
            if not ok:
                problems.append(
                    f"Service/{svc['metadata']['name']}: targetPort {target!r} is not a port of {name}"
                )
        if name in SERVICES:
            if svc["metadata"]["name"] != name:
                problems.append(
                    f"{name}: its Service is named {svc['metadata']['name']!r}, peers dial {name}:9090"
                )
            by_port = {p["port"]: p for p in svc["spec"]["ports"]}
            for port in (HTTP_PORT, GRPC_PORT):
                if port not in by_port:
                    problems.append(f"Service/{name}: no port {port}")
                else:
                    target = by_port[port].get("targetPort", port)
                    resolved = container_ports.get(target) if isinstance(target, str) else target
                    if resolved != port:
                        problems.append(f"Service/{name}: port {port} targets container port {resolved}")
    return problems


def effective_env(dep: Doc, container: Doc, docs: list[Doc]) -> dict[str, Any]:
    """The container's environment as the kubelet would assemble it: envFrom ConfigMaps /
    Secrets, then env (literal values as str, secret refs as ("secret", name, key))."""
    env: dict[str, Any] = {}
    for src in container.get("envFrom", []):
        if "configMapRef" in src:
            env.update(by_name(docs, "ConfigMap", src["configMapRef"]["name"]).get("data", {}))
        elif "secretRef" in src:
            env.update(by_name(docs, "Secret", src["secretRef"]["name"]).get("stringData", {}))
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        elif "secretKeyRef" in e.get("valueFrom", {}):
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = ("secret", ref["name"], ref["key"])
        elif "configMapKeyRef" in e.get("valueFrom", {}):
            ref = e["valueFrom"]["configMapKeyRef"]
            env[e["name"]] = by_name(docs, "ConfigMap", ref["name"])["data"][ref["key"]]
    return env


def service_containers(docs: list[Doc]) -> list[tuple[Doc, Doc]]:
    out = []
    for name in SERVICES:
        dep = by_name(docs, "Deployment", name)
        (container,) = dep["spec"]["template"]["spec"]["containers"]
        out.append((dep, container))
    return out


# --------------------------------------------------------------------------- schema validation


@pytest.mark.parametrize("target", [*OVERLAYS, "base"])
def test_every_object_validates_strictly(rendered: dict[str, list[Doc]], target: str) -> None:
    failures = []
    for doc in rendered[target]:
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            failures.append(f"{ident(doc)}: {path}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:  # every kind we ship has a schema
            failures.append(f"{ident(doc)}: {e.message}")
    assert not failures, "\n".join(failures)


def _valid_deployment(rendered: dict[str, list[Doc]]) -> Doc:
    dep = copy.deepcopy(by_name(rendered["hz-p1"], "Deployment", "intake"))
    kubernetes_validate.validate(dep, K8S_VERSION, strict=True)  # the control: it passes as is
    return dep


def _reject(doc: Doc, *, strict: bool = True) -> None:
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=strict)


def test_validator_rejects_deployment_without_selector(rendered: dict[str, list[Doc]]) -> None:
    dep = _valid_deployment(rendered)
    del dep["spec"]["selector"]
    _reject(dep)


def test_validator_rejects_unknown_field_only_when_strict(rendered: dict[str, list[Doc]]) -> None:
    dep = _valid_deployment(rendered)
    container = dep["spec"]["template"]["spec"]["containers"][0]
    container["resource"] = container.pop("resources")  # the classic typo: silently ignored by a lax apply
    _reject(dep, strict=True)
    kubernetes_validate.validate(dep, K8S_VERSION, strict=False)  # why strict=True matters


def test_validator_rejects_wrongly_typed_fields(rendered: dict[str, list[Doc]]) -> None:
    dep = _valid_deployment(rendered)
    dep["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8080"
    _reject(dep)
    dep = _valid_deployment(rendered)
    dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = {"cores": 1}
    _reject(dep)
    dep = _valid_deployment(rendered)
    dep["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = "yes"
    _reject(dep)


def test_invalid_quantity_string_passes_the_schema_but_not_our_check(rendered: dict[str, list[Doc]]) -> None:
    dep = _valid_deployment(rendered)
    dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "two cores"
    # The OpenAPI schema types Quantity as "any string or number"...
    kubernetes_validate.validate(dep, K8S_VERSION, strict=True)
    # ...so the property check parses quantities itself.
    assert any("not a quantity" in p for p in deployment_problems(dep))


def test_quantity_parser() -> None:
    assert parse_quantity("100m") == Decimal("0.1")
    assert parse_quantity("1") == parse_quantity(1) == Decimal(1)
    assert parse_quantity("512Mi") == 512 * 2**20
    assert parse_quantity("1e3") == Decimal(1000)
    for bad in ("two cores", "1.5 Gi", "", "Mi", "1mi", True, None):
        with pytest.raises(ValueError):
            parse_quantity(bad)


# --------------------------------------------------------------------------- properties


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployments_are_hardened_and_probed(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    names = {d["metadata"]["name"] for d in of_kind(docs, "Deployment")}
    assert set(SERVICES) <= names
    problems = [p for dep in of_kind(docs, "Deployment") for p in deployment_problems(dep)]
    assert not problems, "\n".join(problems)


def test_hardening_check_bites(rendered: dict[str, list[Doc]]) -> None:
    dep = _valid_deployment(rendered)
    assert deployment_problems(dep) == []
    pod = dep["spec"]["template"]["spec"]
    del pod["securityContext"]["runAsNonRoot"]
    c = pod["containers"][0]
    del c["securityContext"]["runAsNonRoot"]
    del c["readinessProbe"]
    del c["resources"]["limits"]
    c["securityContext"]["capabilities"] = {"drop": ["NET_RAW"]}
    problems = "\n".join(deployment_problems(dep))
    for expected in ("runAsNonRoot", "no readinessProbe", "no resources.limits.cpu", "drop ALL"):
        assert expected in problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_namespace_is_own_and_holds_everything(rendered: dict[str, list[Doc]], overlay: str) -> None:
    namespace = OVERLAYS[overlay][0]
    docs = rendered[overlay]
    assert [d["metadata"]["name"] for d in of_kind(docs, "Namespace")] == [namespace]
    stray = [
        f"{ident(d)} in {d['metadata'].get('namespace')!r}"
        for d in docs
        if d["kind"] not in CLUSTER_SCOPED and d["metadata"].get("namespace") != namespace
    ]
    assert not stray, f"objects outside {namespace}: {stray}"
    assert not [ident(d) for d in docs if d["kind"] in CLUSTER_SCOPED - {"Namespace"}]


def _namespaces(docs: list[Doc]) -> set[str]:
    return {d["metadata"]["name"] for d in of_kind(docs, "Namespace")} | {
        d["metadata"]["namespace"] for d in docs if "namespace" in d["metadata"]
    }


def test_dedicated_tenants_share_no_namespace(rendered: dict[str, list[Doc]]) -> None:
    p1, p2, qz, shared = (_namespaces(rendered[o]) for o in ("hz-p1", "hz-p2", "qz-ci", "shared"))
    assert p1 == {"jingban-hz-p1"} and p2 == {"jingban-hz-p2"} and qz == {"jingban-qz-ci"}
    assert not p1 & p2 and not (p1 | p2) & qz
    assert not (p1 | p2 | qz) & shared
    # Every dedicated overlay (the five Wenzhou lots included) in a namespace of its own, none shared.
    dedicated = {o: _namespaces(rendered[o]) for o, (_, _, tenant) in OVERLAYS.items() if tenant is not None}
    assert all(ns == {f"jingban-{o}"} for o, ns in dedicated.items()), dedicated
    assert len(set().union(*dedicated.values())) == len(dedicated)
    assert not set().union(*dedicated.values()) & shared


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_environment(rendered: dict[str, list[Doc]], overlay: str) -> None:
    _, tenants, _ = OVERLAYS[overlay]
    docs = rendered[overlay]
    for dep, container in service_containers(docs):
        name = dep["metadata"]["name"]
        env = effective_env(dep, container, docs)
        assert env["JINGBAN_TENANTS"] == tenants, name
        assert env["JINGBAN_MODE"] == "cluster"
        assert env["JINGBAN_SERVICE"] == name
        assert env["OTEL_SERVICE_NAME"] == f"jingban-{name}"
        assert env["JINGBAN_HTTP_PORT"] == str(HTTP_PORT) and env["JINGBAN_GRPC_PORT"] == str(GRPC_PORT)
        assert container["command"] == ["python", "-m", f"services.{name}.main"]
        assert container["image"] == "jingban:0.1.0"
        # chassis binds HTTP and gRPC to JINGBAN_HTTP_HOST, 127.0.0.1 unless set.
        assert env["JINGBAN_HTTP_HOST"] == "0.0.0.0", f"{name}: would listen on loopback only"
        for peer in SERVICES:
            assert env[f"JINGBAN_{peer.upper()}_GRPC"] == f"{peer}:{GRPC_PORT}"
        assert env["KAFKA_BOOTSTRAP_SERVERS"].endswith(".kafka.svc:9093"), "the tenant's brokers, SASL_SSL listener"
        assert env["JINGBAN_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env["JINGBAN_TOPIC_REPLICATION"] == "3"
        assert env["JINGBAN_OIDC_ISSUER"].startswith("https://")
        # The agency's long-term care system: over HTTPS where a deployment names one (the Wenzhou lots).
        assert env.get("JINGBAN_AGENCY_URL", "https://").startswith("https://"), name
        assert ("JINGBAN_AGENCY_URL" in env) == overlay.startswith("wz-"), f"{name}: JINGBAN_AGENCY_URL"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://")
        assert "JINGBAN_JWT_SECRET" not in env
        # Credentials: each from the service's own Secret, by reference (tests/cluster/test_credentials.py).
        for key, secret in (("MONGODB_URI", "mongodb"), ("JINGBAN_OIDC_CLIENT_ID", "oidc"),
                            ("JINGBAN_OIDC_CLIENT_SECRET", "oidc"), ("JINGBAN_KAFKA_USERNAME", "kafka"),
                            ("JINGBAN_KAFKA_PASSWORD", "kafka")):
            assert isinstance(env[key], tuple) and env[key][:2] == ("secret", f"jingban-{name}-{secret}"), (
                f"{name}: {key} must come from the Secret jingban-{name}-{secret}"
            )


@pytest.mark.parametrize("overlay", ["hz-p1", "qz-ci", "wz-b"])
def test_dedicated_overlay_serves_exactly_its_tenant(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    values = {effective_env(d, c, docs)["JINGBAN_TENANTS"] for d, c in service_containers(docs)}
    assert values == {overlay}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_tenant_labels(rendered: dict[str, list[Doc]], overlay: str) -> None:
    tenant = OVERLAYS[overlay][2]
    docs = rendered[overlay]
    if tenant is None:
        assert all("jingban.io/tenant" not in d["metadata"].get("labels", {}) for d in docs)
        return
    unlabelled = [
        ident(d) for d in docs if d["metadata"].get("labels", {}).get("jingban.io/tenant") != tenant
    ]
    unlabelled += [
        f"{ident(d)} pods"
        for d in of_kind(docs, "Deployment")
        if d["spec"]["template"]["metadata"]["labels"].get("jingban.io/tenant") != tenant
    ]
    assert not unlabelled


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_its_service(rendered: dict[str, list[Doc]], overlay: str) -> None:
    problems = service_problems(rendered[overlay])
    assert not problems, "\n".join(problems)


def test_service_check_bites(rendered: dict[str, list[Doc]]) -> None:
    docs = copy.deepcopy(rendered["hz-p1"])
    by_name(docs, "Service", "audit")["spec"]["ports"] = [
        p for p in by_name(docs, "Service", "audit")["spec"]["ports"] if p["port"] != GRPC_PORT
    ]
    by_name(docs, "Service", "archive")["spec"]["selector"] = {"app.kubernetes.io/name": "archiver"}
    problems = "\n".join(service_problems(docs))
    assert "Service/audit: no port 9090" in problems
    assert "archive: 0 Services select its pods" in problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grace_period_covers_the_graceful_stop(rendered: dict[str, list[Doc]], overlay: str) -> None:
    problems = [p for dep, _ in service_containers(rendered[overlay]) for p in grace_problems(dep)]
    assert not problems, "\n".join(problems)


def test_grace_check_bites(rendered: dict[str, list[Doc]]) -> None:
    dep = _valid_deployment(rendered)
    assert grace_problems(dep) == []
    pod = dep["spec"]["template"]["spec"]
    pause = prestop_seconds(pod["containers"][0])
    assert pause > 0, "the services pause in preStop so endpoints drain first"
    pod["terminationGracePeriodSeconds"] = pause + STOP_DEADLINE_S - 1
    assert "stop deadline" in "\n".join(grace_problems(dep))
    pod["terminationGracePeriodSeconds"] = 60
    assert "longer than 30s" in "\n".join(grace_problems(dep))
    pod["terminationGracePeriodSeconds"] = 20
    pod["containers"][0]["lifecycle"]["preStop"] = {"sleep": {"seconds": 15}}
    assert "stop deadline" in "\n".join(grace_problems(dep))
    pod["containers"][0]["lifecycle"]["preStop"] = {"httpGet": {"path": "/drain", "port": "http"}}
    assert "not a plain sleep" in "\n".join(grace_problems(dep))


def test_pod_disruption_budgets_select_their_service(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["hz-p1"]
    for dep, _ in service_containers(docs):
        pdb = by_name(docs, "PodDisruptionBudget", dep["metadata"]["name"])
        assert _selects(pdb["spec"]["selector"]["matchLabels"], dep["spec"]["template"]["metadata"]["labels"])
        assert dep["spec"]["replicas"] >= 2, "a PDB on a single replica blocks node drains"


# --------------------------------------------------------------------------- components


def test_otel_collector_component(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["shared"]
    collector = by_name(docs, "Deployment", "otel-collector")
    svc = by_name(docs, "Service", "otel-collector")
    assert 4317 in {p["port"] for p in svc["spec"]["ports"]}
    volumes = collector["spec"]["template"]["spec"]["volumes"]
    (config_volume,) = [v for v in volumes if "configMap" in v]
    config = yaml.safe_load(
        by_name(docs, "ConfigMap", config_volume["configMap"]["name"])["data"]["config.yaml"]
    )
    assert set(config["service"]["pipelines"]) == {"traces", "metrics", "logs"}
    for dep, container in service_containers(docs):
        assert (
            effective_env(dep, container, docs)["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4317"
        )
    # Not included by the dedicated overlays: they export to the cluster-wide collector.
    assert not [d for d in rendered["hz-p1"] if d["metadata"]["name"] == "otel-collector"]
