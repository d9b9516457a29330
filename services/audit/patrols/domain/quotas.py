"""The supervision quotas as attainments (required, done, met, what is missing) and the patrol team's rule."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chassis.errors import InvalidInput
from chassis.reasons import Reason
from services.audit.patrols.domain.reasons import REASONS

QUARTER_SHARE_PERCENT = 20  # 每季度抽查比例不低于20%
DEGREES = ("none", "secondary", "college", "bachelor", "master", "doctor")  # 专科 = college and above count
MIN_DEGREE = "college"


@dataclass(frozen=True)
class Attainment:
    required: int
    done: int
    missing: tuple[str, ...]  # what is still to do, where it has names (institutions, persons)
    reason: Reason

    @property
    def met(self) -> bool:
        return self.done >= self.required

    @property
    def shortfall(self) -> int:
        return max(0, self.required - self.done)


def _count(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{field} must be a whole number, got {value!r}", field)
    return value


def quarter_sampling(delivered: int, checked: int) -> Attainment:
    """At least 20% of the quarter's care services checked, rounded up (11 services → 3)."""
    delivered, checked = _count(delivered, "delivered"), _count(checked, "checked")
    if checked > delivered:
        raise InvalidInput(f"checked ({checked}) exceeds the services delivered ({delivered})", "checked")
    required = -(-delivered * QUARTER_SHARE_PERCENT // 100)
    return Attainment(required, checked, (), REASONS.reason(
        "quarter_sampling", f"{checked} of {delivered} checked; at least {required} (20%)", delivered=delivered,
        checked=checked, required=required))


def year_coverage(delivered: int, checked: int) -> Attainment:
    delivered, checked = _count(delivered, "delivered"), _count(checked, "checked")
    if checked > delivered:
        raise InvalidInput(f"checked ({checked}) exceeds the services delivered ({delivered})", "checked")
    return Attainment(delivered, checked, (), REASONS.reason(
        "year_coverage", f"{checked} of {delivered} checked this year (100% required)", delivered=delivered,
        checked=checked))


def _everyone(code: str, what: str, expected: Iterable[str], done: Iterable[str]) -> Attainment:
    wanted, seen = set(expected), set(done)
    missing = tuple(sorted(wanted - seen))
    return Attainment(len(wanted), len(wanted & seen), missing, REASONS.reason(
        code, f"{len(wanted & seen)} of {len(wanted)} {what}; {len(missing)} to go", total=len(wanted),
        done=len(wanted & seen)))


def institution_patrols(institutions: Iterable[str], patrolled: Iterable[str]) -> Attainment:
    """Every designated institution patrolled on site at least once in the quarter."""
    return _everyone("institution_patrols", "institutions patrolled this quarter", institutions, patrolled)


def status_survey(disabled_persons: Iterable[str], surveyed: Iterable[str]) -> Attainment:
    """Every disabled person's status surveyed once in the year."""
    return _everyone("status_survey", "disabled persons surveyed this year", disabled_persons, surveyed)


@dataclass(frozen=True)
class Inspector:
    inspector_id: str
    medical: bool  # 医护学专业 (medicine or nursing)
    degree: str


def check_patrol_team(team: Sequence[Inspector]) -> None:
    """每次巡查不少于2人(其中1人为医护学专业人员), each with a college degree or above; refused naming the rule."""
    ids = {i.inspector_id for i in team}
    if len(ids) < 2:
        raise InvalidInput("a patrol needs at least two different inspectors", "inspectors",
                           code="patrol_team_too_small", params={"given": str(len(ids))})
    if not any(i.medical for i in team):
        raise InvalidInput("a patrol needs an inspector of a medical or nursing profession", "inspectors",
                           code="patrol_team_without_medical")
    for n, i in enumerate(team):
        if i.degree not in DEGREES:
            raise InvalidInput(f"unknown degree {i.degree!r}; one of {', '.join(DEGREES)}",
                               f"inspectors[{n}].degree")
        if DEGREES.index(i.degree) < DEGREES.index(MIN_DEGREE):
            raise InvalidInput(f"inspector {i.inspector_id} has no college degree", f"inspectors[{n}].degree",
                               code="inspector_degree")
