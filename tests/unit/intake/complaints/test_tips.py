"""Tips (举报) among complaints (services/intake/complaints/domain/complaint.py): a tip names the institution and may
be anonymous, and is taken only by a program that supervises its institutions; a consultation or complaint names the
person filing it; an applicant files only as themself."""

from __future__ import annotations

from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.intake.complaints.domain.complaint import check_filing, complaint_view, is_anonymous

TIP = {"kind": "tip", "subject": "药店串换药品", "institution_id": "KM-P001"}


@pytest.mark.parametrize(("body", "program", "role", "code", "field"), [
    ({**TIP, "institution_id": None}, "km-supervision", "clerk", "tip_institution_required", "institution_id"),
    (TIP, "hz-chronic", "clerk", "tips_not_taken", "kind"),
    ({"kind": "complaint", "subject": "x"}, "hz-chronic", "clerk", "invalid_input", "person_id"),
    ({**TIP, "person_id": "someone"}, "km-supervision", "applicant", "invalid_input", "person_id")])
def test_refused(body: dict[str, Any], program: str, role: str, code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        check_filing(body, program, role, "610702195803120012")
    assert (e.value.code, e.value.field) == (code, field)


def test_an_anonymous_tip_is_taken_and_shown_as_such() -> None:
    check_filing(TIP, "km-supervision", "clerk", "clerk-1")
    check_filing({**TIP, "person_id": "610702195803120012"}, "km-supervision", "applicant", "610702195803120012")
    assert is_anonymous(TIP) and not is_anonymous({**TIP, "name": "王某"})
    view = complaint_view({"_id": "c1", **TIP, "status": "open", "filed_on": "2024-09-02", "due_on": "2024-09-09"},
                          __import__("datetime").date(2024, 9, 3))
    assert (view["kind"], view["institution_id"], view["anonymous"], view["person_id"]) == ("tip", "KM-P001", True,
                                                                                            None)
