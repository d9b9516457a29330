"""The carrier's yearly score (绩效考核, Wenzhou tender 五、2–5), pure: the evaluation table's items and weights
(versioned data), the score — 100 points less the year's deductions, each item's at most its weight (扣完为止) —, its
grade by the tender's bands (program.yaml `ltc.score_bands`), and the year's due dates: the carrier's yearly operation
report within one month after the service year (五、3), the assessment within three months after it (五、3), the
performance money within one month after the assessment (五、5).

Periods of months end on the corresponding day of the last month (the month's last day when it has none) and, when
that day is a rest day, on the next working day (民法典 第二百零二、二百零三条) — a period is not a "by the 10th"
deadline, so it moves later, never earlier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from chassis.calendar import Deadline, working_days_after
from chassis.errors import InvalidInput
from chassis.programs import PROGRAMS_DIR, load_program
from chassis.reasons import Reason
from services.audit.scores.domain.reasons import REASONS

PROGRAM = "wz-ltc"
MAX_SCORE = Decimal(100)
DEFAULT_ITEMS_FILE = "score-items-sample.yaml"
# What a body names besides the deductions when it tries to set the result itself.
RESULT_FIELDS = ("score", "grade", "total", "points")


@dataclass(frozen=True)
class ScoreItems:
    """The evaluation table (温州市长期护理保险第三方经办服务绩效考核评价表): items and their weights (赋分)."""

    version: str
    label: str
    weights: Mapping[str, Decimal]
    names: Mapping[str, str]


def parse_items(raw: Any) -> ScoreItems:
    """Items with positive weights summing to 100, a version; else refused naming the table."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("items"), Mapping) or not raw.get("version"):
        raise InvalidInput("an evaluation table has a version and items", "items", code="score_items_invalid")
    weights: dict[str, Decimal] = {}
    for code, spec in raw["items"].items():
        try:
            weights[str(code)] = Decimal(str(spec["weight"]))
        except (TypeError, KeyError, InvalidOperation) as exc:
            raise InvalidInput(f"item {code} needs a decimal weight", f"items.{code}",
                               code="score_items_invalid") from exc
    if any(not w.is_finite() or w <= 0 for w in weights.values()) or sum(weights.values()) != MAX_SCORE:
        raise InvalidInput(f"the items' weights must be positive and sum to 100, not {sum(weights.values())}",
                           "items", code="score_items_invalid")
    return ScoreItems(str(raw["version"]), str(raw.get("label", "")), weights,
                      {str(code): str(spec.get("name", code)) for code, spec in raw["items"].items()})


def load_items(program: str = PROGRAM, root: Path = PROGRAMS_DIR) -> ScoreItems:
    """The program's table in force (program.yaml `ltc.score_items`; the labelled sample until the bureau's)."""
    name = load_program(program, root).setting("ltc", "score_items", DEFAULT_ITEMS_FILE)
    return parse_items(yaml.safe_load((root / program / str(name)).read_text(encoding="utf-8")))


def lot_of(tenant: str, program: str = PROGRAM, root: Path = PROGRAMS_DIR) -> str:
    """The lot (片区, A–E) the tenant carries (programs/<program>/lots.yaml); "" for none."""
    lots = yaml.safe_load((root / program / "lots.yaml").read_text(encoding="utf-8"))["lots"]
    return next((str(code) for code, spec in lots.items() if spec.get("tenant") == tenant), "")


def parse_points(points: Any, field: str) -> Decimal:
    """Points deducted: a non-negative decimal (string), at most two decimals."""
    value = points if isinstance(points, Decimal) else None
    if isinstance(points, str):
        try:
            value = Decimal(points.strip())
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidInput(f"{field} must be a non-negative decimal string of at most two decimals, got {points!r}",
                           field)
    return value


def yearly_score(weights: Mapping[str, Decimal], deductions: Mapping[str, Any]) -> tuple[Decimal, tuple[Reason, ...]]:
    """100 points less the year's deductions (扣分制); each item's deductions at most its weight. A deduction above
    its item's weight, an unknown item or a negative (or not decimal) one is refused, naming it."""
    if not isinstance(deductions, Mapping):
        raise InvalidInput("deductions must be an object of item → points", "deductions")
    reasons: list[Reason] = []
    total = Decimal(0)
    for item, points in deductions.items():
        field = f"deductions.{item}"
        if item not in weights:
            raise InvalidInput(f"unknown item {item!r}; one of {', '.join(weights)}", field)
        value = parse_points(points, field)
        if value > weights[item]:
            raise InvalidInput(f"{value} points deducted from {item}, whose weight is {weights[item]}", field,
                               code="deduction_above_weight", params={"item": item, "weight": str(weights[item])})
        total += value
        reasons.append(REASONS.reason("ltc_deduction", f"{item}: −{value} (of {weights[item]})", item=item,
                                      points=str(value), weight=str(weights[item])))
    score = MAX_SCORE - total
    reasons.append(REASONS.reason("ltc_score", f"100 − {total} = {score}", deducted=str(total), score=str(score)))
    return score, tuple(reasons)


@dataclass(frozen=True)
class Grade:
    grade: str
    name: str
    contract_lost: bool
    reason: Reason


def grade_of(score: Decimal, bands: Sequence[Mapping[str, Any]]) -> Grade:
    """The score's grade: the first band (best first, program.yaml `ltc.score_bands`) whose lowest score it reaches."""
    for band in bands:
        if score >= Decimal(str(band["from"])):
            name = str(band.get("name", band["grade"]))
            return Grade(str(band["grade"]), name, bool(band.get("contract_lost", False)), REASONS.reason(
                "ltc_grade", f"{score}: {name} (from {band['from']})", score=str(score), grade=str(band["grade"])))
    raise InvalidInput(f"no band of ltc.score_bands takes the score {score}", "ltc.score_bands")


# ---- due dates ------------------------------------------------------------------------------------------------


def months_after(day: date, months: int) -> date:
    """The corresponding day `months` months after `day`; the month's last day when it has none (31 Jan → 28/29 Feb)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)
    return date(year, month, min(day.day, last.day))


def period_end(last_day: date) -> Deadline:
    """A period's last day, moved to the next working day when it is a rest day (民法典 第二百零三条)."""
    return working_days_after(last_day - timedelta(days=1), 1)


def performance_payment_due(assessed_on: date) -> Deadline:
    """The performance money within one month after the assessment (五、5): settlement checks its payment by it."""
    return period_end(months_after(assessed_on, 1))


@dataclass(frozen=True)
class Step:
    """One due date of the year: what, when due (None until it can be known), when done, overdue."""

    step: str
    due: Deadline | None
    done_on: date | None
    overdue: bool
    reason: Reason


def _step(step: str, due: Deadline | None, done_on: date | None, today: date, reason: Reason) -> Step:
    overdue = due is not None and (done_on or today) > due.due
    return Step(step, due, done_on, overdue, reason)


def schedule(year: int, today: date, carrier_report_on: date | None, assessed_on: date | None,
             performance_paid_on: date | None) -> tuple[Step, ...]:
    """The year's three steps with their due dates (tender 五、3 and 五、5)."""
    year_end = date(year, 12, 31)
    report_due = period_end(months_after(year_end, 1))
    assessment_due = period_end(date(year + 1, 3, 31))  # three months after 31 December
    payment_due = performance_payment_due(assessed_on) if assessed_on else None
    return (
        _step("carrier_report", report_due, carrier_report_on, today, REASONS.reason(
            "carrier_report_due", f"within one month after {year_end}: by {report_due.due}",
            due_on=report_due.due.isoformat())),
        _step("assessment", assessment_due, assessed_on, today, REASONS.reason(
            "assessment_due", f"within three months after {year_end}: by {assessment_due.due}",
            due_on=assessment_due.due.isoformat())),
        _step("performance_payment", payment_due, performance_paid_on, today, REASONS.reason(
            "performance_payment_due", f"within one month after the assessment ({assessed_on}): by {payment_due.due}"
            if payment_due else "one month after the assessment, once assessed",
            due_on=payment_due.due.isoformat() if payment_due else "")),
    )


def check_after_year(year: int, day: date, field: str) -> None:
    """A year's score and its carrier report come after the service year ended."""
    if day <= date(year, 12, 31):
        raise InvalidInput(f"{field} {day} is within the service year {year}: it comes after the year ended", field,
                           code="score_year_not_ended")
