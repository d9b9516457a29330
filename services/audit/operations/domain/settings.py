"""The operation reports' settings of the program a tenant serves (programs/<code>/program.yaml: `finance` for
the budget, `audit` for the yearly report's due day)."""

from __future__ import annotations

from chassis.programs import Program, program_of_tenant
from services.audit.operations.domain.operations import Budget, chronic_budget, critical_budget


def tenant_budget(program: Program | None, tenant: str, year: int) -> Budget:
    """门诊慢特病: `finance.annual_budget` × share; 大病保险: `finance.premium` × `finance.insured_persons` × share."""
    if program is None:
        return Budget(year, None, (f"{tenant} serves no program defined in programs/",))
    share = program.share_of(tenant)
    if program.setting("finance", "annual_budget") is not None:
        return chronic_budget(program.setting("finance", "annual_budget"), year, share, tenant, program.code)
    insured = program.setting("finance", "insured_persons")
    return critical_budget(program.setting("finance", "premium"), int(insured) if insured else None, year, share,
                           tenant, program.code)


def yearly_due(tenant: str) -> tuple[int, int | None]:
    """(month, day) of the next year the yearly operation report is due by: `audit.operation_yearly_month` (1) and
    `audit.operation_yearly_day` (None: the report_day)."""
    program = program_of_tenant(tenant)
    if program is None:
        return 1, None
    yearly_day = program.setting("audit", "operation_yearly_day")
    return (int(program.setting("audit", "operation_yearly_month", 1)),
            int(yearly_day) if yearly_day is not None else None)
