"""The care service catalogue (versioned data), care plans checked against it, and service records checked against
the plan, the person's cover and the caregiver's other records. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import InvalidInput
from chassis.reasons import Reason
from services.settlement.care.domain.reasons import REASONS

PROGRAMS_DIR = Path(__file__).resolve().parents[4] / "programs"
MODES = ("institutional", "home_visits", "family")
# The modes as the doors and the events name them (proto CarePlanApproved.mode, InstitutionChanged.modes) → the
# catalogue's and the benefit levels' names.
WIRE_MODES = {"institutional": "institutional", "home_visit": "home_visits", "family": "family"}


@dataclass(frozen=True)
class CatalogueItem:
    code: str
    name: str
    modes: frozenset[str]
    max_per_month: Mapping[int, int]  # grade → most times a month


@dataclass(frozen=True)
class Catalogue:
    version: str
    label: str
    items: Mapping[str, CatalogueItem]


def parse_catalogue(raw: Any) -> Catalogue:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("items"), Mapping) or not raw.get("version"):
        raise InvalidInput("a catalogue has a version and items", "catalogue", code="invalid_plan")
    items = {}
    for code, spec in raw["items"].items():
        modes = frozenset(spec.get("modes") or ())
        limits = {int(g): int(n) for g, n in (spec.get("max_per_month") or {}).items()}
        if not modes <= set(MODES) or not modes or not limits:
            raise InvalidInput(f"catalogue item {code} needs modes and monthly limits", f"items.{code}",
                               code="invalid_plan")
        items[str(code)] = CatalogueItem(str(code), str(spec.get("name", code)), modes, limits)
    return Catalogue(str(raw["version"]), str(raw.get("label", "")), items)


def load_catalogue(root: Path = PROGRAMS_DIR, file: str = "care-catalogue-sample.yaml") -> Catalogue:
    """The catalogue `file` of wz-ltc (program.yaml `ltc.catalogue` names the one in force)."""
    return parse_catalogue(yaml.safe_load((root / "wz-ltc" / file).read_text(encoding="utf-8")))


def catalogue_mode(wire: str) -> str:
    """The catalogue's name of a mode as the doors and events name it (`home_visit` → `home_visits`)."""
    if wire not in WIRE_MODES:
        raise InvalidInput(f"mode must be one of {', '.join(WIRE_MODES)}", "mode", code="invalid_plan")
    return WIRE_MODES[wire]


@dataclass(frozen=True)
class Plan:
    """A person's care plan (护理计划): mode, grade, period and each item's monthly frequency."""

    person_id: str
    mode: str
    grade: int
    start: date
    end: date
    frequencies: Mapping[str, int]
    agreement_signed: bool = False  # 亲情居家护理: the signed service agreement
    catalogue_version: str = ""


def check_plan(catalogue: Catalogue, plan: Plan) -> Plan:
    """A plan holds only the catalogue's items for its mode, within each one's frequency for the grade; family care
    needs its signed agreement. Returns the plan with the catalogue version recorded."""
    if plan.mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}", "mode", code="invalid_plan")
    if plan.mode == "family" and not plan.agreement_signed:
        raise InvalidInput("family care (亲情居家护理) needs its signed service agreement", "agreement_signed",
                           code="invalid_plan")
    if plan.end < plan.start:
        raise InvalidInput("the plan ends before it starts", "end", code="invalid_plan")
    if not plan.frequencies:
        raise InvalidInput("a plan has at least one item", "frequencies", code="invalid_plan")
    for code, times in plan.frequencies.items():
        field = f"frequencies.{code}"
        item = catalogue.items.get(code)
        if item is None or plan.mode not in item.modes:
            raise InvalidInput(f"{code} is not a {plan.mode} item of catalogue {catalogue.version}", field,
                               code="invalid_plan")
        allowed = item.max_per_month.get(plan.grade)
        if allowed is None:
            raise InvalidInput(f"{item.name} is not for grade {plan.grade}", field, code="invalid_plan")
        if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= allowed:
            raise InvalidInput(f"{item.name}: 1–{allowed} times a month for grade {plan.grade}, got {times!r}", field,
                               code="invalid_plan", params={"allowed": str(allowed)})
    return Plan(plan.person_id, plan.mode, plan.grade, plan.start, plan.end, dict(plan.frequencies),
                plan.agreement_signed, catalogue.version)


@dataclass(frozen=True)
class ServiceRecord:
    """One visit or day of care (服务记录): who cared, which item, from when to when."""

    record_id: str
    person_id: str
    caregiver: str
    item: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Cover:
    """The person's cover as the assessment left it: covered from/until, and the date of death if any."""

    covered_from: date
    covered_until: date | None = None
    died_on: date | None = None


def check_record(plan: Plan, cover: Cover, record: ServiceRecord, month_records: Sequence[ServiceRecord],
                 caregiver_records: Iterable[ServiceRecord]) -> Reason:
    """The reason a record counts (`record_accepted`) or is refused. `month_records`: the person's records already
    accepted this month; `caregiver_records`: the caregiver's other records (any person) around the same time."""
    if record.end <= record.start:
        raise InvalidInput("a record ends after it starts", "end", code="invalid_record")
    if record.person_id != plan.person_id:
        raise InvalidInput("the record is of another person than the plan", "person_id", code="invalid_record")
    day = record.start.date()
    if cover.died_on is not None and day > cover.died_on:
        return REASONS.reason("person_deceased", f"died on {cover.died_on.isoformat()}",
                              died_on=cover.died_on.isoformat())
    if day < cover.covered_from or (cover.covered_until is not None and day > cover.covered_until):
        return REASONS.reason("person_not_covered", f"not covered on {day.isoformat()}", day=day.isoformat())
    if not plan.start <= day <= plan.end:
        return REASONS.reason("outside_plan_period", f"{day.isoformat()} is outside the plan "
                              f"{plan.start.isoformat()}–{plan.end.isoformat()}", day=day.isoformat())
    if record.item not in plan.frequencies:
        return REASONS.reason("outside_plan", f"{record.item} is not in the plan", item=record.item)
    same_month = [r for r in month_records if r.item == record.item and r.record_id != record.record_id
                  and (r.start.year, r.start.month) == (day.year, day.month)]
    if len(same_month) >= plan.frequencies[record.item]:
        return REASONS.reason("over_frequency", f"{record.item}: {plan.frequencies[record.item]} a month planned",
                              item=record.item, planned=plan.frequencies[record.item])
    for other in caregiver_records:
        if (other.record_id != record.record_id and other.caregiver == record.caregiver
                and other.start < record.end and record.start < other.end):
            return REASONS.reason("caregiver_overlap", f"caregiver overlaps record {other.record_id}",
                                  other=other.record_id)
    return REASONS.reason("record_accepted", f"{record.item} on {day.isoformat()}", item=record.item)


# ---- which plan is in force (a newer plan replaces the older ones from its start) ---------------------------------


@dataclass(frozen=True)
class Approved:
    """A plan as approved: its period and the key of its approval order (approved_at, then its place in the
    request)."""

    plan_id: str
    start: date
    end: date
    order: tuple[str, int]


def in_force_periods(plans: Sequence[Approved]) -> dict[str, tuple[date, date] | None]:
    """(choice) A person follows one care plan at a time: a plan approved later replaces every earlier one from its
    own start — an earlier plan ends the day before (or, starting on or after it, is wholly replaced: None). What
    the newer plan does not cover after its end stays uncovered. Derived from the approvals alone, so nothing
    stored is ever rewritten."""
    ordered = sorted(plans, key=lambda p: p.order)
    out: dict[str, tuple[date, date] | None] = {}
    for i, plan in enumerate(ordered):
        end = plan.end
        for later in ordered[i + 1:]:
            if later.start <= end and later.end >= plan.start:
                end = min(end, date.fromordinal(later.start.toordinal() - 1))
        out[plan.plan_id] = (plan.start, end) if end >= plan.start else None
    return out


def check_visit(plan: Plan, cover: Cover, grade_on_day: int | None, record: ServiceRecord,
                month_records: Sequence[ServiceRecord], caregiver_records: Iterable[ServiceRecord]) -> Reason:
    """`check_record`, then the grade: a plan is drafted for the grade in force when it was approved, so a record on
    a day whose grade (a later conclusion: re-check, objection) differs is refused (`plan_grade_changed`) until a
    new plan for the new grade is approved."""
    reason = check_record(plan, cover, record, month_records, caregiver_records)
    if reason.code == "record_accepted" and grade_on_day is not None and grade_on_day != plan.grade:
        return REASONS.reason("plan_grade_changed", f"the plan is for grade {plan.grade}, the person's grade on "
                              f"{record.start.date().isoformat()} is {grade_on_day}", planned=plan.grade,
                              grade=grade_on_day)
    return reason
