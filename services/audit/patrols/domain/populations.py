"""Who the quotas count: the designated care institutions of a quarter (定点护理机构, from institution.changed) and
the disabled persons of a year (失能人员, from disability.concluded). Pure: the store hands over what the events
left, these rules say who is in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

# An institution is designated (in the quarter's on-site population) while its agreement holds: within one of its
# agreement terms (协议期限), in none of its suspensions (暂停), not terminated (解除). The registry's
# institution.changed carries all three with a version (the latest answers for any day); an event without them (an
# older publisher) is read by its status: designated (or resumed) until a suspension or termination.
DESIGNATED = frozenset({"designated", "resumed"})
CARE = "care"


def day_of(stamp: str) -> str:
    """The day of an event's `occurred_at` / `concluded_at` (ISO date or date-time), as YYYY-MM-DD."""
    return (stamp or "")[:10]


def _order(h: Mapping[str, Any]) -> tuple[int, str, int]:
    return int(h.get("version") or 0), str(h.get("occurred_at", "")), int(h.get("seq", 0))


def status_on(history: Sequence[Mapping[str, Any]], day: date) -> Mapping[str, Any] | None:
    """The institution's last change on or before `day` (changes in the order they happened; the same day: in the
    order they arrived)."""
    known = [h for h in history if day_of(str(h.get("occurred_at", ""))) <= day.isoformat()]
    if not known:
        return None
    return sorted(known, key=lambda h: (str(h.get("occurred_at", "")), int(h.get("seq", 0))))[-1]


def _within(day: str, period: Mapping[str, Any]) -> bool:
    start, end = str(period.get("start") or ""), str(period.get("end") or "")
    return bool(start) and start <= day and (not end or day <= end)


def designated_on(institution: Mapping[str, Any], day: date) -> bool:
    """A care institution whose agreement holds on `day`."""
    if institution.get("kind") != CARE:
        return False
    history = institution.get("history") or ()
    with_terms = [h for h in history if h.get("terms")]
    d = day.isoformat()
    if with_terms:
        latest = max(with_terms, key=_order)
        terminated = str(latest.get("terminated_on") or "")
        return (any(_within(d, t) for t in latest["terms"])
                and not any(_within(d, s) for s in latest.get("suspensions") or ())
                and (not terminated or d < terminated))
    last = status_on(history, day)
    if last is None or last.get("status") not in DESIGNATED:
        return False
    ends = str(last.get("agreement_to") or "")
    return not ends or ends >= d


def designated_institutions(institutions: Iterable[Mapping[str, Any]], on: date) -> set[str]:
    """The quarter's on-site population: every care institution designated on `on` — the quarter's last day, or
    today for the quarter under way."""
    return {str(i["institution_id"]) for i in institutions if designated_on(i, on)}


def disabled_in_year(conclusions: Sequence[Mapping[str, Any]], year: int) -> bool:
    """A person is among the year's disabled persons when their latest conclusion up to the year's end found them
    eligible (重度失能): a re-assessment or re-check that found them no longer eligible takes them out."""
    known = [c for c in conclusions if day_of(str(c.get("concluded_at", ""))) <= f"{year:04d}-12-31"]
    if not known:
        return False
    return bool(sorted(known, key=lambda c: (str(c.get("concluded_at", "")), int(c.get("round", 0))))[-1]
                .get("eligible"))


def survey_population(persons: Iterable[Mapping[str, Any]], year: int, left_before: set[str]) -> set[str]:
    """The year's status-survey population, by person key: disabled in the year and not found deceased or moved
    away by a survey of an earlier year (`left_before`)."""
    return {str(p["_id"]) for p in persons
            if str(p["_id"]) not in left_before and disabled_in_year(p.get("conclusions") or (), year)}
