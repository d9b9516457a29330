"""A supervision patrol (监管巡查) as recorded: its team, the institutions visited on site, the sampled services
checked and what was found — checked whole before anything is written, each refusal naming its rule and field.

A checked service is named either by its service id (`checked_record_ids`, as GET /v1/ltc/samples lists it) or by
its institution and record id (`checked_services`, the month optional while the pair names one sampled service):
a record id alone is only the institution's own within a month (domain/services.py)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

from chassis.errors import InvalidInput
from services.audit.patrols.domain.quotas import Inspector, check_patrol_team
from services.audit.patrols.domain.services import ServiceKey, institution_key, parse_service_id
from services.audit.patrols.domain.suggestions import SuggestionTable
from services.audit.reports.domain.periods import Period

BACKGROUNDS = ("medical", "nursing", "other")  # 医学, 护理学 (医护学专业) or another profession


def parse_day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a date YYYY-MM-DD, got {value!r}", field) from None


def check_day(value: str, period: Period, today: date, field: str, outside: str) -> date:
    """A day within `period` and not after today."""
    day = parse_day(value, field)
    if not period.contains(day):
        raise InvalidInput(f"{field} {day.isoformat()} is outside {period.label}", field, code=outside,
                           params={"period": period.label})
    if day > today:
        raise InvalidInput(f"{field} {day.isoformat()} is still to come", field, code="date_in_future")
    return day


def team(inspectors: Sequence[Mapping[str, Any]]) -> list[Inspector]:
    out = []
    for n, i in enumerate(inspectors):
        if i.get("background") not in BACKGROUNDS:
            raise InvalidInput(f"background is one of {', '.join(BACKGROUNDS)}", f"inspectors[{n}].background")
        out.append(Inspector(str(i["inspector_id"]), i["background"] in ("medical", "nursing"), str(i["degree"])))
    check_patrol_team(out)
    return out


@dataclass(frozen=True)
class Asked:
    """One checked service as the patrol names it: `key` when the name is whole (a service id, or institution, month
    and record id); else institution and record id only (`key` None, the month left to the sample)."""

    field: str
    institution_id: str
    record_id: str
    key: ServiceKey | None


def asked_services(body: Mapping[str, Any]) -> list[Asked]:
    """The checked services the patrol names, in its order: `checked_record_ids` (service ids), then
    `checked_services` ({institution_id, record_id[, month]}; institution FAMILY for family care)."""
    out = []
    for n, text in enumerate(body.get("checked_record_ids") or ()):
        field = f"checked_record_ids[{n}]"
        key = parse_service_id(str(text))
        if key is None:
            raise InvalidInput(f"{field} is not a service id <institution>:<YYYY-MM>:<record id> (the `service_id` of "
                               f"GET /v1/ltc/samples): a record id is only its institution's own within a month — "
                               f"name it in checked_services with its institution", field, code="service_id_invalid")
        out.append(Asked(field, key.institution_id, key.record_id, key))
    for n, s in enumerate(body.get("checked_services") or ()):
        institution, record = institution_key(str(s.get("institution_id") or "")), str(s["record_id"])
        month = s.get("month") or None
        out.append(Asked(f"checked_services[{n}]", institution, record,
                         ServiceKey(institution, str(month), record) if month else None))
    return out


def _pair(key: ServiceKey) -> tuple[str, str]:
    return key.institution_id, key.record_id


def unresolved(asked: Sequence[Asked], sampled: Mapping[str, ServiceKey]) -> list[Asked]:
    """The names that match no sampled service (the store then looks up whether the lot knows them at all)."""
    pairs = {_pair(k) for k in sampled.values()}
    return [a for a in asked if (a.key.service_id not in sampled if a.key else (a.institution_id, a.record_id)
                                 not in pairs)]


def resolve_checked(asked: Sequence[Asked], quarter: Period, sampled: Mapping[str, ServiceKey],
                    known: Collection[str] = ()) -> list[str]:
    """The service ids checked, each once, in the patrol's order. `sampled`: service id → key of the year's sampled
    services up to the patrol's quarter (at least those the patrol names); `known`: service ids of the lot's services
    (at least those it names that are not sampled) — to tell a service not sampled from one the lot never had."""
    by_pair: dict[tuple[str, str], list[str]] = {}
    for sid, key in sampled.items():
        by_pair.setdefault(_pair(key), []).append(sid)
    out: list[str] = []
    for a in asked:
        if a.key is not None:
            sid = a.key.service_id
            if sid not in sampled:
                _not_sampled(a, [sid] if sid in known else [], quarter)
            out.append(sid)
            continue
        matches = sorted(by_pair.get((a.institution_id, a.record_id), ()))
        if len(matches) > 1:
            months = [sampled[m].month for m in matches]
            raise InvalidInput(f"record {a.record_id} of {a.institution_id} is sampled in more than one month "
                               f"({', '.join(months)}): name the month", f"{a.field}.month", code="service_ambiguous",
                               params={"months": months})
        if not matches:
            _not_sampled(a, sorted(sid for sid in known if (k := parse_service_id(sid)) and _pair(k) == (
                a.institution_id, a.record_id)), quarter)
        out.append(matches[0])
    return list(dict.fromkeys(out))


def _not_sampled(a: Asked, known: Sequence[str], quarter: Period) -> NoReturn:
    field = a.field if a.field.startswith("checked_record_ids") else f"{a.field}.record_id"
    month = f" in {a.key.month}" if a.key else ""
    if not known:
        raise InvalidInput(f"no care service {a.record_id} of {a.institution_id}{month} is known to the lot "
                           f"(care_services.recorded)", field, code="service_unknown",
                           params={"institution_id": a.institution_id, "record_id": a.record_id})
    raise InvalidInput(f"service {known[0]} is not in a sample of {quarter.start.year} up to {quarter.label}", field,
                       code="record_not_in_sample", params={"service_id": known[0]})


def _finding_service(f: Mapping[str, Any], n: int, checked: Mapping[str, ServiceKey],
                     by_pair: Mapping[tuple[str, str], Sequence[str]]) -> tuple[str | None, str | None]:
    """A finding's service: (record id, service id) of one this patrol checked, named by its service id or by its
    record id at the finding's institution; (None, None) when the finding names none."""
    named = f.get("record_id") or None
    if named is None:
        return None, None
    field, institution = f"findings[{n}].record_id", institution_key(str(f["institution_id"]))
    key = checked.get(named)
    if key is not None:
        if key.institution_id != institution:
            raise InvalidInput(f"service {named} is of {key.institution_id}, the finding names {institution}", field,
                               code="finding_institution_mismatch")
        return key.record_id, named
    matches = by_pair.get((institution, named), ())
    if len(matches) > 1:
        raise InvalidInput(f"this patrol checked record {named} of {institution} in more than one month: name it by "
                           f"its service id", field, code="service_ambiguous", params={"service_ids": list(matches)})
    if not matches:
        raise InvalidInput(f"service {named} was not checked by this patrol", field,
                           code="finding_record_not_checked")
    return named, matches[0]


def check_patrol(body: Mapping[str, Any], quarter: Period, today: date, institutions: set[str],
                 sampled: Mapping[str, ServiceKey], table: SuggestionTable,
                 known: Collection[str] = ()) -> dict[str, Any]:
    """The patrol's content as stored (without its id and times). `institutions`: the care institutions known to the
    lot; `sampled` and `known`: as for `resolve_checked`. `checked_record_ids` holds the service ids checked."""
    day = check_day(body["date"], quarter, today, "date", "patrol_date_outside_quarter")
    team(body["inspectors"])
    visited = list(dict.fromkeys(body.get("institution_ids") or ()))
    for n, institution in enumerate(visited):
        if institution not in institutions:
            raise InvalidInput(f"no care institution {institution} is known", f"institution_ids[{n}]",
                               code="unknown_institution")
    checked = resolve_checked(asked_services(body), quarter, sampled, known)
    if not visited and not checked:
        raise InvalidInput("a patrol visits an institution or checks a sampled service", "institution_ids",
                           code="patrol_empty")
    keys = {sid: k for sid in checked if (k := parse_service_id(sid)) is not None}
    by_pair: dict[tuple[str, str], list[str]] = {}
    for sid, k in keys.items():
        by_pair.setdefault(_pair(k), []).append(sid)
    findings = []
    for n, f in enumerate(body.get("findings") or ()):
        table.kind(str(f["code"]), f"findings[{n}].code")
        if f["institution_id"] not in institutions:
            raise InvalidInput(f"no care institution {f['institution_id']} is known", f"findings[{n}].institution_id",
                               code="unknown_institution")
        record, service = _finding_service(f, n, keys, by_pair)
        findings.append({"code": str(f["code"]), "institution_id": f["institution_id"], "record_id": record,
                         "service_id": service, "detail": str(f.get("detail") or "")})
    return {"quarter": quarter.label, "year": quarter.start.year, "date": day.isoformat(),
            "inspectors": [{"inspector_id": str(i["inspector_id"]), "background": i["background"],
                            "degree": str(i["degree"])} for i in body["inspectors"]],
            "institution_ids": visited, "checked_record_ids": checked, "findings": findings,
            "table_version": table.version}
