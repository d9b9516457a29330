"""The five services in one process (embedded mode's in-memory bus and store) trusting the real identity provider:
with `JINGBAN_OIDC_ISSUER` set they verify every token through Keycloak's JWKS and call each other with their own
client-credentials tokens, exactly as in local mode. Used by the attack and role-matrix tests of issue 11."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from chassis.config import DEFAULT_GRPC_PORTS, DEFAULT_HTTP_PORTS, SERVICES
from jingban.embedded import AGENCY_SIMULATOR_PORT, SIMULATOR_PORT, EmbeddedPlatform
from tests.conftest import embedded_port_offset
from tests.support import tokens
from tests.support.infra import local_trust_env


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_offset() -> int:
    """An offset (tests/conftest.py's draw) whose every HTTP, gRPC and simulator port (the provincial platform's and
    the agency's long-term care system's) is free right now."""
    for _ in range(50):
        offset = embedded_port_offset()
        ports = [*DEFAULT_HTTP_PORTS.values(), *DEFAULT_GRPC_PORTS.values(), SIMULATOR_PORT, AGENCY_SIMULATOR_PORT]
        if all(_free(p + offset) for p in ports):
            return offset
    raise RuntimeError("no free port offset for an in-process platform")


def provider_env(tenants: tuple[str, ...], data_dir: Path) -> dict[str, str]:
    """The platform's environment: the provider's issuer (this process's test tokens switch to it), each service's
    own client secret (the realm's local ones), the tenants served, and no clock leeway (an expired token is
    expired the second it ends)."""
    trust = local_trust_env()
    return {
        "JINGBAN_OIDC_ISSUER": trust["JINGBAN_OIDC_ISSUER"],
        **{f"JINGBAN_OIDC_CLIENT_SECRET_{s.upper()}": f"local-{s}-secret" for s in SERVICES},
        "JINGBAN_TENANTS": ",".join(tenants),
        "JINGBAN_TOKEN_LEEWAY_S": "0",
        "JINGBAN_DATA_DIR": str(data_dir),
    }


@asynccontextmanager
async def provider_platform(tenants: tuple[str, ...], data_dir: Path) -> AsyncIterator[EmbeddedPlatform]:
    """A started platform trusting Keycloak; afterwards this process's test tokens are the development issuer's
    again (other tiers' in-process tests rely on it)."""
    platform = EmbeddedPlatform(env=provider_env(tenants, data_dir), port_offset=free_port_offset())
    await platform.start()
    try:
        yield platform
    finally:
        await platform.stop()
        tokens.use_dev_issuer()
