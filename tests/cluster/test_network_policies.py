"""NetworkPolicies of every overlay (components/network-policies + the overlay's network.yaml), evaluated offline
with tests/cluster/netpol.py:

- every pod is isolated both ways (default deny per namespace), and no rule is open: each names its peers (a
  namespace and pods, or a narrow ipBlock) and its ports;
- HTTP reaches a service only from the ingress gateway (and Prometheus); gRPC only from the services that call it,
  the calls derived from the source (`channel("<peer>")`), so a new call without its policy fails here;
- a service goes out only to DNS, its peers, the deployment's own Kafka brokers and MongoDB, the identity provider,
  the OTLP collector, for those that talk to it, the province's platform gateway and, in a long-term care deployment
  (wz-a … wz-e), for the service that pushes to it, the agency's system's gateway; the destinations are taken
  from the deployment's own settings, so the policies and the endpoints cannot drift apart; another tenant's
  datastores, another province's platform, an agency's system where the deployment names none, and the internet
  stay out of reach.
"""

from __future__ import annotations

import copy
import re
from urllib.parse import urlsplit

import pytest

from tests.cluster.netpol import (
    Endpoint,
    allowed,
    open_rule_problems,
    peer_matches,
    policies_selecting,
    selects,
)
from tests.cluster.render import REPO, Doc
from tests.cluster.test_manifests import (
    GRPC_PORT,
    HTTP_PORT,
    OVERLAYS,
    SERVICES,
    by_name,
    effective_env,
    of_kind,
    service_containers,
)

pytestmark = pytest.mark.cluster

# overlay -> (its datastores' name: Strimzi cluster and MongoDB instance, its province's platform gateway, the
# gateway to the agency's long-term care system or None where the deployment has none).
# The provinces: 汉中 is in Shaanxi (cn-sn), 衢州 and 温州 (the five long-term care lots wz-a…wz-e) in Zhejiang
# (cn-zj), 浔阳区 (九江) in Jiangxi (cn-jx), 克拉玛依区 in Xinjiang (cn-xj). The five Wenzhou lots push to one agency
# system (长护险信息管理系统).
DESTINATIONS: dict[str, tuple[str, str, str | None]] = {
    "hz-p1": ("jingban-hz-p1", "provincial-cn-sn", None),
    "hz-p2": ("jingban-hz-p2", "provincial-cn-sn", None),
    "qz-ci": ("jingban-qz-ci", "provincial-cn-zj", None),
    "xy-c": ("jingban-xy-c", "provincial-cn-jx", None),
    "wz-a": ("jingban-wz-a", "provincial-cn-zj", "agency-wz-ltc"),
    "wz-b": ("jingban-wz-b", "provincial-cn-zj", "agency-wz-ltc"),
    "wz-c": ("jingban-wz-c", "provincial-cn-zj", "agency-wz-ltc"),
    "wz-d": ("jingban-wz-d", "provincial-cn-zj", "agency-wz-ltc"),
    "wz-e": ("jingban-wz-e", "provincial-cn-zj", "agency-wz-ltc"),
    "km-sv": ("jingban-km-sv", "provincial-cn-xj", None),
    "shared": ("jingban-shared", "provincial-cn-sn", None),
}
GATEWAY = Endpoint("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
PROMETHEUS = Endpoint("monitoring", {"app.kubernetes.io/name": "prometheus"})
KUBE_DNS = Endpoint("kube-system", {"k8s-app": "kube-dns"})
INTERNET = Endpoint(ip="203.0.113.7")  # TEST-NET-3: any address outside the cluster
COMMON_PORTS = (53, 80, 443, 8080, 8443, 9090, 9092, 9093, 27017)


# --------------------------------------------------------------------------- what the code calls


def _source(service: str) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "services" / service).rglob("*.py")))


_DIAL = re.compile(r"""\.channel\(\s*["'](\w+)["']\s*\)""")


def grpc_calls() -> dict[str, set[str]]:
    """service -> the peers it dials over gRPC: `channel("<peer>")` in its own code, or in a chassis module it
    imports (chassis/policies.py's PolicyReader dials settlement)."""
    chassis_dials = {
        f"chassis.{p.stem}": set(_DIAL.findall(p.read_text(encoding="utf-8")))
        for p in sorted((REPO / "chassis").glob("*.py"))
    }
    calls: dict[str, set[str]] = {}
    for service in SERVICES:
        code = _source(service)
        peers = set(_DIAL.findall(code))
        for module, dialed in chassis_dials.items():
            if dialed and re.search(rf"^\s*(from {re.escape(module)} import|import {re.escape(module)}\b)", code,
                                    re.MULTILINE):
                peers |= dialed
        calls[service] = peers - {service}
    return calls


def provincial_callers() -> set[str]:
    """The services that talk to the provincial platform (its client in their code)."""
    return {s for s in SERVICES if re.search(r"\bProvincialClient\b", _source(s))}


def agency_callers() -> set[str]:
    """The services that push to the agency's long-term care system (its client in their code)."""
    return {s for s in SERVICES if re.search(r"\bAgencyClient\b", _source(s))}


CALLS = grpc_calls()
PROVINCIAL = provincial_callers()
AGENCY = agency_callers()


def test_the_call_graph_is_read_from_the_code() -> None:
    """The derivation still finds the calls the code makes (a guard on the regexes, not a specification)."""
    assert "intake" in CALLS["appraisal"] and "appraisal" in CALLS["intake"]
    assert "settlement" in CALLS["intake"] & CALLS["appraisal"]  # through chassis/policies.py
    assert {"appraisal", "settlement", "intake"} <= PROVINCIAL
    assert "settlement" in AGENCY  # services/settlement/agency_feed


# --------------------------------------------------------------------------- endpoints


def namespace_of(docs: list[Doc]) -> str:
    (ns,) = of_kind(docs, "Namespace")
    return ns["metadata"]["name"]


def pod(docs: list[Doc], deployment: str) -> Endpoint:
    (ns,) = of_kind(docs, "Namespace")
    dep = by_name(docs, "Deployment", deployment)
    return Endpoint(ns["metadata"]["name"], dep["spec"]["template"]["metadata"]["labels"],
                    ns["metadata"].get("labels", {}))


def kafka_broker(cluster: str) -> Endpoint:
    """A broker pod of a Strimzi cluster (the labels Strimzi puts on it)."""
    return Endpoint("kafka", {"strimzi.io/cluster": cluster, "strimzi.io/kind": "Kafka",
                              "strimzi.io/name": f"{cluster}-kafka"})


def mongodb_member(instance: str) -> Endpoint:
    return Endpoint("mongodb", {"app.kubernetes.io/name": "mongodb", "app.kubernetes.io/instance": instance})


def service_host(host: str, own_namespace: str) -> tuple[str, str]:
    """(service name, namespace) of `<name>[.<namespace>[.svc[.cluster.local]]]`."""
    parts = host.split(".")
    return parts[0], parts[1] if len(parts) > 1 else own_namespace


def url_endpoint(url: str, own_namespace: str) -> tuple[Endpoint, int]:
    """The pods behind a URL's in-cluster Service, by the convention Service name = app.kubernetes.io/name."""
    u = urlsplit(url)
    name, ns = service_host(u.hostname or "", own_namespace)
    return Endpoint(ns, {"app.kubernetes.io/name": name}), u.port or (443 if u.scheme == "https" else 80)


def destinations(docs: list[Doc], overlay: str) -> dict[str, tuple[Endpoint, int]]:
    """Where the deployment's settings send a service: Kafka (its bootstrap), MongoDB (the deployment's instance,
    the host itself being in the Secret), the identity provider, the OTLP collector, the provincial platform and,
    where the deployment names one (JINGBAN_AGENCY_URL), the agency's long-term care system."""
    ns = namespace_of(docs)
    dep, container = service_containers(docs)[0]
    env = effective_env(dep, container, docs)
    bootstrap_host, port = env["KAFKA_BOOTSTRAP_SERVERS"].split(",")[0].rsplit(":", 1)
    bootstrap, _ = service_host(bootstrap_host, ns)
    assert bootstrap.endswith("-kafka-bootstrap"), "a Strimzi bootstrap Service: <cluster>-kafka-bootstrap"
    found = {
        "kafka": (kafka_broker(bootstrap.removesuffix("-kafka-bootstrap")), int(port)),
        "mongodb": (mongodb_member(DESTINATIONS[overlay][0]), 27017),
        "oidc": url_endpoint(env["JINGBAN_OIDC_ISSUER"], ns),
        "otlp": url_endpoint(env["OTEL_EXPORTER_OTLP_ENDPOINT"], ns),
        "provincial": url_endpoint(env["JINGBAN_PROVINCIAL_URL"], ns),
    }
    if "JINGBAN_AGENCY_URL" in env:
        found["agency"] = url_endpoint(env["JINGBAN_AGENCY_URL"], ns)
    return found


# --------------------------------------------------------------------------- coverage and open rules


def coverage_problems(docs: list[Doc]) -> list[str]:
    """A namespace-wide default deny both ways, and every Deployment's pods isolated both ways."""
    problems = []
    deny = [np for np in of_kind(docs, "NetworkPolicy") if np["spec"]["podSelector"] == {}
            and sorted(np["spec"].get("policyTypes", [])) == ["Egress", "Ingress"]
            and not np["spec"].get("ingress") and not np["spec"].get("egress")]
    if not deny:
        problems.append("no default deny (podSelector {}, Ingress and Egress, no rules)")
    for dep in of_kind(docs, "Deployment"):
        labels = dep["spec"]["template"]["metadata"]["labels"]
        ep = Endpoint(dep["metadata"].get("namespace", ""), labels)
        for direction in ("Ingress", "Egress"):
            if not policies_selecting(docs, ep, direction):
                problems.append(f"Deployment/{dep['metadata']['name']}: no NetworkPolicy isolates its {direction}")
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_is_covered(rendered: dict[str, list[Doc]], overlay: str) -> None:
    problems = coverage_problems(rendered[overlay])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_rule_is_open(rendered: dict[str, list[Doc]], overlay: str) -> None:
    problems = open_rule_problems(rendered[overlay])
    assert not problems, "\n".join(problems)


def test_coverage_and_open_checks_bite(rendered: dict[str, list[Doc]]) -> None:
    docs = copy.deepcopy(rendered["hz-p1"])
    stray = copy.deepcopy(by_name(docs, "Deployment", "audit"))
    stray["metadata"]["name"] = "debug"
    stray["spec"]["template"]["metadata"]["labels"] = {"app.kubernetes.io/name": "debug"}
    docs = [d for d in docs if d["metadata"]["name"] != "default-deny-all"] + [stray]
    problems = "\n".join(coverage_problems(docs))
    assert "no default deny" in problems
    assert "Deployment/debug: no NetworkPolicy isolates its Ingress" in problems

    docs = copy.deepcopy(rendered["hz-p1"])
    kafka = by_name(docs, "NetworkPolicy", "jingban-allow-kafka-egress")
    kafka["spec"]["egress"].append({"ports": [{"protocol": "TCP", "port": 9093}]})
    kafka["spec"]["egress"].append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]})
    kafka["spec"]["egress"].append({"to": [{"namespaceSelector": {}}], "ports": [{"port": 443}]})
    kafka["spec"]["egress"].append({"to": [{"podSelector": {}}]})
    problems = "\n".join(open_rule_problems(docs))
    for expected in ("no `to`: open to every peer", "0.0.0.0/0 is wider than /16", "every namespace",
                     "every pod of the namespace", "no `ports`: every port"):
        assert expected in problems
    # ...and the evaluator agrees: the port-only rule lets intake reach the internet on 9093.
    assert allowed(docs, pod(docs, "intake"), INTERNET, 9093)
    assert not allowed(rendered["hz-p1"], pod(rendered["hz-p1"], "intake"), INTERNET, 9093)


# --------------------------------------------------------------------------- ingress


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grpc_only_from_the_services_that_call(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    wrong = []
    for caller in SERVICES:
        for callee in SERVICES:
            if caller == callee:
                continue
            expected = callee in CALLS[caller]
            if allowed(docs, pod(docs, caller), pod(docs, callee), GRPC_PORT) != expected:
                wrong.append(f"{caller} -> {callee}:{GRPC_PORT} {'denied' if expected else 'allowed'}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_http_only_from_the_gateway(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    ns = namespace_of(docs)
    stranger_here = Endpoint(ns, {"app.kubernetes.io/name": "debug"})
    other_tenant = Endpoint("jingban-elsewhere", {"app.kubernetes.io/part-of": "jingban",
                                                  "app.kubernetes.io/component": "service",
                                                  "app.kubernetes.io/name": "intake"})
    for service in SERVICES:
        target = pod(docs, service)
        assert allowed(docs, GATEWAY, target, HTTP_PORT), service
        assert allowed(docs, PROMETHEUS, target, HTTP_PORT), service
        assert not allowed(docs, GATEWAY, target, GRPC_PORT), f"{service}: gRPC from the gateway"
        for source in (stranger_here, other_tenant, INTERNET):
            for port in (HTTP_PORT, GRPC_PORT):
                assert not allowed(docs, source, target, port), f"{source} -> {service}:{port}"
        # A peer's pods reach another service over gRPC only: never its HTTP surface.
        for peer in SERVICES:
            if peer != service:
                assert not allowed(docs, pod(docs, peer), target, HTTP_PORT), f"{peer} -> {service} HTTP"


# --------------------------------------------------------------------------- egress


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_egress_reaches_the_named_destinations_only(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    dest = destinations(docs, overlay)
    store, province, agency = DESTINATIONS[overlay]
    others = {name for name, _, _ in DESTINATIONS.values()} - {store}
    other_provinces = {p for _, p, _ in DESTINATIONS.values()} - {province}
    other_agencies = {a for _, _, a in DESTINATIONS.values() if a} - {agency}
    assert dest["kafka"][0] == kafka_broker(store), "KAFKA_BOOTSTRAP_SERVERS names the deployment's own cluster"
    assert dest["provincial"][0].labels == {"app.kubernetes.io/name": province}
    if agency:
        assert "agency" in dest, "a long-term care deployment names its agency's system (JINGBAN_AGENCY_URL)"
        assert dest["agency"][0].labels == {"app.kubernetes.io/name": agency}
    else:
        assert "agency" not in dest, "JINGBAN_AGENCY_URL where DESTINATIONS names no agency's system"
    wrong = []

    def expect(service: str, target: Endpoint, port: int, ok: bool, what: str, protocol: str = "TCP") -> None:
        if allowed(docs, pod(docs, service), target, port, protocol) != ok:
            wrong.append(f"{service} -> {what}:{port}/{protocol} {'denied' if ok else 'allowed'}")

    for service in SERVICES:
        for what in ("kafka", "mongodb", "oidc", "otlp"):
            target, port = dest[what]
            expect(service, target, port, True, what)
        target, port = dest["provincial"]
        expect(service, target, port, service in PROVINCIAL, "provincial platform")
        if "agency" in dest:
            target, port = dest["agency"]
            expect(service, target, port, service in AGENCY, "agency's system")
        expect(service, KUBE_DNS, 53, True, "dns", "UDP")
        expect(service, KUBE_DNS, 53, True, "dns", "TCP")
        # The right place on another port, another tenant's datastores, another province, the rest of the world.
        expect(service, dest["kafka"][0], 9092, False, "kafka plaintext listener")
        expect(service, dest["mongodb"][0], 27018, False, "mongodb other port")
        for other in sorted(others):
            expect(service, kafka_broker(other), dest["kafka"][1], False, f"kafka {other}")
            expect(service, mongodb_member(other), 27017, False, f"mongodb {other}")
        for other in sorted(other_provinces | other_agencies):
            expect(service, Endpoint("egress-gateway", {"app.kubernetes.io/name": other}), 443, False, other)
        for port in COMMON_PORTS:
            expect(service, INTERNET, port, False, "internet")
        expect(service, Endpoint("default", {"component": "apiserver"}), 443, False, "kube-apiserver")
    assert not wrong, "\n".join(wrong)


def test_the_in_namespace_collector_is_closed_too(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["shared"]
    collector = pod(docs, "otel-collector")
    for service in SERVICES:
        assert allowed(docs, pod(docs, service), collector, 4317)
    assert not allowed(docs, GATEWAY, collector, 4317)
    assert allowed(docs, collector, KUBE_DNS, 53, "UDP")
    assert not allowed(docs, collector, pod(docs, "intake"), HTTP_PORT)
    for port in COMMON_PORTS:
        assert not allowed(docs, collector, INTERNET, port)
    assert allowed(docs, collector, Endpoint("observability", {"app.kubernetes.io/name": "otlp-gateway"}), 4317)


# --------------------------------------------------------------------------- the evaluator itself


def test_evaluator_semantics() -> None:
    assert selects({}, {"a": "1"})
    assert selects({"matchExpressions": [{"key": "n", "operator": "In", "values": ["x", "y"]}]}, {"n": "y"})
    assert not selects({"matchExpressions": [{"key": "n", "operator": "In", "values": ["x"]}]}, {})
    assert selects({"matchExpressions": [{"key": "n", "operator": "DoesNotExist"}]}, {})
    here, there = Endpoint("a", {"k": "v"}), Endpoint("b", {"k": "v"})
    assert peer_matches({"podSelector": {"matchLabels": {"k": "v"}}}, here, "a")
    assert not peer_matches({"podSelector": {"matchLabels": {"k": "v"}}}, there, "a")  # same namespace only
    assert peer_matches({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "b"}}}, there, "a")
    block = {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}}
    assert peer_matches(block, Endpoint(ip="10.0.2.1"), "a")
    assert not peer_matches(block, Endpoint(ip="10.0.1.1"), "a")
    assert not peer_matches(block, here, "a")
    np = {"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "a"},
          "spec": {"podSelector": {"matchLabels": {"k": "v"}}, "policyTypes": ["Egress"],
                   "egress": [{"to": [{"podSelector": {}}], "ports": [{"port": 9092, "endPort": 9094}]}]}}
    assert allowed([np], here, Endpoint("a", {"x": "y"}), 9093)
    assert not allowed([np], here, Endpoint("a", {"x": "y"}), 9095)
    assert not allowed([np], here, there, 9093)
    assert allowed([np], Endpoint("a", {"other": "pod"}), there, 1)  # not selected: not isolated
