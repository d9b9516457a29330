"""An application names its program (申请项目): the tenant must be one of that program's carriers — a carrier files
only its own program's applications. Another program's is 422 `program_not_carried` naming `application.program`,
checked before anything is stored."""

from __future__ import annotations

import pytest

from chassis.errors import InvalidInput
from services.intake.applications.domain.program_fields import PROGRAM_NOT_CARRIED, resolve_program
from services.intake.applications.domain.reasons import ERRORS


@pytest.mark.parametrize(("tenant", "program"), [("hz-p1", "qz-critical"), ("qz-ci", "hz-chronic"),
                                                 ("xy-c", "hz-chronic"), ("hz-p2", "xy-chronic")])
def test_another_programs_application_is_refused_naming_the_field(tenant: str, program: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_program(tenant, program, given=True)
    error = caught.value
    assert (error.http_status, error.code, error.field) == (422, PROGRAM_NOT_CARRIED, "application.program")
    assert error.params == {"program": program} and PROGRAM_NOT_CARRIED in ERRORS


@pytest.mark.parametrize(("tenant", "program"), [("hz-p1", "hz-chronic"), ("hz-p2", "hz-chronic"),
                                                 ("xy-c", "xy-chronic"), ("qz-ci", "qz-critical")])
def test_the_tenants_own_program_is_taken(tenant: str, program: str) -> None:
    assert resolve_program(tenant, program, given=True).code == program
    assert resolve_program(tenant, "hz-chronic", given=False).code == program  # not given: the tenant's own


def test_a_tenant_of_no_program_files_nothing_under_the_forms_default() -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_program("zz-none", "hz-chronic", given=False)
    assert caught.value.code == PROGRAM_NOT_CARRIED
