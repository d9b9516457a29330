"""`jingban calc [FILE]`: read one case as JSON (from FILE, or stdin when FILE is absent or "-"), print the
calculation as JSON. Exit 0 on success; on unreadable input, bad JSON or invalid input print
{"error": {"message", "field"}} to stderr and exit 2."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from chassis.errors import InvalidInput
from services.settlement.calculator.service.calculate import calculate

USAGE = "usage: jingban calc [FILE]   (one case as JSON; stdin when FILE is absent or -)"


def _refuse_constant(name: str) -> Any:
    # json accepts NaN and Infinity by default and would hand us floats: no amount can be either.
    raise ValueError(f"{name} is not a valid JSON number here")


def _fail(message: str, field: str | None) -> int:
    print(json.dumps({"error": {"message": message, "field": field}}, ensure_ascii=False, indent=2),
          file=sys.stderr)
    return 2


def calculate_case(case: Any) -> dict[str, Any]:
    """One case, by its program: most are settlement's calculator; long-term care's disability grade is appraisal's
    rule, and a carrier fee given the evaluation table's deductions takes its score from audit's rule first."""
    if isinstance(case, dict) and case.get("program") == "ltc_grade":
        # long-term care's disability grade: the appraisal room's rules, not settlement's
        from services.appraisal.disability.service import grade_case

        return grade_case(case)
    if isinstance(case, dict) and case.get("program") == "ltc_fee" and "deductions" in case:
        # the yearly score (绩效考核) from the deductions: audit's evaluation table and rule, then settlement's fee
        from services.audit.scores.domain.score import load_items, yearly_score

        if "score" in case:
            raise InvalidInput("give the score or the deductions, not both", "score")
        score, deductions = yearly_score(load_items().weights, case["deductions"])
        fee = calculate({**{k: v for k, v in case.items() if k != "deductions"}, "score": str(score)})
        return {**fee, "reasons": [str(r) for r in deductions] + fee["reasons"],
                "reason_codes": [r.to_json() for r in deductions] + fee["reason_codes"]}
    return calculate(case)


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0] in ("-h", "--help")):
        return _fail(USAGE, None)
    source = argv[0] if argv else "-"
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {source}: {exc}", "file")
    try:
        # parse_float=Decimal keeps JSON numbers such as 500.10 exact; money never passes through float.
        case = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except ValueError as exc:
        return _fail(f"invalid JSON: {exc}", None)
    try:
        result = calculate_case(case)
    except InvalidInput as exc:
        return _fail(exc.message, exc.field)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
