"""The audit settings of the program a tenant serves (programs/<code>/program.yaml, section `audit`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from chassis.programs import program_of_tenant

# RULES A, used when a tenant serves no program defined in programs/ (tests, a tenant's own deployment).
DEFAULT_UNCAPPED_RATIO = Decimal("0.70")
DEFAULT_REPORT_DAY = 10
DEFAULT_WARNING_DAYS = 7


@dataclass(frozen=True)
class AuditSettings:
    program: str
    uncapped_sample_ratio: Decimal
    report_day: int
    warning_working_days: int


def audit_settings(tenant: str) -> AuditSettings:
    program = program_of_tenant(tenant)
    if program is None:
        return AuditSettings("", DEFAULT_UNCAPPED_RATIO, DEFAULT_REPORT_DAY, DEFAULT_WARNING_DAYS)
    return AuditSettings(
        program=program.code,
        uncapped_sample_ratio=Decimal(str(program.setting("audit", "uncapped_sample_ratio", DEFAULT_UNCAPPED_RATIO))),
        report_day=int(program.setting("audit", "report_day", DEFAULT_REPORT_DAY)),
        warning_working_days=int(program.setting("audit", "warning_working_days", DEFAULT_WARNING_DAYS)),
    )
