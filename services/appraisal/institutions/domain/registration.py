"""An institution's particulars (机构基本信息) as the registry keeps them, checked beyond their form: what a kind
needs (a care institution names its care modes, nobody else does) and where a care institution belongs (属地管理:
its district's lot). Nothing here is one program's: the districts come from the caller's program, if it routes any.
Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chassis.errors import InvalidInput

KINDS = ("care", "hospital", "pharmacy")
CARE_MODES = ("institutional", "home_visit")   # 机构护理, 机构上门护理
# The id an institution is known by in its token's subject and in every program's records, e.g. WZB-C001.
INSTITUTION_ID = r"^[A-Z0-9][A-Z0-9-]{3,31}$"
PARTICULARS = ("institution_id", "kind", "name", "district", "modes", "beds", "staff", "contact")


def check_particulars(particulars: Mapping[str, Any], tenant: str, counties: Mapping[str, str],
                      prefix: str = "institution") -> dict[str, Any]:
    """The particulars as kept (modes de-duplicated in the catalogue's order), or 422 naming the field:
    - `modes_required`: a care institution offers at least one care mode;
    - `modes_not_for_kind`: a hospital or a pharmacy names none;
    - `district_not_in_lot`: a care institution's district, when the caller's program routes districts (counties),
      is one the program routes to the caller's own tenant (the lot the institution registers with)."""
    kind = particulars["kind"]
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
