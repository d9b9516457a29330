"""Every RPC of every service has an access rule (a method without one would be closed, so a forgotten rule is a
broken feature, not a hole) — and the identity provider's realm gives each service's own token exactly the
audiences of the services whose rules admit it."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool

from chassis.config import SERVICES
from chassis.rpc import RpcAccess
from jingban.embedded import EmbeddedPlatform
from tests.conftest import embedded_port_offset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
async def platform() -> Iterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


def _methods(service_full_name: str) -> set[str]:
    svc = descriptor_pool.Default().FindServiceByName(service_full_name)
    return {f"/{service_full_name}/{m.name}" for m in svc.methods}


async def test_every_rpc_has_a_rule_and_every_rule_an_rpc(platform: EmbeddedPlatform) -> None:
    with_rpcs = 0
    for name, host in platform.hosts.items():
        assert host.parts is not None
        with_rpcs += bool(host.parts.grpc_service_names)
        served = set().union(*(_methods(s) for s in host.parts.grpc_service_names))
        rules: dict[str, RpcAccess] = host.parts.grpc_access
        assert set(rules) == served, (name, sorted(served ^ set(rules)))
        for method, rule in rules.items():
            assert rule.services or rule.roles, f"{method}: a rule admitting no one"
            assert rule.services <= set(SERVICES) - {name}, method
            assert "service" not in rule.roles, f"{method}: services are named, not admitted by role"
    assert with_rpcs == 4  # audit serves no RPC


async def test_the_realm_gives_each_service_the_audiences_its_calls_need(platform: EmbeddedPlatform) -> None:
    spec = importlib.util.spec_from_file_location("gen_realm", ROOT / "deploy" / "local" / "keycloak" / "gen_realm.py")
    assert spec and spec.loader
    realm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(realm)
    needed: dict[str, set[str]] = {s: set() for s in SERVICES}
    for target, host in platform.hosts.items():
        assert host.parts is not None
        for rule in host.parts.grpc_access.values():
            for caller in rule.services:
                needed[caller].add(target)
    assert {s: set(p) for s, p in realm.PEERS.items()} == needed
