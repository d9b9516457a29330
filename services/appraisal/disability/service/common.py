"""What every disability use case needs: whether the tenant's program assesses disability at all (404 elsewhere),
its `ltc:` settings and its scale (read once per file), the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from chassis.errors import NotFound
from chassis.programs import program_of_tenant
from services.appraisal.disability.domain.assessment import LtcSettings, ltc_settings, runs_assessments
from services.appraisal.disability.domain.scale import Scale, load_scale

SERVICE = "appraisal"


def serves(tenant: str) -> LtcSettings:
    """The tenant's program's long-term care settings; a tenant whose program assesses no disability: 404."""
    program = program_of_tenant(tenant)
    if program is None or not runs_assessments(program):
        raise NotFound("long-term care assessment is not run by this tenant")
    return ltc_settings(program)


def runs(tenant: str) -> bool:
    return runs_assessments(program_of_tenant(tenant))


@cache
def scale_of(program: str, scale_file: str) -> Scale:
    """The program's versioned scale (programs/<program>/assessment-*.yaml), parsed and checked once."""
    return load_scale(program, scale_file)


def now() -> str:
    return datetime.now(UTC).isoformat()
