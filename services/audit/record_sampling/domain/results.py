"""A sampled record's result (抽审结果): a problem or not; a problem names its violation code — an item of the
catalogue the institution's kind is checked against (a hospital's records: H…, D…, I…; the agency's files: A…) —
and a note. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chassis.errors import InvalidInput
from services.audit.inspections.domain.catalogue import Catalogue


def check_results(results: Sequence[Mapping[str, Any]], sampled: set[str], kind: str,
                  catalogue: Catalogue) -> list[dict[str, Any]]:
    """Each result kept as {record_id, problem, code, note}, or 422 naming it: `record_not_sampled`,
    `duplicate_result`, `problem_code_required`, `problem_code_invalid`, `code_without_problem`."""
    if not results:
        raise InvalidInput("send at least one result", "results")
    kept, seen = [], set()
    for n, r in enumerate(results):
        rid, problem, code = str(r["record_id"]), bool(r["problem"]), str(r.get("code") or "").strip()
        if rid not in sampled:
            raise InvalidInput(f"record {rid} is not in this sample", f"results[{n}].record_id",
                               code="record_not_sampled")
        if rid in seen:
            raise InvalidInput(f"record {rid} has two results here", f"results[{n}].record_id",
                               code="duplicate_result")
        seen.add(rid)
        if problem and not code:
            raise InvalidInput("a problem record names its violation code", f"results[{n}].code",
                               code="problem_code_required")
        if problem and not catalogue.valid_for(kind, code):
            raise InvalidInput(f"{code} is not a violation of a {kind}'s checklist", f"results[{n}].code",
                               code="problem_code_invalid", params={"kind": kind})
        if not problem and code:
            raise InvalidInput("a record without a problem names no violation code", f"results[{n}].code",
                               code="code_without_problem")
        kept.append({"record_id": rid, "problem": problem, "code": code or None, "note": str(r.get("note") or "")})
    return kept
