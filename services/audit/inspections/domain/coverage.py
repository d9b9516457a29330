"""The coverage plan of the term (全覆盖检查计划, tender 二(一)1(1): 现场检查率100%): every designated institution of
the district — hospitals, pharmacies and the agency — planned for an on-site inspection in a month of the term, and the
live figures of which are done (an inspection of it ended within the term) and which are not.

The population: the institutions holding an agreement at some day of the term (a term of theirs overlaps it, and they
were not terminated before it began). A plan given without a schedule spreads them over the term's months, each kind
evenly (sorted by kind, then id, month by month in turn). A schedule given must place every one of them, once, in a
month of the term. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chassis.errors import InvalidInput
from services.audit.inspections.domain.settings import KINDS


@dataclass(frozen=True)
class Known:
    """An institution as the room knows it (institution.changed): its agreement terms, termination and kind."""

    institution_id: str
    kind: str
    terms: tuple[tuple[str, str], ...]   # (start, end) YYYY-MM-DD, end "" open
    terminated_on: str = ""


def check_term(term_from: date, term_to: date) -> None:
    if term_to < term_from:
        raise InvalidInput(f"the term ends ({term_to}) before it starts ({term_from})", "term_to",
                           code="term_reversed")


def in_term(known: Known, term_from: date, term_to: date) -> bool:
    """Holds an agreement on some day of the term."""
    if known.terminated_on and known.terminated_on <= term_from.isoformat():
        return False
    return any(start <= term_to.isoformat() and (not end or end >= term_from.isoformat())
               for start, end in known.terms)


def population(institutions: Iterable[Known], term_from: date, term_to: date) -> list[Known]:
    """The institutions the plan must reach, by kind (hospital, pharmacy, agency) then id."""
    order = {k: n for n, k in enumerate(KINDS)}
    return sorted((k for k in institutions if k.kind in order and in_term(k, term_from, term_to)),
                  key=lambda k: (order[k.kind], k.institution_id))


def require_reach(reach: Sequence[Known], term_from: date, term_to: date, known: int) -> None:
    """A plan reaching no institution is no plan (422 `plan_reaches_none`, field `term_from`): the term is wrong, or
    the registry's institutions are not known to supervision yet."""
    if not reach:
        raise InvalidInput(f"no institution holds an agreement between {term_from} and {term_to} "
                           f"({known} known to supervision): name the term the plan covers", "term_from",
                           code="plan_reaches_none", params={"term_from": term_from.isoformat(),
                                                             "term_to": term_to.isoformat(), "known": str(known)})


def months_of(term_from: date, term_to: date) -> list[str]:
    out, y, m = [], term_from.year, term_from.month
    while (y, m) <= (term_to.year, term_to.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def spread(reach: Sequence[Known], months: Sequence[str]) -> dict[str, str]:
    """Each institution's month when the plan names none: in turn over the term's months, kind by kind."""
    return {k.institution_id: months[n % len(months)] for n, k in enumerate(reach)}


def check_schedule(schedule: Sequence[Mapping[str, str]], reach: Sequence[Known], known: Iterable[str],
                   months: Sequence[str]) -> dict[str, str]:
    """A given schedule as institution → month, or 422 naming the entry: `unknown_institution`,
    `duplicate_institution`, `month_outside_term`, and `plan_incomplete` (institutions of the term left out:
    100% is the tender's coverage, not a target to approach)."""
    ids, placed = set(known), {}
    for n, entry in enumerate(schedule):
        iid, month = entry["institution_id"], entry["month"]
        if iid not in ids:
            raise InvalidInput(f"institution {iid} is not known to supervision (institution.changed)",
                               f"schedule[{n}].institution_id", code="unknown_institution")
        if iid in placed:
            raise InvalidInput(f"institution {iid} is scheduled twice", f"schedule[{n}].institution_id",
                               code="duplicate_institution")
        if month not in months:
            raise InvalidInput(f"{month} is outside the term ({months[0]} – {months[-1]})", f"schedule[{n}].month",
                               code="month_outside_term")
        placed[iid] = month
    missing = [k.institution_id for k in reach if k.institution_id not in placed]
    if missing:
        raise InvalidInput(f"the plan leaves out {len(missing)} institution(s) of the term, e.g. "
                           f"{', '.join(missing[:5])}: every one is inspected on site (100%)", "schedule",
                           code="plan_incomplete", params={"missing": str(len(missing)),
                                                           "first": ",".join(missing[:20])})
    return placed


def rate(done: int, total: int) -> str:
    return str((Decimal(done) / Decimal(total)).quantize(Decimal("0.0001"), ROUND_HALF_UP)) if total else "1.0000"


def coverage(reach: Sequence[Known], planned: Mapping[str, str], inspected: Mapping[str, Sequence[Mapping[str, Any]]],
             today: date) -> dict[str, Any]:
    """The live figures: each institution of the term with its planned month, its inspections ended within the term
    (`inspected`: institution → those inspections) and whether it is done; the totals by kind; `late`: planned for a
    month already past and still undone."""
    month_now = today.strftime("%Y-%m")
    rows, by_kind = [], {k: {"total": 0, "done": 0} for k in KINDS}
    for k in reach:
        found = list(inspected.get(k.institution_id) or [])
        month = planned.get(k.institution_id)
        done = bool(found)
        rows.append({"institution_id": k.institution_id, "kind": k.kind, "planned_month": month, "done": done,
                     "inspections": [i["inspection_id"] for i in found],
                     "last_ended_on": max((i["ended_on"] for i in found), default=None),
                     "late": (not done) and month is not None and month < month_now})
        by_kind[k.kind]["total"] += 1
        by_kind[k.kind]["done"] += int(done)
    total, done_count = len(rows), sum(r["done"] for r in rows)
    for figures in by_kind.values():
        figures["rate"] = rate(figures["done"], figures["total"])
    return {"total": total, "done": done_count, "undone": total - done_count, "rate": rate(done_count, total),
            "target": "1", "met": done_count == total, "by_kind": by_kind,
            "unplanned": [r["institution_id"] for r in rows if r["planned_month"] is None],
            "late": [r["institution_id"] for r in rows if r["late"]], "institutions": rows}
