"""Configuration from the environment, read once per process."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,30}$")
SERVICES = ("intake", "appraisal", "settlement", "audit", "archive")

# Local and embedded ports: HTTP 81xx, gRPC 91xx, in SERVICES order.
DEFAULT_HTTP_PORTS = {name: 8101 + i for i, name in enumerate(SERVICES)}
DEFAULT_GRPC_PORTS = {name: 9101 + i for i, name in enumerate(SERVICES)}

DEV_JWT_SECRET = "jingban-dev-secret-change-me-0123456789abcdef"


def _tenants(raw: str) -> tuple[str, ...]:
    tenants = tuple(t.strip() for t in raw.split(",") if t.strip())
    bad = [t for t in tenants if not TENANT_RE.match(t)]
    if bad:
        raise ValueError(f"JINGBAN_TENANTS has invalid tenant ids: {bad}")
    return tenants


@dataclass(frozen=True)
class Settings:
    """Everything a service reads from its environment."""

    mode: str = "embedded"  # embedded | local | cluster
    service: str = ""
    tenants: tuple[str, ...] = ("hz-p1", "hz-p2", "qz-ci", "xy-c")
    http_host: str = "127.0.0.1"
    http_port: int = 0
    grpc_port: int = 0
    kafka_bootstrap: str = ""
    mongodb_uri: str = ""
    jwt_secret: str = DEV_JWT_SECRET
    trace_file: str = ""  # JSON-lines span export, used by local-mode tests
    otlp_endpoint: str = ""
    max_upload_bytes: int = 10 * 1024 * 1024
    peers: dict[str, str] = field(default_factory=dict)  # service -> host:port of its gRPC
    db_prefix: str = "jb"  # database name = <prefix>_<service>_<tenant>
    topic_prefix: str = ""  # isolates test runs sharing one Kafka
    provincial_url: str = "http://127.0.0.1:8190/"  # the provincial platform (or its simulator)
    data_dir: str = ".jingban"  # reports, exports and other files a service produces
    retry_horizon_s: float = 600.0  # how long a consumer waits out a store/broker outage before handing work back

    @staticmethod
    def from_env(service: str = "", env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        svc = service or e.get("JINGBAN_SERVICE", "")
        peers = {
            name: e.get(f"JINGBAN_{name.upper()}_GRPC", f"127.0.0.1:{DEFAULT_GRPC_PORTS[name]}")
            for name in SERVICES
        }
        return Settings(
            mode=e.get("JINGBAN_MODE", "embedded"),
            service=svc,
            tenants=_tenants(e.get("JINGBAN_TENANTS", "hz-p1,hz-p2,qz-ci,xy-c")),
            http_host=e.get("JINGBAN_HTTP_HOST", "127.0.0.1"),
            http_port=int(e.get("JINGBAN_HTTP_PORT", DEFAULT_HTTP_PORTS.get(svc, 0))),
            grpc_port=int(e.get("JINGBAN_GRPC_PORT", DEFAULT_GRPC_PORTS.get(svc, 0))),
            kafka_bootstrap=e.get("KAFKA_BOOTSTRAP_SERVERS", ""),
            mongodb_uri=e.get("MONGODB_URI", ""),
            jwt_secret=e.get("JINGBAN_JWT_SECRET", DEV_JWT_SECRET),
            trace_file=e.get("JINGBAN_TRACE_FILE", ""),
            otlp_endpoint=e.get("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
            max_upload_bytes=int(e.get("JINGBAN_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
            peers=peers,
            db_prefix=e.get("JINGBAN_DB_PREFIX", "jb"),
            topic_prefix=e.get("JINGBAN_TOPIC_PREFIX", ""),
            provincial_url=e.get("JINGBAN_PROVINCIAL_URL", "http://127.0.0.1:8190/"),
            data_dir=e.get("JINGBAN_DATA_DIR", ".jingban"),
            retry_horizon_s=float(e.get("JINGBAN_RETRY_HORIZON_S", 600)),
        )
