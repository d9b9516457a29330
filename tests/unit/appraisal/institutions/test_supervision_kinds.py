"""The registry for fund supervision (program km-supervision): the kinds its program keeps (hospitals, pharmacies and
the agency), a hospital's level (一级/二级/三级) required where the program asks for it and only a hospital's; other
programs keep every kind, a level optional."""

from __future__ import annotations

import pytest

from chassis.errors import InvalidInput
from chassis.programs import load_program
from services.appraisal.institutions.domain.registration import RegistryRules, check_particulars, registry_rules

KM = registry_rules(load_program("km-supervision").settings.get("registry"))


def particulars(**extra: object) -> dict[str, object]:
    return {"institution_id": "KM-H001", "kind": "hospital", "level": "一级", "name": "样例社区卫生服务中心01",
            "district": "650203", **extra}


def test_the_programs_registry_rules() -> None:
    assert KM == RegistryRules(("hospital", "pharmacy", "agency"), True)
    assert registry_rules(load_program("wz-ltc").settings.get("registry")) == RegistryRules()


def test_a_hospital_with_its_level_a_pharmacy_and_the_agency_without() -> None:
    assert check_particulars(particulars(), "km-sv", {"650203": "km-sv"}, rules=KM)["level"] == "一级"
    for kind, iid in (("pharmacy", "KM-P001"), ("agency", "KM-A001")):
        kept = check_particulars(particulars(kind=kind, institution_id=iid, level=None), "km-sv", {}, rules=KM)
        assert kept["kind"] == kind and kept["level"] is None


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"kind": "care", "modes": ["institutional"], "level": None}, "kind_not_in_program", "institution.kind"),
    ({"level": None}, "level_required", "institution.level"),
    ({"kind": "pharmacy"}, "level_not_for_kind", "institution.level"),
    ({"level": "四级"}, "invalid_input", "institution.level"),
])
def test_what_the_program_refuses(changes: dict[str, object], code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_particulars(particulars(**changes), "km-sv", {}, rules=KM)
    assert (exc.value.code, exc.value.field) == (code, field)


def test_other_programs_keep_a_hospital_without_a_level() -> None:
    assert check_particulars(particulars(level=None), "hz-p1", {})["level"] is None
    assert check_particulars(particulars(kind="agency", level=None), "hz-p1", {})["kind"] == "agency"
