"""The disability assessment scale (失能等级评估量表) as versioned data, and the grading: item scores → each
indicator's sum → its level (by the indicator's bands) → the grade (by the combination table). Pure: the scale is
parsed from a mapping (the program's assessment YAML) and refused precisely when malformed; a grading refuses a
missing, unknown or out-of-range item score, naming it, so nothing half-scored is ever concluded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import InvalidInput
from chassis.reasons import Reason
from services.appraisal.disability.domain.reasons import REASONS

INDICATORS = ("adl", "cognition", "perception")  # 日常生活活动能力, 认知能力, 感知觉与沟通
PROGRAMS_DIR = Path(__file__).resolve().parents[4] / "programs"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    items: Mapping[str, tuple[str, tuple[int, ...]]]  # item code → (name, allowed scores)
    bands: tuple[int, ...]  # the lowest sum of each level, best first

    def level(self, total: int) -> int:
        for level, lowest in enumerate(self.bands):
            if total >= lowest:
                return level
        raise AssertionError("unreachable")  # the last band starts at 0


@dataclass(frozen=True)
class Scale:
    version: str
    label: str
    sample: bool
    levels: tuple[str, ...]
    grades: tuple[str, ...]
    indicators: Mapping[str, Indicator]
    combination: tuple[tuple[int, ...], ...]
    eligible_from_grade: int
    eligible_after_months: int


@dataclass(frozen=True)
class Grading:
    """A conclusion's figures: each indicator's sum and level, the grade, the scale version, and why."""

    version: str
    sums: Mapping[str, int]
    levels: Mapping[str, int]
    grade: int
    grade_name: str
    severe: bool
    reasons: tuple[Reason, ...]


def _bad(message: str, field: str) -> InvalidInput:
    return InvalidInput(message, field, code="invalid_scale")


def parse_scale(raw: Any) -> Scale:
    if not isinstance(raw, Mapping):
        raise _bad("the scale must be a mapping", "scale")
    version, label = raw.get("version"), raw.get("label")
    if not isinstance(version, str) or not version or not isinstance(label, str):
        raise _bad("the scale needs a version and a label", "version")
    levels, grades = tuple(raw.get("levels") or ()), tuple(raw.get("grades") or ())
    if len(levels) != 4 or len(grades) != 6:
        raise _bad("a scale has four levels and six grades (0–5)", "levels")
    indicators: dict[str, Indicator] = {}
    for code in INDICATORS:
        data = (raw.get("indicators") or {}).get(code)
        if not isinstance(data, Mapping) or not isinstance(data.get("items"), Mapping) or not data["items"]:
            raise _bad(f"indicator {code} is missing or has no items", f"indicators.{code}")
        items: dict[str, tuple[str, tuple[int, ...]]] = {}
        for item, spec in data["items"].items():
            scores = spec.get("scores") if isinstance(spec, Mapping) else None
            if not isinstance(scores, list) or not scores or not all(type(s) is int and s >= 0 for s in scores):
                raise _bad(f"item {item} needs its allowed scores", f"indicators.{code}.items.{item}")
            items[str(item)] = (str(spec.get("name", item)), tuple(sorted(scores)))
        bands = data.get("bands")
        if (not isinstance(bands, list) or len(bands) != 4 or bands[-1] != 0
                or any(type(b) is not int for b in bands) or bands != sorted(bands, reverse=True)):
            raise _bad(f"indicator {code} needs four descending bands ending at 0", f"indicators.{code}.bands")
        if bands[0] != sum(s[-1] for _, s in items.values()):
            raise _bad(f"indicator {code}'s first band must be its full score", f"indicators.{code}.bands")
        indicators[code] = Indicator(code, str(data.get("name", code)), items, tuple(bands))
    seen: dict[str, str] = {}
    for code, indicator in indicators.items():
        for item in indicator.items:
            if item in seen:  # a conclusion names its items without their indicator (`items: {eating: 10}`)
                raise _bad(f"item {item} is in both {seen[item]} and {code}: item codes are unique across the scale",
                           f"indicators.{code}.items.{item}")
            seen[item] = code
    table = raw.get("combination")
    if (not isinstance(table, list) or len(table) != 4
            or not all(isinstance(r, list) and len(r) == 4 and all(type(g) is int and 0 <= g <= 5 for g in r)
                       for r in table)):
        raise _bad("the combination table is 4 × 4 grades 0–5 (adl level × the worse other level)", "combination")
    eligible_from, months = raw.get("eligible_from_grade", 3), raw.get("eligible_after_months", 6)
    if type(eligible_from) is not int or not 0 <= eligible_from <= 5 or type(months) is not int or months < 0:
        raise _bad("eligible_from_grade is 0–5 and eligible_after_months a whole number", "eligible_from_grade")
    return Scale(version, label, bool(raw.get("sample", False)), levels, grades, indicators,
                 tuple(tuple(r) for r in table), eligible_from, months)


def load_scale(program: str = "wz-ltc", version_file: str = "assessment-sample-2021.yaml",
               root: Path = PROGRAMS_DIR) -> Scale:
    """A program's scale file (programs/<program>/assessment-*.yaml)."""
    return parse_scale(yaml.safe_load((root / program / version_file).read_text(encoding="utf-8")))


def grade(scale: Scale, scores: Mapping[str, Mapping[str, Any]]) -> Grading:
    """`scores`: {indicator: {item: score}} — every item of every indicator, each one of its allowed scores."""
    if not isinstance(scores, Mapping):
        raise InvalidInput("scores must be an object of indicators", "scores")
    unknown = sorted(set(scores) - set(scale.indicators))
    if unknown:
        raise InvalidInput(f"unknown indicator {unknown[0]!r}", f"scores.{unknown[0]}", code="unknown_item")
    sums: dict[str, int] = {}
    levels: dict[str, int] = {}
    reasons: list[Reason] = []
    for code, indicator in scale.indicators.items():
        given = scores.get(code)
        if not isinstance(given, Mapping):
            raise InvalidInput(f"the scores of {indicator.name} ({code}) are missing", f"scores.{code}",
                               code="missing_item")
        extra = sorted(set(given) - set(indicator.items))
        if extra:
            raise InvalidInput(f"unknown item {extra[0]!r} of {code}", f"scores.{code}.{extra[0]}", code="unknown_item")
        total = 0
        for item, (name, allowed) in indicator.items.items():
            field = f"scores.{code}.{item}"
            if item not in given:
                raise InvalidInput(f"{name} ({item}) is not scored", field, code="missing_item")
            value = given[item]
            if type(value) is not int or value not in allowed:
                raise InvalidInput(f"{name} ({item}) must be one of {list(allowed)}, got {value!r}", field,
                                   code="score_out_of_range", params={"allowed": ",".join(map(str, allowed))})
            total += value
        sums[code], levels[code] = total, indicator.level(total)
        reasons.append(REASONS.reason("indicator_level", f"{indicator.name}: {total} → {scale.levels[levels[code]]}",
                                      indicator=code, total=total, level=levels[code]))
    worse = max(levels["cognition"], levels["perception"])
    result = scale.combination[levels["adl"]][worse]
    reasons.append(REASONS.reason("combined_grade", f"combination[{levels['adl']}][{worse}] → {scale.grades[result]}"
                                  f" (scale {scale.version})", adl=levels["adl"], other=worse, grade=result,
                                  version=scale.version))
    if scale.sample:
        reasons.append(REASONS.reason("sample_scale", f"graded with a SAMPLE scale ({scale.label})",
                                      version=scale.version))
    return Grading(scale.version, sums, levels, result, scale.grades[result], result >= scale.eligible_from_grade,
                   tuple(reasons))


def scale_view(scale: Scale) -> dict[str, Any]:
    """The scale as a form needs it (GET /v1/ltc/scale): each indicator's items in the file's order, their names and
    allowed scores, with the version the conclusion will record — so no page carries a copy of the scale."""
    return {"version": scale.version, "label": scale.label, "sample": scale.sample, "levels": list(scale.levels),
            "grades": list(scale.grades),
            "indicators": [{"code": code, "name": ind.name, "bands": list(ind.bands),
                            "items": [{"code": item, "name": name, "scores": list(scores)}
                                      for item, (name, scores) in ind.items.items()]}
                           for code, ind in scale.indicators.items()]}


def item_scores(scale: Scale, items: Any) -> dict[str, dict[str, int]]:
    """A conclusion's scores as the assessors send them — `{item code: score}` for every item of the scale, without
    the indicators (item codes are unique across a scale) — checked item by item, each refusal naming
    `items.<code>`, and grouped by indicator for `grade`."""
    if not isinstance(items, Mapping):
        raise InvalidInput("items must be an object of item code → score", "items")
    owner = {item: code for code, indicator in scale.indicators.items() for item in indicator.items}
    unknown = sorted(str(k) for k in items if k not in owner)
    if unknown:
        raise InvalidInput(f"unknown item {unknown[0]!r}: not an item of scale {scale.version}", f"items.{unknown[0]}",
                           code="unknown_item", params={"version": scale.version})
    out: dict[str, dict[str, int]] = {}
    for code, indicator in scale.indicators.items():
        out[code] = {}
        for item, (name, allowed) in indicator.items.items():
            field = f"items.{item}"
            if item not in items:
                raise InvalidInput(f"{name} ({item}, {indicator.name}) is not scored", field, code="missing_item")
            value = items[item]
            if type(value) is not int or value not in allowed:
                raise InvalidInput(f"{name} ({item}) must be one of {list(allowed)}, got {value!r}", field,
                                   code="score_out_of_range", params={"allowed": ",".join(map(str, allowed))})
            out[code][item] = value
    return out
