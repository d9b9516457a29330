"""A sampling population (抽审总体): a hospital's medical records (病历) of the last two years, or the agency's
manual-reimbursement files (手工报销申报材料) — each by its record id, optionally with its day — read from CSV or JSON
and checked whole before anything is kept. Pure."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from chassis.errors import InvalidInput

# What is sampled at which kind of institution (tender 二(一)4: 医院近两年内病历, 经办机构近两年内手工报销申报材料).
POPULATION_KINDS = {"medical_records": "hospital", "manual_reimbursements": "agency"}
RECORD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/\-]{0,63}\Z")
MAX_RECORDS = 500_000


def check_kind(kind: str, institution_kind: str) -> None:
    expected = POPULATION_KINDS.get(kind)
    if expected is None:
        raise InvalidInput(f"kind is one of {', '.join(POPULATION_KINDS)}", "kind")
    if expected != institution_kind:
        raise InvalidInput(f"{kind} are sampled at a {expected}, not a {institution_kind}", "kind",
                           code="population_kind_mismatch", params={"expected": expected})


def years_before(day: date, years: int) -> date:
    """The first day of the `years` years ending on `day` (2 years to 2024-11-20: from 2022-11-21); the calendar's
    first day when those years would begin before it."""
    if day.year - years < date.min.year:
        return date.min
    try:
        start = day.replace(year=day.year - years)
    except ValueError:  # 29 February
        start = day.replace(year=day.year - years, day=28)
    return date.fromordinal(start.toordinal() + 1)


def check_period(period_from: date, period_to: date, years: int, today: date) -> None:
    """The population's period: ends on or after it starts, not after today, at most `years` years long (近两年内)."""
    if period_to < period_from:
        raise InvalidInput(f"period_to {period_to} is before period_from {period_from}", "period_to",
                           code="period_reversed")
    if period_to > today:
        raise InvalidInput(f"period_to {period_to} is after today", "period_to", code="date_in_future")
    if period_from < years_before(period_to, years):
        raise InvalidInput(f"a population covers at most the last {years} years: from "
                           f"{years_before(period_to, years)} to {period_to}", "period_from", code="period_too_long",
                           params={"years": str(years)})


def parse_csv(text: str) -> list[dict[str, str]]:
    """`record_id[,date]` with that header; each row one record."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if not header or header[0] != "record_id" or any(h not in ("record_id", "date") for h in header):
        raise InvalidInput("the CSV's header is `record_id` or `record_id,date`", "records")
    has_date = "date" in header
    rows = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        rows.append({"record_id": (row[0] if row else "").strip(),
                     **({"date": row[header.index("date")].strip() if len(row) > header.index("date") else ""}
                        if has_date else {})})
    return rows


def check_records(records: Sequence[Any], period_from: date, period_to: date) -> list[str]:
    """The records' ids in upload order, or 422 naming the first bad one: `record_id_invalid`, `duplicate_record`,
    `record_outside_period` (a day given outside the period), `population_empty`, `population_too_large`."""
    if not records:
        raise InvalidInput("a population holds at least one record", "records", code="population_empty")
    if len(records) > MAX_RECORDS:
        raise InvalidInput(f"at most {MAX_RECORDS} records per population", "records", code="population_too_large",
                           params={"max": str(MAX_RECORDS)})
    ids, seen = [], set()
    first, last = period_from.isoformat(), period_to.isoformat()
    for n, raw in enumerate(records):
        row: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {"record_id": raw}
        rid = row.get("record_id")
        if not isinstance(rid, str) or not RECORD_ID.match(rid):
            raise InvalidInput("a record id is 1–64 letters, digits or _.:/-", f"records[{n}].record_id",
                               code="record_id_invalid")
        if rid in seen:
            raise InvalidInput(f"record {rid} is listed twice", f"records[{n}].record_id", code="duplicate_record")
        seen.add(rid)
        day = row.get("date")
        if day:
            try:
                on = date.fromisoformat(str(day)).isoformat()
            except ValueError:
                raise InvalidInput(f"{day!r} is not a date (YYYY-MM-DD)", f"records[{n}].date") from None
            if not first <= on <= last:
                raise InvalidInput(f"record {rid} of {on} is outside the period {first} – {last}",
                                   f"records[{n}].date", code="record_outside_period")
        ids.append(rid)
    return ids


def digest(ids: Iterable[str]) -> str:
    """The population as one checksum: sha256 of its sorted ids, one per line."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()
