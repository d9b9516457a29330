"""Programs as data: which carriers (tenants) share a program and in what shares, the county →
tenant routing, and the program's operating settings. Every service reads these; the policy table
(benefits) is settlement's and travels over gRPC and the `policy.published` event."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from chassis.config import TENANT_RE
from chassis.errors import InvalidInput, NotFound

PROGRAMS_DIR = Path(__file__).resolve().parents[1] / "programs"


@dataclass(frozen=True)
class TenantShare:
    tenant: str
    share: Decimal
    package: int
    lead: bool
    fixmedins_code: str
    name: str


@dataclass(frozen=True)
class Program:
    code: str
    name: str
    agency: str
    division: str
    tenants: tuple[TenantShare, ...]
    counties: dict[str, str]
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)

    def tenant_for_county(self, county: str) -> str:
        """Which carrier handles an applicant from this county (6-digit division code)."""
        tenant = self.counties.get(county)
        if tenant is None:
            raise NotFound(f"county {county} is not served by program {self.code}")
        return tenant

    def share_of(self, tenant: str) -> Decimal:
        for t in self.tenants:
            if t.tenant == tenant:
                return t.share
        raise NotFound(f"tenant {tenant} is not a carrier of program {self.code}")

    def setting(self, section: str, key: str, default: Any = None) -> Any:
        return self.settings.get(section, {}).get(key, default)


def parse_program(data: dict[str, Any]) -> Program:
    try:
        tenants = tuple(
            TenantShare(t, Decimal(str(v["share"])), int(v["package"]), bool(v.get("lead", False)),
                        str(v.get("fixmedins_code", "")), str(v.get("name", t)))
            for t, v in data["tenants"].items()
        )
        program = Program(
            code=str(data["code"]), name=str(data["name"]), agency=str(data.get("agency", "")),
            division=str(data.get("division", "")), tenants=tenants,
            counties={str(k): str(v) for k, v in (data.get("counties") or {}).items()},
            settings={k: v for k, v in data.items() if isinstance(v, dict) and k not in ("tenants", "counties")},
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise InvalidInput(f"program definition is invalid: {exc!r}", "program") from exc
    if sum(t.share for t in program.tenants) != Decimal(1):
        raise InvalidInput(f"tenant shares of {program.code} must add up to 1", "tenants")
    bad = [t.tenant for t in program.tenants if not TENANT_RE.match(t.tenant)]
    unknown = sorted({v for v in program.counties.values()} - {t.tenant for t in program.tenants})
    if bad or unknown:
        raise InvalidInput(f"invalid tenants {bad} or counties routed to unknown tenants {unknown}", "tenants")
    return program


@cache
def load_program(code: str, root: Path = PROGRAMS_DIR) -> Program:
    path = root / code / "program.yaml"
    if not path.exists():
        raise NotFound(f"program {code} is not defined")
    return parse_program(yaml.safe_load(path.read_text(encoding="utf-8")))


@cache
def _program_of_tenants(root: Path) -> dict[str, str]:
    """tenant → program code, read once per process (the programs directory is part of the release)."""
    table: dict[str, str] = {}
    for path in sorted(root.glob("*/program.yaml")):
        for t in load_program(path.parent.name, root).tenants:
            table.setdefault(t.tenant, path.parent.name)
    return table


def program_of_tenant(tenant: str, root: Path = PROGRAMS_DIR) -> Program | None:
    code = _program_of_tenants(root).get(tenant)
    return load_program(code, root) if code else None


def sample_policy_path(code: str, year: int = 2025, root: Path = PROGRAMS_DIR) -> Path:
    return root / code / f"policy-{year}.yaml"


def readable_tenants(tenant: str, role: str, program_claim: str, served: tuple[str, ...],
                     root: Path = PROGRAMS_DIR) -> tuple[str, ...]:
    """The tenants a caller may read: its own; an agency supervisor (医保经办机构) whose token names its program
    reads every tenant of that program this deployment serves — never another program's. Both the tenant and
    the program come from the verified token."""
    if role != "supervisor" or not program_claim:
        return (tenant,)
    try:
        program = load_program(program_claim, root)
    except NotFound:
        return (tenant,)
    members = {t.tenant for t in program.tenants}
    if tenant not in members:  # a supervisor token must belong to one of its program's tenants
        return (tenant,)
    return tuple(t for t in served if t in members) or (tenant,)
