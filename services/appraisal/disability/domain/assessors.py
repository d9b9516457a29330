"""The assessor pool (评定人员库): the carrier's disability assessors, imported as CSV — who they are, their
professional background (医学, 护理, 康复 or other: a pair needs one medical or nursing), where they work (an assessor
never assesses a person cared for by their own institution) and their degree. The whole file is checked before
anything is kept: one bad row refuses it, every bad row named."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from chassis.errors import InvalidInput
from services.appraisal.disability.domain.draw import Assessor

COLUMNS = ("assessor_id", "name", "background", "institution_id", "degree")
OPTIONAL = ("active",)
BACKGROUNDS = ("medical", "nursing", "rehabilitation", "other")  # 医学, 护理, 康复, 其他
MEDICAL_BACKGROUNDS = frozenset({"medical", "nursing"})  # 医学或护理专业背景: one of the pair has it
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\Z")  # `\Z`: Python's `$` takes a final newline too
MAX_ROWS = 5000
_TRUE, _FALSE = ("true", "1", "yes", ""), ("false", "0", "no")


@dataclass(frozen=True)
class PoolMember:
    """One assessor as imported. `institution_id` empty: works for no care institution."""

    assessor_id: str
    name: str
    background: str
    institution_id: str
    degree: str
    active: bool = True

    @property
    def medical(self) -> bool:
        return self.background in MEDICAL_BACKGROUNDS

    def for_draw(self) -> Assessor:
        return Assessor(self.assessor_id, self.medical, self.institution_id)


def parse_pool(text: str) -> list[PoolMember]:
    """Every row checked (a header naming the columns, then one assessor a row); any bad row refuses the file."""
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    except csv.Error as exc:
        raise InvalidInput(f"the CSV cannot be read: {exc}", "body") from exc
    if not rows or not any(c.strip() for c in rows[0]):
        raise InvalidInput("the file is empty", "body")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput(f"the header lacks {missing}; expected {list(COLUMNS)} (+ optional active)", "header")
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL]
    if unknown:
        raise InvalidInput(f"unknown columns {unknown}; expected {list(COLUMNS)} (+ optional active)", "header")
    if len(rows) - 1 > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} assessors a file", "body")
    errors: list[dict[str, str]] = []
    members: list[PoolMember] = []
    seen: set[str] = set()
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"row {n}"
        if len(row) != len(header):
            errors.append({"field": where, "message": f"{len(row)} columns, expected {len(header)}"})
            continue
        v = {c: row[i].strip() for i, c in enumerate(header)}
        problem = _problem(v)
        if problem:
            errors.append({"field": f"{where}.{problem[0]}", "message": problem[1]})
            continue
        if v["assessor_id"] in seen:
            errors.append({"field": f"{where}.assessor_id", "message": f"assessor {v['assessor_id']} twice"})
            continue
        seen.add(v["assessor_id"])
        members.append(PoolMember(v["assessor_id"], v["name"], v["background"].lower(), v["institution_id"],
                                  v["degree"], v.get("active", "").lower() in _TRUE))
    if errors:
        raise InvalidInput(f"{len(errors)} row(s) refused; nothing imported", errors[0]["field"], errors)
    if not members:
        raise InvalidInput("the file has no assessors", "body")
    return members


def _problem(v: dict[str, str]) -> tuple[str, str] | None:
    """The first problem of a row: (column, message)."""
    if not ID_RE.match(v["assessor_id"]):
        return "assessor_id", f"invalid assessor_id {v['assessor_id']!r} (letters, digits, _ . -; at most 64)"
    if not v["name"] or len(v["name"]) > 50:
        return "name", "a name of 1 to 50 characters"
    if v["background"].lower() not in BACKGROUNDS:
        return "background", f"background must be one of {list(BACKGROUNDS)}, got {v['background']!r}"
    if v["institution_id"] and not ID_RE.match(v["institution_id"]):
        return "institution_id", f"invalid institution_id {v['institution_id']!r}"
    if not v["degree"] or len(v["degree"]) > 50:
        return "degree", "a degree of 1 to 50 characters (e.g. 本科, 大专)"
    if v.get("active", "").lower() not in _TRUE + _FALSE:
        return "active", f"active must be true or false, got {v['active']!r}"
    return None
