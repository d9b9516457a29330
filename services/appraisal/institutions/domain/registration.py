"""An institution's particulars (机构基本信息) as the registry keeps them, checked beyond their form: what a kind
needs (a care institution names its care modes, nobody else does) and where a care institution belongs (属地管理:
its district's lot), and what the caller's program keeps in its registry (the kinds it names; fund supervision: a
hospital's level, 一级/二级/三级). Nothing here is one program's: the districts and the registry's rules come from the
caller's program, if it sets any. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chassis.errors import InvalidInput

KINDS = ("care", "hospital", "pharmacy", "agency")   # agency: the insurance agency (经办机构), inspected too
LEVELS = ("一级", "二级", "三级")                     # a hospital's level (医院等级)
CARE_MODES = ("institutional", "home_visit")   # 机构护理, 机构上门护理
# The id an institution is known by in its token's subject and in every program's records, e.g. WZB-C001.
INSTITUTION_ID = r"^[A-Z0-9][A-Z0-9-]{3,31}$"
PARTICULARS = ("institution_id", "kind", "name", "district", "modes", "beds", "staff", "contact", "level")


@dataclass(frozen=True)
class RegistryRules:
    """What a program asks of its registry (program.yaml `registry:`): the kinds it keeps (empty: every kind) and
    whether a hospital names its level."""

    kinds: tuple[str, ...] = ()
    hospital_level_required: bool = False


def registry_rules(section: Mapping[str, Any] | None) -> RegistryRules:
    section = section or {}
    return RegistryRules(tuple(str(k) for k in section.get("kinds") or ()),
                         bool(section.get("hospital_level_required", False)))


def check_particulars(particulars: Mapping[str, Any], tenant: str, counties: Mapping[str, str],
                      prefix: str = "institution", rules: RegistryRules = RegistryRules()) -> dict[str, Any]:
    """The particulars as kept (modes de-duplicated in the catalogue's order), or 422 naming the field:
    - `kind_not_in_program`: the caller's program keeps other kinds of institution (fund supervision: hospitals,
      pharmacies and the agency; no care institutions);
    - `level_required` / `level_not_for_kind`: a hospital's level (一级/二级/三级), where the program asks for it; only
      a hospital has one;
    - `modes_required`: a care institution offers at least one care mode;
    - `modes_not_for_kind`: a hospital or a pharmacy names none;
    - `district_not_in_lot`: a care institution's district, when the caller's program routes districts (counties),
      is one the program routes to the caller's own tenant (the lot the institution registers with)."""
    kind = particulars["kind"]
    if rules.kinds and kind not in rules.kinds:
        raise InvalidInput(f"this program's registry keeps {', '.join(rules.kinds)}, not {kind}", f"{prefix}.kind",
                           code="kind_not_in_program", params={"kinds": ",".join(rules.kinds)})
    level = particulars.get("level")
    if level is not None and kind != "hospital":
        raise InvalidInput(f"a {kind} has no level: only a hospital does", f"{prefix}.level",
                           code="level_not_for_kind")
    if level is not None and level not in LEVELS:
        raise InvalidInput(f"a hospital's level is one of {', '.join(LEVELS)}", f"{prefix}.level")
    if kind == "hospital" and level is None and rules.hospital_level_required:
        raise InvalidInput(f"a hospital names its level ({', '.join(LEVELS)})", f"{prefix}.level",
                           code="level_required")
    modes = [m for m in CARE_MODES if m in (particulars.get("modes") or [])]
    if kind == "care" and not modes:
        raise InvalidInput(f"a care institution names the care modes it offers ({', '.join(CARE_MODES)})",
                           f"{prefix}.modes", code="modes_required")
    if kind != "care" and modes:
        raise InvalidInput(f"a {kind} names no care modes", f"{prefix}.modes", code="modes_not_for_kind")
    district = particulars["district"]
    if kind == "care" and counties and counties.get(district) != tenant:
        lot = counties.get(district)
        where = f"the lot of {lot}" if lot else "no lot of this program"
        raise InvalidInput(f"district {district} belongs to {where}: a care institution registers with its own "
                           f"district's carrier", f"{prefix}.district", code="district_not_in_lot",
                           params={"district": district, "lot": lot or ""})
    return {**{k: particulars.get(k) for k in PARTICULARS}, "modes": modes}


def check_applicant(role: str, subject: str, institution_id: str) -> None:
    """An institution applies for itself only (its token's subject is its institution id); a clerk for any."""
    if role == "institution" and subject != institution_id:
        raise InvalidInput("an institution applies only for itself: institution_id must be its own",
                           "institution.institution_id", code="not_own_institution")
