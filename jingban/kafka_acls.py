"""The broker's ACLs for the five services (Kafka identities), applied with the admin user.

What each service consumes is read from its own wiring (`SPEC.build` on in-memory adapters, the subscriptions its
consumer would open), what it publishes from the event catalogue; `chassis.bus.acls.acl_plan` turns that, the
tenants and the topic prefix into the bindings, and `chassis.bus.kafka.sync_acls` makes the broker hold exactly
them. The launcher (prefix ""), local mode and every test fixture with its own prefix go through `provision`.

    python -m jingban.kafka_acls apply [--prefix P] [--tenants a,b] [--credentials FILE] [--bootstrap HOST:PORT]
    python -m jingban.kafka_acls show  [--prefix P] [--tenants a,b]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from chassis.bus.acls import AclEntry, acl_plan
from chassis.config import SERVICES, Settings

log = logging.getLogger(__name__)


@functools.cache
def service_subscriptions() -> dict[str, tuple[str, ...]]:
    """Each service's consumed event types, as its wiring declares them (built once per process, in memory)."""
    from chassis.bus.memory import MemoryBus
    from chassis.host import ServiceHost
    from chassis.store.memory import MemoryStore

    out: dict[str, tuple[str, ...]] = {}
    with tempfile.TemporaryDirectory(prefix="jingban-acls-") as data, _quiet():
        for service in SERVICES:
            spec = importlib.import_module(f"services.{service}.main").SPEC
            settings = Settings(service=service, data_dir=data)
            host = ServiceHost(spec, settings, MemoryBus(), MemoryStore())
            parts = spec.build(host.context)
            out[service] = tuple(sorted({s.event_type for s in parts.subscriptions}))
    return out


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    level = logging.root.level
    logging.root.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logging.root.setLevel(level)


def plan(tenants: Iterable[str], prefix: str = "") -> list[AclEntry]:
    """The bindings the five services need for these tenants and this prefix."""
    return acl_plan(service_subscriptions(), tenants, prefix)


def _admin(bootstrap: str, credentials_file: str) -> Any:
    from kafka import KafkaAdminClient

    from chassis.bus.kafka import ADMIN_USER, credentials_from_file

    creds = credentials_from_file(credentials_file, ADMIN_USER)
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id="jingban-acls", request_timeout_ms=30000,
                            **creds.client_config())


def provision(bootstrap: str, credentials_file: str, tenants: Iterable[str], prefix: str = "") -> tuple[int, int]:
    """Make the broker hold the services' ACLs for these tenants and prefix (idempotent; stale bindings of the
    same scope removed). Returns (created, removed)."""
    from chassis.bus.kafka import sync_acls

    tenants = tuple(tenants)
    admin = _admin(bootstrap, credentials_file)
    try:
        return sync_acls(admin, plan(tenants, prefix), SERVICES, tenants, prefix)
    finally:
        admin.close()


def revoke(bootstrap: str, credentials_file: str, tenants: Iterable[str], prefix: str) -> None:
    """Remove a prefix's bindings (a test run's, when it ends)."""
    from chassis.bus.kafka import revoke_acls

    admin = _admin(bootstrap, credentials_file)
    try:
        revoke_acls(admin, plan(tuple(tenants), prefix))
    finally:
        admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jingban.kafka_acls", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("apply", "show"))
    parser.add_argument("--prefix", default=os.environ.get("JINGBAN_TOPIC_PREFIX", ""))
    parser.add_argument("--tenants", default=os.environ.get("JINGBAN_TENANTS", ",".join(Settings().tenants)))
    parser.add_argument("--credentials", default=os.environ.get("JINGBAN_KAFKA_CREDENTIALS", ""),
                        help="the credentials file with the admin user (the launcher's <data>/kafka/credentials.json)")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", ""))
    args = parser.parse_args(argv)
    tenants = [t.strip() for t in args.tenants.split(",") if t.strip()]
    if args.command == "show":
        for e in plan(tenants, args.prefix):
            print(f"{e.principal:<16} {e.operation:<7} {e.resource_type:<6} {e.name}")
        return 0
    if not args.bootstrap or not args.credentials:
        print("apply needs --bootstrap and --credentials (or KAFKA_BOOTSTRAP_SERVERS, JINGBAN_KAFKA_CREDENTIALS)",
              file=sys.stderr)
        return 2
    created, removed = provision(args.bootstrap, args.credentials, tenants, args.prefix)
    print(f"ACLs for prefix {args.prefix!r}, tenants {','.join(tenants)}: {created} created, {removed} removed",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
