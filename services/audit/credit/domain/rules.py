"""The credit rules as data (信用评价规则): programs/km-supervision/credit-rules.yaml — the start points, per rule the
points each item deducts and the rule's cap (扣完为止), cooperation's points per rating, the grades best first. A file
that misses one of the rules the platform counts, or whose grades do not end at zero, is refused naming it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import InvalidInput
from chassis.programs import PROGRAMS_DIR

PROGRAM = "km-supervision"
FILE = "credit-rules.yaml"
# The facts the platform counts, each a rule of the file (its reason code too).
ITEM_RULES = ("confirmed_hit", "inspection_finding", "record_sample_problem", "case_finding")
COOPERATION = "cooperation"
RULES = (*ITEM_RULES, COOPERATION)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    points: Decimal                      # per item (item rules)
    cap: Decimal                         # the most the rule deducts in a year
    ratings: Mapping[str, Decimal]       # cooperation: rating → points


@dataclass(frozen=True)
class Grade:
    grade: str
    name: str
    min: Decimal


@dataclass(frozen=True)
class CreditRules:
    version: str
    label: str
    start: Decimal
    rules: Mapping[str, Rule]
    grades: tuple[Grade, ...]            # best first; the last one's min is 0

    def grade_of(self, score: Decimal) -> Grade:
        return next(g for g in self.grades if score >= g.min)


def _points(value: Any, field: str) -> Decimal:
    try:
        points = Decimal(str(value))
    except (InvalidOperation, ValueError):
        points = Decimal("NaN")
    if not points.is_finite() or points < 0:
        raise InvalidInput(f"{field} must be a non-negative decimal, not {value!r}", field,
                           code="credit_rules_invalid")
    return points


def parse_rules(raw: Any) -> CreditRules:
    if not isinstance(raw, Mapping) or not raw.get("version") or not isinstance(raw.get("rules"), Mapping):
        raise InvalidInput("credit rules have a version, a start and rules", "rules", code="credit_rules_invalid")
    start = _points(raw.get("start"), "start")
    if start <= 0:
        raise InvalidInput("start must be above zero", "start", code="credit_rules_invalid")
    rules: dict[str, Rule] = {}
    for code in RULES:
        spec = raw["rules"].get(code)
        where = f"rules.{code}"
        if not isinstance(spec, Mapping):
            raise InvalidInput(f"the rule {code} is missing", where, code="credit_rules_invalid")
        ratings = {}
        if code == COOPERATION:
            if not isinstance(spec.get("ratings"), Mapping) or not spec["ratings"]:
                raise InvalidInput("cooperation lists its ratings and their points", f"{where}.ratings",
                                   code="credit_rules_invalid")
            ratings = {str(k): _points(v, f"{where}.ratings.{k}") for k, v in spec["ratings"].items()}
        rules[code] = Rule(code, str(spec.get("name", code)),
                           _points(spec.get("points", "0"), f"{where}.points"), _points(spec.get("cap"),
                                                                                        f"{where}.cap"), ratings)
    unknown = sorted(set(raw["rules"]) - set(RULES))
    if unknown:
        raise InvalidInput(f"unknown rules {unknown}; the rules are {', '.join(RULES)}", f"rules.{unknown[0]}",
                           code="credit_rules_invalid")
    grades = []
    for n, g in enumerate(raw.get("grades") or []):
        if not isinstance(g, Mapping) or not g.get("grade"):
            raise InvalidInput("a grade has a grade and a min", f"grades[{n}]", code="credit_rules_invalid")
        grades.append(Grade(str(g["grade"]), str(g.get("name", g["grade"])), _points(g.get("min"),
                                                                                    f"grades[{n}].min")))
    if not grades or grades[-1].min != 0 or any(a.min <= b.min for a, b in pairwise(grades)):
        raise InvalidInput("grades go best first with falling minimums, the last at 0", "grades",
                           code="credit_rules_invalid")
    return CreditRules(str(raw["version"]), str(raw.get("label", "")), start, rules, tuple(grades))


@cache
def _read(path: Path) -> CreditRules:
    return parse_rules(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_rules(root: Path = PROGRAMS_DIR) -> CreditRules:
    return _read(root / PROGRAM / FILE)
