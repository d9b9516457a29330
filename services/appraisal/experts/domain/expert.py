"""The expert pool (鉴定专家库): associate chief physicians or above at local tier-2+ hospitals, imported
from the provincial pool as CSV (name, hospital, title, specialty)."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass

from chassis.errors import InvalidInput

# 副主任医师 and 主任医师 qualify; English forms accepted for imported pools.
QUALIFYING_TITLES = {"副主任医师": "associate_chief", "主任医师": "chief",
                     "associate chief physician": "associate_chief", "chief physician": "chief"}
COLUMNS = ("name", "hospital", "title", "specialty")


@dataclass(frozen=True)
class Expert:
    expert_id: str
    name: str
    hospital: str
    title: str
    specialty: str
    phone: str = ""


def expert_id_for(name: str, hospital: str) -> str:
    """Stable id so re-importing the pool updates rather than duplicates."""
    return "ex-" + hashlib.sha256(f"{name.strip()}|{hospital.strip()}".encode()).hexdigest()[:12]


def csv_rows(text: str) -> list[list[str]]:
    """The pool file's rows, whatever its line endings (a lone CR too); a file the CSV reader cannot read (a field
    over its size limit) is refused whole, with the reader's reason."""
    try:
        return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    except csv.Error as exc:
        raise InvalidInput(f"the CSV cannot be read: {exc}", "file") from exc


def parse_pool(text: str) -> list[Expert]:
    """Parse and check every row; any bad row refuses the whole file with row-level messages."""
    rows = csv_rows(text)
    if not rows:
        raise InvalidInput("the file is empty", "file")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput(f"header lacks columns {missing}; expected {list(COLUMNS)} (+ optional expert_id, phone)",
                           "header")
    idx = {c: header.index(c) for c in header}
    errors: list[dict[str, str]] = []
    experts: list[Expert] = []
    seen: set[str] = set()
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append({"field": f"row {n}", "message": f"{len(row)} columns, expected {len(header)}"})
            continue
        values = {c: row[i].strip() for c, i in idx.items()}
        empty = [c for c in COLUMNS if not values[c]]
        if empty:
            errors.append({"field": f"row {n}", "message": f"empty {empty}"})
            continue
        if values["title"].lower() not in QUALIFYING_TITLES and values["title"] not in QUALIFYING_TITLES:
            errors.append({"field": f"row {n}.title",
                           "message": f"{values['title']!r} does not qualify: associate chief physician or above"})
            continue
        eid = values.get("expert_id") or expert_id_for(values["name"], values["hospital"])
        if eid in seen:
            errors.append({"field": f"row {n}", "message": f"duplicate expert {eid}"})
            continue
        seen.add(eid)
        experts.append(Expert(eid, values["name"], values["hospital"], values["title"], values["specialty"].lower(),
                              values.get("phone", "")))
    if errors:
        raise InvalidInput(f"{len(errors)} row(s) refused; nothing imported", fields=errors)
    return experts
