"""The care book (护理待遇台账): per tenant, in process memory, every person's cover, every designated institution's
state and every care plan — read whole from the store's insert-only logs once, then kept in step by this process's
own writes. An upload of 2,000 service records is checked against it without a read per person or plan.

Another replica's writes are noticed through the store's `generation` (raised after every write to the logs): a
book that read an older generation reads the logs again before it is used."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.settlement.care.domain.cover import Conclusion, PersonCover
from services.settlement.care.domain.plans import Approved, Plan, catalogue_mode, in_force_periods
from services.settlement.care.store import CareStore

FAMILY = "FAMILY"   # the institution key of family care (亲情居家护理): its records and statement


@dataclass(frozen=True)
class PlanEntry:
    """A care plan as approved (护理计划)."""

    plan_id: str
    person_id: str
    mode: str                    # as the doors name it: institutional | home_visit | family
    institution_id: str          # "" for family care
    grade: int
    valid_from: date
    valid_to: date
    items: dict[str, int]
    catalogue_version: str
    agreement: dict[str, Any] | None
    approved_at: str
    approved_by: str
    order: tuple[str, int]

    @property
    def institution_key(self) -> str:
        return self.institution_id or FAMILY

    def domain(self, end: date | None = None) -> Plan:
        """The plan as the rules see it; `end`: where it stops being in force (a newer plan)."""
        return Plan(self.person_id, catalogue_mode(self.mode), self.grade, self.valid_from,
                    self.valid_to if end is None else end, dict(self.items), self.agreement is not None,
                    self.catalogue_version)


@dataclass
class Institution:
    """A designated institution's latest state (定点协议管理), from institution.changed."""

    institution_id: str
    kind: str = ""
    name: str = ""
    status: str = ""
    modes: tuple[str, ...] = ()
    agreement_from: str = ""
    agreement_to: str = ""
    occurred_at: str = ""

    def designated_for(self, mode: str | None = None, on: date | None = None) -> bool:
        """A care institution under an agreement in force (status designated — or resumed after a suspension —
        within the agreement's term), offering `mode` when one is named."""
        if self.kind not in ("", "care") or self.status not in ("designated", "resumed"):
            return False
        if mode is not None and mode not in self.modes:
            return False
        if on is not None:
            if self.agreement_from and on.isoformat() < self.agreement_from:
                return False
            if self.agreement_to and on.isoformat() > self.agreement_to:
                return False
        return True


@dataclass
class TenantBook:
    generation: int
    persons: dict[str, PersonCover] = field(default_factory=dict)
    institutions: dict[str, Institution] = field(default_factory=dict)
    plans: dict[str, PlanEntry] = field(default_factory=dict)
    plans_of: dict[str, list[str]] = field(default_factory=dict)              # person → plan ids
    periods: dict[str, tuple[date, date] | None] = field(default_factory=dict)  # plan → in force (or None)

    def person(self, person_id: str) -> PersonCover:
        return self.persons.get(person_id) or PersonCover()

    def add_plan(self, plan: PlanEntry) -> None:
        if plan.plan_id in self.plans:
            return
        self.plans[plan.plan_id] = plan
        ids = self.plans_of.setdefault(plan.person_id, [])
        ids.append(plan.plan_id)
        periods = in_force_periods([Approved(p.plan_id, p.valid_from, p.valid_to, p.order)
                                    for p in (self.plans[i] for i in ids)])
        self.periods.update(periods)

    def plans_for(self, person_id: str) -> list[PlanEntry]:
        return [self.plans[i] for i in self.plans_of.get(person_id, ())]

    def plan_on(self, person_id: str, institution_key: str, day: date) -> tuple[PlanEntry | None, bool]:
        """The person's plan with this institution (FAMILY: family care) in force on `day`, else (the latest such
        plan, True) when there is one not in force that day, else (None, False)."""
        latest: PlanEntry | None = None
        for plan in self.plans_for(person_id):
            if plan.institution_key != institution_key:
                continue
            period = self.periods.get(plan.plan_id)
            if period is not None and period[0] <= day <= period[1]:
                return plan, True
            latest = plan
        return latest, latest is not None

    def apply_institution(self, entry: dict[str, Any]) -> None:
        known = self.institutions.get(entry["institution_id"])
        if known is not None and entry.get("occurred_at", "") < known.occurred_at:
            return  # an older change arriving late
        self.institutions[entry["institution_id"]] = Institution(
            entry["institution_id"], entry.get("kind", ""), entry.get("name", ""), entry.get("status", ""),
            tuple(entry.get("modes") or ()), entry.get("agreement_from", ""), entry.get("agreement_to", ""),
            entry.get("occurred_at", ""))

    def apply_person(self, entry: dict[str, Any]) -> None:
        person_id, kind, source = entry["person_id"], entry["kind"], entry["_id"]
        cover = self.person(person_id)
        if kind == "concluded":
            c = entry["conclusion"]
            cover = cover.concluded(Conclusion(
                c["assessment_id"], date.fromisoformat(c["concluded_on"]), int(c["grade"]), bool(c["eligible"]),
                date.fromisoformat(c["recheck_due"]) if c.get("recheck_due") else None, c.get("lot", ""),
                c.get("kind", "initial")), source)
        elif kind == "death":
            cover = cover.died(date.fromisoformat(entry["on"]), source)
        elif kind == "survey":
            cover = cover.surveyed(entry["status"], date.fromisoformat(entry["on"]), source)
        self.persons[person_id] = cover


def plan_entries(approval: dict[str, Any]) -> list[PlanEntry]:
    """The plans of one stored approval, in their order."""
    out = []
    for i, p in enumerate(approval.get("plans") or ()):
        out.append(PlanEntry(
            p["plan_id"], p["person_id"], p["mode"], p.get("institution_id", ""), int(p["grade"]),
            date.fromisoformat(p["valid_from"]), date.fromisoformat(p["valid_to"]),
            {x["code"]: int(x["per_month"]) for x in p["items"]}, p.get("catalogue_version", ""),
            p.get("agreement"), approval["approved_at"], approval.get("approved_by", ""), (approval["approved_at"], i)))
    return out


class CareBook:
    def __init__(self, store_of: Callable[[str], CareStore]) -> None:
        self._store_of = store_of
        self._books: dict[str, TenantBook] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def of(self, tenant: str) -> TenantBook:
        """The tenant's book, read again when another process wrote since (one small read)."""
        store = self._store_of(tenant)
        generation = await store.generation()
        book = self._books.get(tenant)
        if book is not None and book.generation == generation:
            return book
        lock = self._locks.setdefault(tenant, asyncio.Lock())
        async with lock:
            book = self._books.get(tenant)
            generation = await store.generation()
            if book is not None and book.generation == generation:
                return book
            book = TenantBook(generation)
            for entry in await store.institution_entries():
                book.apply_institution(entry)
            for entry in await store.person_entries():
                book.apply_person(entry)
            for approval in await store.plan_approvals():
                for plan in plan_entries(approval):
                    book.add_plan(plan)
            self._books[tenant] = book
            return book

    def forget(self, tenant: str) -> None:
        """Read the tenant's book again at its next use."""
        self._books.pop(tenant, None)

    async def wrote(self, tenant: str, apply: Callable[[TenantBook], None]) -> None:
        """After this process wrote to a log: the generation raised, and the change applied to the book — or, when
        another process wrote meanwhile, the book dropped (read again at its next use, this write included)."""
        store = self._store_of(tenant)
        generation = await store.raise_generation()
        book = self._books.get(tenant)
        if book is None:
            return
        if generation == book.generation + 1:
            apply(book)
            book.generation = generation
        else:
            self._books.pop(tenant, None)
