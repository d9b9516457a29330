"""Disability assessment use cases (失能等级评定): the assessor pool (assessors.py), opening assessments and drawing
their pairs (assessments.py), the on-site visit and its evidence (visits.py), the conclusion, its notice and
objections (conclusions.py), periodic eligibility re-checks (rechecks.py) — and, here, grading a case as
`jingban calc ltc_grade` receives it (the scale from the program's data, the version recorded), with no I/O beyond
reading the scale file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chassis.errors import InvalidInput
from services.appraisal.disability.domain.scale import INDICATORS, grade, load_scale

DEFAULT_SCALE = "assessment-sample-2021.yaml"


def grade_case(case: Mapping[str, Any]) -> dict[str, Any]:
    """`{"program": "ltc_grade", "scores": {"adl": {...}, "cognition": {...}, "perception": {...}},
    "scale"?: "assessment-sample-2021.yaml"}` → the indicators' sums and levels, the grade and why."""
    name = case.get("scale", DEFAULT_SCALE)
    if not isinstance(name, str) or "/" in name or not name.startswith("assessment-") or not name.endswith(".yaml"):
        raise InvalidInput("scale names a programs/wz-ltc/assessment-*.yaml file", "scale")
    try:
        scale = load_scale(version_file=name)
    except FileNotFoundError:
        raise InvalidInput(f"no scale {name} in programs/wz-ltc", "scale") from None
    g = grade(scale, case.get("scores"))  # type: ignore[arg-type]
    return {"version": g.version, "label": scale.label, "sample": scale.sample,
            "indicators": {code: {"sum": g.sums[code], "level": g.levels[code],
                                  "level_name": scale.levels[g.levels[code]]} for code in INDICATORS},
            "grade": g.grade, "grade_name": g.grade_name, "severe": g.severe,
            "reasons": [str(r) for r in g.reasons], "reason_codes": [r.to_json() for r in g.reasons]}
