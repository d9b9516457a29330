"""Who may do what on the broker (Kafka ACLs, 访问控制): computed in one place from the event catalogue, what each
service consumes, the tenants served and the topic prefix, so the launcher, local mode and every test fixture with
its own prefix grant exactly the same rights.

Each service is a Kafka user of its own name (SASL SCRAM-SHA-512). Per tenant it may
- WRITE (and CREATE) the topics of the events it publishes (`{tenant}.{publisher}.{type}`, the catalogue's
  publisher) and its own dead-letter topic;
- READ (and CREATE, so a consumer that starts first can subscribe) the topics of the events it consumes;
- READ its consumer group (`{prefix}jingban-{service}`).
Nothing else: intake cannot write `hz-p1.appraisal.qualification.granted`, archive cannot read a topic it does not
file. WRITE and READ imply DESCRIBE. The `admin` user (launcher, fixtures, ops tools) is a super user and needs
no ACL. This module only computes the plan; `chassis.bus.kafka.sync_acls` applies it with the admin client."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chassis.events import CATALOGUE, dead_letter_topic, topic_for

TOPIC, GROUP = "topic", "group"
READ, WRITE, CREATE = "READ", "WRITE", "CREATE"


def principal(service: str) -> str:
    """The Kafka principal of a service's SASL user."""
    return f"User:{service}"


def consumer_group(service: str, prefix: str = "") -> str:
    """The consumer group a service reads with (chassis/consumer.py uses it, the ACLs name it)."""
    return f"{prefix}jingban-{service}"


@dataclass(frozen=True, order=True)
class AclEntry:
    """One ALLOW binding: `principal` may do `operation` on the literal resource `name` of `resource_type`."""

    principal: str
    resource_type: str  # topic | group
    name: str
    operation: str  # READ | WRITE | CREATE


def published_types(service: str) -> list[str]:
    """The event types the catalogue names `service` as publisher of."""
    return sorted(t for t, (publisher, _) in CATALOGUE.items() if publisher == service)


def acl_plan(subscriptions: Mapping[str, Iterable[str]], tenants: Iterable[str], prefix: str = "") -> list[AclEntry]:
    """Every ALLOW binding the services need, for these tenants and this topic prefix.

    `subscriptions` maps each service to the event types it consumes (what its consumer subscribes to); a service
    that consumes nothing is still listed, for what it publishes."""
    tenants = sorted(set(tenants))
    out: set[AclEntry] = set()
    for service, consumed in subscriptions.items():
        who = principal(service)
        consumed = sorted(set(consumed))
        unknown = [t for t in consumed if t not in CATALOGUE]
        if unknown:
            raise ValueError(f"{service} consumes event types the catalogue does not know: {unknown}")
        for tenant in tenants:
            writes = [topic_for(tenant, t, prefix) for t in published_types(service)]
            writes.append(dead_letter_topic(tenant, service, prefix))
            for topic in writes:
                out.update({AclEntry(who, TOPIC, topic, WRITE), AclEntry(who, TOPIC, topic, CREATE)})
            for event_type in consumed:
                topic = topic_for(tenant, event_type, prefix)
                out.update({AclEntry(who, TOPIC, topic, READ), AclEntry(who, TOPIC, topic, CREATE)})
        if consumed:
            out.add(AclEntry(who, GROUP, consumer_group(service, prefix), READ))
    return sorted(out)


def in_scope(entry: AclEntry, services: Iterable[str], tenants: Iterable[str], prefix: str = "") -> bool:
    """Whether an existing binding belongs to the plan of these services, tenants and prefix: a binding in scope
    that the plan does not hold (a subscription since removed) is stale and removed when the plan is applied.
    Other prefixes (another test run's) are out of scope, whatever the names."""
    services = set(services)
    if entry.principal not in {principal(s) for s in services}:
        return False
    if entry.resource_type == GROUP:
        return entry.name in {consumer_group(s, prefix) for s in services}
    if entry.resource_type == TOPIC:
        rest = entry.name[len(prefix):] if entry.name.startswith(prefix) else None
        return rest is not None and rest.split(".", 1)[0] in set(tenants) and rest.count(".") >= 2
    return False
