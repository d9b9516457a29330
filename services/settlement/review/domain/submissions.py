"""What an upload sends to smart review (智能审核), pure: the person's sex and birth date read from the 18-digit
identity number (`identity_facts`; "" when the value is not one: review then checks no sex or age), the
institution's kind from its national code (`institution_kind`: P… a retail pharmacy 零售药店, anything else a medical
institution 医疗机构 — the first letter of the 定点医药机构编码), and parts of at most PART_LINES lines that never
split a claim (`parts`; a claim longer than that is a part of its own)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

PART_LINES = 2000
_ID18 = re.compile(r"^[0-9]{17}[0-9Xx]$")


def identity_facts(person_id: str) -> tuple[str, str]:
    """(sex M|F, birth date YYYY-MM-DD) from an 18-digit identity number (公民身份号码: characters 7–14 the birth
    date, the 17th odd for a man); ("", "") when the value is not one."""
    if not _ID18.match(person_id or ""):
        return "", ""
    try:
        born = date(int(person_id[6:10]), int(person_id[10:12]), int(person_id[12:14]))
    except ValueError:
        return "", ""
    return ("M" if int(person_id[16]) % 2 else "F"), born.isoformat()


def institution_kind(code: str) -> str:
    """The kind of a designated institution from its national code (定点医药机构编码): P… a retail pharmacy, else a
    medical institution."""
    return "pharmacy" if code[:1].upper() == "P" else "hospital"


def parts(claims: Sequence[Mapping[str, Any]], part_lines: int = PART_LINES) -> list[list[Mapping[str, Any]]]:
    """Review claims (each with its `lines`), in order, cut into parts of at most `part_lines` lines."""
    out: list[list[Mapping[str, Any]]] = []
    current: list[Mapping[str, Any]] = []
    size = 0
    for claim in claims:
        n = len(claim["lines"])
        if current and size + n > part_lines:
            out.append(current)
            current, size = [], 0
        current.append(claim)
        size += n
    if current:
        out.append(current)
    return out
