"""The sampling settings of the program a tenant serves (programs/<code>/program.yaml, section `audit`)."""

from __future__ import annotations

from decimal import Decimal

from chassis.programs import program_of_tenant

# RULES A, used when a tenant serves no program defined in programs/ (tests, a tenant's own deployment).
DEFAULT_UNCAPPED_RATIO = Decimal("0.70")


def uncapped_sample_ratio(tenant: str) -> Decimal:
    """The least share of the uncapped diseases' cases a plan draws."""
    program = program_of_tenant(tenant)
    if program is None:
        return DEFAULT_UNCAPPED_RATIO
    return Decimal(str(program.setting("audit", "uncapped_sample_ratio", DEFAULT_UNCAPPED_RATIO)))
