"""The read model's use cases: an event made plain data and projected (`projection`), a batch's projections
folded into the tenant's database (`fold`), and the reads the other rooms compute from."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from chassis.errors import JingbanError, PoisonMessage
from chassis.events import Event
from chassis.programs import program_of_tenant
from services.audit.readmodel.domain.readmodel import (
    Fact,
    Upsert,
    case_status,
    current_review_due,
    policy_for,
    project,
    uncapped_codes,
)
from services.audit.readmodel.store import ReadModelStore

Doc = dict[str, Any]


def plain(message: Any) -> SimpleNamespace:
    """A payload message as plain values, field by field: nested messages as namespaces, repeated fields as lists,
    maps as dicts, scalars as they read on the message."""
    out: dict[str, Any] = {}
    for fd in message.DESCRIPTOR.fields:
        value = getattr(message, fd.name)
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            value_fd = fd.message_type.fields_by_name["value"]
            out[fd.name] = {k: plain(v) if value_fd.message_type is not None else v for k, v in value.items()}
        elif fd.is_repeated:
            out[fd.name] = [plain(v) for v in value] if fd.message_type is not None else list(value)
        elif fd.message_type is not None:
            out[fd.name] = plain(value)
        else:
            out[fd.name] = value
    return SimpleNamespace(**out)


def fact_of(event: Event) -> Fact:
    """What the projection reads of an event, as plain data."""
    return Fact(type=event.type, id=event.id, business_key=event.envelope.business_key,
                occurred_at=event.occurred_at, payload=plain(event.payload))


def project_event(event: Event) -> list[Upsert]:
    """The read-model writes one event causes (domain/readmodel.py `project` of its plain data)."""
    return project(fact_of(event))


def projection(event: Event) -> list[Upsert]:
    """The event's read-model writes; PoisonMessage when it can never be projected (a malformed amount, no id).

    Projecting is pure, so any other failure here is this event's for good, not the store's: it is parked too,
    its reason naming only the kind of failure (a message could quote personal data)."""
    try:
        return project_event(event)
    except PoisonMessage:
        raise
    except JingbanError as exc:
        raise PoisonMessage(f"{event.type}: {exc.message}") from exc
    except Exception as exc:
        raise PoisonMessage(f"{event.type} cannot be projected ({type(exc).__name__})") from exc


async def ensure_indexes(db: Any) -> None:
    await ReadModelStore(db).ensure_indexes()


async def fold(db: Any, upserts: list[Upsert]) -> None:
    await ReadModelStore(db).apply(upserts)


def program_code(tenant: str) -> str:
    """The code of the program the tenant serves; "" when it serves none defined in programs/."""
    program = program_of_tenant(tenant)
    return program.code if program else ""


async def all_of(db: Any, collection: str) -> list[Doc]:
    """Every document of a read-model collection (readmodel.domain names them), ordered by id."""
    return await ReadModelStore(db).all(collection)


async def cases(db: Any, person_id: str | None = None, disease_code: str | None = None) -> list[Doc]:
    return await ReadModelStore(db).cases_where(person_id, disease_code)


async def known_cases(db: Any, tenant: str, today: date, person_id: str | None = None,
                      disease_code: str | None = None) -> dict[str, Any]:
    """The cases (qualifications) audit knows, with whether the disease is uncapped under the policy in force."""
    policy = await policy_in_force(db, today, program_code(tenant) or None)
    unc = uncapped_codes(policy)
    return {"policy_version": (policy or {}).get("version"), "cases": [
        {"case_id": c["_id"], **{k: c.get(k) for k in ("person_id", "disease_code", "granted_on", "benefit_start",
                                                       "revoked_on", "filing_serial", "renewed_on")},
         "review_due_on": current_review_due(c) or None,  # moved on by a passed re-review (复审)
         "uncapped": c.get("disease_code") in unc if policy else None, "status": case_status(c, today)}
        for c in await cases(db, person_id, disease_code)]}


async def policy_in_force(db: Any, day: date, program: str | None) -> Any:
    """The policy table in force on `day` for the program (None: any program), from `policy.published`."""
    return policy_for(await ReadModelStore(db).policies(), day, program)


async def benefits(db: Any, months: list[str]) -> list[Doc]:
    return await ReadModelStore(db).benefits(months)


async def statements(db: Any, months: list[str]) -> list[Doc]:
    return await ReadModelStore(db).statements(months)


async def cases_of(db: Any, persons: list[str]) -> list[Doc]:
    return await ReadModelStore(db).cases_of(persons)


async def ci_claims(db: Any, months: list[str]) -> list[Doc]:
    return await ReadModelStore(db).ci_claims(months)


async def ci_reviews(db: Any, start: str, end: str) -> list[Doc]:
    return await ReadModelStore(db).ci_reviews(start, end)


async def ledger(db: Any, year: int) -> list[Doc]:
    return await ReadModelStore(db).ledger(year)


async def fund_years(db: Any, year: int) -> list[Doc]:
    return await ReadModelStore(db).fund_years(year)
