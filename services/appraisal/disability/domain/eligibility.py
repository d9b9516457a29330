"""Who the long-term care insurance covers (保障范围, Wenzhou tender 一、2): a person assessed as severely disabled
(重度失能, grade ≥ the scale's `eligible_from_grade`) whose disability has lasted six months or more after proper
treatment (经规范诊疗、失能状态持续6个月以上) — or is disability through old age (因年老失能), which needs no waiting
time. Pure: the dates come in, the decision and its reasons go out."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from chassis.errors import InvalidInput
from chassis.reasons import Reason
from services.appraisal.disability.domain.reasons import REASONS
from services.appraisal.disability.domain.scale import Grading, Scale


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    earliest_on: date | None  # when a disability too recent becomes long enough
    reasons: tuple[Reason, ...]


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def eligibility(grading: Grading, scale: Scale, assessed_on: date, disabled_since: date | None,
                through_old_age: bool = False) -> Eligibility:
    if grading.version != scale.version:
        raise InvalidInput(f"the grading was made with scale {grading.version}, not {scale.version}", "version")
    reasons: list[Reason] = []
    severe = grading.grade >= scale.eligible_from_grade
    reasons.append(REASONS.reason("severe" if severe else "not_severe",
                                  f"{grading.grade_name} (grade {grading.grade}); covered from grade "
                                  f"{scale.eligible_from_grade}", grade=grading.grade,
                                  eligible_from_grade=scale.eligible_from_grade))
    earliest: date | None = None
    if through_old_age:
        reasons.append(REASONS.reason("old_age", "disability through old age: no waiting time"))
        long_enough = True
    elif disabled_since is None and not severe:
        # Not covered whatever its length: the date is not needed to say so.
        reasons.append(REASONS.reason("not_assessed_for_lasting", "the grade is not covered: its duration is moot"))
        long_enough = True
    else:
        if disabled_since is None:
            raise InvalidInput("since when the person is disabled is required (or disability through old age)",
                               "disabled_since", code="missing_item")
        if disabled_since > assessed_on:
            raise InvalidInput("disabled_since is after the assessment", "disabled_since")
        earliest = add_months(disabled_since, scale.eligible_after_months)
        long_enough = assessed_on >= earliest
        reasons.append(REASONS.reason(
            "lasting" if long_enough else "too_recent",
            f"disabled since {disabled_since.isoformat()}: {scale.eligible_after_months} months reached on "
            f"{earliest.isoformat()}", disabled_since=disabled_since.isoformat(), earliest_on=earliest.isoformat(),
            months=scale.eligible_after_months))
    return Eligibility(severe and long_enough, None if long_enough else earliest, tuple(reasons))
