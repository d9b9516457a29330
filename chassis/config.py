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


def zipkin_endpoint(env: dict[str, str]) -> str:
    """Where spans go as Zipkin JSON v2: the standard OTEL_EXPORTER_ZIPKIN_ENDPOINT (a collector's full URL), else the
    collector of the Zipkin at JINGBAN_ZIPKIN_URL (its base URL, what the launcher prints); empty when neither."""
    explicit = env.get("OTEL_EXPORTER_ZIPKIN_ENDPOINT", "").strip()
    if explicit:
        return explicit
    base = env.get("JINGBAN_ZIPKIN_URL", "").strip().rstrip("/")
    return f"{base}/api/v2/spans" if base else ""


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
    tenants: tuple[str, ...] = ("hz-p1", "hz-p2", "qz-ci", "xy-c", "wz-a", "wz-b", "wz-c", "wz-d", "wz-e", "km-sv")
    http_host: str = "127.0.0.1"
    http_port: int = 0
    grpc_port: int = 0
    kafka_bootstrap: str = ""
    # This service's own Kafka identity (SASL SCRAM-SHA-512; the broker's ACLs name it). Empty: no SASL (embedded
    # mode, a broker without authentication).
    kafka_username: str = ""
    kafka_password: str = field(default="", repr=False)  # never in a repr or a log line
    kafka_security_protocol: str = "SASL_PLAINTEXT"  # SASL_SSL in cluster mode
    kafka_ca_file: str = ""
    mongodb_uri: str = ""
    # The identity provider (OpenID Connect issuer URL). Empty only in embedded mode, which uses its built-in
    # development issuer; any other mode refuses to start without one.
    oidc_issuer: str = ""
    oidc_client_id: str = ""  # this service's own client (default jingban-<service>)
    oidc_client_secret: str = ""
    token_max_lifetime_s: int = 12 * 3600  # tokens that claim to live longer are refused
    token_leeway_s: int = 30  # clock skew allowed on exp/iat
    grpc_tls_dir: str = ""  # ca.pem + <service>.pem/.key: gRPC over TLS (local mode's launcher makes them)
    trace_file: str = ""  # JSON-lines span export, used by local-mode tests
    otlp_endpoint: str = ""
    # Zipkin's span collector (local mode's launcher runs Zipkin): OTEL_EXPORTER_ZIPKIN_ENDPOINT, else
    # <JINGBAN_ZIPKIN_URL>/api/v2/spans; empty: no Zipkin export (cluster mode exports OTLP to its collector).
    zipkin_endpoint: str = ""
    max_upload_bytes: int = 10 * 1024 * 1024
    peers: dict[str, str] = field(default_factory=dict)  # service -> host:port of its gRPC
    db_prefix: str = "jb"  # database name = <prefix>_<service>_<tenant>
    topic_prefix: str = ""  # isolates test runs sharing one Kafka
    topic_replication: int = 1  # copies of each topic a service creates (cluster manifests: 3)
    provincial_url: str = "http://127.0.0.1:8190/"  # the provincial platform (or its simulator)
    agency_url: str = "http://127.0.0.1:8191/"  # the agency's 长护险信息管理系统 (or its simulator)
    data_dir: str = ".jingban"  # reports, exports and other files a service produces
    retry_horizon_s: float = 600.0  # how long a consumer waits out a store/broker outage before handing work back
    key_dir: str = ""  # the key provider's directory (chassis/keys.py); default <data_dir>/keys

    @property
    def keys_path(self) -> str:
        return self.key_dir or f"{self.data_dir}/keys"

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
            tenants=_tenants(e.get("JINGBAN_TENANTS", "hz-p1,hz-p2,qz-ci,xy-c,wz-a,wz-b,wz-c,wz-d,wz-e,km-sv")),
            http_host=e.get("JINGBAN_HTTP_HOST", "127.0.0.1"),
            http_port=int(e.get("JINGBAN_HTTP_PORT", DEFAULT_HTTP_PORTS.get(svc, 0))),
            grpc_port=int(e.get("JINGBAN_GRPC_PORT", DEFAULT_GRPC_PORTS.get(svc, 0))),
            kafka_bootstrap=e.get("KAFKA_BOOTSTRAP_SERVERS", ""),
            kafka_username=e.get("JINGBAN_KAFKA_USERNAME", ""),
            kafka_password=e.get("JINGBAN_KAFKA_PASSWORD", ""),
            kafka_security_protocol=e.get("JINGBAN_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
            kafka_ca_file=e.get("JINGBAN_KAFKA_CA_FILE", ""),
            mongodb_uri=e.get("MONGODB_URI", ""),
            oidc_issuer=e.get("JINGBAN_OIDC_ISSUER", ""),
            oidc_client_id=e.get("JINGBAN_OIDC_CLIENT_ID", f"jingban-{svc}" if svc else ""),
            oidc_client_secret=e.get(f"JINGBAN_OIDC_CLIENT_SECRET_{svc.upper()}", "") or e.get(
                "JINGBAN_OIDC_CLIENT_SECRET", ""),
            token_max_lifetime_s=int(e.get("JINGBAN_TOKEN_MAX_LIFETIME_S", 12 * 3600)),
            token_leeway_s=int(e.get("JINGBAN_TOKEN_LEEWAY_S", 30)),
            grpc_tls_dir=e.get("JINGBAN_GRPC_TLS_DIR", ""),
            trace_file=e.get("JINGBAN_TRACE_FILE", ""),
            otlp_endpoint=e.get("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
            zipkin_endpoint=zipkin_endpoint(e),
            max_upload_bytes=int(e.get("JINGBAN_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
            peers=peers,
            db_prefix=e.get("JINGBAN_DB_PREFIX", "jb"),
            topic_prefix=e.get("JINGBAN_TOPIC_PREFIX", ""),
            topic_replication=int(e.get("JINGBAN_TOPIC_REPLICATION", 1)),
            provincial_url=e.get("JINGBAN_PROVINCIAL_URL", "http://127.0.0.1:8190/"),
            agency_url=e.get("JINGBAN_AGENCY_URL", "http://127.0.0.1:8191/"),
            data_dir=e.get("JINGBAN_DATA_DIR", ".jingban"),
            retry_horizon_s=float(e.get("JINGBAN_RETRY_HORIZON_S", 600)),
            key_dir=e.get("JINGBAN_KEY_DIR", ""),
        )
