"""The report settings of the program a tenant serves (programs/<code>/program.yaml, section `audit`)."""

from __future__ import annotations

from chassis.programs import program_of_tenant

# RULES A, used when a tenant serves no program defined in programs/ (tests, a tenant's own deployment).
DEFAULT_REPORT_DAY = 10


def report_day(tenant: str) -> int:
    """The day of the next month (quarter's first month) a report is due by ("次月（季）10日前")."""
    program = program_of_tenant(tenant)
    if program is None:
        return DEFAULT_REPORT_DAY
    return int(program.setting("audit", "report_day", DEFAULT_REPORT_DAY))
