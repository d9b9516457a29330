"""The warning settings of the program a tenant serves (programs/<code>/program.yaml, section `audit`)."""

from __future__ import annotations

from chassis.programs import program_of_tenant

# RULES A, used when a tenant serves no program defined in programs/ (tests, a tenant's own deployment).
DEFAULT_WARNING_DAYS = 7


def warning_working_days(tenant: str) -> int:
    """Working days after detection the written warning is due in."""
    program = program_of_tenant(tenant)
    if program is None:
        return DEFAULT_WARNING_DAYS
    return int(program.setting("audit", "warning_working_days", DEFAULT_WARNING_DAYS))
