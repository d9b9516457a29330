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
    """每年监督检查比例达到100%, counted in care services (the unit of the quarter's 20% too): every service delivered
    in the year checked by a patrol. Year to date, `delivered` is what the year delivered so far."""
    delivered, checked = _count(delivered, "delivered"), _count(checked, "checked")
    if checked > delivered:
        raise InvalidInput(f"checked ({checked}) exceeds the services delivered ({delivered})", "checked")
    return Attainment(delivered, checked, (), REASONS.reason(
        "year_coverage", f"{checked} of {delivered} checked this year (100% required)", delivered=delivered,
        checked=checked))


def quarter_target(delivered: int, percent: int = QUARTER_SHARE_PERCENT) -> int:
    """The services a quarter's sample must hold: `percent` (never below the tender's 20%) of those delivered,
    rounded up."""
    delivered = _count(delivered, "delivered")
    if isinstance(percent, bool) or not isinstance(percent, int) or not QUARTER_SHARE_PERCENT <= percent <= 100:
        raise InvalidInput(f"a quarter's sampling share is {QUARTER_SHARE_PERCENT}–100%, got {percent!r}",
                           "sample_percent", code="plan_sample_below_quota")
    return -(-delivered * percent // 100)


def pace_target(known_to_date: int, quarter: int) -> int:
    """The year's 100% kept on pace: by the end of quarter n, n/4 of the year's services known so far (dated up to
    the quarter's end) are in a sample, rounded up — the fourth quarter's plan takes every service left."""
    known_to_date = _count(known_to_date, "known_to_date")
    if quarter not in (1, 2, 3, 4):
        raise InvalidInput(f"quarter must be 1–4, got {quarter!r}", "quarter")
    return -(-known_to_date * quarter // 4)


@dataclass(frozen=True)
class SampleTargets:
    """What one (re-)planning of a quarter's sample adds: `own` services of the quarter itself (its 20% quota) and
    `total` in all, the rest from the year's earlier services not yet sampled (补查, the year's pace)."""

    own_required: int
    own: int
    pace_required: int
    total: int


def sample_targets(own_delivered: int, own_sampled: int, known_to_date: int, sampled_to_date: int, quarter: int,
                   percent: int = QUARTER_SHARE_PERCENT) -> SampleTargets:
    """Re-planning adds only what is missing: the quarter's own shortfall against its quota, and at least the
    shortfall against the year's pace (what is sampled stays sampled, checked or not)."""
    own_required = quarter_target(own_delivered, percent)
    pace_required = pace_target(known_to_date, quarter)
    own = max(0, own_required - _count(own_sampled, "own_sampled"))
    total = max(own, pace_required - _count(sampled_to_date, "sampled_to_date"))
    return SampleTargets(own_required, own, pace_required, min(total, known_to_date - sampled_to_date))


def year_pace(known_to_date: int, sampled_to_date: int, quarter: int) -> Attainment:
    required = pace_target(known_to_date, quarter)
    return Attainment(required, sampled_to_date, (), REASONS.reason(
        "year_pace", f"{sampled_to_date} of {known_to_date} services of the year so far in a sample; at least "
        f"{required} by the end of Q{quarter}", known=known_to_date, sampled=sampled_to_date, required=required))


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
