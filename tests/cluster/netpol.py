"""A small evaluator of Kubernetes NetworkPolicies over rendered objects, so the cluster tests can ask "may this pod
reach that one on this port?" offline, with the API's semantics:

- a pod is isolated for a direction once any policy of its namespace selects it for that direction; then only
  what some rule of those policies allows passes (policies add up, none subtracts);
- a rule without `ports` allows every port, a rule without `to`/`from` every peer;
- a peer with only a podSelector means pods of the policy's own namespace; with a namespaceSelector, pods of the
  selected namespaces (all of their pods when no podSelector is given); an ipBlock matches addresses, not pods;
- a connection passes when the source's egress AND the destination's ingress allow it. Only policies of the
  rendered objects are known: a side outside the rendered namespace is taken as not isolated.

Named ports are not resolved (the manifests use numbers)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Doc = dict[str, Any]
NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Endpoint:
    """A pod (namespace + labels) or, with `ip`, an address outside the cluster's pods."""

    namespace: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    ns_labels: Mapping[str, str] = field(default_factory=dict)
    ip: str = ""

    @property
    def namespace_labels(self) -> dict[str, str]:
        return {**self.ns_labels, NAME_LABEL: self.namespace}


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """metav1.LabelSelector semantics: matchLabels AND every matchExpression; an empty selector selects all."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        present = key in labels
        ok = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[op]
        if not ok:
            return False
    return True


def policy_types(policy: Doc) -> list[str]:
    types = policy["spec"].get("policyTypes")
    if types:
        return list(types)
    return ["Ingress"] + (["Egress"] if "egress" in policy["spec"] else [])


def policies_selecting(docs: list[Doc], pod: Endpoint, direction: str) -> list[Doc]:
    """The policies of the pod's namespace that isolate it for `direction` ("Ingress" or "Egress")."""
    return [
        np for np in docs
        if np["kind"] == "NetworkPolicy" and np["metadata"].get("namespace", "") == pod.namespace
        and direction in policy_types(np) and selects(np["spec"].get("podSelector"), pod.labels)
    ]


def peer_matches(peer: Mapping[str, Any], other: Endpoint, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        if not other.ip:
            return False
        addr = ipaddress.ip_address(other.ip)
        block = peer["ipBlock"]
        if addr not in ipaddress.ip_network(block["cidr"], strict=False):
            return False
        return not any(addr in ipaddress.ip_network(e, strict=False) for e in block.get("except", []))
    if other.ip:  # selectors name pods, never an outside address
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], other.namespace_labels):
            return False
    elif other.namespace != policy_namespace:
        return False
    return "podSelector" not in peer or selects(peer["podSelector"], other.labels)


def port_matches(ports: list[Mapping[str, Any]] | None, port: int, protocol: str) -> bool:
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p:
            return True
        first = p["port"]
        if isinstance(first, int) and first <= port <= p.get("endPort", first):
            return True
    return False


def _allows(policies: list[Doc], direction: str, other: Endpoint, port: int, protocol: str) -> bool:
    key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    for np in policies:
        for rule in np["spec"].get(key) or []:
            peers = rule.get(peers_key)
            if not port_matches(rule.get("ports"), port, protocol):
                continue
            if not peers or any(peer_matches(p, other, np["metadata"].get("namespace", "")) for p in peers):
                return True
    return False


def egress_allowed(docs: list[Doc], src: Endpoint, dst: Endpoint, port: int, protocol: str = "TCP") -> bool:
    isolating = policies_selecting(docs, src, "Egress")
    return not isolating or _allows(isolating, "Egress", dst, port, protocol)


def ingress_allowed(docs: list[Doc], src: Endpoint, dst: Endpoint, port: int, protocol: str = "TCP") -> bool:
    if dst.ip:
        return True
    isolating = policies_selecting(docs, dst, "Ingress")
    return not isolating or _allows(isolating, "Ingress", src, port, protocol)


def allowed(docs: list[Doc], src: Endpoint, dst: Endpoint, port: int, protocol: str = "TCP") -> bool:
    """Whether a connection from src to dst:port passes every policy the rendered objects hold."""
    return egress_allowed(docs, src, dst, port, protocol) and ingress_allowed(docs, src, dst, port, protocol)


def open_rule_problems(docs: list[Doc]) -> list[str]:
    """Rules that do not name both their peers and their ports: an egress rule without `to` or `ports`, an ingress
    rule without `from` or `ports`, a peer that is every namespace, every pod of the namespace, or a wide ipBlock."""
    problems: list[str] = []
    for np in (d for d in docs if d["kind"] == "NetworkPolicy"):
        name = np["metadata"]["name"]
        for key, peers_key in (("egress", "to"), ("ingress", "from")):
            for i, rule in enumerate(np["spec"].get(key) or []):
                where = f"NetworkPolicy/{name} {key}[{i}]"
                if not rule.get(peers_key):
                    problems.append(f"{where}: no `{peers_key}`: open to every peer")
                if not rule.get("ports"):
                    problems.append(f"{where}: no `ports`: every port")
                for peer in rule.get(peers_key) or []:
                    problems += [f"{where}: {p}" for p in _peer_problems(peer)]
    return problems


def _named(selector: Mapping[str, Any] | None) -> bool:
    return bool(selector) and bool(selector.get("matchLabels") or selector.get("matchExpressions"))


def _peer_problems(peer: Mapping[str, Any]) -> list[str]:
    if "ipBlock" in peer:
        net = ipaddress.ip_network(peer["ipBlock"]["cidr"], strict=False)
        widest = 16 if net.version == 4 else 48
        return [f"ipBlock {net} is wider than /{widest}"] if net.prefixlen < widest else []
    if "namespaceSelector" in peer and not _named(peer["namespaceSelector"]):
        return ["namespaceSelector {} is every namespace"]
    if "namespaceSelector" not in peer and not _named(peer.get("podSelector")):
        return ["podSelector {} is every pod of the namespace"]
    return []
