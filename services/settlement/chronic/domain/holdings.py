"""A person's holdings (资格) as they change: qualifications granted, revoked and renewed (appraisal's events), and
the holdings an ops import brings in (data migration). Each change is a function `holdings -> new holdings | None`
(None: nothing changes), keyed by qualification id, so applying it again changes nothing. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from chassis.errors import InvalidInput
from services.settlement.chronic.domain.records import holding_doc
from services.settlement.chronic.domain.uploads import parse_day

Change = Callable[[list[dict[str, Any]]], list[dict[str, Any]] | None]

MAX_IMPORT_ERRORS = 1000


def add_holding(holding: dict[str, Any]) -> Change:
    def change(holdings: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        if any(h["qualification_id"] == holding["qualification_id"] for h in holdings):
            return None  # known already (a redelivery, or revoked before the grant arrived)
        return [*holdings, holding]

    return change


def close_holding(holding: dict[str, Any], revoked_on: str) -> Change:
    def change(holdings: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        mine = next((h for h in holdings if h["qualification_id"] == holding["qualification_id"]), None)
        if mine is None:
            return [*holdings, {**holding, "revoked_on": revoked_on}]
        if mine.get("revoked_on") and mine["revoked_on"] <= revoked_on:
            return None  # already closed (a redelivery)
        return [{**h, "revoked_on": revoked_on} if h is mine else h for h in holdings]

    return change


def _due_rank(due: str) -> str:
    return due or "9999-12-31"  # no further re-review: later than any date


def renew_holding(holding: dict[str, Any], previous_due: str, renewed_on: str) -> Change:
    """The holding's next review_due (never moved back by a late redelivery of an older renewal), and the lapse
    (previous_due, renewed_on) when days lie strictly between them."""
    lapse = ({"due": previous_due, "resumed_on": renewed_on}
             if previous_due and (date.fromisoformat(renewed_on) - date.fromisoformat(previous_due)).days > 1
             else None)

    def change(holdings: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        mine = next((h for h in holdings if h["qualification_id"] == holding["qualification_id"]), None)
        if mine is None:
            return [*holdings, {**holding, "lapses": [lapse] if lapse else []}]
        lapses = list(mine.get("lapses") or [])
        due = mine.get("review_due") or ""
        new_due = holding["review_due"] if _due_rank(holding["review_due"]) > _due_rank(due) else due
        if lapse and lapse not in lapses:
            lapses.append(lapse)
        if new_due == due and lapses == list(mine.get("lapses") or []):
            return None  # a redelivery
        return [{**h, "review_due": new_due, "lapses": lapses} if h is mine else h for h in holdings]

    return change


def add_holdings(new: list[dict[str, Any]]) -> Change:
    """Imported holdings a person does not hold yet (by qualification id)."""
    def change(holdings: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        known = {h["qualification_id"] for h in holdings}
        fresh = [h for h in new if h["qualification_id"] not in known]
        return [*holdings, *fresh] if fresh else None

    return change


def imported_holdings(rows: list[Any], known_diseases: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """An import's rows `{person_id, disease, granted_on, qualification_id?}` as each person's new holdings, every
    row checked: a disease must be in some policy version (`known_diseases`); the qualification id defaults to
    `import:<person>:<disease>:<granted_on>`. Any invalid row refuses the whole import, naming each
    (`holdings[i].<field>`)."""
    known = set(known_diseases)
    errors: list[dict[str, Any]] = []
    pairs = []
    for i, row in enumerate(rows):
        path = f"holdings[{i}]"
        if not isinstance(row, dict):
            errors.append({"field": path, "message": "must be an object"})
            continue
        pid, disease = row.get("person_id"), row.get("disease")
        if not isinstance(pid, str) or not pid.strip() or len(pid) > 64:
            errors.append({"field": f"{path}.person_id", "message": "person_id is required (≤ 64 characters)"})
            continue
        if not isinstance(disease, str) or disease not in known:
            errors.append({"field": f"{path}.disease", "message": f"disease {disease!r} is in no policy version"})
            continue
        try:
            granted = parse_day(row.get("granted_on"), "granted_on")
        except InvalidInput as exc:
            errors.append({"field": f"{path}.granted_on", "message": exc.message})
            continue
        qid = row.get("qualification_id") or f"import:{pid}:{disease}:{granted.isoformat()}"
        pairs.append((pid.strip(), holding_doc(str(qid), disease, granted.isoformat(), source="import")))
    if errors:
        raise InvalidInput(f"{len(errors)} holdings are invalid; nothing was stored",
                           fields=errors[:MAX_IMPORT_ERRORS])
    by_person: dict[str, list[dict[str, Any]]] = {}
    for pid, holding in pairs:
        by_person.setdefault(pid, []).append(holding)
    return by_person
