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
        if isinstance(case, dict) and case.get("program") == "ltc_grade":
            # long-term care's disability grade: the appraisal room's rules, not settlement's
            from services.appraisal.disability.service import grade_case

            result = grade_case(case)
        else:
            result = calculate(case)
    except InvalidInput as exc:
        return _fail(exc.message, exc.field)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
