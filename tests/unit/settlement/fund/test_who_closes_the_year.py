"""Who closes a fund year (年终清算), decided from the PROGRAM's carriers (programs/<code>/program.yaml), not from
what this deployment serves: Hanzhong's program is shared by hz-p1 and hz-p2, so only the agency supervisor closes
it — also where a deployment serves hz-p1 alone; a one-carrier program (Quzhou, Xunyang) is closed by its finance
too."""

from __future__ import annotations

import pytest

from chassis.errors import Forbidden
from chassis.programs import load_program
from services.settlement.fund.domain.reasons import ERRORS
from services.settlement.fund.service.year_end import SHARED_YEAR_CLOSED_BY_AGENCY, targets_for_close

HZ = load_program("hz-chronic")
QZ = load_program("qz-critical")


@pytest.mark.parametrize("served", [("hz-p1",), ("hz-p1", "hz-p2"), ("hz-p1", "qz-ci", "xy-c")])
def test_a_carrier_never_closes_a_shared_year_whatever_is_served(served: tuple[str, ...]) -> None:
    with pytest.raises(Forbidden) as caught:
        targets_for_close("hz-p1", "finance", HZ, served)
    error = caught.value
    assert (error.http_status, error.code) == (403, SHARED_YEAR_CLOSED_BY_AGENCY)
    assert error.params == {"program": "hz-chronic", "carriers": "hz-p1,hz-p2"}
    assert SHARED_YEAR_CLOSED_BY_AGENCY in ERRORS


def test_the_supervisor_closes_the_programs_books_served_here() -> None:
    assert targets_for_close("hz-p1", "supervisor", HZ, ("hz-p1", "hz-p2", "qz-ci")) == ("hz-p1", "hz-p2")
    assert targets_for_close("hz-p2", "supervisor", HZ, ("hz-p2",)) == ("hz-p2",)


def test_a_one_carrier_program_is_closed_by_its_finance() -> None:
    assert targets_for_close("qz-ci", "finance", QZ, ("qz-ci",)) == ("qz-ci",)
    assert targets_for_close("qz-ci", "finance", QZ, ("qz-ci", "hz-p1")) == ("qz-ci",)


def test_a_tenant_outside_the_program_closes_nothing() -> None:
    with pytest.raises(Forbidden):
        targets_for_close("qz-ci", "supervisor", HZ, ("hz-p1", "hz-p2", "qz-ci"))
