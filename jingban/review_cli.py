"""`jingban review [FILE]`: smart claim review (智能审核) from the command line — settings, catalogue and claims as
JSON (from FILE, or stdin when FILE is absent or "-"), the hits as JSON on stdout:

    {"hits": [{"hit_id", "rule", "claim_id", "line_ids", "amount", "reason": {"code", "detail", "params"}}, ...],
     "summary": {rule: count}}

one hit a line, in the engine's order (rule, claim id, line ids). The same engine the platform runs on every claim
upload (services/audit/smart_review/domain). Exit 0 on success; on unreadable input, bad JSON or invalid input print
{"error": {"message", "field", "code"}} to stderr and exit 2."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from chassis.errors import InvalidInput
from services.audit.smart_review.domain.catalogue import Catalogue, parse_catalogue
from services.audit.smart_review.domain.claims import Claim, parse_claims
from services.audit.smart_review.domain.engine import Hit, review, summary
from services.audit.smart_review.domain.rules import Settings, parse_settings

USAGE = "usage: jingban review [FILE]   (settings, catalogue and claims as JSON; stdin when FILE is absent or -)"
FIELDS = ("settings", "catalogue", "claims")


def _refuse_constant(name: str) -> Any:
    # json accepts NaN and Infinity by default and would hand us floats: no amount or quantity can be either.
    raise ValueError(f"{name} is not a valid JSON number here")


def _fail(message: str, field: str | None, code: str) -> int:
    print(json.dumps({"error": {"message": message, "field": field, "code": code}}, ensure_ascii=False, indent=2),
          file=sys.stderr)
    return 2


def load(text: str | bytes) -> Any:
    """The JSON document; numbers with a fraction become Decimal (never float), NaN/Infinity are refused."""
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)


def parse_input(data: object) -> tuple[Settings, Catalogue, list[Claim]]:
    """The review input `{"settings"?, "catalogue", "claims"}`, each part checked (InvalidInput naming the field)."""
    if not isinstance(data, Mapping):
        raise InvalidInput("the input must be a JSON object with catalogue and claims", None, code="invalid_type")
    for key in data:
        if key not in FIELDS:
            raise InvalidInput(f"{key} is not a field of the review input (settings, catalogue, claims)", str(key),
                               code="unknown_field")
    for key in ("catalogue", "claims"):
        if key not in data:
            raise InvalidInput(f"{key} is required", key, code="field_required")
    return parse_settings(data.get("settings")), parse_catalogue(data["catalogue"]), parse_claims(data["claims"])


def result(hits: list[Hit]) -> dict[str, Any]:
    return {"hits": [h.to_json() for h in hits], "summary": summary(hits)}


def write(hits: list[Hit], out: TextIO) -> None:
    """The result as JSON, one hit a line (a big review stays readable and fast to write)."""
    out.write('{"hits": [')
    for i, hit in enumerate(hits):
        out.write(("\n  " if i == 0 else ",\n  ") + json.dumps(hit.to_json(), ensure_ascii=False))
    out.write("\n],\n" if hits else "],\n")
    out.write(f'"summary": {json.dumps(summary(hits))}}}\n')


def main(argv: list[str], out: TextIO | None = None) -> int:
    # The input and the claims hold no reference cycles: the cyclic collector would only walk a million objects
    # over and over while they are built (a third of the time at 1,000,000 lines); reference counting frees them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _main(argv, out)
    finally:
        if collecting:
            gc.enable()


def _main(argv: list[str], out: TextIO | None) -> int:
    if len(argv) > 1 or (argv and argv[0] in ("-h", "--help")):
        return _fail(USAGE, None, "invalid_request")
    source = argv[0] if argv else "-"
    try:
        if source == "-":
            stdin = getattr(sys.stdin, "buffer", None)
            raw: str | bytes = stdin.read() if stdin is not None else sys.stdin.read()
        else:
            raw = Path(source).read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {source}: {exc.strerror or exc}", "file", "invalid_request")
    try:
        data = load(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return _fail(f"invalid JSON: {exc}", None, "invalid_json")
    del raw
    try:
        settings, catalogue, claims = parse_input(data)
    except InvalidInput as exc:
        return _fail(exc.public_message, exc.field, exc.code)
    del data  # the parsed claims are all that is needed from here: let the JSON tree go
    write(review(settings, catalogue, claims), out or sys.stdout)
    return 0
