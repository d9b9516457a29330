"""What a program asks of an application beyond the common form, as program.yaml's `intake` section says:

- `district_required` / `districts`: the applicant names their handling district (所属经办区), one of the program's;
- `inpatient_records: {required, min_hospital_level, within_years}`: the application declares its inpatient records
  (住院资料: hospital, hospital level, discharge date), which must come from a hospital of at least that level and be
  no older than that many years on the day of submission ("两年内二级及以上医院住院完整资料").

A refusal names the field and carries a stable reason code (`records_hospital_level`, `records_too_old`, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chassis.errors import InvalidInput, NotFound
from chassis.programs import Program, load_program, program_of_tenant

# Reason codes (stable: clients and reports key on them).
DISTRICT_REQUIRED = "district_required"
DISTRICT_UNKNOWN = "district_unknown"
RECORDS_REQUIRED = "records_required"
RECORDS_HOSPITAL_LEVEL = "records_hospital_level"
RECORDS_TOO_OLD = "records_too_old"
RECORDS_FUTURE = "records_date_in_future"
PROGRAM_UNKNOWN = "program_unknown"
PROGRAM_NOT_CARRIED = "program_not_carried"


@dataclass(frozen=True)
class InpatientRecords:
    """The inpatient records an application rests on (住院资料), as declared; the clerk checks them against the
    stamped copies at the preliminary review."""

    hospital: str  # the hospital's code or name
    hospital_level: int  # 医院等级: 1 (一级), 2 (二级) or 3 (三级)
    discharged_on: date  # discharge date of the stay (出院日期)


@dataclass(frozen=True)
class RecordsRule:
    required: bool
    min_hospital_level: int
    within_years: int


def records_rule(program: Program) -> RecordsRule | None:
    raw = program.setting("intake", "inpatient_records")
    if not isinstance(raw, dict):
        return None
    return RecordsRule(bool(raw.get("required", False)), int(raw.get("min_hospital_level", 1)),
                       int(raw.get("within_years", 0)))


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def records_findings(records: InpatientRecords, rule: RecordsRule, on: date) -> list[dict[str, str]]:
    """What is wrong with declared records on the day `on` (empty when they qualify); each with reason and field."""
    base = "application.inpatient_records"
    out: list[dict[str, str]] = []
    if records.hospital_level < rule.min_hospital_level:
        out.append({"field": f"{base}.hospital_level", "reason": RECORDS_HOSPITAL_LEVEL,
                    "message": f"{RECORDS_HOSPITAL_LEVEL}: the records come from a level-{records.hospital_level} "
                               f"hospital; the program needs level {rule.min_hospital_level} or above"})
    if records.discharged_on > on:
        out.append({"field": f"{base}.discharged_on", "reason": RECORDS_FUTURE,
                    "message": f"{RECORDS_FUTURE}: discharge date {records.discharged_on} is after {on}"})
    elif rule.within_years and records.discharged_on < years_before(on, rule.within_years):
        out.append({"field": f"{base}.discharged_on", "reason": RECORDS_TOO_OLD,
                    "message": f"{RECORDS_TOO_OLD}: records of {records.discharged_on} are older than "
                               f"{rule.within_years} years on {on} (earliest {years_before(on, rule.within_years)})"})
    return out


def check_district(program: Program, district: str | None) -> dict[str, str]:
    """The district as stored ({district, district_name}); refused when required and absent, or not the program's."""
    districts = {str(k): str(v) for k, v in (program.setting("intake", "districts") or {}).items()}
    if district is None:
        if program.setting("intake", "district_required", False):
            raise InvalidInput(f"{DISTRICT_REQUIRED}: program {program.code} asks for the applicant's handling "
                               f"district (所属经办区), one of {sorted(districts)}", "application.district",
                               code=DISTRICT_REQUIRED)
        return {}
    if districts and district not in districts:
        raise InvalidInput(f"{DISTRICT_UNKNOWN}: district {district!r} is not one of program {program.code}'s: "
                           f"{sorted(districts)}", "application.district", code=DISTRICT_UNKNOWN)
    return {"district": district, "district_name": districts.get(district, "")}


def resolve_program(tenant: str, requested: str, given: bool) -> Program:
    """The application's program: as given, else the program the tenant is a carrier of (else the form's default).
    Either way the tenant must be one of the program's carriers: a carrier files only its own program's
    applications (another program's would be appraised and paid under rules and a fund that are not its own)."""
    if not given:
        own = program_of_tenant(tenant)
        if own is not None:
            return own
    try:
        program = load_program(requested)
    except NotFound as exc:
        raise InvalidInput(f"program {requested!r} is not defined", "application.program",
                           code=PROGRAM_UNKNOWN) from exc
    if tenant not in {t.tenant for t in program.tenants}:
        raise InvalidInput(f"program {program.code!r} is not this carrier's: {tenant} files applications of its own "
                           "program only", "application.program", code=PROGRAM_NOT_CARRIED,
                           params={"program": program.code})
    return program


def program_fields(program: Program, district: str | None, records: InpatientRecords | None,
                   submitted_on: date) -> dict[str, Any]:
    """The program's own fields of an application (as the door read them), checked; what to store with it. Nothing
    is written on refusal."""
    out: dict[str, Any] = dict(check_district(program, district))
    rule = records_rule(program)
    if records is None:
        if rule is not None and rule.required:
            raise InvalidInput(f"{RECORDS_REQUIRED}: program {program.code} asks for the inpatient records "
                               f"(hospital, hospital_level, discharged_on) of a level-{rule.min_hospital_level}+ "
                               f"hospital within {rule.within_years} years", "application.inpatient_records",
                               code=RECORDS_REQUIRED)
        return out
    if rule is not None:
        findings = records_findings(records, rule, submitted_on)
        if findings:
            # The first finding's code; every finding names its own field and reason.
            raise InvalidInput("; ".join(f["message"] for f in findings), fields=findings, code=findings[0]["reason"])
    out["inpatient_records"] = {"hospital": records.hospital, "hospital_level": records.hospital_level,
                                "discharged_on": records.discharged_on.isoformat()}
    return out
