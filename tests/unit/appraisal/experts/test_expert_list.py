"""The expert list the agency approves (experts/domain/expert_list.py): a new version, who decides, what is decided."""

import pytest

from chassis.errors import Conflict, Forbidden
from chassis.programs import load_program
from services.appraisal.experts.domain.expert_list import check_agency, check_decidable, list_digest, new_version

XY = load_program("xy-chronic")


def test_a_new_version_lists_the_experts_sorted_with_their_digest() -> None:
    doc = new_version("xl-1", "xy-chronic", ["e2", "e1"], "2025-01-01T00:00:00+00:00", "clerk:c1")
    assert doc["expert_ids"] == ["e1", "e2"] and doc["experts"] == 2 and doc["status"] == "pending"
    assert doc["digest"] == list_digest(["e2", "e1"])


def test_only_the_agency_of_the_program_decides_and_only_a_pending_version() -> None:
    assert XY.setting("appraisal", "expert_list_approval") is True
    assert check_agency("xy-chronic", XY) is XY
    with pytest.raises(Forbidden) as err:
        check_agency("hz-chronic", XY)
    assert err.value.code == "not_the_agency"
    with pytest.raises(Forbidden):
        check_agency("xy-chronic", None)
    with pytest.raises(Conflict) as conflict:
        check_agency("hz-chronic", load_program("hz-chronic"))
    assert conflict.value.code == "expert_list_approval_not_asked"  # hz-chronic asks for no approval
    check_decidable("xl-1", "pending")
    with pytest.raises(Conflict) as conflict:
        check_decidable("xl-1", "approved")
    assert conflict.value.code == "expert_list_not_pending"
