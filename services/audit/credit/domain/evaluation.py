"""An institution's yearly credit score (信用得分), pure: the year's facts deducted by the rules — each item its
rule's points, a rule's deductions at most its cap (扣完为止), cooperation by the year's latest rating — from the
start, never below zero, graded by the first grade whose minimum it reaches. Every deduction names its rule, the fact
and the event it came from, the amount in question, the points it would take and the points it took."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chassis.reasons import Reason
from services.audit.credit.domain.reasons import REASONS
from services.audit.credit.domain.rules import COOPERATION, ITEM_RULES, CreditRules

ZERO = Decimal("0")


@dataclass(frozen=True)
class Fact:
    """Something of an institution's year the rules count (a credit fact, 信用记录)."""

    fact_id: str
    rule: str                 # confirmed_hit | inspection_finding | record_sample_problem | case_finding | cooperation
    institution_id: str
    on: str                   # YYYY-MM-DD: the day it happened (decided, ended, completed, closed, rated)
    source_event_id: str      # the event it came from ("" for a rating entered at the door)
    ref: str                  # the hit, the inspection's finding, the sample, the case's finding, the rater
    items: int = 1            # how many items it counts (a sample's problem records)
    amount: str = ""          # the amount in question, decimal yuan ("" when none)
    rating: str = ""          # cooperation: good | fair | poor (the rules' ratings)
    detail: str = ""


def _num(value: Decimal) -> str:
    """Points as written: no exponent, no trailing zeros beyond what the value needs ("3", "0.5", "97.5")."""
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class Deduction:
    rule: str
    fact: Fact
    points: Decimal           # what the fact would take
    applied: Decimal          # what it took (the cap may leave less)
    reason: Reason

    def to_json(self) -> dict[str, Any]:
        f = self.fact
        return {"rule": self.rule, "fact_id": f.fact_id, "source_event_id": f.source_event_id, "ref": f.ref,
                "on": f.on, "items": f.items, "amount": f.amount or None, "rating": f.rating or None,
                "points": _num(self.points), "applied": _num(self.applied), "capped": self.applied < self.points,
                "reason": self.reason.to_json()}


@dataclass(frozen=True)
class Evaluation:
    score: Decimal
    grade: str
    grade_name: str
    deductions: tuple[Deduction, ...]
    by_rule: Mapping[str, Mapping[str, Any]]
    reasons: tuple[Reason, ...]

    def to_json(self) -> dict[str, Any]:
        return {"score": _num(self.score), "grade": self.grade, "grade_name": self.grade_name,
                "deductions": [d.to_json() for d in self.deductions], "by_rule": dict(self.by_rule),
                "reason_codes": [r.to_json() for r in self.reasons]}


def _deduct(rule: str, fact: Fact, points: Decimal, taken: Decimal, cap: Decimal, detail: str) -> Deduction:
    applied = max(min(points, cap - taken), ZERO)
    if applied < points:
        reason = REASONS.reason("cap_reached", f"{rule}: {detail}: {_num(points)} points, {_num(applied)} within the "
                                f"cap of {_num(cap)}", rule=rule, fact=fact.fact_id, cap=_num(cap))
    else:
        reason = REASONS.reason(rule, f"{detail}: −{_num(points)}", fact=fact.fact_id,
                                event=fact.source_event_id, points=_num(points), amount=fact.amount)
    return Deduction(rule, fact, points, applied, reason)


def evaluate(rules: CreditRules, facts: Iterable[Fact]) -> Evaluation:
    """The year's score from its facts (one institution's, one year's), in the order they happened."""
    ordered = sorted(facts, key=lambda f: (f.on, f.fact_id))
    deductions: list[Deduction] = []
    by_rule: dict[str, dict[str, Any]] = {}
    for code in ITEM_RULES:
        rule, taken, items = rules.rules[code], ZERO, 0
        for fact in (f for f in ordered if f.rule == code):
            points = rule.points * fact.items
            detail = f"{rule.name} {fact.ref}" + (f" ({fact.items} items)" if fact.items != 1 else "")
            d = _deduct(code, fact, points, taken, rule.cap, detail)
            deductions.append(d)
            taken += d.applied
            items += fact.items
        by_rule[code] = {"name": rule.name, "items": items, "points": _num(taken), "cap": _num(rule.cap)}
    rule = rules.rules[COOPERATION]
    ratings = [f for f in ordered if f.rule == COOPERATION]
    taken = ZERO
    if ratings:
        latest = ratings[-1]   # the year's latest rating counts
        points = rule.ratings.get(latest.rating, ZERO)
        d = _deduct(COOPERATION, latest, points, ZERO, rule.cap, f"{rule.name}: {latest.rating}")
        deductions.append(d)
        taken = d.applied
    by_rule[COOPERATION] = {"name": rule.name, "items": len(ratings[-1:]), "points": _num(taken),
                            "cap": _num(rule.cap), "rating": ratings[-1].rating if ratings else None}
    total = sum((d.applied for d in deductions), ZERO)
    score = max(rules.start - total, ZERO)
    grade = rules.grade_of(score)
    reasons = (REASONS.reason("credit_start", f"{_num(rules.start)} ({rules.version})", start=_num(rules.start),
                              version=rules.version),
               *(d.reason for d in deductions),
               REASONS.reason("credit_score", f"{_num(rules.start)} − {_num(total)} = {_num(score)}",
                              deducted=_num(total), score=_num(score)),
               REASONS.reason("credit_grade", f"{_num(score)}: {grade.grade} {grade.name} (from {_num(grade.min)})",
                              grade=grade.grade, score=_num(score)))
    return Evaluation(score, grade.grade, grade.name, tuple(deductions), by_rule, reasons)
