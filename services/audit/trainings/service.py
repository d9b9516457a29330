"""The trainings' use cases (基金监管 培训与以干代训): record a course or a flight-inspection trip once held, read them,
and their figures against the program's required counts (the term report reads `trainings` and `required`).

Only the tenants of the fund-supervision program have any of it (the inspections room's `serves`): elsewhere 404."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import NotFound
from services.audit.inspections import service as inspections
from services.audit.trainings.domain.trainings import check_training, tally
from services.audit.trainings.store import TrainingStore

Doc = dict[str, Any]


def serves(tenant: str) -> None:
    inspections.serves(tenant)


async def ensure_indexes(db: Any) -> None:
    await TrainingStore(db).ensure_indexes()


def required() -> tuple[int, dict[str, int]]:
    """(courses required, trips required by region) over the term: the program's `supervision` settings."""
    s = inspections.settings()
    return s.trainings, dict(s.flight_inspection_trips)


def training_view(doc: Mapping[str, Any]) -> Doc:
    return {"training_id": doc["_id"], **{k: doc.get(k) for k in (
        "kind", "title", "held_from", "held_to", "topics", "attendees", "region", "destination", "staff", "note",
        "recorded_by", "recorded_at") if k in doc}}


async def record(db: Any, by: Mapping[str, str], body: Mapping[str, Any]) -> Doc:
    doc = {"_id": f"TR-{uuid.uuid4().hex[:16]}", **check_training(body, today_cn()), "recorded_by": dict(by),
           "recorded_at": datetime.now(UTC).isoformat()}
    await TrainingStore(db).add(doc)
    return training_view(doc)


async def training(db: Any, training_id: str) -> Doc:
    found = await TrainingStore(db).training(training_id)
    if found is None:
        raise NotFound(f"training {training_id} not found")
    return training_view(found)


async def trainings(db: Any, kind: str | None = None) -> list[Doc]:
    """Every course and trip recorded (of a kind), oldest first."""
    return [training_view(d) for d in await TrainingStore(db).trainings(kind)]


async def listing(db: Any, kind: str | None) -> Doc:
    """The trainings recorded, with the term's figures against the required counts."""
    rows = await trainings(db, kind)
    s = inspections.settings()
    courses, trips = required()
    return {"trainings": rows, "count": len(rows), "term_from": s.term_from.isoformat(),
            "term_to": s.term_to.isoformat(),
            "term": {k: v for k, v in tally(await trainings(db), s.term_from, s.term_to, courses, trips).items()
                     if k != "items"}}
